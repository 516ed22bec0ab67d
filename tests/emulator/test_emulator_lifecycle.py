"""Enrollment lifecycle and outcomes, observed through the SDK.

The emulators here run on a clock the test moves (`Clock`): what a status is at a given moment
of an enrollment is then decided by the test, never by how fast the machine polls.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import CUSTOM_BASELINE_ID, MEMBER_ACCOUNT_UIDS, Emulator
from emulator_support import Clock, make_client, sdk_error

VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
NOTIFICATION = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION"
ROLE = "ACS-BP_ACCOUNT_FACTORY_RAM_ROLE"
TERMINAL = ("Finished", "Failed", "ScheduleFailed")


@pytest.fixture
def slow(clock: Clock) -> Iterator[Emulator]:
    """Enrollments take 1.4 s of `clock`: watched item by item."""
    with Emulator(enroll_seconds=1.4, clock=clock) as emulator:
        yield emulator


@pytest.fixture
def quick(clock: Clock) -> Iterator[Emulator]:
    """Enrollments take 0.5 s of `clock`, for tests that only care about the end state."""
    with Emulator(enroll_seconds=0.5, clock=clock) as emulator:
        yield emulator


def later(clock: Clock, seconds: float = 1.0) -> None:
    """Move `clock` past the end of an enrollment of the `quick` emulator."""
    clock.now += seconds


def get(client: Client, uid: int) -> m.GetEnrolledAccountResponseBody:
    return client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body


def watch(client: Client, uid: int, clock: Clock, seconds: float) -> list[tuple[str, tuple[str, ...], str, str]]:
    """Distinct (Status, Progress, UpdateTime from Get, UpdateTime from List) observed every 20 ms of
    `clock` for `seconds`."""
    seen: list[tuple[str, tuple[str, ...], str, str]] = []
    start = clock.now
    for step in range(int(seconds / 0.02)):
        clock.now = start + step * 0.02
        body = get(client, uid)
        row = next(r for r in client.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=100))
                   .body.enrolled_accounts if r.account_uid == uid)
        state = (body.status, tuple(p.status for p in body.progress), body.update_time, row.update_time)
        if row.status == body.status and (not seen or seen[-1][:2] != state[:2]):
            seen.append(state)
        if body.status in TERMINAL:
            break
    return seen


def test_pending_running_finished_with_progress_and_update_time(slow: Emulator, clock: Clock) -> None:
    client = make_client(slow)
    request = m.EnrollAccountRequest(account_name_prefix="life", display_name="Life")
    uid = client.enroll_account(request).body.account_uid
    seen = watch(client, uid, clock, 3.0)
    statuses = [s[0] for s in seen]
    assert statuses[0] == "Pending" and set(seen[0][1]) == {"Pending"}
    assert statuses[-1] == "Finished" and set(seen[-1][1]) == {"Finished"}
    assert "Running" in statuses
    running = [s for s in seen if s[0] == "Running"]
    assert len(running) >= 3  # several items observed one after another
    finished_counts = [s[1].count("Finished") for s in seen[:-1]]
    assert finished_counts == sorted(finished_counts)  # never goes backwards
    for _, progress, _, _ in running:
        assert progress.count("Running") == 1
        first_running = progress.index("Running")
        assert set(progress[:first_running]) <= {"Finished"} and set(progress[first_running + 1:]) <= {"Pending"}
    update_times = [s[3] for s in seen]
    assert update_times == sorted(update_times) and len(set(update_times)) == len(update_times)
    assert [s[2] for s in seen] == update_times  # Get and List agree
    final = get(client, uid)
    assert final.initialized is True and final.error_info is None
    assert final.update_time >= final.create_time


def test_skipped_item_takes_no_time_and_reports_only_documented_statuses() -> None:
    """The applied items share the whole running phase between them: a skipped one gets no slot,
    and is Pending until the run reaches it, then Finished (never an undocumented "Skipped")."""
    clock = Clock(time.time())  # moved by hand, kept near real time for the signature's date check
    with Emulator(enroll_seconds=10.0, clock=clock) as emu:
        client = make_client(emu)
        start = clock.now
        uid = client.enroll_account(m.EnrollAccountRequest(
            account_uid=MEMBER_ACCOUNT_UIDS[0], baseline_id=CUSTOM_BASELINE_ID,
            baseline_items=[m.EnrollAccountRequestBaselineItems(name=NOTIFICATION, skip=True)])).body.account_uid

        def at(offset: float) -> m.GetEnrolledAccountResponseBody:
            clock.now = start + offset
            body = get(client, uid)
            # The first item of this baseline: reached when the run starts, after 1 s.
            assert {p.name: p.status for p in body.progress}[NOTIFICATION] == (
                "Pending" if offset < 1.0 else "Finished"), offset
            return body

        names = [p.name for p in at(0).progress]
        applied = [n for n in names if n != NOTIFICATION]
        assert len(names) == 5 and len(applied) == 4
        # Pending for the first 10 % (1 s), then 9 s shared by the 4 applied items: 2.25 s each
        # (had the skipped item taken a slot, each would get 1.8 s and these checks would fail).
        slot = 9.0 / len(applied)
        assert at(0.99).status == "Pending"
        for k, name in enumerate(applied):
            for offset in (1.0 + k * slot + 0.01, 1.0 + (k + 1) * slot - 0.01):
                body = at(offset)
                assert (body.status, [p.name for p in body.progress if p.status == "Running"]) == (
                    "Running", [name]), offset
        final = at(10.0)
        assert final.status == "Finished"
        assert [p.status for p in final.progress if p.name != NOTIFICATION] == ["Finished"] * len(applied)
        assert next(i for i in final.baseline_items if i.name == NOTIFICATION).skip is True


def test_re_enroll_finished_account_applies_the_new_baseline(quick: Emulator, clock: Clock) -> None:
    emu, client = quick, make_client(quick)
    uid = MEMBER_ACCOUNT_UIDS[3]
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid, tag=[m.EnrollAccountRequestTag(key="a", value="1")]))
    later(clock)
    assert get(client, uid).status == "Finished"
    first = get(client, uid)
    again = client.enroll_account(m.EnrollAccountRequest(account_uid=uid, baseline_id=CUSTOM_BASELINE_ID))
    assert again.body.account_uid == uid
    second = get(client, uid)
    assert second.status in ("Pending", "Running")
    assert second.create_time == first.create_time
    assert second.update_time > first.update_time
    assert second.baseline_id == CUSTOM_BASELINE_ID
    assert second.inputs.to_map() == {"AccountUid": uid, "BaselineItems": [], "Tag": []}  # replaced
    assert VPC in [p.name for p in second.progress]
    rows = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest()).body.enrolled_accounts
    assert [r.account_uid for r in rows] == [uid]
    member = next(a for a in emu.state()["directory"]["member_accounts"] if a["account_uid"] == uid)
    assert member["enrollments"] == 2


def test_outcome_failed_then_re_enroll_succeeds(quick: Emulator, clock: Clock) -> None:
    emu, client = quick, make_client(quick)
    emu.add_outcome({"display_name": "Doomed", "status": "Failed"})
    other = client.enroll_account(m.EnrollAccountRequest(account_name_prefix="fine", display_name="Fine")).body
    uid = client.enroll_account(m.EnrollAccountRequest(
        account_name_prefix="doomed", display_name="Doomed", baseline_id=CUSTOM_BASELINE_ID)).body.account_uid
    assert emu.get_outcomes() == []  # consumed by the matching enrollment only
    later(clock)
    body = get(client, uid)
    assert body.status == "Failed" and body.initialized is False
    progress = [(p.name, p.status) for p in body.progress]
    failed_at = [s for _, s in progress].index("Failed")
    assert progress[failed_at][0] == ROLE
    assert all(s == "Finished" for _, s in progress[:failed_at])
    assert all(s == "Pending" for _, s in progress[failed_at + 1:])
    assert body.error_info.to_map() == {
        "Code": "EntityAlreadyExists.Role", "Message": "The role already exists.",
        "Recommend": "https://next.api.aliyun.com/troubleshoot?q=EntityAlreadyExists.Role&product=Ram",
        "RequestId": body.error_info.request_id}
    assert get(client, other.account_uid).status == "Finished"

    client.enroll_account(m.EnrollAccountRequest(account_uid=uid))
    later(clock)
    assert get(client, uid).status == "Finished" and get(client, uid).error_info is None


def test_outcome_schedule_failed_with_custom_error(quick: Emulator, clock: Clock) -> None:
    emu, client = quick, make_client(quick)
    uid = MEMBER_ACCOUNT_UIDS[1]
    emu.add_outcome({"account_uid": uid, "status": "ScheduleFailed", "error_code": "QuotaExceeded.Account",
                     "error_message": "Too many accounts.", "recommend": "https://example.com/fix"})
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid))
    assert get(client, uid).status == "Scheduling"
    later(clock)
    body = get(client, uid)
    assert body.status == "ScheduleFailed"
    assert (body.error_info.code, body.error_info.message, body.error_info.recommend) == (
        "QuotaExceeded.Account", "Too many accounts.", "https://example.com/fix")


def test_outcome_stuck_stays_running(quick: Emulator, clock: Clock) -> None:
    emu, client = quick, make_client(quick)
    uid = MEMBER_ACCOUNT_UIDS[2]
    emu.add_outcome({"account_uid": uid, "status": "Stuck", "baseline_item": NOTIFICATION})
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid))
    later(clock, 60.0)  # far longer than enroll_seconds
    body = get(client, uid)
    assert body.status == "Running" and body.error_info is None
    assert [p.status for p in body.progress] == ["Finished", "Running", "Pending", "Pending"]
    assert sdk_error(lambda: client.enroll_account(m.EnrollAccountRequest(account_uid=uid))).code == \
        "DeployConflict.Blueprint"


def test_outcome_times_applies_to_several_enrollments(quick: Emulator) -> None:
    emu, client = quick, make_client(quick)
    emu.add_outcome({"status": "ScheduleFailed", "times": 2})
    uids = [client.enroll_account(m.EnrollAccountRequest(account_uid=u)).body.account_uid
            for u in MEMBER_ACCOUNT_UIDS[:3]]
    assert [get(client, u).status for u in uids] == ["Scheduling", "Scheduling", "Pending"]
