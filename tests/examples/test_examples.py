"""preview → up → refresh → change → up → destroy, for every example program."""

from __future__ import annotations

from pulumi.runtime import rpc

from account_factory_testing.stack import StackHarness
from alicloud_account_factory.emulator import CUSTOM_BASELINE_ID, Emulator
from alicloud_account_factory.resource import STACK_IDENTITY_NAME

WRITE_CALLS = ("EnrollAccount",)


def api_calls(emulator: Emulator) -> dict[str, int]:
    return dict(emulator.state()["calls"])


def test_quickstart(harness_for, emulator: Emulator) -> None:
    stack: StackHarness = harness_for("quickstart", "account-factory-quickstart")

    plan = stack.preview()
    assert plan.action("team-a-dev") == "create"
    assert stack.calls_of("Create") == [] and api_calls(emulator) == {}  # preview touches nothing

    plan = stack.up()
    outputs = plan.stack_outputs
    assert outputs["status"] == "Finished"
    uid = int(outputs["account_id"])  # the AccountUid's digits: exact at any size
    assert outputs["account_id"] == str(uid) and stack.state[stack.urn("team-a-dev")].id == str(uid)
    assert outputs["progress"] and outputs["progress"][0]["status"] == "Finished"
    [account] = emulator.state()["accounts"]
    assert account["AccountUid"] == uid and account["FolderId"] == "fd-Sandbox001"

    refreshed = stack.refresh()
    assert not refreshed[stack.urn("team-a-dev")].deleted
    assert stack.preview().action("team-a-dev") == "same"

    # A new display name is a new account: preview says replace, and why, before anything happens.
    stack.config["account-factory-quickstart:displayName"] = "Team A sandbox"
    before = api_calls(emulator)
    plan = stack.preview()
    assert plan.action("team-a-dev") == "replace"
    assert plan.diffs[stack.urn("team-a-dev")].replaces == ["display_name"]
    assert api_calls(emulator) == before
    plan = stack.up()
    assert plan.stack_outputs["account_id"] != str(uid)
    assert len(emulator.state()["accounts"]) == 2  # the old account stays enrolled (no un-enroll API)

    enrolls = api_calls(emulator).get("EnrollAccount", 0)
    urn, identity = stack.urn("team-a-dev"), stack.urn(STACK_IDENTITY_NAME)
    # The account, then the stack's identity (created before it, deleted after it).
    assert stack.destroy() == [urn, identity]
    assert stack.state == {} and api_calls(emulator).get("EnrollAccount", 0) == enrolls


def test_existing_account(harness_for, emulator: Emulator) -> None:
    stack: StackHarness = harness_for("existing-account", "account-factory-existing-account")
    assert stack.preview().action("payments-prod") == "create"
    assert api_calls(emulator) == {}

    outputs = stack.up().stack_outputs
    assert outputs["account_id"] == "1207465839102347" and outputs["baseline_id"] == CUSTOM_BASELINE_ID
    account = emulator.state()["accounts"][0]
    items = {i["Name"]: i for i in account["Inputs"]["BaselineItems"]}
    assert items["ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN"]["Skip"] is True
    assert '"payments-main"' in items["ACS-BP_ACCOUNT_FACTORY_VPC"]["Config"]
    # Skipped, yet reported with the reference's statuses only: Finished once the enrollment is.
    assert {p["Name"]: p["Status"] for p in account["Progress"]}["ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN"] == "Finished"

    stack.refresh()
    assert stack.preview().action("payments-prod") == "same"

    # A changed item config updates in place: the same account, enrolled again.
    stack.config["account-factory-existing-account:vpcName"] = "payments-v2"
    assert stack.preview().action("payments-prod") == "update"
    outputs = stack.up().stack_outputs
    assert outputs["account_id"] == "1207465839102347" and outputs["status"] == "Finished"
    account = emulator.state()["accounts"][0]
    assert '"payments-v2"' in {i["Name"]: i for i in account["Inputs"]["BaselineItems"]}["ACS-BP_ACCOUNT_FACTORY_VPC"]["Config"]

    stack.destroy()
    assert stack.state == {} and len(emulator.state()["accounts"]) == 1


def test_downstream(harness_for, emulator: Emulator) -> None:
    stack: StackHarness = harness_for("downstream", "account-factory-downstream")
    plan = stack.preview()
    assert sorted(plan.steps.values()) == ["create"] * 4  # 3 accounts and the stack's identity
    assert plan.action(STACK_IDENTITY_NAME) == "create"
    assert api_calls(emulator) == {}

    outputs = stack.up().stack_outputs
    shared = int(outputs["accounts"]["shared"])
    assert outputs["all_finished"] is True
    assert set(outputs["accounts"]) == {"shared", "orders", "search"}
    by_uid = {a["AccountUid"]: a for a in emulator.state()["accounts"]}
    for team in ("orders", "search"):
        workload = by_uid[int(outputs["accounts"][team])]
        assert workload["PayerAccountUid"] == shared  # the output fed the other resource
        assert {t["Key"]: t["Value"] for t in workload["Inputs"]["Tag"]}["billed-to"] == str(shared)

    stack.refresh()
    assert set(stack.preview().steps.values()) == {"same"}

    stack.config["account-factory-downstream:teams"] = "orders,search,ml"
    plan = stack.preview()
    assert plan.action("workload-ml") == "create" and plan.action("workload-orders") == "same"
    outputs = stack.up().stack_outputs
    assert set(outputs["accounts"]) == {"shared", "orders", "search", "ml"}

    stack.destroy()
    assert stack.state == {}


def test_baseline_and_accounts(harness_for, emulator: Emulator) -> None:
    stack: StackHarness = harness_for("baseline-and-accounts", "account-factory-baseline-and-accounts")
    plan = stack.preview()  # a new stack: the baseline id the accounts get is unknown
    assert sorted(plan.steps.values()) == ["create"] * 5  # the baseline, three accounts, the stack identity
    assert plan.stack_outputs["baseline_id"] == rpc.UNKNOWN
    assert plan.stack_outputs["vpc_item_versions"] == ["1.0", "1.1"]  # the look-up answers in preview
    assert api_calls(emulator) == {"ListAccountFactoryBaselineItems": 1}  # and nothing else is called

    outputs = stack.up().stack_outputs
    baseline_id = outputs["baseline_id"]
    order = [urn for urn in stack.state if ":EnrolledAccount::" in urn or ":AccountFactoryBaseline::" in urn]
    assert order[0] == stack.urn("workloads")  # the baseline is created before its accounts
    assert outputs["statuses"] == {"orders": "Finished", "search": "Finished", "billing": "Finished"}
    by_uid = {a["AccountUid"]: a for a in emulator.state()["accounts"]}
    assert {by_uid[int(uid)]["BaselineId"] for uid in outputs["accounts"].values()} == {baseline_id}
    assert "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP" in outputs["baseline_items"]

    stack.refresh()
    assert set(stack.preview().steps.values()) == {"same"}

    # A changed baseline item rolls out: the baseline and every account update in place.
    stack.config["account-factory-baseline-and-accounts:vpcCidr"] = "10.8.0.0/16"
    steps = stack.preview().steps
    assert {step for urn, step in steps.items() if ":StackIdentity::" not in urn} == {"update"}
    outputs = stack.up().stack_outputs
    assert outputs["baseline_id"] == baseline_id and set(outputs["statuses"].values()) == {"Finished"}
    for uid in outputs["accounts"].values():
        account = next(a for a in emulator.state()["accounts"] if a["AccountUid"] == int(uid))
        vpc = next(i for i in account["Inputs"]["BaselineItems"] if i["Name"] == "ACS-BP_ACCOUNT_FACTORY_VPC")
        assert "10.8.0.0/16" in vpc["Config"]

    # The accounts stay enrolled (no un-enroll API), so the baseline they use is retained.
    deleted = stack.destroy()
    assert len(deleted) == 5 and stack.state == {}  # the baseline, three accounts, the stack identity
    assert [b["BaselineId"] for b in emulator.state()["baselines"] if b["BaselineName"] == "workloads"] == [baseline_id]
    assert "DeleteAccountFactoryBaseline" not in api_calls(emulator)
