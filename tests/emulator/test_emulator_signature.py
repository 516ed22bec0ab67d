"""ACS3-HMAC-SHA256 verification: what the real gateway rejects, the emulator rejects."""

from __future__ import annotations

import asyncio
import calendar
import time
import uuid

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import (
    CUSTOM_BASELINE_ID,
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    MEMBER_ACCOUNT_UIDS,
    Emulator,
    EmulatorAdmin,
)
from darabonba.runtime import ExtendsParameters, RuntimeOptions
from emulator_support import Clock, make_client, raw_request, sdk_error

LIST = m.ListAccountFactoryBaselinesRequest


def test_default_test_keys() -> None:
    assert DEFAULT_ACCESS_KEY_ID == "LTAI5tEmuLatorTestKey0001"
    assert DEFAULT_ACCESS_KEY_SECRET == "EmulatorTestSecret0000000000000001"


def test_custom_key_pair_is_the_only_one_accepted() -> None:
    with Emulator(access_key_id="LTAI5tCustomKey", access_key_secret="custom-secret-value") as emu:
        assert make_client(emu, "LTAI5tCustomKey", "custom-secret-value").list_account_factory_baselines(LIST()).body
        err = sdk_error(lambda: make_client(emu).list_account_factory_baselines(LIST()))
        assert (err.code, err.status_code) == ("InvalidAccessKeyId.NotFound", 404)


def test_wrong_secret_is_signature_does_not_match_without_leaking_the_secret(emu: Emulator) -> None:
    wrong = "TotallyWrongSecret123"
    err = sdk_error(lambda: make_client(emu, access_key_secret=wrong).enroll_account(
        m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])))
    assert (err.code, err.status_code) == ("SignatureDoesNotMatch", 400)
    assert wrong not in str(err.data) and DEFAULT_ACCESS_KEY_SECRET not in str(err.data)
    assert emu.state()["accounts"] == []
    assert emu.state()["calls"] == {"EnrollAccount": 1} and emu.state()["calls_ok"] == {}


def test_unknown_access_key(emu: Emulator) -> None:
    err = sdk_error(lambda: make_client(emu, access_key_id="LTAI5tNobody").list_account_factory_baselines(LIST()))
    assert (err.code, err.status_code) == ("InvalidAccessKeyId.NotFound", 404)


def test_reused_nonce_is_rejected(emu: Emulator) -> None:
    nonce = uuid.uuid4().hex
    query = {"AccountNamePrefix": "once", "DisplayName": "Once"}
    status, _ = raw_request(emu, "EnrollAccount", query, nonce=nonce)
    assert status == 200
    status, again = raw_request(emu, "EnrollAccount", query, nonce=nonce)
    assert (status, again["Code"]) == (400, "SignatureNonceUsed")
    assert len(emu.state()["accounts"]) == 1  # the replay did not create a second account
    status, _ = raw_request(emu, "EnrollAccount", query)  # a fresh nonce works
    assert status == 200


def test_date_more_than_fifteen_minutes_off_is_rejected(emu: Emulator) -> None:
    def at(offset: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))

    assert raw_request(emu, "ListAccountFactoryBaselines", date=at(-14 * 60))[0] == 200
    assert raw_request(emu, "ListAccountFactoryBaselines", date=at(14 * 60))[0] == 200
    for offset in (-16 * 60, 16 * 60, -86400):
        status, body = raw_request(emu, "ListAccountFactoryBaselines", date=at(offset))
        assert (status, body["Code"]) == (400, "InvalidTimeStamp.Expired")
    status, body = raw_request(emu, "ListAccountFactoryBaselines", date="yesterday")
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Format")


def test_missing_authorization_header(emu: Emulator) -> None:
    status, body = raw_request(emu, "ListAccountFactoryBaselines", sign=False)
    assert (status, body["Code"]) == (400, "MissingSignature")
    assert body["Message"] == "Signature is mandatory for this action."


def test_malformed_authorization_header(emu: Emulator) -> None:
    def garble(headers: dict[str, str]) -> None:
        headers["Authorization"] = "ACS3-HMAC-SHA256 Credential=LTAI5tEmuLatorTestKey0001"

    status, body = raw_request(emu, "ListAccountFactoryBaselines", tamper=garble)
    assert (status, body["Code"]) == (400, "IncompleteSignature")


def test_tampered_signed_header_breaks_the_signature(emu: Emulator) -> None:
    def change_signed_header(headers: dict[str, str]) -> None:
        headers["x-acs-signature-nonce"] = uuid.uuid4().hex

    status, body = raw_request(emu, "ListAccountFactoryBaselines", {"MaxResults": "5"}, tamper=change_signed_header)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert "string to sign" in body["Message"]


def test_tampered_query_breaks_the_signature(emu: Emulator) -> None:
    status, body = raw_request(emu, "ListAccountFactoryBaselines", {"MaxResults": "5"},
                               send_query={"MaxResults": "6"})
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")


def test_x_acs_headers_must_be_signed(emu: Emulator) -> None:
    def add_unsigned(headers: dict[str, str]) -> None:
        headers["x-acs-extra"] = "sneaky"

    status, body = raw_request(emu, "ListAccountFactoryBaselines", tamper=add_unsigned)
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    assert "x-acs-extra" in body["Message"]


def test_content_hash_must_match_the_body(emu: Emulator) -> None:
    def lie_about_body(headers: dict[str, str]) -> None:
        headers["x-acs-content-sha256"] = "0" * 64

    status, body = raw_request(emu, "ListAccountFactoryBaselines", tamper=lie_about_body)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")


def test_sts_credentials_sync_and_async(emu: Emulator) -> None:
    creds = EmulatorAdmin(emu.endpoint).issue_sts()
    assert creds["AccessKeyId"].startswith("STS.") and creds["SecurityToken"]
    expires = calendar.timegm(time.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert 3500 < expires - time.time() <= 3601
    sts_client = make_client(emu, creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"])
    uid = sts_client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])).body.account_uid
    assert uid == MEMBER_ACCOUNT_UIDS[0]

    async def go() -> str:
        body = (await sts_client.get_enrolled_account_async(m.GetEnrolledAccountRequest(account_uid=uid))).body
        return body.status

    assert asyncio.run(go()) in ("Pending", "Running", "Finished")


def test_sts_wrong_missing_or_expired_token(emu: Emulator, clock: Clock) -> None:
    creds = emu.issue_sts()
    wrong = make_client(emu, creds["AccessKeyId"], creds["AccessKeySecret"], "CAISwrong-token")
    err = sdk_error(lambda: wrong.list_account_factory_baselines(LIST()))
    assert (err.code, err.status_code) == ("InvalidSecurityToken.Mismatch", 400)
    missing = make_client(emu, creds["AccessKeyId"], creds["AccessKeySecret"])
    err = sdk_error(lambda: missing.list_account_factory_baselines(LIST()))
    assert (err.code, err.status_code) == ("InvalidSecurityToken.Mismatch", 400)

    with Emulator(clock=clock) as clocked:  # expiry on a clock the test moves, not a race with a short token
        short = clocked.issue_sts(duration_seconds=60)
        client = make_client(clocked, short["AccessKeyId"], short["AccessKeySecret"], short["SecurityToken"])
        assert client.list_account_factory_baselines(LIST()).body.baselines
        clock.now += 61
        err = sdk_error(lambda: client.list_account_factory_baselines(LIST()))
        assert (err.code, err.status_code) == ("InvalidSecurityToken.Expired", 400)


def test_announced_key_must_be_the_signing_key(emu: Emulator) -> None:
    """x-acs-accesskey-id names another key than the Authorization Credential: 400, not a 404
    (which GetEnrolledAccount callers read as "not enrolled")."""
    uid = MEMBER_ACCOUNT_UIDS[0]
    client = make_client(emu)
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid))
    mine, other = emu.issue_sts(), emu.issue_sts()
    get = ("GetEnrolledAccount", {"AccountUid": str(uid)})
    sts = {"access_key_id": mine["AccessKeyId"], "access_key_secret": mine["AccessKeySecret"],
           "security_token": mine["SecurityToken"]}
    assert raw_request(emu, *get, **sts)[0] == 200
    status, body = raw_request(emu, *get, **sts, announced_key_id=other["AccessKeyId"])
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert body["Message"] == ("The x-acs-accesskey-id header does not match the AccessKey id "
                               "in the Authorization header.")

    # The real SDK only sends the header with STS (and then always right), but extra headers pass through.
    def announcing(key_id: str) -> RuntimeOptions:
        return RuntimeOptions(extends_parameters=ExtendsParameters(headers={"x-acs-accesskey-id": key_id}))

    request = m.GetEnrolledAccountRequest(account_uid=uid)
    assert client.get_enrolled_account_with_options(request, announcing(DEFAULT_ACCESS_KEY_ID)).body.account_uid == uid
    err = sdk_error(lambda: client.get_enrolled_account_with_options(request, announcing(mine["AccessKeyId"])))
    assert (err.code, err.status_code) == ("SignatureDoesNotMatch", 400)


def test_sync_and_async_clients_sign_the_same_tricky_values(emu: Emulator, client: Client) -> None:
    """The sync client form-encodes with '+', the async one leaves '*', ':' and ',' raw."""
    name = "a b+c*d:e,f/g~h%i&j=k"
    request = m.EnrollAccountRequest(account_name_prefix="sync-p", display_name=name)
    uid = client.enroll_account(request).body.account_uid

    async def go() -> int:
        r = await client.enroll_account_async(m.EnrollAccountRequest(account_name_prefix="async-p", display_name=name))
        return r.body.account_uid

    uid2 = asyncio.run(go())
    names = {a["AccountUid"]: a["DisplayName"] for a in emu.state()["accounts"]}
    assert names == {uid: name, uid2: name}


def test_control_api_needs_no_signature_and_is_not_counted(emu: Emulator) -> None:
    admin = EmulatorAdmin(emu.endpoint)
    admin.state()
    admin.set_faults([])
    assert admin.state()["calls"] == {}


def test_an_acs3_request_whose_signed_action_header_and_parameter_disagree_is_refused(emu: Emulator) -> None:
    """Both are signed under ACS3: which one to run is ambiguous, so neither runs."""
    query = {"Action": "DeleteAccountFactoryBaseline", "BaselineId": CUSTOM_BASELINE_ID}
    status, body = raw_request(emu, "GetAccountFactoryBaseline", query)
    assert (status, body["Code"]) == (400, "InvalidParameter")
    assert CUSTOM_BASELINE_ID in [b["BaselineId"] for b in emu.state()["baselines"]]
    status, body = raw_request(emu, "GetAccountFactoryBaseline", {"Version": "2019-01-01"})
    assert (status, body["Code"]) == (400, "InvalidParameter")
    status, _ = raw_request(emu, "GetAccountFactoryBaseline", {"Action": "GetAccountFactoryBaseline",
                                                                "Version": "2021-01-20"})
    assert status == 200  # saying the same thing twice is not ambiguous
