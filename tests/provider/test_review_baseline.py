"""Adversarial review of AccountFactoryBaseline's exactly-once create (b86092a).

HOLE: the test here FAILED on the code it was written against (i-review, on ddee76b).
"""

from __future__ import annotations

import pytest

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
