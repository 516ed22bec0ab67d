"""Whose account is it? Other stacks, renamed resources and forced replacements.

A whole program (tests/reliability/programs/one_account.py) runs under the engine stand-in of
testing/account_factory_testing/stack.py, which registers its resources (EnrolledAccount and the stack's
StackIdentity) and calls the real provider server for Check, Diff, Create, Update and Delete as
the engine would; the provider talks to the emulator over HTTP.

* Two stacks of the same project, stack name and resource name, each with its own state (other
  organizations or backends: personal `dev` stacks of one program) get one account each; the
  second never adopts, nor enrolls again, the first one's account. A stack's own interrupted
  create still finds its account.
* A resource renamed with an alias after an interrupted create resumes the same account; so does one
  whose stack or project was renamed (`pulumi stack rename`: the same state and StackIdentity, other
  URNs), also when its account's key was written before keys outlived such renames, while a new
  stack under the old names (another StackIdentity) never shares it.

An interrupted create is one whose provider process is killed (kill -9: a cancelled CI job) as soon
as its EnrollAccount took effect, the answer held back: the kill waits for that event, not for a
guessed number of seconds.
* A forced replacement (`pulumi up --replace`; replacements delete first by default) vends a
  new account, and no message ever suggests closing the account the stack holds afterwards.
* Replacements are chained in the keys, not only in one machine's attempt record: a second
  `--replace` on another machine (an ephemeral CI runner: each run is another machine, with its own
  ALICLOUD_ACCOUNT_FACTORY_STATE_DIR) never takes back the first replaced account; a failed
  replacement is resumed, never followed by a third account, also when the replaced account was
  retained; a delete-first replacement interrupted between its delete and its create vends a new
  account on the machine that ran the delete.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Callable

import pytest

from account_factory_testing.accounts import provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import JOURNAL_ENV, ProviderError, ProviderServer
from account_factory_testing.stack import StackHarness
from alicloud_account_factory.emulator import MEMBER_ACCOUNT_UIDS, Emulator
from alicloud_account_factory.accounts.model import ENROLLMENT_KEY_TAG
from alicloud_account_factory.resource import RESOURCE_TYPE, STACK_IDENTITY_NAME
from tests.reliability.reliability_support import (
    EVIDENCE,
    HANG_SECONDS,
    accounts_by_name,
    enrollments_by_uid,
    wait_until,
)

PROGRAM = Path(__file__).resolve().parent / "programs" / "one_account.py"
PROJECT = "identity"
DISPLAY_NAME = "Stack account"

Harness = Callable[..., StackHarness]


@pytest.fixture()
def harness(emulator: Emulator, start_provider: Callable[..., ProviderServer]) -> Harness:
    """harness(**config) → a stack with its own state (its own backend) and its own provider process."""
    emulator.reset()

    def make(**config: str) -> StackHarness:
        server = start_provider()
        EVIDENCE.watch_server(server)
        return StackHarness(PROGRAM, server, project=PROJECT, stack="dev",
                            config={**provider_config(emulator.endpoint),
                                    **{f"{PROJECT}:{key}": value for key, value in config.items()}})

    return make


def _accounts(emulator: Emulator) -> list[dict]:
    return accounts_by_name(emulator.state()).get(DISPLAY_NAME, [])


def _new_process(stack: StackHarness, engine: FakeEngine, machine: Path | None = None) -> None:
    """The next `pulumi up`: a new provider process, on the same machine (or on the one whose
    attempt record is in `machine`)."""
    stack.provider.stop()
    stack.provider = ProviderServer(engine.address, env={JOURNAL_ENV: str(machine)} if machine else None).start()
    EVIDENCE.watch_server(stack.provider)


def _fails(run: Callable[[], object]) -> str:
    with pytest.raises(ProviderError) as failed:
        run()
    EVIDENCE.error(failed.value)
    return failed.value.details


def _interrupted_up(stack: StackHarness, emulator: Emulator) -> str:
    """`up` whose provider process is killed once its EnrollAccount took effect (its answer held back
    meanwhile, so the create cannot get further first); returns the error the killed call ended with."""
    emulator.set_faults([{"action": "EnrollAccount", "kind": "delay", "delay_seconds": 60, "after_processing": True,
                          "times": 1}])
    provider = stack.provider

    def kill_once_enrolled() -> None:
        if wait_until(lambda: bool(_accounts(emulator)), timeout=HANG_SECONDS):
            provider.kill()

    killer = threading.Thread(target=kill_once_enrolled, daemon=True)
    killer.start()
    try:
        return _fails(stack.up)
    finally:
        killer.join(HANG_SECONDS)
        emulator.set_faults([])


def _delete_said(engine: FakeEngine, before: int, uid: int) -> bool:
    """Whether the delete of `uid`'s resource has told the engine what became of it (its log
    messages reach the engine a moment after the call returns)."""
    said = (f"account {uid} is kept by this resource's replacement", f"account {uid} stays enrolled")
    return any(text in m.message for m in engine.messages[before:] for text in said)


def _warnings_naming(engine: FakeEngine, uid: int) -> list[str]:
    return [m.message for m in engine.messages if str(uid) in m.message]


# --- item 3: the same URN in another organization or backend -----------------------------------


def test_the_same_stack_and_resource_name_elsewhere_gets_its_own_account(
        harness: Harness, emulator: Emulator, engine: FakeEngine) -> None:
    alice = harness()
    alice_uid = int(alice.up().stack_outputs["account_uid"])
    bob = harness()  # same project, stack and resource name; another backend, so another state
    bob_uid = int(bob.up().stack_outputs["account_uid"])
    assert bob_uid != alice_uid, "the second stack adopted the first stack's account"
    state = emulator.state()
    assert enrollments_by_uid(state)[alice_uid] == 1, "the second stack enrolled the first stack's account again"
    assert len(_accounts(emulator)) == 2
    identities = {s.state[s.urn("alicloud-account-factory-stack-identity")].outputs["value"] for s in (alice, bob)}
    assert len(identities) == 2


def test_a_stack_s_own_interrupted_create_is_still_found(harness: Harness, emulator: Emulator,
                                                         engine: FakeEngine) -> None:
    stack = harness()
    _interrupted_up(stack, emulator)
    [interrupted] = _accounts(emulator)
    _new_process(stack, engine)
    uid = int(stack.up().stack_outputs["account_uid"])
    assert uid == interrupted["AccountUid"] and len(_accounts(emulator)) == 1


# --- item 4: renamed with an alias after an interrupted create -----------------------------------


def test_a_rename_with_an_alias_resumes_the_interrupted_create(harness: Harness, emulator: Emulator,
                                                               engine: FakeEngine) -> None:
    stack = harness(name="old-name")
    _interrupted_up(stack, emulator)
    [interrupted] = _accounts(emulator)
    _new_process(stack, engine)
    stack.config.update({f"{PROJECT}:name": "new-name", f"{PROJECT}:aliasOf": "old-name"})
    uid = int(stack.up().stack_outputs["account_uid"])
    assert uid == interrupted["AccountUid"], "the renamed resource enrolled a second account"
    assert len(_accounts(emulator)) == 1


# --- issue 18, item 1: the stack or the project renamed -------------------------------------------

RENAMES = [{"stack": "prod"}, {"project": "identity-renamed"}, {"stack": "prod", "project": "identity-renamed"}]
RENAME_IDS = ["stack", "project", "both"]


@pytest.mark.parametrize("renamed", RENAMES, ids=RENAME_IDS)
def test_a_failed_create_is_resumed_on_its_account_after_the_stack_or_project_is_renamed(
        harness: Harness, emulator: Emulator, engine: FakeEngine, renamed: dict[str, str]) -> None:
    """`pulumi stack rename` keeps the state and the StackIdentity but rewrites every URN in it; a
    project rename moves the stack the same way. The next `up` must enroll the failed account again,
    never a second one; and a new stack under the old names (its own StackIdentity) gets its own."""
    emulator.add_outcome({"display_name": DISPLAY_NAME, "status": "Failed", "error_code": "InternalError",
                          "error_message": "A system error occurred."})
    stack = harness()
    assert "InternalError" in _fails(stack.up)
    [failed] = _accounts(emulator)
    stack.rename(**renamed)
    _new_process(stack, engine)
    uid = int(stack.up().stack_outputs["account_uid"])
    assert uid == failed["AccountUid"], "the renamed stack enrolled a second account"
    assert len(_accounts(emulator)) == 1 and enrollments_by_uid(emulator.state())[uid] == 2

    newcomer = harness()  # the old names again, in the same backend: another stack
    assert int(newcomer.up().stack_outputs["account_uid"]) != uid
    assert len(_accounts(emulator)) == 2 and enrollments_by_uid(emulator.state())[uid] == 2


def _key_written_before_renames_were_kept(urn: str, stack_identity: str, settings: dict[str, object]) -> str:
    """The enrollment key builds up to 2c1bf42 wrote: hashes of the whole URN (the stack and project
    names in it), of the stack's identity and of the new-account settings. Spelt out here, as those
    builds computed it, so that the test does not lean on the code under test."""
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    material = "\n".join(f"{name}={settings.get(name)!r}" for name in sorted(settings))
    return f"{digest(urn)}.{digest(stack_identity)}.{digest(material)}"


def _enrolled_by_an_earlier_build(emulator: Emulator, key: str) -> int:
    """What the interrupted create of an earlier build left: an account enrolled as the program asks
    (tests/reliability/programs/one_account.py), carrying that build's key."""
    from alibabacloud_governance20210120 import models

    from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
    from tests.emulator.emulator_support import make_client

    answer = make_client(emulator, ACCESS_KEY_ID, SECRET).enroll_account(models.EnrollAccountRequest(
        account_name_prefix="stack-acct", display_name=DISPLAY_NAME,
        tag=[models.EnrollAccountRequestTag(key="tag", value="one"),
             models.EnrollAccountRequestTag(key=ENROLLMENT_KEY_TAG, value=key)]))
    return int(answer.body.account_uid)


@pytest.mark.parametrize("renamed", [{}, *RENAMES], ids=["not-renamed", *RENAME_IDS])
def test_an_account_keyed_by_an_earlier_build_is_found_after_the_stack_or_project_is_renamed(
        harness: Harness, emulator: Emulator, engine: FakeEngine, renamed: dict[str, str]) -> None:
    """A stack made by an earlier build keeps its accounts' keys: its interrupted create is resumed
    after a rename too (the key's stack and settings parts are this stack's and these settings'),
    while the same key of another StackIdentity is never taken."""
    stack = harness()
    emulator.set_faults([{"action": "ListEnrolledAccounts", "code": "InvalidUser.NotResourceDirectoryMaster",
                          "times": 1}])
    _fails(stack.up)  # the StackIdentity is in the state; the account's create enrolled nothing
    identity = stack.state[stack.urn(STACK_IDENTITY_NAME)].outputs["value"]
    urn = f"urn:pulumi:dev::{PROJECT}::{RESOURCE_TYPE}::acct"
    settings = {"account_name_prefix": "stack-acct", "display_name": DISPLAY_NAME, "folder_id": None,
                "payer_account_uid": None, "resell_account_type": None, "region_id": None}
    theirs = _enrolled_by_an_earlier_build(emulator, _key_written_before_renames_were_kept(urn, "another", settings))
    ours = _enrolled_by_an_earlier_build(emulator, _key_written_before_renames_were_kept(urn, identity, settings))
    assert wait_until(lambda: all(a["Status"] == "Finished" for a in _accounts(emulator)), timeout=60)
    stack.rename(**renamed)
    _new_process(stack, engine)
    before = len(engine.messages)
    uid = int(stack.up().stack_outputs["account_uid"])
    assert uid == ours, f"not the account of this stack's earlier build ({ours}; {theirs} is another stack's)"
    enrolled = {account: times for account, times in enrollments_by_uid(emulator.state()).items() if times}
    assert len(_accounts(emulator)) == 2 and enrolled == {ours: 1, theirs: 1}
    told = [m.message for m in engine.messages[before:]]
    assert any(f"adopting account {ours}" in m for m in told), told
    assert not [m for m in told if str(theirs) in m], told


# --- item 5: forced replacement -------------------------------------------------------------------


@pytest.mark.parametrize("delete_first", [None, "true"], ids=["by-default", "delete-before-replace"])
def test_a_forced_replacement_vends_a_new_account_and_never_asks_to_close_the_kept_one(
        harness: Harness, emulator: Emulator, engine: FakeEngine, delete_first: str | None) -> None:
    # Replacements delete first by default: the delete releases the account on this machine, in
    # this run, before the create, which therefore does not adopt it.
    stack = harness(deleteBeforeReplace=delete_first) if delete_first else harness()
    old_uid = int(stack.up().stack_outputs["account_uid"])
    before = len(engine.messages)
    new_uid = int(stack.up(replace=["acct"]).stack_outputs["account_uid"])
    assert new_uid != old_uid, "the replacement adopted the account it replaces"
    assert stack.state[stack.urn("acct")].id == str(new_uid)
    told = [m.message for m in engine.messages[before:]]
    assert any(str(old_uid) in m and "stays enrolled" in m for m in told), told  # the replaced one: said so
    assert not any(str(new_uid) in m and ("close" in m or "Remove" in m) for m in told), told
    assert not any("adopting" in m for m in told), told
    # The next `up` (a new process) changes nothing and adopts nothing.
    _new_process(stack, engine)
    assert stack.up().action("acct") == "same"
    assert len(_accounts(emulator)) == 2
    assert all(n == 1 for n in enrollments_by_uid(emulator.state()).values() if n)


def test_with_create_before_delete_a_forced_replace_keeps_the_account_and_never_asks_to_close_it(
        harness: Harness, emulator: Emulator, engine: FakeEngine) -> None:
    """The limit that remains (RELIABILITY.md): with delete_before_replace=False the replacement's
    create comes first and cannot be told from the retry of an interrupted create, so it adopts the
    account; the stack then still holds it, and nothing may suggest closing it."""
    stack = harness(deleteBeforeReplace="false")
    old_uid = int(stack.up().stack_outputs["account_uid"])
    before = len(engine.messages)
    assert int(stack.up(replace=["acct"]).stack_outputs["account_uid"]) == old_uid
    kept = f"account {old_uid} is kept by this resource's replacement"
    # The delete comes last, and the provider's log messages reach the engine a moment later.
    assert wait_until(lambda: _delete_said(engine, before, old_uid), timeout=HANG_SECONDS)
    told = [m.message for m in engine.messages[before:]]
    assert any(kept in m for m in told), told
    assert not [m for m in told if str(old_uid) in m and ("close" in m or "Remove" in m or "stays enrolled" in m)], told
    assert len(_accounts(emulator)) == 1


@pytest.mark.parametrize("config", [{}, {"retainOnDelete": "true"}], ids=["deleted-first", "retained"])
def test_a_failed_replacement_is_resumed_on_its_own_account_not_a_third(
        harness: Harness, emulator: Emulator, engine: FakeEngine, config: dict[str, str]) -> None:
    """Deleted first (or, with retain_on_delete=True, dropped from the state without a delete), a
    replacement whose enrollment Failed leaves the stack without the resource: the next `up` creates it
    with no Diff to say it replaces, and must follow the chain to the account the failed replacement
    made and enroll it again (docs/enrolled-account.md: "the next `pulumi up` enrolls the new account again, never a
    third")."""
    stack = harness(**config)
    old_uid = int(stack.up().stack_outputs["account_uid"])
    emulator.add_outcome({"display_name": "Renamed account", "status": "Failed", "error_code": "InternalError",
                          "error_message": "A system error occurred."})
    stack.config[f"{PROJECT}:displayName"] = "Renamed account"  # a new-account setting: replaces
    assert "InternalError" in _fails(stack.up)
    [failed] = accounts_by_name(emulator.state())["Renamed account"]
    _new_process(stack, engine)
    new_uid = int(stack.up().stack_outputs["account_uid"])
    renamed = accounts_by_name(emulator.state())["Renamed account"]
    assert len(renamed) == 1, f"a third account: {[r['AccountUid'] for r in renamed]} (and {old_uid})"
    assert new_uid == failed["AccountUid"] != old_uid, "the retry enrolled a third account"
    assert len(_accounts(emulator)) == 1


# --- the chain of replacements, whichever machine runs the `up` ----------------------------------


def test_a_second_forced_replace_on_another_machine_does_not_take_back_the_first_replaced_account(
        harness: Harness, emulator: Emulator, engine: FakeEngine, tmp_path: Path) -> None:
    """The account of the first `up --replace` (B) must not share a key with the one it replaced (A):
    only the attempt record of the machine that replaced A says A was let go, so a later `--replace`
    elsewhere (or after the record's 7 days) would release B and adopt A."""
    stack = harness()
    a = int(stack.up().stack_outputs["account_uid"])
    _new_process(stack, engine, tmp_path / "ci-2")
    b = int(stack.up(replace=["acct"]).stack_outputs["account_uid"])
    assert b != a
    _new_process(stack, engine, tmp_path / "ci-3")
    c = int(stack.up(replace=["acct"]).stack_outputs["account_uid"])
    assert c not in (a, b), f"the second `up --replace` took back account {a}, replaced by the first one"
    assert len(_accounts(emulator)) == 3


def test_a_delete_first_replacement_interrupted_before_its_create_vends_a_new_account_on_that_machine(
        harness: Harness, emulator: Emulator, engine: FakeEngine, tmp_path: Path) -> None:
    """The delete released A on this machine and left the state; the create failed before any
    EnrollAccount. The next `up` there has no Diff: A, the head of the chain, is released, so the
    create replaces it. An update of the new account keeps its key, and with it the chain: another
    machine's create then resumes B (no record of the release needed), never A."""
    machine = tmp_path / "laptop"
    stack = harness()
    _new_process(stack, engine, machine)
    a = int(stack.up().stack_outputs["account_uid"])
    emulator.set_faults([{"action": "ListEnrolledAccounts", "code": "InvalidUser.NotResourceDirectoryMaster",
                          "times": 1}])
    urn = stack.urn("acct")
    assert "NotResourceDirectoryMaster" in _fails(lambda: stack.up(replace=["acct"]))
    assert urn not in stack.state
    _new_process(stack, engine, machine)
    b = int(stack.up().stack_outputs["account_uid"])
    assert b != a and len(_accounts(emulator)) == 2
    key_of_b = _key_of(emulator, b)
    assert key_of_b.split(".")[2] != _key_of(emulator, a).split(".")[2]  # B's key records that it replaced A
    stack.config[f"{PROJECT}:tag"] = "two"  # an update: B is enrolled again, with its own key
    assert stack.up().action("acct") == "update"
    assert enrollments_by_uid(emulator.state())[b] == 2 and _key_of(emulator, b) == key_of_b
    stack.state.pop(urn)  # as an interrupted delete-first replacement leaves it, on no machine
    _new_process(stack, engine, tmp_path / "ci")
    assert int(stack.up().stack_outputs["account_uid"]) == b, "the create followed no chain"
    assert len(_accounts(emulator)) == 2
    assert not [m.message for m in engine.messages if str(a) in m.message and "also carries" in m.message]


def _key_of(emulator: Emulator, uid: int) -> str:
    """The enrollment key an account's last enrollment carries."""
    [account] = [acct for acct in _accounts(emulator) if acct["AccountUid"] == uid]
    return next(t["Value"] for t in account["Inputs"]["Tag"] if t["Key"] == ENROLLMENT_KEY_TAG)


def test_replacing_an_account_uid_resource_never_asks_to_close_the_account_it_keeps(
        harness: Harness, emulator: Emulator, engine: FakeEngine) -> None:
    """A replaced `account_uid=` resource enrolls the same account again; its delete comes first and
    must not warn that the account 'stays enrolled ... Remove or close the account' (nor release it)."""
    uid = MEMBER_ACCOUNT_UIDS[3]
    stack = harness(accountUid=str(uid))
    assert int(stack.up().stack_outputs["account_uid"]) == uid
    before = len(engine.messages)
    assert int(stack.up(replace=["acct"]).stack_outputs["account_uid"]) == uid
    assert wait_until(lambda: _delete_said(engine, before, uid), timeout=HANG_SECONDS)
    told = [m.message for m in engine.messages[before:] if str(uid) in m.message]
    assert not [m for m in told if "close" in m or "Remove" in m or "stays enrolled" in m], told


def test_a_create_first_forced_replace_with_a_rename_says_the_account_is_kept_under_the_old_name(
        harness: Harness, emulator: Emulator, engine: FakeEngine) -> None:
    """Renamed with an alias in the same `up --replace` with delete_before_replace=False, the provider
    sees a Check without old inputs and a Create under the new URN, then the Delete of the old
    resource, whose outputs name the old URN. The stand-in, which does not move state by aliases,
    shows the provider exactly that for a rename: the delete must say the replacement kept the
    account, not that it 'stays enrolled' (nor release it)."""
    stack = harness(name="old-name", deleteBeforeReplace="false")
    uid = int(stack.up().stack_outputs["account_uid"])
    stack.config.update({f"{PROJECT}:name": "new-name", f"{PROJECT}:aliasOf": "old-name"})
    before = len(engine.messages)
    plan = stack.up()
    assert int(plan.stack_outputs["account_uid"]) == uid
    assert wait_until(lambda: _delete_said(engine, before, uid), timeout=HANG_SECONDS)
    told = [m.message for m in engine.messages[before:] if str(uid) in m.message]
    assert not [m for m in told if "close" in m or "Remove" in m or "stays enrolled" in m], told
    assert len(_accounts(emulator)) == 1
