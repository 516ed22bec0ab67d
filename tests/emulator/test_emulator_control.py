"""The /_emulator/ control API through EmulatorAdmin, and the same methods in-process."""

from __future__ import annotations

import json
import urllib.request

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import (
    DEFAULT_BASELINE_ID,
    MASTER_ACCOUNT_UID,
    MEMBER_ACCOUNT_UIDS,
    Emulator,
    EmulatorAdmin,
    EmulatorAdminError,
)
from emulator_support import sdk_error


def test_state_shape(emu: Emulator, client: Client) -> None:
    uid = client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])).body.account_uid
    sdk_error(lambda: client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=1234567890123456)))
    direct = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body.to_map()
    state = EmulatorAdmin(emu.endpoint).state()
    assert set(state) == {"accounts", "baselines", "directory", "calls", "calls_ok"}
    account = state["accounts"][0]
    assert set(account) == set(direct) - {"RequestId"}
    assert account["AccountUid"] == uid and "RequestId" not in account
    directory = state["directory"]
    assert directory["master_account_uid"] == MASTER_ACCOUNT_UID
    member = next(a for a in directory["member_accounts"] if a["account_uid"] == uid)
    assert member["enrolled"] is True and member["enrollments"] == 1
    assert {"folder_id", "name"} <= set(directory["folders"][0])
    assert {"baseline_id", "name", "default"} <= set(directory["baselines"][0])
    assert state["calls"] == {"EnrollAccount": 1, "GetEnrolledAccount": 2}
    assert state["calls_ok"] == {"EnrollAccount": 1, "GetEnrolledAccount": 1}  # the 404 is not "ok"
    assert EmulatorAdmin(emu.host_port).state()["directory"] == emu.state()["directory"]  # scheme optional


def test_reset_restores_the_seeded_emulator(emu: Emulator, client: Client) -> None:
    admin = EmulatorAdmin(emu.endpoint)
    seeded = admin.state()
    client.enroll_account(m.EnrollAccountRequest(account_name_prefix="gone", display_name="Gone"))
    admin.set_faults([{"action": "GetEnrolledAccount", "code": "InternalError"}])
    admin.add_outcome([{"status": "Failed"}, {"status": "Stuck", "account_uid": MEMBER_ACCOUNT_UIDS[0]}])
    assert len(admin.outcomes()) == 2
    admin.reset()
    after = admin.state()
    assert after == seeded
    assert admin.faults() == [] and admin.outcomes() == [] and admin.requests() == []
    assert client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])).body.account_uid


def test_outcome_validation(emu: Emulator) -> None:
    admin = EmulatorAdmin(emu.endpoint)
    for bad in ({"status": "Exploded"}, {"status": "Failed", "times": 0}, {"status": "Failed", "color": "red"},
                {"status": "Failed", "baseline_item": "ACS-BP_NOPE"}, [{"status": "Failed"}, 3]):
        with pytest.raises(EmulatorAdminError) as info:
            admin.add_outcome(bad)  # type: ignore[arg-type]
        assert info.value.status == 400
    assert admin.outcomes() == []  # all-or-nothing
    with pytest.raises(EmulatorAdminError, match="can only be raised by baseline item"):
        admin.add_outcome({"status": "Failed", "error_code": "EntityAlreadyExists.Role",
                           "baseline_item": "ACS-BP_ACCOUNT_FACTORY_VPC"})
    # The error is left to the item that fails (decided when an enrollment consumes the outcome).
    queued = admin.add_outcome({"status": "Failed", "display_name": "x"})
    assert queued == [{"status": "Failed", "display_name": "x", "times": 1}]
    admin.clear_outcomes()
    assert admin.outcomes() == []


def test_control_errors(emu: Emulator) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for method, path, body, status in (("GET", "/_emulator/nope", None, 404), ("GET", "/_emulator/reset", None, 405),
                                       ("POST", "/_emulator/faults", b"{not json", 400),
                                       ("POST", "/_emulator/settings", b"[]", 400),
                                       ("POST", "/_emulator/settings", None, 400),
                                       ("PATCH", "/_emulator/settings", b"{}", 405)):
        request = urllib.request.Request(emu.endpoint + path, data=body, method=method)
        with pytest.raises(urllib.error.HTTPError) as info:
            opener.open(request, timeout=60)
        assert info.value.code == status
        assert "error" in json.loads(info.value.read())


def test_requests_log_and_health(emu: Emulator, client: Client) -> None:
    admin = EmulatorAdmin(emu.endpoint)
    assert admin.health()["ok"] is True
    answer = client.get_account_factory_baseline(m.GetAccountFactoryBaselineRequest(baseline_id=DEFAULT_BASELINE_ID))
    last = admin.requests()[-1]
    assert (last["action"], last["status"], last["path"]) == ("GetAccountFactoryBaseline", 200, "/")
    assert last["request_id"] == answer.body.request_id and last["request_id"]  # what a client's debug log names
    assert "Authorization" not in json.dumps(admin.requests())


def test_sts_over_the_control_api(emu: Emulator) -> None:
    creds = EmulatorAdmin(emu.endpoint).issue_sts(duration_seconds=60)
    assert set(creds) == {"AccessKeyId", "AccessKeySecret", "SecurityToken", "Expiration"}
    with pytest.raises(EmulatorAdminError):
        EmulatorAdmin(emu.endpoint).issue_sts(duration_seconds=-1)
