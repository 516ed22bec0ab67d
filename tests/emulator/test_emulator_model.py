"""The model alone, on a fake clock: exact lifecycle timing without sleeping."""

from __future__ import annotations

import json
from typing import Any

import pytest
from alicloud_account_factory.emulator.model import (
    CUSTOM_BASELINE_ID,
    ITEM_RAM_ROLE,
    ITEM_SECURITY_GROUP,
    ITEM_VPC,
    MEMBER_ACCOUNT_UIDS,
    GovernanceError,
    GovernanceModel,
    ItemInput,
)
from alicloud_account_factory.accounts.model import PROGRESS_STATUSES, Enrollment
from emulator_support import Clock

T0 = 1_800_000_000.25  # a quarter second into a wall-clock second


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def model(clock: Clock) -> GovernanceModel:
    return GovernanceModel(enroll_seconds=10.0, clock=clock, seed=7)


def at(model: GovernanceModel, clock: Clock, offset: float, uid: int) -> dict:
    clock.now = T0 + offset
    return model.get_enrolled_account(uid)


def test_timeline_of_a_default_enrollment(model: GovernanceModel, clock: Clock) -> None:
    uid = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[0])
    # 4 items: Pending for 1 s, then 2.25 s per item, Finished at 10 s.
    expected = [
        (0.0, "Pending", ["Pending"] * 4),
        (0.99, "Pending", ["Pending"] * 4),
        (1.0, "Running", ["Running", "Pending", "Pending", "Pending"]),
        (3.26, "Running", ["Finished", "Running", "Pending", "Pending"]),
        (5.51, "Running", ["Finished", "Finished", "Running", "Pending"]),
        (7.76, "Running", ["Finished", "Finished", "Finished", "Running"]),
        (9.99, "Running", ["Finished", "Finished", "Finished", "Running"]),
        (10.0, "Finished", ["Finished"] * 4),
        (1000.0, "Finished", ["Finished"] * 4),
    ]
    for offset, status, progress in expected:
        body = at(model, clock, offset, uid)
        assert (body["Status"], [p["Status"] for p in body["Progress"]]) == (status, progress), offset
        assert body["Initialized"] is (status == "Finished")
    assert at(model, clock, 10, uid)["UpdateTime"] == "2027-01-15T08:00:10Z"


def test_update_time_changes_on_every_transition_even_within_one_second(clock: Clock) -> None:
    model = GovernanceModel(enroll_seconds=0.5, clock=clock)
    uid = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[0])
    seen = []
    for step in range(0, 60):
        body = at(model, clock, step * 0.01, uid)
        key = (body["Status"], tuple(p["Status"] for p in body["Progress"]))
        if not seen or seen[-1][0] != key:
            seen.append((key, body["UpdateTime"]))
    assert seen[-1][0][0] == "Finished"
    assert len(seen) == 6  # Pending, 4 x Running, Finished
    times = [t for _, t in seen]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_re_enrollment_right_after_finish_still_moves_update_time(model: GovernanceModel, clock: Clock) -> None:
    uid = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[0])
    finished = at(model, clock, 10.0, uid)
    model.enroll_account(account_uid=uid, baseline_id=CUSTOM_BASELINE_ID)
    again = model.get_enrolled_account(uid)
    assert again["Status"] == "Pending" and again["UpdateTime"] > finished["UpdateTime"]
    assert again["CreateTime"] == finished["CreateTime"]


def test_zero_duration_finishes_immediately(clock: Clock) -> None:
    model = GovernanceModel(enroll_seconds=0, clock=clock)
    uid = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[0])
    body = model.get_enrolled_account(uid)
    assert body["Status"] == "Finished" and body["UpdateTime"] == body["CreateTime"]


def test_failed_outcome_timeline(model: GovernanceModel, clock: Clock) -> None:
    model.add_outcomes([{"status": "Failed", "account_uid": MEMBER_ACCOUNT_UIDS[1],
                         "baseline_item": "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION"}])
    uid = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[1])
    running = at(model, clock, 9.9, uid)
    assert [p["Status"] for p in running["Progress"]] == ["Finished", "Running", "Pending", "Pending"]
    body = at(model, clock, 10.0, uid)
    assert body["Status"] == "Failed"
    assert [p["Status"] for p in body["Progress"]] == ["Finished", "Failed", "Pending", "Pending"]
    # The notification item creates no RAM role: it fails with a system error, not a role conflict.
    assert (body["ErrorInfo"]["Code"], body["ErrorInfo"]["Message"]) == ("InternalError", "A system error occurred.")


def test_skipped_item_is_finished_when_the_run_reaches_it_and_the_provider_agrees(
        model: GovernanceModel, clock: Clock) -> None:
    """Only the reference's item statuses (Pending, Running, Finished, Failed), and the provider's
    progress line reads them right: a skipped item counts as done once reached."""
    uid = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[0], baseline_id=CUSTOM_BASELINE_ID,
                               baseline_items=[ItemInput(ITEM_RAM_ROLE, skip=True)])
    # 5 items, the 3rd (the RAM role) skipped: 4 applied items share 9 s, 2.25 s each. The line
    # counts the applied items only, and says how many were skipped.
    expected = [
        (0.0, "Pending", "PPPPP", "Pending, [1/4] ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION: Pending, 1 skipped"),
        (1.0, "Running", "RPPPP", "[1/4] ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION: Running, 1 skipped"),
        (3.26, "Running", "FRPPP", "[2/4] ACS-BP_ACCOUNT_FACTORY_RAM_SECURITY_PREFERENCE: Running, 1 skipped"),
        (5.51, "Running", "FFFRP", f"[3/4] {ITEM_VPC}: Running, 1 skipped"),
        (7.76, "Running", "FFFFR", f"[4/4] {ITEM_SECURITY_GROUP}: Running, 1 skipped"),
        (10.0, "Finished", "FFFFF", "Finished"),
    ]
    letters = {"Pending": "P", "Running": "R", "Finished": "F", "Failed": "X"}
    for offset, status, progress, line in expected:
        body = at(model, clock, offset, uid)
        assert {p["Status"] for p in body["Progress"]} <= PROGRESS_STATUSES, offset
        assert (body["Status"], "".join(letters[p["Status"]] for p in body["Progress"])) == (status, progress), offset
        assert Enrollment.from_api(body).progress_line() == line, offset
    assert [i["Skip"] for i in body["BaselineItems"]] == [False, False, True, False, False]


def test_a_failed_outcome_reports_the_failing_items_own_error(model: GovernanceModel, clock: Clock) -> None:
    """Each failure is one the failing item could raise: a role conflict only where a role is created."""
    cases: list[tuple[dict[str, Any], dict[str, Any], str | None, str]] = [
        # (outcome, enrollment, failed item, code)
        ({"status": "Failed"}, {}, "ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN", "InternalError"),
        ({"status": "Failed"}, {"baseline_id": CUSTOM_BASELINE_ID}, ITEM_RAM_ROLE, "EntityAlreadyExists.Role"),
        ({"status": "Failed", "baseline_item": ITEM_VPC}, {"baseline_id": CUSTOM_BASELINE_ID}, ITEM_VPC,
         "QuotaExceeded.Vpc"),
        ({"status": "Failed", "error_code": "Custom.Code"}, {}, "ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN",
         "Custom.Code"),
        ({"status": "ScheduleFailed"}, {"baseline_id": CUSTOM_BASELINE_ID}, None, "InternalError"),
    ]
    for n, (outcome, enrollment, failed_item, code) in enumerate(cases):
        model.add_outcomes([{**outcome, "account_uid": MEMBER_ACCOUNT_UIDS[n]}])
        uid = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[n], **enrollment)
        body = at(model, clock, 10.0, uid)
        assert [p["Name"] for p in body["Progress"] if p["Status"] == "Failed"] == (
            [failed_item] if failed_item else []), outcome
        assert body["ErrorInfo"]["Code"] == code, outcome
        clock.now = T0
    role = at(model, clock, 10.0, MEMBER_ACCOUNT_UIDS[1])["ErrorInfo"]
    assert (role["Message"], role["Recommend"]) == (
        "The role already exists.", "https://next.api.aliyun.com/troubleshoot?q=EntityAlreadyExists.Role&product=Ram")


def test_an_item_specific_error_code_waits_for_an_enrollment_that_applies_its_item(
        model: GovernanceModel, clock: Clock) -> None:
    model.add_outcomes([{"status": "Failed", "error_code": "EntityAlreadyExists.Role"}])
    plain = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[0])  # default baseline: no RAM role
    skipping = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[1], baseline_id=CUSTOM_BASELINE_ID,
                                    baseline_items=[ItemInput(ITEM_RAM_ROLE, skip=True)])
    assert len(model.outcomes_view()) == 1  # neither applies the role: the outcome is still queued
    role = model.enroll_account(account_uid=MEMBER_ACCOUNT_UIDS[2], baseline_id=CUSTOM_BASELINE_ID)
    assert model.outcomes_view() == []
    assert [at(model, clock, 10.0, uid)["Status"] for uid in (plain, skipping, role)] == [
        "Finished", "Finished", "Failed"]
    failed = at(model, clock, 10.0, role)
    assert [p["Name"] for p in failed["Progress"] if p["Status"] == "Failed"] == [ITEM_RAM_ROLE]


@pytest.mark.parametrize("outcome", [
    {"status": "Failed", "error_code": "EntityAlreadyExists.Role", "baseline_item": ITEM_VPC},
    {"status": "Failed", "error_code": "QuotaExceeded.Vpc", "baseline_item": ITEM_RAM_ROLE},
    {"status": "ScheduleFailed", "error_code": "EntityAlreadyExists.Role"},
])
def test_an_error_code_paired_with_an_item_that_cannot_raise_it_is_refused(
        model: GovernanceModel, outcome: dict) -> None:
    with pytest.raises(ValueError, match="baseline item"):
        model.add_outcomes([outcome])
    assert model.outcomes_view() == []


def test_state_round_trips_and_enrollment_carries_on(model: GovernanceModel, clock: Clock) -> None:
    uid = model.enroll_account(account_name_prefix="persist", display_name="Persist",
                               baseline_items=[ItemInput("ACS-BP_ACCOUNT_FACTORY_VPC", skip=True)],
                               tags=[{"Key": "k", "Value": "v"}])
    model.add_outcomes([{"status": "Stuck", "display_name": "later"}])
    snapshot = json.loads(json.dumps(model.to_dict()))
    restored = GovernanceModel(enroll_seconds=99, clock=clock)
    restored.load_dict(snapshot)
    for offset in (0.5, 4.0, 10.0):
        assert at(restored, clock, offset, uid) == at(model, clock, offset, uid)
    assert restored.outcomes_view() == model.outcomes_view()
    assert restored.state_view() == model.state_view()


def test_load_rejects_garbage(model: GovernanceModel) -> None:
    with pytest.raises(ValueError):
        model.load_dict({"accounts": [{"account_uid": "x"}], "enrollments": []})


def test_rejections_change_nothing(model: GovernanceModel) -> None:
    before = model.to_dict()
    with pytest.raises(GovernanceError) as info:
        model.enroll_account(account_name_prefix="ok-prefix", display_name="x", folder_id="fd-Nowhere000")
    assert (info.value.code, info.value.http_status) == ("InvalidParameter", 400)
    assert model.to_dict() == before


def test_new_uids_are_unique_16_digit_and_float_exact(model: GovernanceModel) -> None:
    uids = {model.enroll_account(account_name_prefix=f"p{i:03d}", display_name=f"n{i}") for i in range(300)}
    assert len(uids) == 300
    assert all(1_000_000_000_000_000 <= u <= 1_999_999_999_999_999 and int(float(u)) == u for u in uids)
