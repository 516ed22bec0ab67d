"""Failed and timed-out enrollments: the next `pulumi up` resumes on the same account.

A create that fails leaves the engine without an id, so the next `up` runs Create again. If the
enrollment ended Failed or ScheduleFailed, the provider must enroll that same account again
(never a second account); if it only ran out of time, it must keep waiting on it without a
second EnrollAccount. The first error must say why and what the next `up` will do.
"""

from __future__ import annotations

import pulumi

from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.emulator import Emulator
from tests.reliability.reliability_support import (
    accounts_by_name,
    create_all,
    duplicates,
    enrollments_by_uid,
    record,
    register_program,
    start_server,
)
from tests.support.engine import FakeEngine

FAILS = {"failed-1": "Failed", "failed-2": "Failed", "schedule-1": "ScheduleFailed", "schedule-2": "ScheduleFailed"}
SLOW = ("slow-1", "slow-2")  # a create timeout shorter than the enrollment


def _program(short: bool) -> list[EnrolledAccount]:
    opts = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="1s")) if short else None
    accounts = [EnrolledAccount(name, account_name_prefix=f"recover-{name}", display_name=f"Recover {name}")
                for name in FAILS]
    accounts += [EnrolledAccount(name, opts=opts, account_name_prefix=f"recover-{name}", display_name=f"Recover {name}")
                 for name in SLOW]
    return accounts


def test_failed_and_timed_out_creates_resume_on_the_same_account(engine: FakeEngine, emulator: Emulator) -> None:
    for name, status in FAILS.items():
        emulator.add_outcome({"display_name": f"Recover {name}", "status": status, "error_code": "EntityAlreadyExists.Role",
                              "error_message": "The role already exists.", "recommend": "https://example.invalid/fix-role"})
    first_run = register_program(lambda: _program(short=True))
    server = start_server(engine, emulator.endpoint, warm_with=first_run["failed-1"])
    try:
        first = create_all(server, first_run.values())
        after_first = emulator.state()
        # The next `pulumi up` (default timeouts): Create again, same inputs and URNs otherwise.
        second = create_all(server, register_program(lambda: _program(short=False)).values())
    finally:
        server.stop()
    state = emulator.state()

    grouped_first = accounts_by_name(after_first)
    for name, status in FAILS.items():
        error = first[name].error
        assert error is not None, f"{name}: the failed enrollment was reported as a success"
        [account] = grouped_first[f"Recover {name}"]
        for expected in (str(account["AccountUid"]), status, "EntityAlreadyExists.Role", "The role already exists.",
                         "https://example.invalid/fix-role", "never creates a second account"):
            assert expected in error.details, f"{name}: {expected!r} missing from {error.details[-600:]}"
    for name in SLOW:
        error = first[name].error
        assert error is not None and "timed out after 1s" in error.details, (name, error)
        assert "resume waiting" in error.details

    grouped, enrollments = accounts_by_name(state), enrollments_by_uid(state)
    found = duplicates(state, [f"Recover {n}" for n in [*FAILS, *SLOW]])
    assert found == {}
    for name in [*FAILS, *SLOW]:
        [account] = grouped[f"Recover {name}"]
        outcome = second[name]
        assert outcome.error is None, (name, outcome.error)
        assert outcome.id == str(account["AccountUid"]) and account["Status"] == "Finished"
        expected = 2 if name in FAILS else 1  # enrolled again after a failure; only waited on after a timeout
        assert enrollments[account["AccountUid"]] == expected, (name, enrollments[account["AccountUid"]])
    record("failure_recovery", failed_then_resumed=len(FAILS), timed_out_then_resumed=len(SLOW),
           duplicates_found=len(found))
