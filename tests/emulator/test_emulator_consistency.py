"""Listing lag: ListEnrolledAccounts is eventually consistent, GetEnrolledAccount is not.

Why: a client that lost an EnrollAccount answer and looks for the account in the listing must
cope with the listing not showing it yet (and must not enroll it a second time).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import MEMBER_ACCOUNT_UIDS, Emulator, EmulatorAdmin, EmulatorAdminError
from emulator_support import Clock, make_client, running, wait_until


@pytest.fixture
def lagging(clock: Clock) -> Iterator[Emulator]:
    with Emulator(enroll_seconds=0.5, list_lag_seconds=1.0, clock=clock) as emulator:
        yield emulator


def listed(client: Client) -> list[int]:
    rows = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=100)).body.enrolled_accounts
    return [r.account_uid for r in rows]


def enroll_new(client: Client, name: str) -> int:
    request = m.EnrollAccountRequest(account_name_prefix=name.lower(), display_name=name)
    return client.enroll_account(request).body.account_uid


def get_status(client: Client, uid: int) -> str:
    return client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body.status


def test_a_new_account_is_listed_only_after_the_lag(lagging: Emulator, clock: Clock) -> None:
    client = make_client(lagging)
    start = clock.now
    uid = enroll_new(client, "Lagging")
    assert get_status(client, uid) == "Pending"  # the point read sees it at once
    assert listed(client) == []
    clock.now = start + 0.99
    assert listed(client) == []
    assert lagging.state()["accounts"][0]["AccountUid"] == uid  # the control API shows the truth
    clock.now = start + 1.0
    assert listed(client) == [uid]


def test_first_enrollment_of_a_member_lags_a_re_enrollment_stays_listed(lagging: Emulator, clock: Clock) -> None:
    client = make_client(lagging)
    uid = MEMBER_ACCOUNT_UIDS[0]
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid))
    assert listed(client) == []
    clock.now += 1.0
    assert listed(client) == [uid]
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid))
    rows = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest()).body.enrolled_accounts
    assert [(r.account_uid, r.status) for r in rows] == [(uid, "Pending")]  # the row existed: no lag


def test_paging_skips_what_is_not_listed_yet(lagging: Emulator, clock: Clock) -> None:
    client = make_client(lagging)
    lagging.update_settings(list_lag_seconds=0)
    early = [enroll_new(client, f"Early{i}") for i in range(2)]
    lagging.update_settings(list_lag_seconds=5)
    enroll_new(client, "Late")
    page = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=2)).body
    assert [r.account_uid for r in page.enrolled_accounts] == early and page.next_token is None


def test_lag_is_set_at_runtime_and_recorded_per_enrollment(lagging: Emulator, clock: Clock) -> None:
    client, admin = make_client(lagging), EmulatorAdmin(lagging.endpoint)
    assert admin.settings() == {"list_lag_seconds": 1.0}
    assert admin.update_settings(list_lag_seconds=3) == {"list_lag_seconds": 3.0}
    start = clock.now
    slow = enroll_new(client, "Slow")
    assert admin.update_settings(list_lag_seconds=0) == lagging.get_settings() == {"list_lag_seconds": 0.0}
    quick = enroll_new(client, "Quick")
    assert listed(client) == [quick]  # a later setting does not move an earlier enrollment's lag
    clock.now = start + 3
    assert listed(client) == [slow, quick]
    admin.update_settings(list_lag_seconds=2.5)
    admin.reset()  # back to the settings it was started with
    assert admin.settings() == {"list_lag_seconds": 1.0}


@pytest.mark.parametrize("bad", [{"list_lag_seconds": -1}, {"list_lag_seconds": float("inf")},
                                 {"list_lag_seconds": True}, {"list_lag_seconds": "1"},
                                 {"list_lag_seconds": 1, "enroll_secs": 2}])
def test_invalid_settings_are_refused_and_change_nothing(lagging: Emulator, bad: dict[str, object]) -> None:
    admin = EmulatorAdmin(lagging.endpoint)
    with pytest.raises(EmulatorAdminError) as info:
        admin.update_settings(**bad)
    assert info.value.status == 400
    assert admin.settings() == {"list_lag_seconds": 1.0}


def test_cli_option_and_restart(tmp_path: Path) -> None:
    """The option is the process's setting (a restart takes the new one), but an account's
    listing time is part of its record: it is kept by the state file like its schedule."""
    state_file = tmp_path / "state.json"
    lag = 6.0  # the first instance's reads come well within it, on a loaded machine too
    with running("--list-lag-seconds", str(lag), "--state-file", str(state_file)) as (proc, endpoint):
        client = make_client(endpoint)
        enrolled_at = time.monotonic()
        uid = enroll_new(client, "Durable")
        assert get_status(client, uid) in ("Pending", "Running") and listed(client) == []
        assert proc.stop()[0] == 0
    assert json.loads(state_file.read_text())["model"]["enrollments"][0]["listed_at"] > 0

    with running("--state-file", str(state_file)) as (proc, endpoint):
        client = make_client(endpoint)
        assert EmulatorAdmin(endpoint.endpoint).settings() == {"list_lag_seconds": 0.0}
        if time.monotonic() - enrolled_at < lag - 0.2:  # a very slow restart leaves nothing to see here
            assert listed(client) == []
        wait_until(lambda: listed(client) == [uid])
        assert time.monotonic() - enrolled_at >= lag - 0.05
        assert proc.stop()[0] == 0
