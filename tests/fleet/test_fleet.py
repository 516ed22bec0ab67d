"""Many accounts in one stack: they enroll together, share polling and survive rate limits.

These are functional tests, not timings: each asserts something a stack of 16+ accounts
would visibly get wrong with the stock provider server (4 workers) or per-account polling.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from account_factory_testing.accounts import IN_PROGRESS, MostInProgress, emulator_for_tests, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.registration import Registration, capture_registrations
from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.resource import RESOURCE_TYPE

def fleet(size: int, prefix: str) -> list[Registration]:
    """What a program with `size` EnrolledAccounts registers."""

    def program() -> None:
        for i in range(size):
            EnrolledAccount(f"{prefix}-{i}", account_name_prefix=f"{prefix}-{i}", display_name=f"{prefix} {i}",
                            folder_id="fd-Workload01")

    return [r for r in capture_registrations(program) if r.type_ == RESOURCE_TYPE]


def wait_until(condition: Callable[[], bool], *, timeout: float, failed: Sequence[Future[Any]] = ()) -> None:
    """Poll `condition` until it holds; fail after `timeout` s, or at once if a `failed` future ended early."""
    deadline = time.monotonic() + timeout
    while not condition():
        ended = [f for f in failed if f.done()]
        if ended:
            ended[0].result()  # raises what went wrong
            pytest.fail("the creates ended before the condition held")
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout:g}s")
        time.sleep(0.1)


def create_all(server: ProviderServer, registrations: list[Registration]) -> list[tuple[str, dict]]:
    checked = [server.check(r.urn, {}, r.inputs) for r in registrations]
    assert all(not c.failures for c in checked)
    with ThreadPoolExecutor(len(registrations)) as pool:
        futures = [pool.submit(server.create, r.urn, c.inputs) for r, c in zip(registrations, checked)]
        return [f.result() for f in futures]


def test_sixteen_creates_enroll_together_share_polling_and_leave_check_responsive(engine: FakeEngine) -> None:
    # Long enough that all 16 are sent, and the check answered, before the first one ends on a loaded
    # machine; short of PROGRESS_REFRESH_SECONDS, so that progress details are never read.
    enroll_seconds = 8.0
    with emulator_for_tests(enroll_seconds=enroll_seconds) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint))
        registrations = fleet(16, "fleet")
        other = fleet(1, "other")[0]
        with MostInProgress(emulator, interval=0.2) as in_progress, ThreadPoolExecutor(1) as side:
            results = side.submit(create_all, server, registrations)
            # Wait until the fleet is enrolling, then ask for a check while every create blocks.
            wait_until(lambda: any(a["Status"] in IN_PROGRESS for a in emulator.state()["accounts"]),
                       timeout=60, failed=[results])
            answer = server.check(other.urn, {}, other.inputs, deadline=60)
            assert answer.failures == []
            # Answered while every create still waited: not queued behind one (no enrollment had ended).
            assert not [a for a in emulator.state()["accounts"] if a["Status"] not in IN_PROGRESS]
            created = results.result()

        # All 16 were enrolling at the same time: the stock server runs 4 calls at once, so this
        # fails loudly if the provider could not lift that limit (see fleet.widen_provider_server_pool).
        assert in_progress.most == 16, f"only {in_progress.most} enrollments ran at once"
        assert all(outs["status"] == "Finished" for _id, outs in created)
        assert len({id_ for id_, _outs in created}) == 16

        calls = emulator.state()["calls"]
        # Shared polling: one ListEnrolledAccounts sweep serves all 16; statuses are announced from
        # it, and GetEnrolledAccount is called once per account, at its terminal status (progress
        # details are not read in the first PROGRESS_REFRESH_SECONDS of a wait). A poll loop per
        # account would make about enroll_seconds GetEnrolledAccount calls per account instead. An
        # account left waiting alone (the first to start, the last to end: no more of them than listing
        # pages) is read directly: a few reads more when a loaded machine spreads the creates out.
        assert calls["EnrollAccount"] == 16
        assert calls["GetEnrolledAccount"] <= 16 + 8, calls
        assert calls["ListEnrolledAccounts"] < 16, calls
        # Status messages still arrive per resource, the Running one from the listing alone.
        for registration in registrations:
            statuses = [m.message for m in engine.messages_for(registration.urn) if m.ephemeral]
            assert any("Running" in text for text in statuses), statuses


def test_a_rate_limited_api_slows_the_fleet_down_but_fails_nothing_and_is_not_hammered(engine: FakeEngine) -> None:
    with emulator_for_tests(enroll_seconds=2.0, qps=10) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint))
        registrations = fleet(40, "throttled")
        created = create_all(server, registrations)
        assert all(outs["status"] == "Finished" for _id, outs in created)
        state = emulator.state()
        assert len(state["accounts"]) == 40
        assert state["calls"]["EnrollAccount"] > state["calls_ok"]["EnrollAccount"] == 40  # throttled, retried
        # The first EnrollAccounts go out at the pace's start rate (20 a second, pacing.py) until the
        # first throttle, then the shared pace keeps the process under the limit: no more refusals
        # than answers (test_fleet_scale.py holds the burst to 0.2 refusals per enrollment).
        # Each create retrying on its own backoff drew about 3 refusals per answer.
        answered = sum(state["calls_ok"].values())
        refused = sum(state["calls"].values()) - answered
        assert refused <= answered, state["calls"]


def test_without_fleet_mode_the_stock_server_is_left_alone(engine: FakeEngine) -> None:
    """fleetMode=false is the escape hatch: 4 at a time, one poll loop per account."""
    with emulator_for_tests(enroll_seconds=1.5) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint, **{"alicloud-account-factory:fleetMode": "false"}))
        created = create_all(server, fleet(6, "stock"))
        assert all(outs["status"] == "Finished" for _id, outs in created)
        members = emulator.state()["accounts"]
        starts = sorted(a["CreateTime"] for a in members)
        assert starts[0] != starts[-1]  # not all six started together: the 4-worker limit held


def test_the_provider_server_is_widened_and_runs_more_than_four_blocking_creates_at_once() -> None:
    """The mechanism itself: no "could not widen" warning, and 8 held creates plus a check all run at once."""
    held = 8
    with FakeEngine() as engine, \
            emulator_for_tests(enroll_seconds=600) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint))
        assert not [m.message for m in engine.messages if "could not widen" in m.message]
        registrations = fleet(held, "held")
        other = fleet(1, "other")[0]
        inputs = [server.check(r.urn, {}, r.inputs).inputs for r in registrations]
        pool = ThreadPoolExecutor(held)
        try:
            creates = [pool.submit(server.create, r.urn, i) for r, i in zip(registrations, inputs)]
            # Each create blocks in its 10-minute enrollment; with the stock 4 workers only 4 would
            # ever reach EnrollAccount, and the check below would queue behind them.
            wait_until(lambda: sum(a["Status"] in IN_PROGRESS for a in emulator.state()["accounts"]) == held,
                       timeout=60, failed=creates)
            assert not any(c.done() for c in creates), "a held create returned early"
            assert server.check(other.urn, {}, other.inputs, deadline=60).failures == []
        finally:
            server.kill()  # ends the held creates (UNAVAILABLE)
            pool.shutdown(wait=True)
        assert not [m.message for m in engine.messages if "could not widen" in m.message]
