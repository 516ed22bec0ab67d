"""Other Alibaba clients than ours against the emulator: the older core SDK (classic RPC "v1"
signatures, GET and POST, query and form body, XML), Tea's generic ``call_api`` (form bodies,
``signatureAlgorithm='v2'``) and ACS3-HMAC-SM3. Every request is signed by the client itself."""

from __future__ import annotations

import http.client
import json
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.composer import rpc_signature_composer
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkcore.utils import parameter_helper
from alibabacloud_governance20210120 import models as m
from alibabacloud_tea_openapi import utils_models as um
from alibabacloud_tea_openapi.client import Client as OpenApiClient
from alibabacloud_tea_openapi.utils_models import Config
from alicloud_account_factory.emulator import (
    CUSTOM_BASELINE_ID,
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    MEMBER_ACCOUNT_UIDS,
    Emulator,
)
from alicloud_account_factory.emulator import signature
from darabonba.runtime import RuntimeOptions
from emulator_support import Clock, make_client, raw_request, sdk_error

VERSION = "2021-01-20"
VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
BIG_UID = 9123456789012345  # beyond 2**53: must stay exact in XML too


# ---- the core SDK (aliyun-python-sdk-core) ---------------------------------------------------


def core_client(access_key_id: str = DEFAULT_ACCESS_KEY_ID,
                access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET) -> AcsClient:
    """Retries off: a retried request would get a new nonce and hide what the test looks at."""
    return AcsClient(access_key_id, access_key_secret, "cn-hangzhou", auto_retry=False)


def common(emu: Emulator, action: str, params: dict[str, str] | None = None, *, method: str = "POST",
           in_body: bool = False, fmt: str | None = None) -> CommonRequest:
    """A CommonRequest with the emulator as its domain, as docs/emulator.md shows it."""
    request = CommonRequest(domain=emu.host_port, version=VERSION, action_name=action)
    request.set_protocol_type("http")
    request.set_method(method)
    for name, value in (params or {}).items():
        (request.add_body_params if in_body else request.add_query_param)(name, value)
    if fmt is not None:
        request.set_accept_format(fmt)
    return request


def core_json(client: AcsClient, request: CommonRequest) -> dict[str, Any]:
    return json.loads(client.do_action_with_exception(request))


def core_error(client: AcsClient, request: CommonRequest) -> ServerException:
    with pytest.raises(ServerException) as info:
        client.do_action_with_exception(request)
    return info.value


def core_raw(client: AcsClient, request: CommonRequest) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body as sent, whatever the format (``do_action_with_exception``
    forces Format=JSON)."""
    with pytest.warns(DeprecationWarning):  # the core SDK's only call that keeps the format
        status, headers, body = client.get_response(request)
    return status, dict(headers), body


@pytest.mark.parametrize(("method", "in_body"), [("GET", False), ("POST", False), ("POST", True)],
                         ids=["GET-query", "POST-query", "POST-form-body"])
def test_core_sdk_v1_signatures_every_way_of_sending_parameters(emu: Emulator, method: str, in_body: bool) -> None:
    client = core_client()
    tags = json.dumps([{"Key": "team", "Value": "a*b, c+d ~/é"}])
    enrolled = core_json(client, common(emu, "EnrollAccount", {
        "AccountNamePrefix": "core-sdk", "DisplayName": "Core: a*b, c+d ~/é", "FolderId": "fd-Sandbox001",
        "BaselineId": CUSTOM_BASELINE_ID, "Tag": tags,
        "BaselineItems.1.Name": VPC, "BaselineItems.1.Config": '{"Vpcs":[]}', "BaselineItems.1.Skip": "false",
    }, method=method, in_body=in_body))
    uid = enrolled["AccountUid"]
    got = core_json(client, common(emu, "GetEnrolledAccount", {"AccountUid": str(uid)}, method=method, in_body=in_body))
    assert (got["DisplayName"], got["FolderId"], got["BaselineId"]) == (
        "Core: a*b, c+d ~/é", "fd-Sandbox001", CUSTOM_BASELINE_ID)
    assert got["Inputs"]["Tag"] == [{"Key": "team", "Value": "a*b, c+d ~/é"}]
    assert {i["Name"]: i["Config"] for i in got["BaselineItems"]}[VPC] == '{"Vpcs":[]}'
    assert emu.state()["calls_ok"] == {"EnrollAccount": 1, "GetEnrolledAccount": 1}


def test_core_sdk_json_by_default_and_xml_when_asked(frozen: Emulator) -> None:
    emu, client = frozen, core_client()  # the enrollments stay Pending while the test reads them
    for uid in (MEMBER_ACCOUNT_UIDS[0], BIG_UID):
        core_json(client, common(emu, "EnrollAccount", {"AccountUid": str(uid)}))

    status, headers, body = core_raw(client, common(emu, "ListEnrolledAccounts", fmt="XML"))
    assert status == 200 and headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(body)
    assert root.tag == "ListEnrolledAccountsResponse"
    rows = root.findall("EnrolledAccounts")  # a list: the element repeated, once per item
    assert [int(r.findtext("AccountUid") or 0) for r in rows] == [MEMBER_ACCOUNT_UIDS[0], BIG_UID]
    assert rows[0].findtext("Status") == "Pending" and root.findtext("RequestId") == headers["x-acs-request-id"]

    status, _, body = core_raw(client, common(emu, "GetEnrolledAccount", {"AccountUid": str(BIG_UID)}, fmt="xml"))
    account = ET.fromstring(body)
    assert account.tag == "GetEnrolledAccountResponse" and account.findtext("AccountUid") == str(BIG_UID)
    assert [p.findtext("Name") for p in account.findall("Progress")] == [
        i.findtext("Name") for i in account.findall("BaselineItems")] and len(account.findall("Progress")) == 4
    assert account.findtext("Initialized") == "false" and account.find("Inputs/AccountUid") is not None

    status, headers, body = core_raw(client, common(emu, "GetEnrolledAccount", {"AccountUid": "1"}, fmt="XML"))
    error = ET.fromstring(body)
    assert (status, error.tag, error.findtext("Code")) == (404, "Error", "InvalidUser.NotFound")
    assert error.findtext("RequestId") == headers["x-acs-request-id"] and error.findtext("HostId")
    assert "requestId=" in (error.findtext("Recommend") or "")

    # JSON when asked, and when Format says nothing usable (get_response without a format sends "None").
    for fmt in ("JSON", None):
        status, headers, body = core_raw(client, common(emu, "ListAccountFactoryBaselines", fmt=fmt))
        assert headers["Content-Type"].startswith("application/json") and json.loads(body)["Baselines"]


def test_core_sdk_wrong_secret_is_signature_does_not_match_with_the_clients_string_to_sign(emu: Emulator) -> None:
    wrong = "TotallyWrongSecret123"
    request = common(emu, "EnrollAccount", {"AccountNamePrefix": "nope", "DisplayName": "Nope: a*b"}, in_body=True)
    err = core_error(core_client(access_key_secret=wrong), request)
    assert (err.get_error_code(), err.get_http_status()) == ("SignatureDoesNotMatch", 400)
    # The server's string to sign is byte for byte the client's (CommonRequest signs its inner request).
    assert err.get_error_msg().split("server string to sign is:")[1] == request.request.string_to_sign
    assert wrong not in err.get_error_msg() and DEFAULT_ACCESS_KEY_SECRET not in err.get_error_msg()
    assert emu.state()["accounts"] == []


def test_core_sdk_unknown_key_and_sts(emu: Emulator) -> None:
    err = core_error(core_client(access_key_id="LTAI5tNobody"), common(emu, "ListAccountFactoryBaselines"))
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidAccessKeyId.NotFound", 404)

    sts = emu.issue_sts()
    with_token = AcsClient(region_id="cn-hangzhou", auto_retry=False, credential=StsTokenCredential(
        sts["AccessKeyId"], sts["AccessKeySecret"], sts["SecurityToken"]))
    assert core_json(with_token, common(emu, "ListAccountFactoryBaselines"))["Baselines"]
    wrong_token = AcsClient(region_id="cn-hangzhou", auto_retry=False, credential=StsTokenCredential(
        sts["AccessKeyId"], sts["AccessKeySecret"], "CAISnotthetoken"))
    err = core_error(wrong_token, common(emu, "ListAccountFactoryBaselines"))
    assert err.get_error_code() == "InvalidSecurityToken.Mismatch"


def test_core_sdk_reused_nonce(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    nonce = uuid.uuid4().hex
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: nonce)  # the SDK still signs
    client = core_client()
    params = {"AccountNamePrefix": "once", "DisplayName": "Once"}
    core_json(client, common(emu, "EnrollAccount", params, in_body=True))
    err = core_error(client, common(emu, "EnrollAccount", params, in_body=True))
    assert (err.get_error_code(), err.get_http_status()) == ("SignatureNonceUsed", 400)
    assert len(emu.state()["accounts"]) == 1  # the replay created nothing


@pytest.mark.parametrize(("offset", "code"), [
    (-16 * 60, "InvalidTimeStamp.Expired"), (16 * 60, "InvalidTimeStamp.Expired"), (-14 * 60, None), (14 * 60, None)])
def test_core_sdk_timestamp_window(offset: float, code: str | None) -> None:
    """The emulator's clock is moved instead of the client's: the SDK signs the real time."""
    clock = Clock(time.time() + offset)
    with Emulator(clock=clock) as emu:
        request = common(emu, "ListAccountFactoryBaselines", method="GET")
        if code is None:
            assert core_json(core_client(), request)["Baselines"]
        else:
            assert core_error(core_client(), request).get_error_code() == code


def _send_signed_url(emu: Emulator, params: dict[str, str], *, drop: str | None = None,
                     secret: str = DEFAULT_ACCESS_KEY_SECRET,
                     headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """A GET signed by the core SDK's own v1 signer, sent bare: no x-acs-* header but `headers` (as
    curl or a script would send a signed URL). ``drop`` removes one parameter after signing."""
    url, _ = rpc_signature_composer.get_signed_url(dict(params), DEFAULT_ACCESS_KEY_ID, secret, "JSON", "GET", {})
    if drop is not None:
        path, _, query = url.partition("?")
        url = path + "?" + "&".join(p for p in query.split("&") if not p.startswith(f"{drop}="))
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        conn.request("GET", url, headers={"Host": emu.host_port, **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_routing_on_the_action_and_version_parameters_without_headers(emu: Emulator) -> None:
    status, body = _send_signed_url(emu, {"Action": "ListAccountFactoryBaselines", "Version": VERSION})
    assert status == 200 and body["Baselines"]
    assert emu.requests()[-1]["action"] == "ListAccountFactoryBaselines"
    status, body = _send_signed_url(emu, {"Action": "DeleteEverything", "Version": VERSION})
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    status, body = _send_signed_url(emu, {"Action": "ListAccountFactoryBaselines", "Version": "2019-01-01"})
    assert (status, body["Code"]) == (400, "InvalidVersion")
    assert emu.state()["calls"] == {"ListAccountFactoryBaselines": 2, "DeleteEverything": 1}


def test_missing_signature_only_when_it_is_really_missing(emu: Emulator) -> None:
    params = {"Action": "ListAccountFactoryBaselines", "Version": VERSION}
    status, body = _send_signed_url(emu, params, drop="Signature")
    assert (status, body["Code"], body["Message"]) == (
        400, "MissingSignature", "Signature is mandatory for this action.")
    status, body = _send_signed_url(emu, params, drop="SignatureMethod")
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    status, body = _send_signed_url(emu, params, drop="SignatureNonce")
    assert (status, body["Code"]) == (400, "MissingSignatureNonce")
    status, body = _send_signed_url(emu, params, drop="Timestamp")
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Format")


def _baseline_ids(emu: Emulator) -> list[str]:
    return [b["BaselineId"] for b in emu.state()["baselines"]]


def test_a_v1_request_runs_the_action_it_signed_and_an_unsigned_header_that_disagrees_is_refused(
        emu: Emulator) -> None:
    """The classic signature covers the parameters, not the headers: a header naming another action
    than the signed Action parameter must not run it (nor the signed one: the request is ambiguous)."""
    client = core_client()
    get = common(emu, "GetAccountFactoryBaseline", {"BaselineId": CUSTOM_BASELINE_ID})
    get.add_header("x-acs-action", "DeleteAccountFactoryBaseline")  # sent as is, never signed under v1
    err = core_error(client, get)
    assert (err.get_http_status(), err.get_error_code()) == (400, "InvalidParameter")
    assert "DeleteAccountFactoryBaseline" in err.get_error_msg() and "GetAccountFactoryBaseline" in err.get_error_msg()
    assert CUSTOM_BASELINE_ID in _baseline_ids(emu)  # nothing deleted

    read = common(emu, "GetEnrolledAccount", {"AccountUid": str(MEMBER_ACCOUNT_UIDS[0])})
    read.add_header("x-acs-action", "EnrollAccount")
    assert core_error(client, read).get_error_code() == "InvalidParameter"
    later = common(emu, "ListAccountFactoryBaselines")
    later.add_header("x-acs-version", "2019-01-01")  # a version header that disagrees, likewise
    assert core_error(client, later).get_error_code() == "InvalidParameter"
    assert emu.state()["accounts"] == [] and emu.state()["calls_ok"] == {}
    assert emu.state()["calls"] == {"GetAccountFactoryBaseline": 1, "GetEnrolledAccount": 1,
                                    "ListAccountFactoryBaselines": 1}  # counted as what was signed

    # What the core SDK sends by itself (the header repeating the signed action) runs as signed.
    assert core_json(client, common(emu, "GetAccountFactoryBaseline", {"BaselineId": CUSTOM_BASELINE_ID}))
    assert emu.state()["calls_ok"] == {"GetAccountFactoryBaseline": 1}


def test_a_v1_request_without_a_signed_action_is_refused_whatever_its_headers_say(emu: Emulator) -> None:
    """A URL signed without Action (or Version) cannot be given one by an unsigned header."""
    params = {"Version": VERSION, "AccountUid": str(MEMBER_ACCOUNT_UIDS[0])}
    status, body = _send_signed_url(emu, params, headers={"x-acs-action": "EnrollAccount"})
    assert (status, body["Code"]) == (400, "MissingAction")
    params = {"Action": "EnrollAccount", "AccountUid": str(MEMBER_ACCOUNT_UIDS[0])}
    status, body = _send_signed_url(emu, params, headers={"x-acs-version": VERSION})
    assert (status, body["Code"]) == (400, "MissingVersion")
    assert emu.state()["accounts"] == [] and emu.state()["calls_ok"] == {}


# ---- Tea's generic call_api (alibabacloud-tea-openapi) ----------------------------------------


def tea_client(emu: Emulator, signature_algorithm: str | None = None,
               access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET) -> OpenApiClient:
    config = Config(access_key_id=DEFAULT_ACCESS_KEY_ID, access_key_secret=access_key_secret,
                    endpoint=emu.host_port, protocol="http")
    if signature_algorithm is not None:
        config.signature_algorithm = signature_algorithm
    return OpenApiClient(config)


def call_form(client: OpenApiClient, action: str, form: dict[str, str]) -> dict[str, Any]:
    """``callApi`` with ``reqBodyType: formData``: the parameters travel in the body."""
    params = um.Params(action=action, version=VERSION, protocol="HTTP", pathname="/", method="POST",
                       auth_type="AK", style="RPC", req_body_type="formData", body_type="json")
    return client.call_api(params, um.OpenApiRequest(body=form), RuntimeOptions())["body"]


@pytest.mark.parametrize("algorithm", [None, "v2"], ids=["ACS3", "v2"])
def test_tea_call_api_with_a_form_body(emu: Emulator, algorithm: str | None) -> None:
    client = tea_client(emu, algorithm)
    enrolled = call_form(client, "EnrollAccount", {"AccountNamePrefix": "tea-form", "DisplayName": "Tea: a*b, c+d"})
    uid = enrolled["AccountUid"]
    got = call_form(client, "GetEnrolledAccount", {"AccountUid": str(uid)})
    assert got["DisplayName"] == "Tea: a*b, c+d" and got["Inputs"]["AccountNamePrefix"] == "tea-form"

    err = sdk_error(lambda: call_form(tea_client(emu, algorithm, "wrong-secret"), "GetEnrolledAccount",
                                      {"AccountUid": str(uid)}))
    assert (err.code, err.status_code) == ("SignatureDoesNotMatch", 400)


def test_acs3_form_body_must_match_its_signed_hash(emu: Emulator) -> None:
    form = {"AccountNamePrefix": "hashed", "DisplayName": "Hashed"}
    assert raw_request(emu, "EnrollAccount", form=form)[0] == 200
    status, body = raw_request(emu, "EnrollAccount", form=form,
                               send_body=b"AccountNamePrefix=hashed&DisplayName=Tampered")
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert [a["DisplayName"] for a in emu.state()["accounts"]] == ["Hashed"]


# ---- ACS3-HMAC-SM3 -----------------------------------------------------------------------------


@pytest.fixture
def no_sm3(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As on a Python whose OpenSSL was built without SM3."""
    monkeypatch.setattr(signature, "hash_available", lambda name: name != "sm3")
    yield


@pytest.mark.skipif(not signature.hash_available("sm3"), reason="this Python's OpenSSL has no SM3")
def test_sm3_signatures_from_the_governance_sdk(frozen: Emulator) -> None:
    emu = frozen  # the enrollment stays Pending while the test reads it
    client = make_client(emu, signature_algorithm="ACS3-HMAC-SM3")
    uid = client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])).body.account_uid
    assert client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body.status == "Pending"
    got = call_form(tea_client(emu, "ACS3-HMAC-SM3"), "GetEnrolledAccount", {"AccountUid": str(uid)})
    assert got["AccountUid"] == uid
    err = sdk_error(lambda: call_form(tea_client(emu, "ACS3-HMAC-SM3", "wrong-secret"), "GetEnrolledAccount",
                                      {"AccountUid": str(uid)}))
    assert err.code == "SignatureDoesNotMatch"


def test_sm3_is_refused_clearly_without_openssl_support(emu: Emulator, no_sm3: None) -> None:
    err = sdk_error(lambda: call_form(tea_client(emu, "ACS3-HMAC-SM3"), "ListAccountFactoryBaselines", {}))
    assert (err.code, err.status_code) == ("IncompleteSignature", 400)
    assert "ACS3-HMAC-SM3" in str(err.data) and "use ACS3-HMAC-SHA256" in str(err.data)


def test_the_documented_core_sdk_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/emulator.md's core-SDK example, as written there."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "emulator.md").read_text(encoding="utf-8")
    section = page.split("\n## With another Alibaba client\n", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "docs/emulator.md", "exec"), {})  # noqa: S102 - our own documentation
    assert "'AccountUid': 1207465839102347" in capsys.readouterr().out
