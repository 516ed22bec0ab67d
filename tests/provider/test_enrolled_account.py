"""EnrolledAccount end to end: the real provider server over gRPC, the emulator over HTTP."""

from __future__ import annotations

import base64

import pulumi
import pytest

from alicloud_account_factory.emulator import CUSTOM_BASELINE_ID, DEFAULT_BASELINE_ID, MEMBER_ACCOUNT_UIDS
from alicloud_account_factory.model import ENROLLMENT_KEY_TAG
from pulumi.runtime.proto import engine_pb2
from tests.support.accounts import SECRET, AccountStack
from tests.support.engine import FakeEngine
from tests.support.provider_server import ProviderError

NEW = dict(account_name_prefix="team-a-dev", display_name="Team A dev", folder_id="fd-Sandbox001", tags={"env": "dev"})
ALL_OUTPUTS = {
    "account_uid", "account_name_prefix", "display_name", "folder_id", "payer_account_uid", "master_account_uid",
    "baseline_id", "baseline_items", "applied_baseline_items", "tags", "resell_account_type", "region_id",
    "status", "progress", "error_info", "initialized", "create_time", "update_time",
}


def test_create_enrolls_a_new_account_and_waits_until_finished(stack: AccountStack, engine: FakeEngine) -> None:
    deployed = stack.create(**NEW)

    assert deployed.id.isdigit() and len(deployed.id) == 16  # the exact decimal AccountUid, never 1.2e+15
    outs = deployed.outputs
    assert ALL_OUTPUTS - {"error_info", "resell_account_type"} <= set(outs)  # None values are not sent
    assert int(outs["account_uid"]) == int(deployed.id)
    assert outs["status"] == "Finished" and outs["initialized"] is True
    assert outs["progress"] and all(p["status"] in ("Finished", "Skipped") for p in outs["progress"])
    assert outs["folder_id"] == "fd-Sandbox001" and outs["display_name"] == "Team A dev"
    assert outs["tags"] == {"env": "dev"}  # the enrollment key is not shown as a user tag
    assert outs["baseline_id"] == DEFAULT_BASELINE_ID
    assert outs.get("error_info") is None

    [account] = stack.accounts_named("Team A dev")
    assert account["Status"] == "Finished" and account["AccountUid"] == int(deployed.id)
    assert {t["Key"] for t in account["Inputs"]["Tag"]} == {"env", ENROLLMENT_KEY_TAG}

    progress = [m for m in engine.messages_for(deployed.urn) if m.ephemeral]
    assert any("ACS-BP_ACCOUNT_FACTORY_" in m.message and m.message.count("/") >= 1 for m in progress), progress


def test_read_maps_every_field_and_shows_drift(stack: AccountStack) -> None:
    deployed = stack.create(**NEW)
    fresh = stack.read(deployed)
    assert fresh is not None and fresh.id == deployed.id
    same = {k: v for k, v in deployed.outputs.items() if k not in ("update_time",)}
    assert {k: fresh.outputs.get(k) for k in same} == same

    # Someone re-applies the baseline by hand with other tags and items: refresh sees it all.
    from tests.support.sdk import sdk_client, enroll

    enroll(sdk_client(stack.emulator.endpoint), account_uid=deployed.account_uid, baseline_id=CUSTOM_BASELINE_ID,
           tags={"env": "prod"}, baseline_items=[{"Name": "ACS-BP_ACCOUNT_FACTORY_VPC", "Config": '{"VpcName": "x"}'}])
    drifted = stack.read(deployed)
    assert drifted is not None
    assert drifted.outputs["tags"] == {"env": "prod"}
    assert drifted.outputs["baseline_id"] == CUSTOM_BASELINE_ID
    assert drifted.outputs["baseline_items"][0]["name"] == "ACS-BP_ACCOUNT_FACTORY_VPC"
    assert drifted.outputs["status"] in ("Pending", "Running", "Finished")

    # ... and the next `up` wants to put the program's settings back, in place.
    diff = stack.server.diff(deployed.id, deployed.urn, drifted.outputs, deployed.inputs)
    assert diff.changes == "some" and diff.replaces == []


def test_read_of_an_account_that_is_not_enrolled_says_it_is_gone(stack: AccountStack) -> None:
    deployed = stack.create(**NEW)
    ghost = type(deployed)(deployed.urn, str(MEMBER_ACCOUNT_UIDS[0]), deployed.inputs, deployed.outputs)
    assert stack.read(ghost) is None


def test_diff_update_vs_replace_through_the_server(stack: AccountStack) -> None:
    deployed = stack.create(**NEW)
    assert stack.diff(deployed, **NEW).changes == "none"
    assert stack.diff(deployed, **{**NEW, "tags": {"env": "prod"}}).replaces == []
    assert stack.diff(deployed, **{**NEW, "tags": {"env": "prod"}}).changes == "some"
    assert stack.diff(deployed, **{**NEW, "baseline_id": CUSTOM_BASELINE_ID}).replaces == []
    assert stack.diff(deployed, **{**NEW, "display_name": "Renamed"}).replaces == ["display_name"]
    assert stack.diff(deployed, **{**NEW, "folder_id": "fd-Workload01"}).replaces == ["folder_id"]
    timeouts = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="3h", update="3h"))
    assert stack.diff(deployed, opts=timeouts, **NEW).changes == "none"


def test_update_reenrolls_the_same_account_with_new_baseline_settings(stack: AccountStack) -> None:
    deployed = stack.create(**NEW)
    items = [{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": {"VpcName": "main"}, "version": "1.0"}]
    updated = stack.update(deployed, **{**NEW, "tags": {"env": "prod"}, "baseline_id": CUSTOM_BASELINE_ID,
                                        "baseline_items": items})
    assert updated.outputs["account_uid"] == deployed.outputs["account_uid"]
    assert updated.outputs["status"] == "Finished"
    assert updated.outputs["tags"] == {"env": "prod"}
    assert updated.outputs["baseline_id"] == CUSTOM_BASELINE_ID
    assert updated.outputs["baseline_items"] == [
        {"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": '{"VpcName":"main"}', "skip": False, "version": "1.0"}]
    [account] = stack.accounts_named("Team A dev")
    assert {t["Key"]: t["Value"] for t in account["Inputs"]["Tag"]}["env"] == "prod"
    member = next(m for m in stack.emulator.state()["directory"]["member_accounts"] if m["account_uid"] == deployed.account_uid)
    assert member["enrollments"] == 2
    assert stack.diff(updated, **{**NEW, "tags": {"env": "prod"}, "baseline_id": CUSTOM_BASELINE_ID,
                                 "baseline_items": items}).changes == "none"


def test_delete_makes_no_call_and_warns_that_the_account_stays(stack: AccountStack, engine: FakeEngine) -> None:
    deployed = stack.create(**NEW)
    before = stack.calls()
    stack.delete(deployed)
    assert stack.calls() == before
    warnings = [m for m in engine.messages_for(deployed.urn) if m.severity == engine_pb2.WARNING]
    assert warnings and "stays enrolled" in warnings[0].message and deployed.id in warnings[0].message
    assert stack.accounts_named("Team A dev")[0]["Status"] == "Finished"


def test_enrolling_an_existing_account_and_adopting_it_when_already_enrolled(stack: AccountStack) -> None:
    uid = MEMBER_ACCOUNT_UIDS[1]
    first = stack.create("existing", account_uid=str(uid), baseline_id=CUSTOM_BASELINE_ID, tags={"team": "payments"})
    assert first.id == str(uid) and first.outputs["status"] == "Finished"
    enroll_calls = stack.calls().get("EnrollAccount", 0)

    # The same settings again (e.g. a second stack, or state lost): adopted, not re-enrolled.
    second = stack.create("existing-again", account_uid=uid, baseline_id=CUSTOM_BASELINE_ID, tags={"team": "payments"})
    assert second.id == str(uid)
    assert stack.calls().get("EnrollAccount", 0) == enroll_calls


@pytest.mark.parametrize("status", ["Failed", "ScheduleFailed"])
def test_a_failed_enrollment_says_why_and_the_next_up_resumes_on_the_same_account(stack: AccountStack, status: str) -> None:
    stack.emulator.add_outcome({"display_name": "Team A dev", "status": status, "error_code": "EntityAlreadyExists.Role",
                                "error_message": "The role already exists.",
                                "recommend": "https://next.api.aliyun.com/troubleshoot?q=EntityAlreadyExists.Role"})
    with pytest.raises(ProviderError) as failure:
        stack.create(**NEW)
    [account] = stack.accounts_named("Team A dev")
    text = failure.value.details
    assert str(account["AccountUid"]) in text and status in text
    assert "EntityAlreadyExists.Role" in text and "The role already exists." in text
    assert "troubleshoot?q=EntityAlreadyExists.Role" in text
    assert "never creates a second account" in text
    if status == "Failed":
        failed_item = next(p["Name"] for p in account["Progress"] if p["Status"] == "Failed")
        assert failed_item in text

    # The next `pulumi up` creates again: the same account is enrolled again and finishes.
    deployed = stack.create(**NEW)
    assert deployed.id == str(account["AccountUid"])
    assert deployed.outputs["status"] == "Finished"
    assert len(stack.accounts_named("Team A dev")) == 1


def test_timeout_reports_where_it_stood_and_the_next_up_keeps_waiting(stack: AccountStack) -> None:
    stack.emulator.add_outcome({"display_name": "Team A dev", "status": "Stuck"})
    short = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="3s"))
    with pytest.raises(ProviderError) as failure:
        stack.create(opts=short, **NEW)
    [account] = stack.accounts_named("Team A dev")
    text = failure.value.details
    assert "timed out after 3s" in text and str(account["AccountUid"]) in text
    assert "last status Running" in text and "ACS-BP_ACCOUNT_FACTORY_" in text
    assert "pulumi up` again to resume" in text

    # Still stuck: a second attempt waits on the same account (and times out again), no new account.
    with pytest.raises(ProviderError):
        stack.create(opts=short, **NEW)
    assert len(stack.accounts_named("Team A dev")) == 1
    assert stack.emulator.state()["calls"]["EnrollAccount"] == 1


def test_transient_faults_are_retried_and_enroll_exactly_once(stack: AccountStack) -> None:
    stack.emulator.set_faults([
        {"action": "*", "code": "Throttling.User", "http_status": 400, "probability": 0.4, "times": 12},
        {"action": "GetEnrolledAccount", "code": "InternalError", "http_status": 500, "times": 2},
        {"action": "ListEnrolledAccounts", "code": "ServiceUnavailable", "http_status": 503, "times": 2},
        {"action": "EnrollAccount", "code": "DeployConflict.Blueprint", "http_status": 400, "times": 1},
        {"action": "GetEnrolledAccount", "kind": "drop", "times": 2},
    ])
    deployed = stack.create(**NEW)
    assert deployed.outputs["status"] == "Finished"
    assert len(stack.accounts_named("Team A dev")) == 1


def test_a_lost_enroll_answer_is_looked_up_not_enrolled_twice(stack: AccountStack) -> None:
    stack.emulator.set_faults([{"action": "EnrollAccount", "kind": "drop", "after_processing": True, "times": 1}])
    deployed = stack.create(**NEW)
    assert deployed.outputs["status"] == "Finished"
    [account] = stack.accounts_named("Team A dev")
    assert account["AccountUid"] == deployed.account_uid


def test_other_api_errors_fail_at_once_with_code_message_and_request_id(stack: AccountStack) -> None:
    with pytest.raises(ProviderError) as failure:
        stack.create(**{**NEW, "folder_id": "fd-DoesNotExist"})
    text = failure.value.details
    assert "EnrollAccount failed: InvalidParameter" in text and "FolderId" in text and "RequestId" in text
    assert stack.emulator.state()["calls"]["EnrollAccount"] == 1  # not retried


def test_the_secret_key_is_nowhere(stack: AccountStack, engine: FakeEngine) -> None:
    deployed = stack.create(**NEW)
    blob = base64.b64decode(deployed.inputs["__provider"])
    assert SECRET.encode() not in blob
    assert SECRET not in repr(deployed.outputs)
    stack.emulator.add_outcome({"display_name": "Team B", "status": "Failed"})
    with pytest.raises(ProviderError) as failure:
        stack.create("b", **{**NEW, "display_name": "Team B"})
    assert SECRET not in failure.value.details
    assert all(SECRET not in m.message for m in engine.messages)
    assert SECRET not in stack.server.stderr_text()
