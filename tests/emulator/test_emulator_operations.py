"""Every operation through the real SDK (sync and async clients), checked field by field."""

from __future__ import annotations

import asyncio
import json
import re

from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import (
    CUSTOM_BASELINE_ID,
    DEFAULT_BASELINE_ID,
    FOLDER_IDS,
    MASTER_ACCOUNT_UID,
    MEMBER_ACCOUNT_UIDS,
    ROOT_FOLDER_ID,
    Emulator,
)
from emulator_support import raw_request, sdk_error, wait_until

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
REQUEST_ID_RE = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")
VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
SG = "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"
CONTACT = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"
DEFAULT_ITEMS = [
    "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT",
    "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION",
    "ACS-BP_ACCOUNT_FACTORY_RAM_SECURITY_PREFERENCE",
    "ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN",
]


def test_seeded_directory_is_deterministic_and_valid() -> None:
    with Emulator() as a, Emulator() as b:
        assert a.state()["directory"] == b.state()["directory"]
        directory = a.state()["directory"]
    assert directory["master_account_uid"] == MASTER_ACCOUNT_UID
    folder_ids = [f["folder_id"] for f in directory["folders"]]
    assert folder_ids[0] == ROOT_FOLDER_ID and re.match(r"^r-[0-9A-Za-z]{6}$", ROOT_FOLDER_ID)
    assert set(FOLDER_IDS) <= set(folder_ids) and len(FOLDER_IDS) >= 3
    assert all(re.match(r"^fd-[0-9A-Za-z]{10}$", f) for f in FOLDER_IDS)
    uids = [a["account_uid"] for a in directory["member_accounts"]]
    assert len(MEMBER_ACCOUNT_UIDS) >= 5 and set(MEMBER_ACCOUNT_UIDS) <= set(uids)
    for uid in uids + [MASTER_ACCOUNT_UID]:
        assert 10**15 <= uid < 10**16  # 16 digits, as real AccountUids
    beyond_float64 = [uid for uid in MEMBER_ACCOUNT_UIDS if float(uid) != uid]
    assert beyond_float64 == [9123456789012345]  # one member a float64 cannot carry, for exactness tests
    assert not any(a["enrolled"] for a in directory["member_accounts"])
    assert {b["baseline_id"]: b["default"] for b in directory["baselines"]} == {
        DEFAULT_BASELINE_ID: True, CUSTOM_BASELINE_ID: False}


def test_enroll_new_account_returns_uid_and_joins_directory(emu: Emulator, client: Client) -> None:
    response = client.enroll_account(m.EnrollAccountRequest(
        account_name_prefix="team-a", display_name="Team A", folder_id="fd-Sandbox001",
        tag=[m.EnrollAccountRequestTag(key="env", value="dev")]))
    uid = response.body.account_uid
    assert isinstance(uid, int) and 1_000_000_000_000_000 <= uid <= 1_999_999_999_999_999
    assert REQUEST_ID_RE.match(response.body.request_id)
    member = next(a for a in emu.state()["directory"]["member_accounts"] if a["account_uid"] == uid)
    assert member["display_name"] == "Team A" and member["folder_id"] == "fd-Sandbox001"
    assert member["enrolled"] and member["enrollments"] == 1

    body = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
    assert body.account_uid == uid
    assert body.display_name == "Team A"
    assert body.folder_id == "fd-Sandbox001"
    assert body.payer_account_uid == uid  # self-pay when no payer is given
    assert body.master_account_uid == MASTER_ACCOUNT_UID
    assert body.baseline_id == DEFAULT_BASELINE_ID
    assert [i.name for i in body.baseline_items] == DEFAULT_ITEMS
    assert all(i.skip is False and i.version == "1.0" and json.loads(i.config) for i in body.baseline_items)
    assert [p.name for p in body.progress] == DEFAULT_ITEMS
    assert body.status in ("Pending", "Running")
    assert TIME_RE.match(body.create_time) and TIME_RE.match(body.update_time)
    assert body.error_info is None
    assert body.inputs.to_map() == {"AccountNamePrefix": "team-a", "BaselineItems": [],
                                    "DisplayName": "Team A", "FolderId": "fd-Sandbox001",
                                    "Tag": [{"Key": "env", "Value": "dev"}]}
    assert REQUEST_ID_RE.match(body.request_id)


def test_new_account_defaults_to_root_folder_and_given_payer(client: Client) -> None:
    payer = MEMBER_ACCOUNT_UIDS[0]
    uid = client.enroll_account(m.EnrollAccountRequest(
        account_name_prefix="rooted", display_name="Rooted", payer_account_uid=payer)).body.account_uid
    body = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
    assert body.folder_id == ROOT_FOLDER_ID
    assert body.payer_account_uid == payer
    assert body.inputs.payer_account_uid == payer


def test_get_enrolled_account_raw_json_has_every_field_and_exact_integers(emu: Emulator, client: Client) -> None:
    uid = client.enroll_account(m.EnrollAccountRequest(account_name_prefix="raw", display_name="Raw")).body.account_uid
    wait_until(lambda: client.get_enrolled_account(
        m.GetEnrolledAccountRequest(account_uid=uid)).body.status == "Finished")
    status, body = raw_request(emu, "GetEnrolledAccount", {"AccountUid": str(uid)})
    assert status == 200
    assert set(body) == {"AccountUid", "BaselineId", "BaselineItems", "CreateTime", "DisplayName",
                         "FolderId", "Initialized", "Inputs", "MasterAccountUid", "PayerAccountUid",
                         "Progress", "RequestId", "Status", "UpdateTime"}
    assert body["AccountUid"] == uid and type(body["AccountUid"]) is int
    assert type(body["MasterAccountUid"]) is int and type(body["PayerAccountUid"]) is int
    assert body["Initialized"] is True
    assert body["Inputs"] == {"AccountNamePrefix": "raw", "DisplayName": "Raw"}
    assert set(body["BaselineItems"][0]) == {"Config", "Name", "Skip", "Version"}


def test_enroll_existing_account_keeps_its_folder_and_name_but_echoes_inputs(emu: Emulator, client: Client) -> None:
    uid = MEMBER_ACCOUNT_UIDS[2]
    before = next(a for a in emu.state()["directory"]["member_accounts"] if a["account_uid"] == uid)
    response = client.enroll_account(m.EnrollAccountRequest(
        account_uid=uid, display_name="ignored-name", folder_id="fd-Workload01", account_name_prefix="nope",
        payer_account_uid=MASTER_ACCOUNT_UID))
    assert response.body.account_uid == uid
    body = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
    assert body.display_name == before["display_name"]
    assert body.folder_id == before["folder_id"]
    assert body.inputs.to_map() == {"AccountNamePrefix": "nope", "AccountUid": uid, "BaselineItems": [],
                                    "DisplayName": "ignored-name", "FolderId": "fd-Workload01",
                                    "PayerAccountUid": MASTER_ACCOUNT_UID, "Tag": []}
    members = emu.state()["directory"]["member_accounts"]
    assert len(members) == len(MEMBER_ACCOUNT_UIDS) + 1  # the seeded ones and the unverified one: none created


def test_baseline_items_are_merged_request_wins(client: Client) -> None:
    cfg = '{"Contacts":[{"Name":"override","Email":"o@example.com"}]}'
    uid = client.enroll_account(m.EnrollAccountRequest(
        account_name_prefix="merge", display_name="Merge",
        baseline_items=[
            m.EnrollAccountRequestBaselineItems(name=CONTACT, config=cfg, version="1.1"),
            m.EnrollAccountRequestBaselineItems(name=VPC, skip=False),
        ])).body.account_uid
    body = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
    items = {i.name: i for i in body.baseline_items}
    assert list(items) == DEFAULT_ITEMS + [VPC]
    assert items[CONTACT].config == cfg and items[CONTACT].version == "1.1"
    assert json.loads(items[VPC].config)  # the catalog's config for an item the baseline lacks
    assert [p.name for p in body.progress] == DEFAULT_ITEMS + [VPC]
    assert [i.to_map() for i in body.inputs.baseline_items] == [
        {"Config": cfg, "Name": CONTACT, "Version": "1.1"}, {"Name": VPC, "Skip": False}]


def test_custom_baseline_and_special_characters_round_trip(client: Client) -> None:
    name = "Dév team + ops *:, 50%"
    tags = [m.EnrollAccountRequestTag(key="cost:center", value="a b+c*d,e"),
            m.EnrollAccountRequestTag(key="owner", value="ops@example.com")]
    uid = client.enroll_account(m.EnrollAccountRequest(
        account_name_prefix="special", display_name=name, baseline_id=CUSTOM_BASELINE_ID, tag=tags)).body.account_uid
    body = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
    assert body.display_name == name
    assert body.baseline_id == CUSTOM_BASELINE_ID
    assert [t.to_map() for t in body.inputs.tag] == [t.to_map() for t in tags]
    assert VPC in [i.name for i in body.baseline_items] and SG in [i.name for i in body.baseline_items]
    names = [i.name for i in body.baseline_items]
    assert names.index(VPC) < names.index(SG)  # dependencies are applied first


def test_async_client_every_operation(emu: Emulator, client: Client) -> None:
    async def scenario() -> None:
        enrolled = await client.enroll_account_async(m.EnrollAccountRequest(
            account_name_prefix="async-acct", display_name="Async: a*b, c+d",
            baseline_items=[m.EnrollAccountRequestBaselineItems(name=VPC, config='{"Vpcs":[]}', skip=True)],
            tag=[m.EnrollAccountRequestTag(key="k:*", value="v, w")]))
        uid = enrolled.body.account_uid
        got = await client.get_enrolled_account_async(m.GetEnrolledAccountRequest(account_uid=uid))
        assert got.body.display_name == "Async: a*b, c+d"
        assert got.body.inputs.tag[0].to_map() == {"Key": "k:*", "Value": "v, w"}
        # The last item: Pending until the run reaches it at the end (timing: test_emulator_model).
        assert {p.name: p.status for p in got.body.progress}[VPC] in ("Pending", "Finished")
        assert {i.name: i.skip for i in got.body.baseline_items}[VPC] is True
        listed = await client.list_enrolled_accounts_async(m.ListEnrolledAccountsRequest(max_results=10))
        assert [a.account_uid for a in listed.body.enrolled_accounts] == [uid]
        baselines = await client.list_account_factory_baselines_async(m.ListAccountFactoryBaselinesRequest())
        assert {b.baseline_id for b in baselines.body.baselines} == {DEFAULT_BASELINE_ID, CUSTOM_BASELINE_ID}
        baseline = await client.get_account_factory_baseline_async(m.GetAccountFactoryBaselineRequest())
        assert baseline.body.baseline_id == DEFAULT_BASELINE_ID
        err = None
        try:
            await client.get_enrolled_account_async(m.GetEnrolledAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0]))
        except Exception as exc:
            err = exc
        assert getattr(err, "code", None) == "InvalidBlueprint.NotFound" and err.status_code == 404

    asyncio.run(scenario())
    assert emu.state()["calls_ok"] == {"EnrollAccount": 1, "GetEnrolledAccount": 1, "ListEnrolledAccounts": 1,
                                       "ListAccountFactoryBaselines": 1, "GetAccountFactoryBaseline": 1}


def test_list_enrolled_accounts_rows(client: Client) -> None:
    uids = [client.enroll_account(m.EnrollAccountRequest(account_uid=u)).body.account_uid
            for u in MEMBER_ACCOUNT_UIDS[:3]]
    body = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest()).body
    assert [a.account_uid for a in body.enrolled_accounts] == uids
    row = body.enrolled_accounts[0].to_map()
    assert set(row) == {"AccountUid", "BaselineId", "CreateTime", "DisplayName", "FolderId",
                        "PayerAccountUid", "Status", "UpdateTime"}
    assert row["PayerAccountUid"] == MASTER_ACCOUNT_UID
    assert not body.next_token


def test_list_and_get_baselines(client: Client) -> None:
    listed = client.list_account_factory_baselines(m.ListAccountFactoryBaselinesRequest()).body
    rows = {b.baseline_id: b for b in listed.baselines}
    assert rows[DEFAULT_BASELINE_ID].type == "System" and rows[CUSTOM_BASELINE_ID].type == "Custom"
    assert all(TIME_RE.match(b.create_time) and TIME_RE.match(b.update_time) and b.baseline_name
               for b in listed.baselines)
    assert not listed.next_token

    page1 = client.list_account_factory_baselines(m.ListAccountFactoryBaselinesRequest(max_results=1)).body
    assert len(page1.baselines) == 1 and page1.next_token
    page2 = client.list_account_factory_baselines(
        m.ListAccountFactoryBaselinesRequest(max_results=1, next_token=page1.next_token)).body
    assert len(page2.baselines) == 1 and not page2.next_token
    assert {page1.baselines[0].baseline_id, page2.baselines[0].baseline_id} == set(rows)

    default = client.get_account_factory_baseline(m.GetAccountFactoryBaselineRequest(baseline_id="")).body
    assert default.baseline_id == DEFAULT_BASELINE_ID and default.type == "System"
    assert [i.name for i in default.baseline_items] == DEFAULT_ITEMS
    custom = client.get_account_factory_baseline(
        m.GetAccountFactoryBaselineRequest(baseline_id=CUSTOM_BASELINE_ID)).body
    custom_items = [i.name for i in custom.baseline_items]
    assert custom_items != DEFAULT_ITEMS and VPC in custom_items and SG in custom_items
    assert all(i.version == "1.0" and isinstance(json.loads(i.config), dict) for i in custom.baseline_items)
    err = sdk_error(lambda: client.get_account_factory_baseline(
        m.GetAccountFactoryBaselineRequest(baseline_id="afb-doesnotexist000000")))
    assert (err.code, err.status_code) == ("InvalidBlueprint.NotFound", 404)


def test_error_body_shape(emu: Emulator) -> None:
    status, body = raw_request(emu, "GetEnrolledAccount", {"AccountUid": "1234567890123456"})
    assert status == 404
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["Code"] == "InvalidUser.NotFound" and body["HostId"] == "governance.cn-hangzhou.aliyuncs.com"
    assert body["Recommend"] == (f"https://api.aliyun.com/troubleshoot?q=InvalidUser.NotFound"
                                 f"&product=governance&requestId={body['RequestId']}")
    assert REQUEST_ID_RE.match(body["RequestId"])


def test_unknown_action_is_404(emu: Emulator) -> None:
    status, body = raw_request(emu, "DeleteEnrolledAccount", {"AccountUid": "1"})
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    assert emu.state()["calls"]["DeleteEnrolledAccount"] == 1
