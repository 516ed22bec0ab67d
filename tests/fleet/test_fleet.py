"""Many accounts in one stack: they enroll together, share polling and survive rate limits.

These are functional tests, not timings: each asserts something a stack of 16+ accounts
would visibly get wrong with the stock provider server (4 workers) or per-account polling.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.emulator import Emulator
from alicloud_account_factory.resource import RESOURCE_TYPE
from tests.support.accounts import ACCESS_KEY_ID, SECRET, provider_config
from tests.support.engine import FakeEngine
from tests.support.provider_server import ProviderServer
from tests.support.registration import Registration, capture_registrations

IN_PROGRESS = ("Pending", "Running", "Scheduling")


def fleet(size: int, prefix: str) -> list[Registration]:
    """What a program with `size` EnrolledAccounts registers."""

    def program() -> None:
        for i in range(size):
            EnrolledAccount(f"{prefix}-{i}", account_name_prefix=f"{prefix}-{i}", display_name=f"{prefix} {i}",
                            folder_id="fd-Workload01")

    return [r for r in capture_registrations(program) if r.type_ == RESOURCE_TYPE]


def create_all(server: ProviderServer, registrations: list[Registration]) -> list[tuple[str, dict]]:
    checked = [server.check(r.urn, {}, r.inputs) for r in registrations]
    assert all(not c.failures for c in checked)
    with ThreadPoolExecutor(len(registrations)) as pool:
        futures = [pool.submit(server.create, r.urn, c.inputs) for r, c in zip(registrations, checked)]
        return [f.result() for f in futures]


def test_sixteen_creates_enroll_together_share_polling_and_leave_check_responsive(engine: FakeEngine) -> None:
    enroll_seconds = 4.0
    with Emulator(access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, enroll_seconds=enroll_seconds) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint))
        registrations = fleet(16, "fleet")
        other = fleet(1, "other")[0]
        most_in_progress = 0
        stop = threading.Event()

        def watch() -> None:
            nonlocal most_in_progress
            while not stop.is_set():
                running = [a for a in emulator.state()["accounts"] if a["Status"] in IN_PROGRESS]
                most_in_progress = max(most_in_progress, len(running))
                stop.wait(0.2)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        with ThreadPoolExecutor(1) as side:
            results = side.submit(create_all, server, registrations)
            # Wait until the fleet is enrolling, then ask for a check while every create blocks.
            while not any(a["Status"] in IN_PROGRESS for a in emulator.state()["accounts"]):
                threading.Event().wait(0.1)
            answer = server.check(other.urn, {}, other.inputs, deadline=enroll_seconds / 2)
            assert answer.failures == []
            created = results.result()
        stop.set()
        watcher.join()

        # All 16 were enrolling at the same time: the stock server runs 4 calls at once, so this
        # fails loudly if the provider could not lift that limit (see fleet.widen_provider_server_pool).
        assert most_in_progress == 16, f"only {most_in_progress} enrollments ran at once"
        assert all(outs["status"] == "Finished" for _id, outs in created)
        assert len({id_ for id_, _outs in created}) == 16

        calls = emulator.state()["calls"]
        # Shared polling: one ListEnrolledAccounts sweep serves all 16, and GetEnrolledAccount is
        # called per account only on news (status change, terminal). A poll loop per account
        # would make about enroll_seconds GetEnrolledAccount calls per account instead.
        assert calls["EnrollAccount"] == 16
        assert calls["GetEnrolledAccount"] <= 16 * 2, calls
        assert calls["ListEnrolledAccounts"] < 16, calls
        # Progress messages still arrive per resource.
        for registration in registrations:
            assert any(m.ephemeral and "ACS-BP_" in m.message for m in engine.messages_for(registration.urn))


def test_a_rate_limited_api_slows_the_fleet_down_but_fails_nothing(engine: FakeEngine) -> None:
    with Emulator(access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, enroll_seconds=2.0, qps=10) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint))
        registrations = fleet(40, "throttled")
        created = create_all(server, registrations)
        assert all(outs["status"] == "Finished" for _id, outs in created)
        state = emulator.state()
        assert len(state["accounts"]) == 40
        assert state["calls"]["EnrollAccount"] > state["calls_ok"]["EnrollAccount"] == 40  # throttled, retried


def test_without_fleet_mode_the_stock_server_is_left_alone(engine: FakeEngine) -> None:
    """fleetMode=false is the escape hatch: 4 at a time, one poll loop per account."""
    with Emulator(access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, enroll_seconds=1.5) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint, **{"alicloud-account-factory:fleetMode": "false"}))
        created = create_all(server, fleet(6, "stock"))
        assert all(outs["status"] == "Finished" for _id, outs in created)
        members = emulator.state()["accounts"]
        starts = sorted(a["CreateTime"] for a in members)
        assert starts[0] != starts[-1]  # not all six started together: the 4-worker limit held
