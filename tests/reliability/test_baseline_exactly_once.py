"""No second baseline of the same name while an earlier CreateAccountFactoryBaseline may still take effect.

CreateAccountFactoryBaseline has no idempotency token, and a gateway may carry a request out
after the SDK stopped waiting for its answer (the read timeout). Each scenario runs the real
provider server against its own emulator, whose gateway holds the first
CreateAccountFactoryBaseline before carrying it out:

* a create that gets no answer within the read timeout (its own deadline passed meanwhile),
  followed at once by a create in a fresh provider process (started while the first one waits, as
  a loaded machine could otherwise take the hold's margin to start it); the gateway holds the
  request 1.8 read timeouts (54 s against the real 30 s; the scenario runs with the suite's
  shorter read timeout, `held`), and the second create looks while it is held;
* a provider process killed (SIGKILL) right after the request left, and a fresh process
  creating at once.

Each must end with one baseline of that name, made by the one CreateAccountFactoryBaseline sent,
and the second create returning it.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Optional

import pulumi

from account_factory_testing.accounts import emulator_for_tests
from account_factory_testing.baselines import register_baseline
from account_factory_testing.engine import FakeEngine
from account_factory_testing.registration import Registration
from alicloud_account_factory import BaselineItemArgs
from alicloud_account_factory.emulator import Emulator
from tests.reliability.reliability_support import (
    EVIDENCE,
    HANG_SECONDS,
    READ_TIMEOUT_SECONDS,
    SHORT_READ_TIMEOUT,
    CreateOutcome,
    check_and_create,
    create_in_a_new_provider,
    release_once_looked,
    start_server,
    wait_until,
)

NAME = "exactly-once-net"
ITEMS = [BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT")]
CREATE = "CreateAccountFactoryBaseline"


def _hold_the_first_create(emulator: Emulator, delay_seconds: float) -> None:
    emulator.set_faults([{"action": CREATE, "kind": "delay", "delay_seconds": delay_seconds, "times": 1}])


def _registration(opts: Optional[pulumi.ResourceOptions] = None) -> Registration:
    registration = register_baseline("net", opts, baseline_name=NAME, description="held by the gateway",
                                     baseline_items=ITEMS)
    EVIDENCE.blob(registration.inputs["__provider"])
    return registration


def _carried_out(emulator: Emulator) -> bool:
    """Every CreateAccountFactoryBaseline the gateway received has been carried out and answered."""
    answered = [r for r in emulator.requests() if r["action"] == CREATE]
    return len(answered) == emulator.state()["calls"].get(CREATE, 0)


def _one_baseline_created_once(emulator: Emulator, outcome: CreateOutcome) -> dict[str, Any]:
    """Once the held request has been carried out: one baseline of the name, the one returned."""
    assert wait_until(lambda: _carried_out(emulator), timeout=HANG_SECONDS), "the held request was never carried out"
    state = emulator.state()
    named = [b for b in state["baselines"] if b["BaselineName"] == NAME]
    assert len(named) == 1, f"{len(named)} baselines named {NAME}: {[b['BaselineId'] for b in named]}"
    assert outcome.error is None, outcome.error
    assert outcome.id == named[0]["BaselineId"] and outcome.outputs["description"] == "held by the gateway"
    assert state["calls"][CREATE] == 1, state["calls"]
    return named[0]


def test_a_create_unanswered_past_the_read_timeout_then_run_again_at_once_leaves_one_baseline(
        engine: FakeEngine) -> None:
    """The gateway holds the first CreateAccountFactoryBaseline past the read timeout, and carries it
    out only once the next run's create has looked (and found nothing): within twice the read
    timeout, as the provider assumes a gateway may. The release waits for that look in the
    emulator's log, so a slow machine changes nothing but the test's duration."""
    with emulator_for_tests(enroll_seconds=1.5) as emulator:
        emulator.set_faults([{"action": CREATE, "kind": "delay", "delay_seconds": 2 * READ_TIMEOUT_SECONDS,
                              "until_released": True, "times": 1}])
        # A deadline no longer than the read timeout: the create gives up when its read does.
        short = _registration(pulumi.ResourceOptions(
            custom_timeouts=pulumi.CustomTimeouts(create=f"{READ_TIMEOUT_SECONDS:g}s")))
        unlimited = _registration()
        first = start_server(engine, emulator.endpoint, warm_with=short, config=SHORT_READ_TIMEOUT)
        second = start_server(engine, emulator.endpoint, warm_with=unlimited, config=SHORT_READ_TIMEOUT)
        outcome: dict[str, CreateOutcome] = {}
        try:
            timed_out = check_and_create(first, short)
            first.stop()
            first_ended = time.time()
            # The next `pulumi up`, at once, while the gateway still holds the request.
            thread = threading.Thread(target=lambda: outcome.update(again=check_and_create(second, unlimited)),
                                      daemon=True)
            thread.start()

            released = release_once_looked(emulator, since=first_ended)
            thread.join(HANG_SECONDS)
        finally:
            emulator.release_held()
            first.stop()
            second.stop()
        assert released == 1, "the gateway let the request go before the second create looked (its bound passed)"
        assert timed_out.error is not None
        _one_baseline_created_once(emulator, outcome["again"])
        # The first run said what happened, and that the next `pulumi up` finds it.
        assert "went unanswered" in timed_out.error.details and "pulumi up" in timed_out.error.details, \
            timed_out.error.details


def test_a_provider_killed_right_after_sending_a_create_leaves_one_baseline(engine: FakeEngine) -> None:
    delay = 8.0
    with emulator_for_tests(enroll_seconds=1.5) as emulator:
        _hold_the_first_create(emulator, delay)
        registration = _registration()
        server = start_server(engine, emulator.endpoint, warm_with=registration)
        thread = threading.Thread(target=check_and_create, args=(server, registration), daemon=True)
        thread.start()
        try:
            assert wait_until(lambda: emulator.state()["calls"].get(CREATE) == 1, timeout=HANG_SECONDS), "never sent"
            server.kill()  # the request has left: the gateway holds it, and carries it out later
        finally:
            server.stop()
            thread.join(10)
        again = create_in_a_new_provider(engine, emulator.endpoint, registration)
        _one_baseline_created_once(emulator, again)
