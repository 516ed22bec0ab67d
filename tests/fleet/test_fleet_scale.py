"""Fleets beyond any fixed ceiling: every create the engine sends is in flight in one provider process.

Why: `pulumi up --parallel N` sends N creates to the one provider process of the stack; each
blocks for a whole enrollment. A process that runs only so many of them at once (the widened pool
once held 256) makes the rest wait for a second round: N = 300 took 2.5 enrollment times instead of
one. Counted at the emulator (enrollments in progress), never timed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from account_factory_testing.accounts import IN_PROGRESS, emulator_for_tests, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
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
