"""Fleets beyond any fixed ceiling: every create the engine sends is in flight in one provider process.

Why: `pulumi up --parallel N` sends N creates to the one provider process of the stack; each
blocks for a whole enrollment. A process that runs only so many of them at once (the widened pool
once held 256) makes the rest wait for a second round: N = 300 took 2.5 enrollment times instead of
one. Counted at the emulator (enrollments in progress), never timed.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from account_factory_testing.accounts import ACCESS_KEY_ID, IN_PROGRESS, SECRET, emulator_for_tests, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
from alicloud_account_factory.accounts.client import GovernanceClient
from alicloud_account_factory.core.settings import Credentials, Endpoint, ProviderSettings
from alicloud_account_factory.core.timeouts import Deadline
from tests.fleet.test_fleet import fleet, wait_until

#: More than the 256 calls the widened pool used to allow.
BEYOND_THE_OLD_CEILING = 300
#: A waiting create holds a thread, its stack's touched pages and the wait's own objects: measured
#: at about 0.16 MiB (docs/fleets-at-scale.md); a thousand must stay far under 1 GiB.
MOST_MEMORY_PER_WAITING_CREATE = 1024 * 1024


def resident_bytes(pid: int) -> int:
    """The process's resident set (VmRSS), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


def test_more_than_256_creates_are_in_flight_at_once_in_one_provider_process() -> None:
    size = BEYOND_THE_OLD_CEILING
    with FakeEngine() as engine, \
            emulator_for_tests(enroll_seconds=3600) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint))
        registrations = fleet(size, "wide")
        inputs = [server.check(r.urn, {}, r.inputs).inputs for r in registrations]
        before = resident_bytes(server.pid)
        pool = ThreadPoolExecutor(size)
        try:
            creates = [pool.submit(server.create, r.urn, i, deadline=3600) for r, i in zip(registrations, inputs)]
            # Every create reaches EnrollAccount and then waits (an hour-long enrollment): with a
            # ceiling of C calls at once only C enrollments would ever start.
            wait_until(lambda: sum(a["Status"] in IN_PROGRESS for a in emulator.state()["accounts"]) == size,
                       timeout=240, failed=creates)
            assert emulator.state()["calls"]["EnrollAccount"] == size
            assert not any(c.done() for c in creates), "a held create returned early"
            # ...and the process still answers another call at once, beside all of them.
            other = fleet(1, "other")[0]
            assert server.check(other.urn, {}, other.inputs, deadline=60).failures == []
            per_create = (resident_bytes(server.pid) - before) / size
        finally:
            server.kill()  # ends the held creates (UNAVAILABLE)
            pool.shutdown(wait=True)
        assert per_create < MOST_MEMORY_PER_WAITING_CREATE, f"{per_create / 1024:.0f} KiB per waiting create"


#: Refused requests per enrollment a fleet may draw from a rate-limited API (issue 23's target).
MOST_REFUSED_PER_ENROLLMENT = 0.2


def test_a_first_burst_against_a_rate_limit_is_started_slowly_not_refused(engine: FakeEngine) -> None:
    """100 creates at once against 10 requests a second: the first EnrollAccounts go out at the pace's
    start rate instead of all together (all but 10 of them refused), and every create finishes."""
    size = 100
    with emulator_for_tests(enroll_seconds=2.0, qps=10) as emulator, \
            ProviderServer(engine.address) as server:
        server.configure(provider_config(emulator.endpoint))
        registrations = fleet(size, "burst")
        inputs = [server.check(r.urn, {}, r.inputs).inputs for r in registrations]
        with ThreadPoolExecutor(size) as pool:
            created = list(pool.map(lambda job: server.create(job[0].urn, job[1], deadline=900),
                                    zip(registrations, inputs)))
        assert [outs["status"] for _id, outs in created] == ["Finished"] * size
        state = emulator.state()
        refused = sum(state["calls"].values()) - sum(state["calls_ok"].values())
        assert state["calls_ok"]["EnrollAccount"] == size
        assert refused <= MOST_REFUSED_PER_ENROLLMENT * size, state["calls"]


def test_a_burst_of_calls_released_at_once_starts_at_the_pace_not_all_together() -> None:
    """The burst itself, released by a barrier so that no machine's speed spreads it out: 100 calls
    of one provider process against 10 requests a second. All together, about 90 were refused at
    once and retried; started slowly, the first second sends 20 and the throttle then sets the pace."""
    calls = 100
    with emulator_for_tests(qps=10) as emulator:
        settings = ProviderSettings("cn-hangzhou", Endpoint.parse(emulator.endpoint), Credentials(ACCESS_KEY_ID, SECRET))
        client = GovernanceClient(settings, "cn-hangzhou")
        client.list_enrolled(Deadline.after(60))  # the SDK client is built and warm: only the burst is timed by the pace
        barrier = threading.Barrier(calls)

        def one(_index: int) -> None:
            barrier.wait()
            client.list_enrolled(Deadline.after(600))

        with ThreadPoolExecutor(calls) as pool:
            list(pool.map(one, range(calls)))
        state = emulator.state()
    assert state["calls_ok"]["ListEnrolledAccounts"] == calls + 1
    refused = state["calls"]["ListEnrolledAccounts"] - state["calls_ok"]["ListEnrolledAccounts"]
    assert refused <= MOST_REFUSED_PER_ENROLLMENT * calls, state["calls"]
