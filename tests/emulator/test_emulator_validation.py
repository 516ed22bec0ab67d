"""Every rejection answers with the service's code and HTTP status, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import (
    CUSTOM_BASELINE_ID,
    MASTER_ACCOUNT_UID,
    MEMBER_ACCOUNT_UIDS,
    UNVERIFIED_ACCOUNT_UID,
    Emulator,
)
from emulator_support import raw_request, sdk_error

VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
SG = "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"
Item = m.EnrollAccountRequestBaselineItems
Tag = m.EnrollAccountRequestTag


def snapshot(emu: Emulator) -> dict[str, Any]:
    """Everything a rejected request must leave alone (time-driven fields excluded)."""
    state = emu.state()
    accounts = [{k: v for k, v in a.items() if k not in ("Status", "Progress", "UpdateTime", "Initialized")}
                for a in state["accounts"]]
    return {"directory": state["directory"], "accounts": accounts, "outcomes": emu.get_outcomes()}


def new(**kw: Any) -> m.EnrollAccountRequest:
    base: dict[str, Any] = {"account_name_prefix": "valid-prefix", "display_name": "Valid"}
    base.update(kw)
    return m.EnrollAccountRequest(**{k: v for k, v in base.items() if v is not None})


SDK_CASES: list[tuple[str, Callable[[Client], Any], str, int, str]] = [
    ("missing prefix", lambda c: c.enroll_account(new(account_name_prefix=None)),
     "InvalidParameter", 400, "The specified parameter AccountNamePrefix is not valid."),
    ("bad prefix", lambda c: c.enroll_account(new(account_name_prefix="bad prefix!")),
     "InvalidParameter", 400, "AccountNamePrefix"),
    ("missing display name", lambda c: c.enroll_account(new(display_name=None)),
     "InvalidParameter", 400, "The specified parameter DisplayName is not valid."),
    ("unknown folder", lambda c: c.enroll_account(new(folder_id="fd-NoSuchOne0")),
     "InvalidParameter", 400, "The specified parameter FolderId is not valid."),
    ("unknown payer", lambda c: c.enroll_account(new(payer_account_uid=1999999999999999)),
     "InvalidUser.NotFound", 404, "The specified user does not exist."),
    ("unknown baseline", lambda c: c.enroll_account(new(baseline_id="afb-bp1nosuchbaseline00")),
     "InvalidBlueprint.NotFound", 404, "The specified blueprint does not exist."),
    ("unknown item", lambda c: c.enroll_account(new(baseline_items=[Item(name="ACS-BP_NOPE")])),
     "InvalidBaselineItem.NotFound", 404, "The specified baseline item named ACS-BP_NOPE does not exist."),
    ("dependency skipped", lambda c: c.enroll_account(new(baseline_id=CUSTOM_BASELINE_ID,
                                                          baseline_items=[Item(name=VPC, skip=True)])),
     "DependencyViolation.BaselineItem", 400,
     f"The dependency of {SG} baseline item has not been configured. Please config {VPC} first."),
    ("dependency absent", lambda c: c.enroll_account(new(baseline_items=[Item(name=SG)])),
     "DependencyViolation.BaselineItem", 400, SG),
    ("unknown account", lambda c: c.enroll_account(m.EnrollAccountRequest(account_uid=1234567890123456)),
     "InvalidUser.NotFound", 404, "The specified user does not exist."),
    ("unverified account", lambda c: c.enroll_account(m.EnrollAccountRequest(account_uid=UNVERIFIED_ACCOUNT_UID)),
     "InvalidEnterpriseRealName.NotFound", 404, "enterprise real name verification"),
    ("master account", lambda c: c.enroll_account(m.EnrollAccountRequest(account_uid=MASTER_ACCOUNT_UID)),
     "InvalidParameter", 400, "AccountUid"),
    ("21 tags", lambda c: c.enroll_account(new(tag=[Tag(key=f"k{i}", value="v") for i in range(21)])),
     "InvalidParameter", 400, "The specified parameter Tag is not valid."),
    ("empty tag key", lambda c: c.enroll_account(new(tag=[Tag(key="", value="v")])),
     "InvalidParameter", 400, "Tag.1.Key"),
    ("config not json", lambda c: c.enroll_account(new(baseline_items=[Item(name=VPC, config="{not json")])),
     "InvalidParameter", 400, "The specified parameter BaselineItems.1.Config is not valid."),
    ("config not object", lambda c: c.enroll_account(new(baseline_items=[Item(name=VPC, config="[1, 2]")])),
     "InvalidParameter", 400, "BaselineItems.1.Config"),
    ("duplicate item", lambda c: c.enroll_account(new(baseline_items=[Item(name=VPC), Item(name=VPC)])),
     "InvalidParameter", 400, "BaselineItems.2.Name"),
    ("resell type", lambda c: c.enroll_account(new(resell_account_type="wholesale")),
     "InvalidParameter", 400, "The specified parameter ResellAccountType is not valid."),
    ("max results 0", lambda c: c.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=0)),
     "InvalidParameter", 400, "MaxResults"),
    ("max results 101", lambda c: c.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=101)),
     "InvalidParameter", 400, "MaxResults"),
    ("baselines max results", lambda c: c.list_account_factory_baselines(
        m.ListAccountFactoryBaselinesRequest(max_results=500)), "InvalidParameter", 400, "MaxResults"),
    ("bad next token", lambda c: c.list_enrolled_accounts(m.ListEnrolledAccountsRequest(next_token="garbage!")),
     "InvalidParameter", 400, "The specified parameter NextToken is not valid."),
    ("foreign next token", lambda c: c.list_account_factory_baselines(
        m.ListAccountFactoryBaselinesRequest(next_token="ZWE6MQ")), "InvalidParameter", 400, "NextToken"),
    ("get never enrolled", lambda c: c.get_enrolled_account(
        m.GetEnrolledAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])),
     "InvalidBlueprint.NotFound", 404, "The specified blueprint does not exist."),
    ("get master", lambda c: c.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=MASTER_ACCOUNT_UID)),
     "InvalidBlueprint.NotFound", 404, "blueprint"),
    ("get unknown", lambda c: c.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=1234567890123456)),
     "InvalidUser.NotFound", 404, "The specified user does not exist."),
    ("get without uid", lambda c: c.get_enrolled_account(m.GetEnrolledAccountRequest()),
     "MissingAccountUid", 400, "AccountUid is mandatory for this action."),
]


@pytest.mark.parametrize(("case", "call", "code", "status", "message"), SDK_CASES, ids=[c[0] for c in SDK_CASES])
def test_rejections_through_the_sdk(emu: Emulator, client: Client, case: str, call: Callable[[Client], Any],
                                    code: str, status: int, message: str) -> None:
    client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[4]))  # something to protect
    before = snapshot(emu)
    err = sdk_error(lambda: call(client))
    assert (err.code, err.status_code) == (code, status)
    assert message in err.data["Message"]
    assert snapshot(emu) == before


RAW_CASES: list[tuple[str, str, dict[str, str], str, int, str]] = [
    ("tag not json", "EnrollAccount", {"AccountNamePrefix": "p1", "DisplayName": "d", "Tag": "[{Key:"},
     "InvalidParameter", 400, "Tag"),
    ("tag not list", "EnrollAccount", {"AccountNamePrefix": "p1", "DisplayName": "d", "Tag": '{"Key":"a"}'},
     "InvalidParameter", 400, "Tag"),
    ("uid not integer", "EnrollAccount", {"AccountUid": "12ab"}, "InvalidParameter", 400, "AccountUid"),
    ("uid negative", "EnrollAccount", {"AccountUid": "-5"}, "InvalidParameter", 400, "AccountUid"),
    ("payer not integer", "EnrollAccount", {"AccountNamePrefix": "p1", "DisplayName": "d",
                                            "PayerAccountUid": "1.5"}, "InvalidParameter", 400, "PayerAccountUid"),
    ("skip not bool", "EnrollAccount", {"AccountNamePrefix": "p1", "DisplayName": "d",
                                        "BaselineItems.1.Name": VPC, "BaselineItems.1.Skip": "yes"},
     "InvalidParameter", 400, "BaselineItems.1.Skip"),
    ("item without name", "EnrollAccount", {"AccountNamePrefix": "p1", "DisplayName": "d",
                                            "BaselineItems.1.Config": "{}"},
     "InvalidParameter", 400, "BaselineItems.1.Name"),
    ("get uid not integer", "GetEnrolledAccount", {"AccountUid": "abc"}, "InvalidParameter", 400, "AccountUid"),
    ("max results not integer", "ListEnrolledAccounts", {"MaxResults": "ten"}, "InvalidParameter", 400,
     "MaxResults"),
]


@pytest.mark.parametrize(("case", "action", "query", "code", "status", "message"), RAW_CASES,
                         ids=[c[0] for c in RAW_CASES])
def test_rejections_of_malformed_parameters(emu: Emulator, case: str, action: str, query: dict[str, str],
                                            code: str, status: int, message: str) -> None:
    before = snapshot(emu)
    got_status, body = raw_request(emu, action, query)
    assert (body["Code"], got_status) == (code, status)
    assert f"The specified parameter {message}" in body["Message"]
    assert snapshot(emu) == before


def test_skip_accepts_python_bool_strings(emu: Emulator) -> None:
    status, _ = raw_request(emu, "EnrollAccount", {
        "AccountNamePrefix": "p1", "DisplayName": "d",
        "BaselineItems.1.Name": VPC, "BaselineItems.1.Skip": "True",
        "BaselineItems.2.Name": "ACS-BP_ACCOUNT_FACTORY_RAM_ROLE", "BaselineItems.2.Skip": "False"})
    assert status == 200
    account = emu.state()["accounts"][0]
    assert {i["Name"]: i["Skip"] for i in account["BaselineItems"]}[VPC] is True
    assert account["Inputs"]["BaselineItems"] == [{"Name": VPC, "Skip": True},
                                                 {"Name": "ACS-BP_ACCOUNT_FACTORY_RAM_ROLE", "Skip": False}]


def test_enrolling_an_account_that_is_still_deploying_conflicts(emu: Emulator, client: Client) -> None:
    uid = MEMBER_ACCOUNT_UIDS[1]
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid))
    before = snapshot(emu)
    again = m.EnrollAccountRequest(account_uid=uid, baseline_id=CUSTOM_BASELINE_ID)
    err = sdk_error(lambda: client.enroll_account(again))
    assert (err.code, err.status_code) == ("DeployConflict.Blueprint", 400)
    assert snapshot(emu) == before
    emu.add_outcome({"status": "ScheduleFailed", "account_uid": MEMBER_ACCOUNT_UIDS[3]})
    client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[3]))
    assert emu.state()["accounts"][1]["Status"] == "Scheduling"
    err = sdk_error(lambda: client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[3])))
    assert err.code == "DeployConflict.Blueprint"
