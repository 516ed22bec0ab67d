"""Failed and timed-out enrollments: the next `pulumi up` resumes on the same account.

A create that fails leaves the engine without an id, so the next `up` runs Create again. If the
enrollment ended Failed or ScheduleFailed, the provider must enroll that same account again
(never a second account); if it only ran out of time, it must wait for it before anything else.
The first error must say why and what the next `up` will do. Between the runs the user changes
the tags and the baseline (settings that update in place): still the same accounts.

The timed-out creates time out after their EnrollAccount was sent, however loaded the machine:
their timeout leaves ample time to send it, and the test's enrollments outlast it.
"""

from __future__ import annotations

import pulumi

from account_factory_testing.accounts import OUTLASTING_ENROLL_SECONDS, TIMEOUT_AFTER_SENDING, emulator_for_tests
from account_factory_testing.engine import FakeEngine
from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.emulator import CUSTOM_BASELINE_ID, Emulator
from tests.reliability.reliability_support import (
    accounts_by_name,
    create_all,
    duplicates,
    record,
    register_program,
    start_server,
    the_one_account,
)

FAILS = {"failed-1": "Failed", "failed-2": "Failed", "schedule-1": "ScheduleFailed", "schedule-2": "ScheduleFailed"}
SLOW = ("slow-1", "slow-2")  # a create timeout shorter than the enrollment


def _program(first_run: bool) -> list[EnrolledAccount]:
    """The second run also changes what may change without losing the account: tags, the
    baseline and the timeouts (update-in-place settings are not part of the enrollment key)."""
    opts = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(
        create=TIMEOUT_AFTER_SENDING if first_run else "30m"))
    tags = {"run": "first"} if first_run else {"run": "second"}
    baseline = None if first_run else CUSTOM_BASELINE_ID
    accounts = [EnrolledAccount(name, account_name_prefix=f"recover-{name}", display_name=f"Recover {name}", tags=tags,
                                baseline_id=baseline)
                for name in FAILS]
    accounts += [EnrolledAccount(name, opts=opts, account_name_prefix=f"recover-{name}", display_name=f"Recover {name}",
                                 tags=tags, baseline_id=baseline)
                 for name in SLOW]
    return accounts


def test_failed_and_timed_out_creates_resume_on_the_same_account(engine: FakeEngine) -> None:
    with emulator_for_tests(enroll_seconds=OUTLASTING_ENROLL_SECONDS) as emulator:
        _fail_then_resume(engine, emulator)


def _fail_then_resume(engine: FakeEngine, emulator: Emulator) -> None:
    for name, status in FAILS.items():
        # A code any enrollment can meet: the first run's default baseline creates no RAM role.
        emulator.add_outcome({"display_name": f"Recover {name}", "status": status, "error_code": "InternalError",
                              "error_message": "A system error occurred.", "recommend": "https://example.invalid/fix"})
    first_run = register_program(lambda: _program(first_run=True))
    server = start_server(engine, emulator.endpoint, warm_with=first_run["failed-1"])
    try:
        first = create_all(server, first_run.values())
        after_first = emulator.state()
        # The next `pulumi up`: Create again, same URNs and new-account settings, other tags and baseline.
        second = create_all(server, register_program(lambda: _program(first_run=False)).values())
    finally:
        server.stop()
    state = emulator.state()

    grouped_first = accounts_by_name(after_first)
    for name, status in FAILS.items():
        error = first[name].error
        assert error is not None, f"{name}: the failed enrollment was reported as a success"
        [account] = grouped_first[f"Recover {name}"]
        for expected in (str(account["AccountUid"]), status, "InternalError", "A system error occurred.",
                         "https://example.invalid/fix", "never creates a second account"):
            assert expected in error.details, f"{name}: {expected!r} missing from {error.details[-600:]}"
    for name in SLOW:
        error = first[name].error
        assert error is not None and f"timed out after {TIMEOUT_AFTER_SENDING} waiting" in error.details, (name, error)
        assert "resume waiting" in error.details

    found = duplicates(state, [f"Recover {n}" for n in [*FAILS, *SLOW]])
    assert found == {}
    for name in [*FAILS, *SLOW]:
        # Enrolled again, with the new settings: after a failure, or once the timed-out enrollment ended.
        account = the_one_account(state, f"Recover {name}", enrollments=2)
        outcome = second[name]
        assert outcome.error is None, (name, outcome.error)
        assert outcome.id == str(account["AccountUid"]) and account["Status"] == "Finished"
        assert outcome.outputs["tags"] == {"run": "second"} and outcome.outputs["baseline_id"] == CUSTOM_BASELINE_ID
    record("failure_recovery", failed_then_resumed=len(FAILS), timed_out_then_resumed=len(SLOW),
           duplicates_found=len(found))
