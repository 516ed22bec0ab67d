"""The service goes away in the middle of the waits, and comes back on the same address.

The emulator runs as its own process with a state file (what a real service keeps in its
database survives; connections, call counts and everything in memory do not). Six creates
are waiting for their enrollments when it is killed (SIGKILL); two more creates start while it
is down, so their first calls cannot even connect; it comes back on the same port, and is
killed and restarted once more while the waits go on. A user must still get every create
Finished, one account each.

(SIGKILL rather than SIGTERM: besides being the harsher case, the emulator's command line can
deadlock on SIGTERM/SIGINT, because its signal handler sets a threading.Event that the main
thread may be waiting on; reported, not part of the provider.)
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from account_factory_testing.engine import FakeEngine
from tests.reliability.reliability_support import (
    HANG_SECONDS,
    EmulatorCli,
    check_and_create,
    duplicates,
    free_port,
    record,
    register_many,
    start_server,
    the_one_account,
    wait_until,
)

#: Long enough that the crash, which follows the sixth EnrollAccount at once, comes before the first
#: enrollment ends however loaded the machine (the creates start together, but not at the same instant).
ENROLL_SECONDS = 12.0
WAITING = 6
DURING_OUTAGE = 2


@pytest.fixture
def service(tmp_path: Path) -> Iterator[EmulatorCli]:
    cli = EmulatorCli(free_port(), tmp_path / "governance-state.json", ENROLL_SECONDS)
    cli.start()
    yield cli
    cli.close()


def test_creates_finish_across_service_restarts(engine: FakeEngine, service: EmulatorCli) -> None:
    specs = {
        f"restart-{i}": dict(account_name_prefix=f"restart-{i}", display_name=f"Restart {i}", tags={"case": "restart"})
        for i in range(WAITING + DURING_OUTAGE)
    }
    registered = register_many(specs)
    first, late = list(registered.values())[:WAITING], list(registered.values())[WAITING:]
    server = start_server(engine, service.endpoint, warm_with=first[0])
    with ThreadPoolExecutor(len(registered)) as pool:
        waiting = [pool.submit(check_and_create, server, r) for r in first]
        # Every EnrollAccount took effect: the creates are now waiting for the enrollments.
        assert wait_until(lambda: len(service.admin.state()["accounts"]) == WAITING, timeout=HANG_SECONDS,
                          interval=0.02)
        at_crash = [a["Status"] for a in service.admin.state()["accounts"]]
        service.stop(signal.SIGKILL)  # a crash: only the state file survives
        outage = [pool.submit(check_and_create, server, r) for r in late]
        time.sleep(0.7)
        service.start()
        service.restarts += 1
        time.sleep(0.5)
        service.restart(signal.SIGKILL, down_seconds=0.3)  # and once more, still mid-wait
        outcomes = {f.result().name: f.result() for f in waiting + outage}
    state = service.admin.state()
    server.stop()

    assert "Finished" not in at_crash, f"the crash came after an enrollment finished: {at_crash}"
    failed = {name: o.error.details[-800:] for name, o in outcomes.items() if o.error is not None}
    assert not failed, failed
    assert duplicates(state, [s["display_name"] for s in specs.values()]) == {}
    assert len(state["accounts"]) == len(specs)
    for name, spec in specs.items():
        account = the_one_account(state, spec["display_name"])
        assert account["Status"] == "Finished"
        assert outcomes[name].id == str(account["AccountUid"]) and outcomes[name].outputs["status"] == "Finished"
    record("emulator_restarts", restarts=service.restarts, creates_across_restarts=len(specs),
           creates_started_while_down=len(late), finished=len(specs) - len(failed),
           duplicates_found=len(duplicates(state, [s["display_name"] for s in specs.values()])))
