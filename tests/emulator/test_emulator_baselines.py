"""Account Factory baselines and the item catalog through the real SDK: what a client sees."""

from __future__ import annotations

import json
from pathlib import Path

from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import DEFAULT_BASELINE_ID, MEMBER_ACCOUNT_UIDS, Emulator
from emulator_support import make_client, sdk_error, wait_until

VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
SG = "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"
CONTACT = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"
NOTIFICATION = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION"


def item(name: str, config: dict | None = None, version: str | None = None,
         cls: type = m.CreateAccountFactoryBaselineRequestBaselineItems) -> object:
    return cls(name=name, config=json.dumps(config) if config is not None else None, version=version)


def create(client: Client, name: str = "team-baseline", *items: object, description: str | None = None) -> str:
    request = m.CreateAccountFactoryBaselineRequest(baseline_name=name, description=description,
                                                    baseline_items=list(items) or [item(CONTACT)])
    return client.create_account_factory_baseline(request).body.baseline_id


def get(client: Client, baseline_id: str) -> dict:
    return client.get_account_factory_baseline(m.GetAccountFactoryBaselineRequest(baseline_id=baseline_id)).body.to_map()


def test_create_get_update_delete(client: Client) -> None:
    baseline_id = create(client, "network", item(VPC, {"Vpcs": []}, "1.1"), item(SG), description="VPC + SG")
    assert baseline_id.startswith("afb-")
    body = get(client, baseline_id)
    assert (body["BaselineName"], body["Description"], body["Type"]) == ("network", "VPC + SG", "Custom")
    assert [(i["Name"], i["Version"]) for i in body["BaselineItems"]] == [(VPC, "1.1"), (SG, "1.0")]
    assert json.loads(body["BaselineItems"][0]["Config"]) == {"Vpcs": []}
    assert json.loads(body["BaselineItems"][1]["Config"])["SecurityGroups"]  # the catalog's default config

    client.update_account_factory_baseline(m.UpdateAccountFactoryBaselineRequest(
        baseline_id=baseline_id, baseline_name="network-v2",
        baseline_items=[item(CONTACT, cls=m.UpdateAccountFactoryBaselineRequestBaselineItems)]))
    body = get(client, baseline_id)
    assert body["BaselineName"] == "network-v2" and body["Description"] == "VPC + SG"
    assert [i["Name"] for i in body["BaselineItems"]] == [CONTACT]

    listed = client.list_account_factory_baselines(m.ListAccountFactoryBaselinesRequest(max_results=100)).body
    assert baseline_id in [b.baseline_id for b in listed.baselines]
    client.delete_account_factory_baseline(m.DeleteAccountFactoryBaselineRequest(baseline_id=baseline_id))
    assert sdk_error(lambda: get(client, baseline_id)).code == "InvalidBlueprint.NotFound"


def test_the_service_validation_and_error_codes(client: Client) -> None:
    def create_error(*items: object, name: str | None = "x") -> tuple[str, str, int]:
        request = m.CreateAccountFactoryBaselineRequest(baseline_name=name, baseline_items=list(items))
        error = sdk_error(lambda: client.create_account_factory_baseline(request))
        return error.code, error.message, error.status_code

    assert create_error(item("ACS-BP_ACCOUNT_FACTORY_NOPE"))[0] == "InvalidBaselineItem.NotFound"
    code, message, status = create_error(item(VPC, version="9.9"))
    assert (code, status) == ("InvalidBaselineItem.NotFound", 404) and "version 9.9" in message
    assert "BaselineItems.2.Name is not valid." in create_error(item(CONTACT), item(CONTACT))[1]
    assert create_error(item(SG))[0] == "DependencyViolation.BaselineItem"
    assert "BaselineName is not valid." in create_error(item(CONTACT), name=" ")[1]
    assert create_error(item(CONTACT), name="n" * 65)[0] == "InvalidParameter"
    assert create_error(item(CONTACT), name=None)[0] == "MissingBaselineName"
    missing = sdk_error(lambda: client.delete_account_factory_baseline(
        m.DeleteAccountFactoryBaselineRequest(baseline_id="afb-doesnotexist")))
    assert (missing.code, missing.status_code) == ("InvalidBlueprint.NotFound", 404)
    system = sdk_error(lambda: client.delete_account_factory_baseline(
        m.DeleteAccountFactoryBaselineRequest(baseline_id=DEFAULT_BASELINE_ID)))
    assert system.code == "OperationDenied.SystemBaseline"


def test_a_baseline_in_use_cannot_be_deleted_and_stays_whole(client: Client, emu: Emulator) -> None:
    baseline_id = create(client, "used", item(CONTACT))
    uid = MEMBER_ACCOUNT_UIDS[0]
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid, baseline_id=baseline_id))
    error = sdk_error(lambda: client.delete_account_factory_baseline(
        m.DeleteAccountFactoryBaselineRequest(baseline_id=baseline_id)))
    assert (error.code, error.status_code) == ("DependencyViolation.Blueprint", 400)
    assert get(client, baseline_id)["BaselineName"] == "used"
    shown = next(b for b in emu.state()["baselines"] if b["BaselineId"] == baseline_id)
    assert shown["UsedBy"] == [uid]
    # Re-enrolled with another baseline: no longer in use.
    wait_until(lambda: client.get_enrolled_account(
        m.GetEnrolledAccountRequest(account_uid=uid)).body.status == "Finished")
    client.enroll_account(m.EnrollAccountRequest(account_uid=uid, baseline_id=DEFAULT_BASELINE_ID))
    client.delete_account_factory_baseline(m.DeleteAccountFactoryBaselineRequest(baseline_id=baseline_id))


def test_item_catalog_filters_and_pages(client: Client) -> None:
    def listing(**kwargs: object) -> tuple[list[tuple[str, str]], str | None]:
        body = client.list_account_factory_baseline_items(m.ListAccountFactoryBaselineItemsRequest(**kwargs)).body
        return [(i.name, i.version) for i in body.baseline_items], body.next_token

    everything, token = listing(max_results=100)
    assert token is None and (VPC, "1.0") in everything and (VPC, "1.1") in everything
    assert all(name.startswith("ACS-BP_ACCOUNT_FACTORY_") for name, _ in everything)
    assert listing(names=[VPC], versions=["1.1"])[0] == [(VPC, "1.1")]
    assert {n for n, _ in listing(type="Network", max_results=100)[0]} == {VPC, SG}
    sg = client.list_account_factory_baseline_items(m.ListAccountFactoryBaselineItemsRequest(names=[SG])).body
    assert [(d.name, d.version) for d in sg.baseline_items[0].depends_on] == [(VPC, "1.0")]
    pages: list[tuple[str, str]] = []
    token = None
    while True:
        page, token = listing(max_results=3, next_token=token)
        pages += page
        if not token:
            break
    assert pages == everything


def test_baselines_survive_a_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with Emulator(state_file=state_file) as emu:
        baseline_id = create(make_client(emu), "durable", item(VPC, {"Vpcs": [{"VpcName": "a"}]}))
    with Emulator(state_file=state_file) as emu:
        body = get(make_client(emu), baseline_id)
    assert body["BaselineName"] == "durable"
    assert json.loads(body["BaselineItems"][0]["Config"]) == {"Vpcs": [{"VpcName": "a"}]}
