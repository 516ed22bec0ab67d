"""A catalogue of bad inputs: each stopped at Check, naming the field and how to fix it.

Every case is what `EnrolledAccount(...)` really registers (wrong types included: pulumi.Input
is not enforced, so a program can pass them), sent through the real provider server's Check
as the engine sends it. A user must see a failure on the right property whose message names
the field and says what to do, and the service must not be called at all: `pulumi preview`
catches every one of them before anything is enrolled. Unknown values, as a preview has
them, are the opposite: they must be accepted (they are checked again at `up`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import pulumi

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderError, ProviderServer
from account_factory_testing.stack import has_unknown
from alicloud_account_factory import BaselineItemArgs, EnrolledAccount
from alicloud_account_factory.emulator import Emulator
from alicloud_account_factory.accounts.model import ENROLLMENT_KEY_TAG
from tests.reliability.reliability_support import (
    EVIDENCE,
    record,
    register_program,
    register_raw,
    start_server,
    unknown_output,
)

NEW = dict(account_name_prefix="team-a-dev", display_name="Team A dev")
EXISTING = dict(account_uid="1207465839102347")
UID = "1452067318846219"
#: A message "says how to fix" when it tells what to use, set, remove, pass, ... or shows an example.
FIX_HINT = re.compile(r"\b(use|set|remove|pass|choose|quote|merge|rename|allow)\b|e\.g\.|such as|at most|must be", re.I)


@dataclass
class Bad:
    """One bad input: the arguments of EnrolledAccount(...) and the property the failure must name."""

    case: str
    kwargs: dict[str, Any]
    property: str
    opts: Optional[pulumi.ResourceOptions] = None
    #: The message must also contain this (e.g. the item's index), beyond the property name.
    mentions: str = ""


def _items(*items: Any) -> dict[str, Any]:
    return {**NEW, "baseline_items": list(items)}


VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
CATALOGUE: list[Bad] = [
    # missing
    Bad("nothing at all", {}, "account_name_prefix"),
    Bad("nothing at all (display name)", {}, "display_name"),
    Bad("new account without a prefix", {"display_name": "Team A dev"}, "account_name_prefix"),
    Bad("new account without a display name", {"account_name_prefix": "team-a-dev"}, "display_name"),
    Bad("baseline item without a name", _items({"config": {"VpcName": "main"}}), "baseline_items", mentions="[0].name"),
    # conflicting
    Bad("account_uid with a display name", {**EXISTING, "display_name": "Team A dev"}, "display_name"),
    Bad("account_uid with a prefix", {**EXISTING, "account_name_prefix": "team-a-dev"}, "account_name_prefix"),
    Bad("account_uid with a folder", {**EXISTING, "folder_id": "fd-Sandbox001"}, "folder_id"),
    Bad("account_uid with a payer", {**EXISTING, "payer_account_uid": UID}, "payer_account_uid"),
    Bad("account_uid with a resell type", {**EXISTING, "resell_account_type": "resell"}, "resell_account_type"),
    Bad("the same baseline item twice", _items({"name": VPC}, {"name": VPC, "skip": True}), "baseline_items", mentions="[1]"),
    Bad("the provider's own tag key", {**NEW, "tags": {ENROLLMENT_KEY_TAG: "mine"}}, "tags"),
    Bad("20 tags leave no room for the provider's", {**NEW, "tags": {f"k{i}": "v" for i in range(20)}}, "tags"),
    # wrongly typed
    Bad("prefix is a number", {**NEW, "account_name_prefix": 12345}, "account_name_prefix"),
    Bad("display name is a list", {**NEW, "display_name": ["Team", "A"]}, "display_name"),
    Bad("folder id is a mapping", {**NEW, "folder_id": {"id": "fd-Sandbox001"}}, "folder_id"),
    Bad("payer is a boolean", {**NEW, "payer_account_uid": True}, "payer_account_uid"),
    Bad("payer is a fraction", {**NEW, "payer_account_uid": 1452067318846219.5}, "payer_account_uid"),
    Bad("account_uid is a mapping", {"account_uid": {"uid": UID}}, "account_uid"),
    Bad("baseline id is a number", {**NEW, "baseline_id": 42}, "baseline_id"),
    Bad("baseline items is a string", {**NEW, "baseline_items": VPC}, "baseline_items"),
    Bad("baseline item is a string", _items(VPC), "baseline_items", mentions="[0]"),
    Bad("skip is a string", _items(BaselineItemArgs(name=VPC, skip="yes")), "baseline_items", mentions="skip"),  # type: ignore[arg-type]
    Bad("version is a list", _items({"name": VPC, "version": ["1", "0"]}), "baseline_items", mentions="version"),
    Bad("config is a number", _items({"name": VPC, "config": 5}), "baseline_items", mentions="config"),
    Bad("tags is a list", {**NEW, "tags": ["env=dev"]}, "tags"),
    Bad("tag value is a number", {**NEW, "tags": {"cost-center": 4711}}, "tags", mentions="cost-center"),
    Bad("region is a number", {**NEW, "region_id": 1}, "region_id"),
    # oversized
    Bad("prefix of 51 characters", {**NEW, "account_name_prefix": "p" * 51}, "account_name_prefix"),
    Bad("display name of 51 characters", {**NEW, "display_name": "D" * 51}, "display_name"),
    Bad("tag key of 129 characters", {**NEW, "tags": {"k" * 129: "v"}}, "tags"),
    Bad("tag value of 129 characters", {**NEW, "tags": {"env": "v" * 129}}, "tags", mentions="env"),
    Bad("21 tags", {**NEW, "tags": {f"k{i}": "v" for i in range(21)}}, "tags"),
    # (an int above 2^53 is an exact account id: the resource passes its digits, tests/provider/test_public_types.py)
    Bad("account id of 17 digits as an int", {"account_uid": 12_345_678_901_234_567}, "account_uid", mentions="17 digits"),
    Bad("account id of 17 digits", {"account_uid": "12345678901234567"}, "account_uid"),
    Bad("config nested 100000 deep", _items({"name": VPC, "config": '{"a":' * 100_000 + "1" + "}" * 100_000}),
        "baseline_items", mentions="config"),
    # malformed
    Bad("config is not JSON", _items({"name": VPC, "config": '{"VpcName": main}'}), "baseline_items", mentions="config"),
    Bad("config is cut short", _items({"name": VPC, "config": '{"VpcName": "main"'}), "baseline_items", mentions="config"),
    Bad("config is a JSON list", _items({"name": VPC, "config": '["main"]'}), "baseline_items", mentions="config"),
    Bad("baseline item key misspelt", _items({"name": VPC, "confg": {"VpcName": "main"}}), "baseline_items", mentions="confg"),
    Bad("baseline item name with spaces", _items({"name": "my vpc"}), "baseline_items", mentions="name"),
    Bad("prefix with spaces", {**NEW, "account_name_prefix": "team a"}, "account_name_prefix"),
    Bad("blank display name", {**NEW, "display_name": "   "}, "display_name"),
    Bad("folder id without its prefix", {**NEW, "folder_id": "Sandbox001"}, "folder_id"),
    Bad("baseline id without its prefix", {**NEW, "baseline_id": "bp1d5fq0wjz6kc8xrs4e"}, "baseline_id"),
    Bad("account id with letters", {"account_uid": "14520673188462l9"}, "account_uid"),
    Bad("account id negative", {"account_uid": -1452067318846219}, "account_uid"),
    Bad("payer id too short", {**NEW, "payer_account_uid": "12345"}, "payer_account_uid"),
    Bad("region in words", {**NEW, "region_id": "Hangzhou"}, "region_id"),
    Bad("empty tag key", {**NEW, "tags": {"": "v"}}, "tags"),
    Bad("tag key in the aliyun namespace", {**NEW, "tags": {"aliyun:owner": "me"}}, "tags"),
    Bad("timeout in words", NEW, "custom_timeouts",
        opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="ten minutes"))),
    Bad("timeout of zero", NEW, "custom_timeouts", opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(update="0s"))),
    # unknown enum values
    Bad("resell type spelt differently", {**NEW, "resell_account_type": "reseller"}, "resell_account_type"),
    Bad("resell type in capitals", {**NEW, "resell_account_type": "RESELL"}, "resell_account_type"),
    Bad("version is not a number", _items({"name": VPC, "version": float("nan")}), "baseline_items", mentions="version"),
    # numbers and digits that would be sent changed, or crash a parser
    Bad("config number of 2^53 or more in a dict", _items({"name": VPC, "config": {"VpcId": 9123456789012345}}),
        "baseline_items", mentions="JSON object string"),
    Bad("config number of 2^53 deep in a dict", _items({"name": VPC, "config": {"a": [{"b": 2**60}]}}),
        "baseline_items", mentions="JSON object string"),
    Bad("account id of superscript digits", {"account_uid": "\u00b9\u00b2\u00b34444444444444"}, "account_uid"),
    Bad("account id of circled digits", {"account_uid": "\u2460111111111111111"}, "account_uid"),
    Bad("account id of full-width digits", {"account_uid": "\uff11\uff14\uff15\uff12\uff10\uff16\uff17\uff13\uff11"
                                                            "\uff18\uff18\uff14\uff16\uff12\uff11\uff19"}, "account_uid"),
    Bad("payer id of 4,301 digits", {**NEW, "payer_account_uid": "1" * 4301}, "payer_account_uid"),
    # too big for one request
    Bad("config of 100 KB", _items({"name": VPC, "config": {"Blob": "x" * 100_000}}), "baseline_items", mentions="bytes"),
]


def _problems(bad: Bad, failures: list[tuple[str, str]]) -> list[str]:
    """What is wrong with how the provider rejected `bad` (empty: rejected as a user needs)."""
    mine = [reason for prop, reason in failures if prop == bad.property]
    if not mine:
        return [f"{bad.case}: no failure on {bad.property!r} (got {failures})"]
    reason = next((r for r in mine if bad.property in r and bad.mentions in r and FIX_HINT.search(r)), None)
    if reason is None:
        return [f"{bad.case}: the message does not name {bad.property!r}{' and ' + bad.mentions if bad.mentions else ''} "
                f"or does not say how to fix it: {mine}"]
    return []


def test_every_bad_input_is_rejected_at_check_naming_the_field(
        engine: FakeEngine, emulator: Emulator) -> None:
    assert len(CATALOGUE) >= 30
    emulator.reset()
    server = start_server(engine, emulator.endpoint)
    problems: list[str] = []
    rejected = 0
    try:
        for index, bad in enumerate(CATALOGUE):
            registration = register_raw(f"bad-{index}", bad.opts, **bad.kwargs)
            try:
                outcome = server.check(registration.urn, {}, registration.inputs)
            except ProviderError as crash:  # the user would see a provider traceback instead of a failure
                EVIDENCE.error(crash)
                problems.append(f"{bad.case}: Check crashed: {crash.details.strip().splitlines()[0]}")
                continue
            EVIDENCE.add("check", outcome)
            found = _problems(bad, outcome.failures)
            problems += found
            rejected += not found
    finally:
        server.stop()
    state = emulator.state()
    assert not problems, "\n".join(problems)
    assert state["calls"] == {}, f"Check called the service: {state['calls']}"
    assert state["accounts"] == []
    record("bad_inputs", catalogue=len(CATALOGUE), rejected=rejected, api_calls=sum(state["calls"].values()))


# --- unknowns during preview: accepted ----------------------------------------------------------


@dataclass
class Preview:
    """Arguments holding unknown values (built inside the program), and which inputs must stay unknown."""

    case: str
    build: Callable[[], dict[str, Any]]
    unknown: list[str] = field(default_factory=list)


PREVIEWS: list[Preview] = [
    Preview("display name from another resource", lambda: {**NEW, "display_name": unknown_output()}, ["display_name"]),
    Preview("prefix from another resource", lambda: {**NEW, "account_name_prefix": unknown_output()}, ["account_name_prefix"]),
    Preview("folder created in the same run", lambda: {**NEW, "folder_id": unknown_output()}, ["folder_id"]),
    Preview("payer created in the same run", lambda: {**NEW, "payer_account_uid": unknown_output()}, ["payer_account_uid"]),
    Preview("existing account id not known yet", lambda: {"account_uid": unknown_output()}, ["account_uid"]),
    Preview("baseline created in the same run", lambda: {**NEW, "baseline_id": unknown_output()}, ["baseline_id"]),
    Preview("all baseline items unknown", lambda: {**NEW, "baseline_items": unknown_output()}, ["baseline_items"]),
    Preview("one item's config unknown",
            lambda: _items(BaselineItemArgs(name=VPC, config=unknown_output())), ["baseline_items"]),
    Preview("all tags unknown", lambda: {**NEW, "tags": unknown_output()}, ["tags"]),
    Preview("one tag value unknown", lambda: {**NEW, "tags": {"owner": unknown_output(), "env": "dev"}}, ["tags"]),
    Preview("resell type unknown", lambda: {**NEW, "resell_account_type": unknown_output()}, ["resell_account_type"]),
    Preview("region unknown", lambda: {**NEW, "region_id": unknown_output()}, ["region_id"]),
]


def _preview_registrations() -> dict[str, Any]:
    return register_program(
        lambda: [EnrolledAccount(f"preview-{i}", **case.build()) for i, case in enumerate(PREVIEWS)], preview=True)


def test_unknown_values_during_preview_are_accepted(engine: FakeEngine, emulator: Emulator) -> None:
    emulator.reset()
    registered = _preview_registrations()
    server: ProviderServer = start_server(engine, emulator.endpoint)
    problems: list[str] = []
    deployed_outputs = {**NEW, "tags": {}, "baseline_items": [], "status": "Finished", "account_uid": 1207465839102347}
    try:
        for index, case in enumerate(PREVIEWS):
            registration = registered[f"preview-{index}"]
            missing = [name for name in case.unknown if not has_unknown(registration.inputs.get(name))]
            assert not missing, f"{case.case}: the program did not register {missing} as unknown"
            outcome = server.check(registration.urn, {}, registration.inputs)
            if outcome.failures:
                problems.append(f"{case.case}: rejected during preview: {outcome.failures}")
            kept = [name for name in case.unknown if not has_unknown(outcome.inputs.get(name))]
            if kept:
                problems.append(f"{case.case}: Check resolved unknown {kept} to {[outcome.inputs.get(n) for n in kept]}")
            # Preview of an update: Diff must accept the unknown too, and report a change for it.
            diff = server.diff("1207465839102347", registration.urn, deployed_outputs, outcome.inputs)
            if diff.changes != "some":
                problems.append(f"{case.case}: preview diff hides the unknown change ({diff.changes})")
    finally:
        server.stop()
    assert not problems, "\n".join(problems)
    assert emulator.state()["calls"] == {}
    record("bad_inputs", unknowns_accepted_in_preview=len(PREVIEWS))


# --- odd digits in state or in the id: Diff and Read answer, never a traceback -----------------

ODD_DIGITS = ["\u00b9\u00b2\u00b34444444444444", "\u2460111111111111111", "\uff11" * 16, "1" * 4301]


def test_odd_digits_in_state_or_id_never_crash_diff_or_read(engine: FakeEngine, emulator: Emulator) -> None:
    """A hand-edited state file, or an id typed into `EnrolledAccount.get`, may hold digits that
    `str.isdigit()` accepts and `int()` rejects: Diff reports a change, Read an error naming the id."""
    emulator.reset()
    registration = register_raw("odd-digits", **EXISTING)
    server = start_server(engine, emulator.endpoint)
    problems: list[str] = []
    try:
        checked = server.check(registration.urn, {}, registration.inputs)
        assert checked.failures == []
        for odd in ODD_DIGITS:
            shown = odd[:20]
            try:
                diff = server.diff(odd, registration.urn, {**checked.inputs, "account_uid": odd}, checked.inputs)
                if diff.changes != "some":
                    problems.append(f"{shown}: Diff against an odd account_uid in state reports {diff.changes}")
            except ProviderError as crash:
                EVIDENCE.error(crash)
                problems.append(f"{shown}: Diff crashed: {crash.details.strip().splitlines()[0][:200]}")
            try:
                server.read(odd, registration.urn, checked.inputs, checked.inputs)
                problems.append(f"{shown}: Read of an odd id succeeded")
            except ProviderError as error:
                EVIDENCE.error(error)
                if "Traceback" in error.details and "InvalidId" not in error.details:
                    problems.append(f"{shown}: Read crashed: {error.details.strip().splitlines()[0][:200]}")
    finally:
        server.stop()
    assert not problems, "\n".join(problems)
    assert emulator.state()["calls"] == {}, "an odd id reached the service"
