"""`protect`, `retain_on_delete` and the preview of a new stack, as far as they can be checked without the CLI.

`protect` and `retain_on_delete` are the engine's: the provider never sees them (no request
carries them) and must not need to. What is checked here: the resource registers them with the
engine (RegisterResource), and the harness, which applies them as the engine does (a protected
resource is never deleted, a retained one leaves state without a Delete call), shows what a user
gets with this provider and the emulator. The real-CLI behaviour is the engine's own.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime import rpc

from account_factory_testing.accounts import AccountStack, provider_config
from account_factory_testing.baselines import register_baseline
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderError, ProviderServer
from account_factory_testing.stack import ProtectedResource, StackHarness
from alicloud_account_factory.emulator import Emulator

PROGRAM = Path(__file__).parent / "programs" / "baseline_options.py"
CONTACT = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"


def options_stack(server: ProviderServer, emulator: Emulator, **options: str) -> StackHarness:
    config = {**provider_config(emulator.endpoint), **{f"project:{k}": v for k, v in options.items()}}
    return StackHarness(PROGRAM, server, config=config)


def baselines_named(emulator: Emulator, name: str) -> list[str]:
    return [b["BaselineId"] for b in emulator.state()["baselines"] if b["BaselineName"] == name]


def test_a_protected_baseline_is_never_deleted(server: ProviderServer, emulator: Emulator) -> None:
    stack = options_stack(server, emulator, protect="true")
    baseline_id = stack.up().stack_outputs["baseline_id"]
    assert stack.state[stack.urn("net")].protect  # registered with the engine
    with pytest.raises(ProtectedResource, match="protect=False"):
        stack.destroy()
    assert baselines_named(emulator, "options-net") == [baseline_id]
    assert "DeleteAccountFactoryBaseline" not in emulator.state()["calls"]

    stack.config["project:protect"] = "false"  # unprotect with an `up`, then destroy deletes it
    stack.up()
    stack.destroy()
    assert baselines_named(emulator, "options-net") == []


def test_a_retained_baseline_leaves_the_stack_not_the_service(server: ProviderServer, emulator: Emulator) -> None:
    stack = options_stack(server, emulator, retainOnDelete="true", withAccount="true")
    baseline_id = stack.up().stack_outputs["baseline_id"]
    assert stack.state[stack.urn("net")].retain_on_delete
    stack.destroy()  # the account stays enrolled (no un-enroll API), so the baseline must stay too
    assert stack.state == {} and baselines_named(emulator, "options-net") == [baseline_id]
    assert "DeleteAccountFactoryBaseline" not in emulator.state()["calls"]
    # A new stack with the same program (its own StackIdentity) neither adopts the retained baseline
    # unasked nor makes a second one of the name: it fails, naming it and how to take it over.
    again = options_stack(server, emulator)
    with pytest.raises(ProviderError) as refused:
        again.up()
    assert f"add baseline_id='{baseline_id}'" in refused.value.details
    again.config["project:adoptId"] = baseline_id
    assert again.up().stack_outputs["baseline_id"] == baseline_id
    assert emulator.state()["calls"].get("CreateAccountFactoryBaseline") == 1


def test_without_retain_a_baseline_in_use_fails_destroy_and_stays_whole(server: ProviderServer,
                                                                        emulator: Emulator) -> None:
    stack = options_stack(server, emulator, withAccount="true")
    baseline_id = stack.up().stack_outputs["baseline_id"]
    with pytest.raises(Exception, match="Options A .*retain_on_delete=True"):
        stack.destroy()
    assert baselines_named(emulator, "options-net") == [baseline_id]


def test_preview_of_a_new_stack_sends_the_unknown_baseline_id_to_check_and_diff(
        stack: AccountStack, server: ProviderServer, emulator: Emulator) -> None:
    # Preview of a new stack: the account's baseline_id is the engine's unknown sentinel.
    registration, _ = stack.check("acct", account_name_prefix="team-u", display_name="Team U")
    unknown = {**registration.inputs, "baseline_id": rpc.UNKNOWN}
    checked = server.check(registration.urn, {}, unknown)
    assert checked.failures == [] and checked.inputs["baseline_id"] == rpc.UNKNOWN
    # The baseline itself, with items still unknown (e.g. built from another output).
    baseline = register_baseline("net", baseline_name="u", baseline_items=[{"name": CONTACT}])
    checked_baseline = server.check(baseline.urn, {}, {**baseline.inputs, "baseline_items": rpc.UNKNOWN})
    assert checked_baseline.failures == []

    # An existing account whose baseline_id becomes unknown (a new baseline in this preview):
    # an in-place update, never a replacement, and nothing is called.
    deployed = stack.create("acct", account_name_prefix="team-u", display_name="Team U")
    calls = dict(emulator.state()["calls"])
    changed = server.check(deployed.urn, deployed.inputs, {**deployed.inputs, "baseline_id": rpc.UNKNOWN})
    assert changed.failures == []
    diff = server.diff(deployed.id, deployed.urn, deployed.outputs, changed.inputs)
    assert diff.changes in ("some", "unknown") and diff.replaces == [], diff
    assert dict(emulator.state()["calls"]) == calls


def test_an_unknown_baseline_id_in_the_preview_of_a_new_stack(engine: FakeEngine, emulator: Emulator) -> None:
    with ProviderServer(engine.address) as server:
        stack = options_stack(server, emulator, withAccount="true")
        plan = stack.preview()
        assert plan.action("net") == "create" and plan.action("acct") == "create"
        assert plan.stack_outputs["baseline_id"] == rpc.UNKNOWN
        assert emulator.state()["calls"] == {}
