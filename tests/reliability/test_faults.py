"""Fifty enrollments through a flaky service: every one Finished, none twice.

The emulator throttles 30% of API calls (`Throttling.User`, HTTP 400), fails 5% with HTTP 500
`InternalError`, drops 2% of connections before processing and 2% after processing (the call
took effect, the answer is lost), and answers 5% slowly. On top of that, the first EnrollAccount
answers are lost or turned into a 500 after they took effect, so the dangerous case (the
provider cannot know whether an account was created) happens in every run. The emulator's
seed is fixed, so the dice fall the same way for the same sequence of requests.
"""

from __future__ import annotations

from typing import Any

from account_factory_testing.accounts import emulator_for_tests
from account_factory_testing.engine import FakeEngine
from tests.reliability.reliability_support import (
    ENROLL_SECONDS,
    create_all,
    duplicates,
    enrollments_by_uid,
    record,
    register_many,
    start_server,
    the_one_account,
)

ENROLLMENTS = 50
SEED = 5050


def _chained(rules: list[tuple[str, float, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Rules whose overall shares are the nominal rates.

    The emulator tries rules in order and the first that wins its dice roll fires, so a later
    rule only sees the requests the earlier ones let through: its probability is raised to match.
    """
    out, left = [], 1.0
    for name, share, rule in rules:
        out.append({**rule, "probability": min(1.0, share / left), "_name": name})
        left -= share
    return out


#: Always first: the dangerous EnrollAccount outcomes, guaranteed to happen in every run.
FORCED = [
    ("enroll answer lost after it took effect", {"action": "EnrollAccount", "kind": "drop", "after_processing": True, "times": 3}),
    ("enroll took effect, then HTTP 500", {"action": "EnrollAccount", "code": "InternalError", "http_status": 500,
                                           "after_processing": True, "times": 2}),
    ("enroll took effect, then HTTP 503", {"action": "EnrollAccount", "code": "ServiceUnavailable", "http_status": 503,
                                           "after_processing": True, "times": 2}),
]
BEFORE = _chained([
    ("throttling (Throttling.User 400)", 0.30, {"action": "*", "code": "Throttling.User", "http_status": 400}),
    ("server error (InternalError 500)", 0.05, {"action": "*", "code": "InternalError", "http_status": 500}),
    ("connection dropped before processing", 0.02, {"action": "*", "kind": "drop"}),
    ("slow answer (0.4 s before processing)", 0.05, {"action": "*", "kind": "delay", "delay_seconds": 0.4}),
])
AFTER = _chained([
    ("connection dropped after processing", 0.02, {"action": "*", "kind": "drop", "after_processing": True}),
    ("slow answer (0.4 s after processing)", 0.03, {"action": "*", "kind": "delay", "delay_seconds": 0.4,
                                                   "after_processing": True}),
])


def _rules() -> tuple[list[str], list[dict[str, Any]]]:
    named = [(name, {**rule, "probability": 1.0}) for name, rule in FORCED]
    named += [(rule["_name"], {k: v for k, v in rule.items() if k != "_name"}) for rule in BEFORE + AFTER]
    return [name for name, _ in named], [rule for _, rule in named]


def test_fifty_enrollments_under_faults_all_finish_exactly_once(engine: FakeEngine) -> None:
    specs = {
        f"flaky-{i:02d}": dict(account_name_prefix=f"flaky-{i:02d}", display_name=f"Flaky {i:02d}",
                               folder_id="fd-Workload01", tags={"batch": "faults"})
        for i in range(ENROLLMENTS)
    }
    registered = register_many(specs)
    names, rules = _rules()
    with emulator_for_tests(enroll_seconds=ENROLL_SECONDS, seed=SEED) as emu:
        server = start_server(engine, emu.endpoint, warm_with=registered["flaky-00"])
        emu.set_faults(rules)
        outcomes = create_all(server, registered.values())
        fired = [rule["injected"] for rule in emu.get_faults()]
        emu.set_faults([])
        state = emu.state()
        server.stop()

    failed = {name: o.error.details[-800:] for name, o in outcomes.items() if o.error is not None}
    assert not failed, f"{len(failed)} creates failed: {failed}"
    display_names = [spec["display_name"] for spec in specs.values()]
    assert duplicates(state, display_names) == {}
    assert len(state["accounts"]) == ENROLLMENTS
    for name, spec in specs.items():
        account = the_one_account(state, spec["display_name"])
        assert account["Status"] == "Finished", (name, account["Status"])
        assert outcomes[name].id == str(account["AccountUid"]) and outcomes[name].outputs["status"] == "Finished"

    injected = dict(zip(names, fired))
    # The dangerous cases really happened, and the random faults really fired.
    assert all(injected[name] == rule["times"] for name, rule in FORCED), injected
    assert all(count > 0 for name, count in injected.items() if "throttling" in name or "InternalError" in name), injected
    calls, calls_ok = state["calls"], state["calls_ok"]
    refused = sum(calls.values()) - sum(calls_ok.values())
    assert refused >= injected["throttling (Throttling.User 400)"]  # every refusal is a call that did not take effect
    record("faults", seed=SEED, enrollments=ENROLLMENTS, finished=ENROLLMENTS - len(failed),
           duplicates_found=len(duplicates(state, display_names)),
           max_enrollments_per_account=max(enrollments_by_uid(state)[a["AccountUid"]] for a in state["accounts"]),
           api_calls=sum(calls.values()), api_calls_refused_or_unanswered=refused,
           faults_injected=sum(fired), faults_by_kind=injected,
           enroll_account_calls=calls.get("EnrollAccount", 0), enroll_account_took_effect=calls_ok.get("EnrollAccount", 0))
