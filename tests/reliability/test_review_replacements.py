"""Adversarial review of delete-first replacements (EnrolledAccount's default since 33a3261).

HOLES: every test here FAILED on the code it was written against (i-review, on ddee76b); each
docstring says what the user sees and which promise it breaks. They run a whole program
(programs/one_account.py) under the engine stand-in, with the real provider server and the
emulator, like test_resource_identity.py. "Another machine" is a provider process with another
ALICLOUD_ACCOUNT_FACTORY_STATE_DIR (an ephemeral CI runner: every run is one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from account_factory_testing.accounts import provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import JOURNAL_ENV, ProviderError, ProviderServer
from account_factory_testing.stack import StackHarness
from alicloud_account_factory.emulator import MEMBER_ACCOUNT_UIDS, Emulator
from tests.reliability.reliability_support import EVIDENCE, accounts_by_name, wait_until

PROGRAM = Path(__file__).resolve().parent / "programs" / "one_account.py"
PROJECT = "review"
DISPLAY_NAME = "Stack account"


@pytest.fixture()
def machines(tmp_path: Path) -> Callable[[str], dict[str, str]]:
    """machines(name) → the environment of a provider process on that machine (its own attempt record)."""
    return lambda name: {JOURNAL_ENV: str(tmp_path / name)}


def _stack(emulator: Emulator, engine: FakeEngine, env: dict[str, str], **config: str) -> StackHarness:
    emulator.reset()
    server = ProviderServer(engine.address, env=env).start()
    EVIDENCE.watch_server(server)
    return StackHarness(PROGRAM, server, project=PROJECT, stack="dev",
                        config={**provider_config(emulator.endpoint),
                                **{f"{PROJECT}:{key}": value for key, value in config.items()}})


def _next_run(stack: StackHarness, engine: FakeEngine, env: dict[str, str]) -> None:
    """The next `pulumi up`: a new provider process, on the machine `env` names."""
    stack.provider.stop()
    stack.provider = ProviderServer(engine.address, env=env).start()
    EVIDENCE.watch_server(stack.provider)


def test_HOLE_a_second_forced_replace_on_another_machine_does_not_take_back_the_first_replaced_account(
        emulator: Emulator, engine: FakeEngine, machines: Callable[[str], dict[str, str]]) -> None:
    """HOLE (high): delete-first replacements keep the resource's base key, so the account of the
    first `up --replace` (B) carries the same key as the account it replaced (A); only the attempt
    record on the machine that replaced A says A was let go. The next `up --replace` on another
    machine (every run of an ephemeral CI runner; or the same machine 7 days later, when the
    record prunes the release) releases B and then ADOPTS A: the stack takes back an account it
    told the user to close or hand on, and no new account is vended."""
    stack = _stack(emulator, engine, machines("ci-1"))
    a = int(stack.up().stack_outputs["account_uid"])
    _next_run(stack, engine, machines("ci-2"))
    b = int(stack.up(replace=["acct"]).stack_outputs["account_uid"])
    assert b != a
    _next_run(stack, engine, machines("ci-3"))
    c = int(stack.up(replace=["acct"]).stack_outputs["account_uid"])
    assert c not in (a, b), f"the second `up --replace` took back account {a}, replaced by the first one"
    assert len(accounts_by_name(emulator.state())[DISPLAY_NAME]) == 3


def test_HOLE_a_failed_replacement_of_a_retained_account_is_resumed_not_a_third_account(
        emulator: Emulator, engine: FakeEngine, machines: Callable[[str], dict[str, str]]) -> None:
    """HOLE (high): with retain_on_delete=True the engine skips the delete of a delete-first
    replacement, so the create sees the Diff's account unreleased and takes a key of its own
    (a replacement generation). When that enrollment Fails, the resource is gone from the state and
    the next `up` creates it with the base key: the failed account is 'left behind under other
    settings' and a THIRD account is enrolled (README: "the next `pulumi up` enrolls the new
    account again, never a third"). Same machine throughout."""
    same_machine = machines("laptop")
    stack = _stack(emulator, engine, same_machine, retainOnDelete="true")
    old_uid = int(stack.up().stack_outputs["account_uid"])
    emulator.add_outcome({"display_name": "Renamed account", "status": "Failed", "error_code": "InternalError",
                          "error_message": "A system error occurred."})
    stack.config[f"{PROJECT}:displayName"] = "Renamed account"  # a new-account setting: replaces
    with pytest.raises(ProviderError):
        stack.up()
    [failed] = accounts_by_name(emulator.state())["Renamed account"]
    _next_run(stack, engine, same_machine)
    new_uid = int(stack.up().stack_outputs["account_uid"])
    renamed = accounts_by_name(emulator.state())["Renamed account"]
    assert len(renamed) == 1, f"a third account: {[r['AccountUid'] for r in renamed]} (and {old_uid})"
    assert new_uid == failed["AccountUid"] != old_uid


def test_HOLE_replacing_an_account_uid_resource_never_asks_to_close_the_account_it_keeps(
        emulator: Emulator, engine: FakeEngine, machines: Callable[[str], dict[str, str]]) -> None:
    """HOLE (medium, a regression of the delete-first default): a replaced `account_uid=` resource
    enrolls the same account again, but its delete now comes first and warns that the account
    'stays enrolled ... Remove or close the account in the Resource Directory console', while the
    replacement holds it (RELIABILITY.md: a delete whose account the replacement kept 'says so
    and does not suggest closing it'). It also records the account as released."""
    uid = MEMBER_ACCOUNT_UIDS[3]
    stack = _stack(emulator, engine, machines("laptop"), accountUid=str(uid))
    assert int(stack.up().stack_outputs["account_uid"]) == uid
    before = len(engine.messages)
    assert int(stack.up(replace=["acct"]).stack_outputs["account_uid"]) == uid
    wait_until(lambda: any(str(uid) in m.message for m in engine.messages[before:]), timeout=5)
    told = [m.message for m in engine.messages[before:] if str(uid) in m.message]
    assert not [m for m in told if "close" in m or "Remove" in m or "stays enrolled" in m], told
