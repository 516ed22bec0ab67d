"""No second account while an earlier attempt of the same resource may still be invisible.

ListEnrolledAccounts may show a new account only seconds after EnrollAccount took effect, and
a gateway may carry out an EnrollAccount long after the SDK stopped waiting for its answer.
Each scenario runs the real provider server against its own emulator, whose listing lags:

* a create that timed out after its EnrollAccount was sent (its enrollment outlasts the timeout,
  which leaves ample time to send it), followed at once by a create in a fresh provider process,
  while the listing does not show the account (its lag outlasts the scenario);
* a provider process killed (SIGKILL) right after EnrollAccount took effect, its answer never
  delivered, and a fresh process creating 1-5 s later;
* an EnrollAccount the gateway holds 5/3 of the read timeout before carrying it out (50 s against
  the real 30 s; the scenario runs with the suite's shorter read timeout, `held`), beyond the read
  timeout and the old 15 s of looking;
* a second account with the create's key appearing after the create resumed: named in a warning.

Every scenario must end with exactly one account per resource, enrolled once.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pulumi
import pytest

from account_factory_testing.accounts import OUTLASTING_ENROLL_SECONDS, TIMEOUT_AFTER_SENDING, emulator_for_tests
from account_factory_testing.engine import FakeEngine
from account_factory_testing.sdk import enroll, sdk_client
from alicloud_account_factory.emulator import Emulator
from alicloud_account_factory.accounts.model import ENROLLMENT_KEY_TAG
from tests.reliability.reliability_support import (
    HANG_SECONDS,
    SEED,
    SHORT_READ_TIMEOUT,
    CreateOutcome,
    accounts_by_name,
    check_and_create,
    create_in_a_new_provider,
    kill_right_after_enroll_took_effect,
    held,
    register_raw,
    start_server,
    the_one_account,
    wait_until,
)


@pytest.fixture()
def rng() -> random.Random:
    """The lag and the time the provider stays down (SEED: RELIABILITY_SEED explores others)."""
    return random.Random(SEED)


def _in_background(target: Any, *args: Any) -> tuple[threading.Thread, list[CreateOutcome]]:
    result: list[CreateOutcome] = []
    thread = threading.Thread(target=lambda: result.append(target(*args)), daemon=True)
    thread.start()
    return thread, result


def test_a_timed_out_create_run_again_at_once_finds_its_account(engine: FakeEngine) -> None:
    name = "Lag timed out"
    opts = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=TIMEOUT_AFTER_SENDING))
    with emulator_for_tests(enroll_seconds=OUTLASTING_ENROLL_SECONDS, list_lag_seconds=120) as emulator:
        first = register_raw("lag-timeout", opts, account_name_prefix="lag-timeout", display_name=name)
        timed_out = create_in_a_new_provider(engine, emulator.endpoint, first)
        assert timed_out.error is not None
        assert f"timed out after {TIMEOUT_AFTER_SENDING} waiting" in timed_out.error.details
        # The next `pulumi up`, at once, in a new provider process: the listing does not show the account yet.
        again = register_raw("lag-timeout", account_name_prefix="lag-timeout", display_name=name)
        resumed = create_in_a_new_provider(engine, emulator.endpoint, again)
        account = the_one_account(emulator.state(), name)
        assert resumed.error is None, resumed.error
        assert resumed.id == str(account["AccountUid"]) and resumed.outputs["status"] == "Finished"


def test_a_provider_killed_right_after_enroll_took_effect_leaves_no_second_account(
        engine: FakeEngine, rng: random.Random) -> None:
    lag, down = rng.uniform(10, 14), rng.uniform(1, 5)
    name = "Lag killed"
    with emulator_for_tests(enroll_seconds=2, list_lag_seconds=lag) as emulator:
        # The account is enrolled, but its answer never reaches the provider before the kill.
        registration = register_raw("lag-killed", account_name_prefix="lag-killed", display_name=name)
        kill_right_after_enroll_took_effect(engine, emulator, registration, name)
        time.sleep(down)
        resumed = create_in_a_new_provider(engine, emulator.endpoint, registration)
        account = the_one_account(emulator.state(), name)
        assert resumed.error is None, f"lag {lag:.1f}s, down {down:.1f}s (seed {SEED}): {resumed.error}"
        assert resumed.id == str(account["AccountUid"])


def test_an_enroll_the_gateway_carries_out_50s_late_is_not_sent_twice(engine: FakeEngine) -> None:
    name = "Lag slow gateway"
    with emulator_for_tests(enroll_seconds=2, list_lag_seconds=10) as emulator:
        emulator.set_faults([{"action": "EnrollAccount", "kind": "delay", "delay_seconds": held(50), "times": 1}])
        registration = register_raw("lag-slow", account_name_prefix="lag-slow", display_name=name)
        outcome = create_in_a_new_provider(engine, emulator.endpoint, registration, config=SHORT_READ_TIMEOUT)
        account = the_one_account(emulator.state(), name)
        assert outcome.error is None, outcome.error
        assert outcome.id == str(account["AccountUid"])
        assert emulator.state()["calls"].get("EnrollAccount") == 1
        told = [m.message for m in engine.messages if m.urn == registration.urn]
        assert any("EnrollAccount went unanswered" in m for m in told), "the gateway's hold never outlasted the read timeout"


def test_a_second_account_with_the_key_that_turns_up_later_is_named(engine: FakeEngine) -> None:
    """An EnrollAccount answer is lost; while the create waits on the account it found, another
    account with its key appears (as one carried out after the provider stopped looking would):
    once done, the create names both."""
    name = "Lag late duplicate"
    with emulator_for_tests(enroll_seconds=6) as emulator:
        emulator.set_faults([{"action": "EnrollAccount", "kind": "drop", "after_processing": True, "times": 1}])
        registration = register_raw("lag-late", account_name_prefix="lag-late", display_name=name)
        server = start_server(engine, emulator.endpoint, warm_with=registration)
        thread, result = _in_background(check_and_create, server, registration)
        try:
            waiting = lambda: any("already enrolling with these settings" in m.message  # noqa: E731
                                  for m in engine.messages if m.urn == registration.urn)
            assert wait_until(waiting, timeout=HANG_SECONDS), "the create never resumed on its account"
            [first] = accounts_by_name(emulator.state())[name]
            key = next(t["Value"] for t in first["Inputs"]["Tag"] if t["Key"] == ENROLLMENT_KEY_TAG)
            duplicate = _enroll_directly(emulator, name, key)
            thread.join(HANG_SECONDS)
        finally:
            server.stop()
        [outcome] = result
        assert outcome.error is None, outcome.error
        assert outcome.id == str(first["AccountUid"])
        warnings = [m.message for m in engine.messages if m.urn == registration.urn and str(duplicate) in m.message]
        assert any(str(first["AccountUid"]) in w for w in warnings), "the late second account was never named"


def _enroll_directly(emulator: Emulator, display_name: str, key: str) -> int:
    return enroll(sdk_client(emulator.endpoint), account_name_prefix="lag-late-2", display_name=display_name,
                  tags={ENROLLMENT_KEY_TAG: key})
