"""Adversarial review of AccountFactoryBaseline's exactly-once create (b86092a).

HOLE: the test here FAILED on the code it was written against (i-review, on ddee76b).
"""

from __future__ import annotations

import pytest

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
from alicloud_account_factory.emulator import Emulator
from tests.provider.test_baseline_options import baselines_named, options_stack


@pytest.mark.parametrize("taken_over", [False, True], ids=["made-by-the-stack", "baseline_id="])
def test_HOLE_a_forced_replace_of_a_baseline_never_deletes_the_baseline_the_stack_then_holds(
        server: ProviderServer, emulator: Emulator, taken_over: bool) -> None:
    """HOLE (high): `pulumi up --replace` of an AccountFactoryBaseline (create-first, the engine's
    default) runs create, which finds its own baseline by the mark (or takes over `baseline_id=`
    again) and returns THE SAME id; the engine then deletes the replaced resource, i.e. calls
    DeleteAccountFactoryBaseline on the id the new state holds. The baseline is gone (or, in use,
    the run fails after its create), and the stack's state points at nothing."""
    stack = options_stack(server, emulator)
    baseline_id = stack.up().stack_outputs["baseline_id"]
    if taken_over:
        stack.config["project:adoptId"] = baseline_id
        assert stack.up().stack_outputs["baseline_id"] == baseline_id
    assert stack.up(replace=["net"]).stack_outputs["baseline_id"] == baseline_id
    held = stack.state[stack.urn("net")].id
    assert held in baselines_named(emulator, "options-net"), (
        f"the replacement holds {held}, which its replaced resource's delete removed from the service")


@pytest.mark.parametrize("taken_over", [False, True], ids=["made-by-the-stack", "baseline_id="])
def test_a_baseline_renamed_with_an_alias_and_replaced_create_first_is_never_deleted(
        server: ProviderServer, emulator: Emulator, engine: FakeEngine, taken_over: bool) -> None:
    """Issue 18, item 4: the replaced resource's delete comes after the create, under the URN its
    outputs name, the old one when the resource was renamed with an alias. The engine stand-in, which
    does not move state by aliases, shows the provider exactly that for a rename: a create under the
    new URN, then the delete of the old one. The baseline must stay, and nothing may claim that an
    earlier `pulumi up` failed to record it."""
    stack = options_stack(server, emulator)
    baseline_id = stack.up().stack_outputs["baseline_id"]
    if taken_over:
        stack.config["project:adoptId"] = baseline_id
        assert stack.up().stack_outputs["baseline_id"] == baseline_id
    stack.config.update({"project:name": "renamed-net", "project:aliasOf": "net"})
    before = len(engine.messages)
    assert stack.up().stack_outputs["baseline_id"] == baseline_id
    assert stack.state[stack.urn("renamed-net")].id == baseline_id
    assert baselines_named(emulator, "options-net") == [baseline_id], "the replaced resource's delete deleted it"
    assert "DeleteAccountFactoryBaseline" not in emulator.state()["calls"]
    told = [m.message for m in engine.messages[before:]]
    assert not [m for m in told if "that did not record it" in m and "--replace" not in m], told
