"""Short create timeouts: the error says how long was allowed and how to resume, and no
EnrollAccount is ever sent once the deadline has passed.

A deadline that passes while the provider is still looking for an earlier attempt (before
anything was enrolled) must end in the same kind of error as any other timeout: what happened,
and that the next `pulumi up` looks again and never enrolls a second account. Both polling
modes are covered: the fleet's shared listing, and one loop per account (`fleetMode: false`).
"""

from __future__ import annotations

import pulumi
import pytest

from account_factory_testing.engine import FakeEngine
from alicloud_account_factory.emulator import Emulator
from tests.reliability.reliability_support import create_in_a_new_provider, register_raw

FLEET_OFF = {"alicloud-account-factory:fleetMode": "false"}


def _timeout(create: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=create))


def _reason(details: str) -> str:
    """The error's reason: the first line of the provider server's error text."""
    return details.strip().splitlines()[0]


def test_a_fractional_timeout_is_reported_as_given(engine: FakeEngine, emulator: Emulator) -> None:
    registration = register_raw("half-second", _timeout("0.5s"), account_name_prefix="half-second",
                                display_name="Half second")
    outcome = create_in_a_new_provider(engine, emulator.endpoint, registration)
    assert outcome.error is not None
    assert "timed out after 0.5s" in outcome.error.details, _reason(outcome.error.details)


@pytest.mark.parametrize("config", [{}, FLEET_OFF], ids=["fleet", "fleet-off"])
def test_a_deadline_passed_before_enrolling_sends_no_enroll_and_says_how_to_resume(
        engine: FakeEngine, emulator: Emulator, config: dict[str, str]) -> None:
    name = f"one-ms-{'off' if config else 'fleet'}"
    registration = register_raw(name, _timeout("1ms"), account_name_prefix=name, display_name=name)
    before = emulator.state()["calls"].get("EnrollAccount", 0)
    outcome = create_in_a_new_provider(engine, emulator.endpoint, registration, config=config)
    assert outcome.error is not None, "a create with a 1 ms timeout succeeded"
    reason = _reason(outcome.error.details)
    assert "ListingTimedOut" not in reason, reason
    assert "timed out after 1ms" in reason and "pulumi up" in reason and "second account" in reason, reason
    assert emulator.state()["calls"].get("EnrollAccount", 0) == before, "EnrollAccount was sent after the deadline"
