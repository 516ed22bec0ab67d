"""EnrolledAccount end to end: the real provider server over gRPC, the emulator over HTTP."""

from __future__ import annotations

import base64

import pulumi
import pytest

from account_factory_testing.accounts import SECRET, TIMEOUT_AFTER_SENDING, AccountStack, register
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderError
from alicloud_account_factory.emulator import CUSTOM_BASELINE_ID, DEFAULT_BASELINE_ID, MEMBER_ACCOUNT_UIDS
from alicloud_account_factory.accounts.fields import INPUTS_RECORD
from alicloud_account_factory.accounts.model import ENROLLMENT_KEY_TAG
from alicloud_account_factory.provider import refresh_stores_inputs
from pulumi.runtime.proto import engine_pb2

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
    assert outs["progress"] and all(p["status"] == "Finished" for p in outs["progress"])
    assert outs["folder_id"] == "fd-Sandbox001" and outs["display_name"] == "Team A dev"
    assert outs["tags"] == {"env": "dev"}  # the enrollment key is not shown as a user tag
    assert outs["baseline_id"] == DEFAULT_BASELINE_ID
    assert outs.get("error_info") is None

    [account] = stack.accounts_named("Team A dev")
    assert account["Status"] == "Finished" and account["AccountUid"] == int(deployed.id)
    assert {t["Key"] for t in account["Inputs"]["Tag"]} == {"env", ENROLLMENT_KEY_TAG}

    progress = [m for m in engine.messages_for(deployed.urn) if m.ephemeral]
    assert any("ACS-BP_ACCOUNT_FACTORY_" in m.message and m.message.count("/") >= 1 for m in progress), progress
    # Its row's last line, there before Create returned (read at once): the CLI keeps it after the step.
    assert progress[-1].message == f"Finished (account {deployed.id})", progress


def test_read_maps_every_field_and_shows_drift(stack: AccountStack) -> None:
    deployed = stack.create(**NEW)
    fresh = stack.read(deployed)
    assert fresh is not None and fresh.id == deployed.id
    same = {k: v for k, v in deployed.outputs.items() if k not in ("update_time",)}
    assert {k: fresh.outputs.get(k) for k in same} == same

    # Someone re-applies the baseline by hand with other tags and items: refresh sees it all.
    from account_factory_testing.sdk import sdk_client, enroll

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


def test_a_refresh_returns_the_inputs_the_service_reports_and_keeps_every_other_input(stack: AccountStack) -> None:
    """The CLI names drift in a preview only if the stored inputs show it (a dynamic provider sends no
    detailed diff): Read returns the inputs, the drifted field as the service reports it and every
    other input as it was (the Python provider server hands Read the old outputs only: the record)."""
    from account_factory_testing.sdk import enroll, sdk_client

    timeouts = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="90m"))
    items = [{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": {"VpcName": "main"}}]
    deployed = stack.create(opts=timeouts, **{**NEW, "baseline_items": items})
    _id, _outs, unchanged = stack.server.read(deployed.id, deployed.urn, deployed.outputs, deployed.inputs)
    if not refresh_stores_inputs():  # pulumi before 3.235 (docs/installing.md): the stored inputs stay
        assert unchanged is None
        return
    assert deployed.outputs[INPUTS_RECORD]["custom_timeouts"] == {"create": "90m"}
    assert unchanged == deployed.inputs  # no drift: the very inputs the state holds

    request_items = [{"Name": "ACS-BP_ACCOUNT_FACTORY_VPC", "Config": '{"VpcName": "main"}'}]
    enroll(sdk_client(stack.emulator.endpoint), account_uid=deployed.account_uid, tags={"env": "prod"},
           baseline_items=request_items)
    _id, outs, drifted = stack.server.read(deployed.id, deployed.urn, deployed.outputs, deployed.inputs)
    assert drifted == {**deployed.inputs, "tags": {"env": "prod"}}  # the items mean the same: kept as they were
    assert outs[INPUTS_RECORD] == {k: v for k, v in drifted.items() if k != "__provider"}
    # The next refresh starts from the inputs this one stored.
    _id, _outs, again = stack.server.read(deployed.id, deployed.urn, outs, drifted)
    assert again == drifted


def test_read_of_an_account_that_is_not_enrolled_fails_and_never_says_it_is_gone(stack: AccountStack) -> None:
    """There is no un-enroll API: a refresh that reads a managed account as not enrolled fails (the engine
    then keeps the state), naming the account, where it asked and how to drop it on purpose."""
    deployed = stack.create(**NEW)
    ghost = type(deployed)(deployed.urn, str(MEMBER_ACCOUNT_UIDS[0]), deployed.inputs, deployed.outputs)
    with pytest.raises(ProviderError) as failure:
        stack.read(ghost)
    details = failure.value.details
    assert f"account {MEMBER_ACCOUNT_UIDS[0]} reads as not enrolled" in details, details
    assert stack.emulator.endpoint in details and f"pulumi state delete '{deployed.urn}'" in details, details


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


def test_a_diff_that_replaces_warns_which_account_is_left_and_why(stack: AccountStack, engine: FakeEngine) -> None:
    """Diff runs in preview: when it replaces, it says so through the engine before anything happens,
    naming the property, the new account to come and the account left enrolled; never when the
    replacement enrolls the very account the resource holds, nor for an in-place change."""
    def warnings_of(urn: str, since: int) -> list[str]:
        return [m.message for m in engine.messages_for(urn)[since:] if m.severity == engine_pb2.WARNING]

    deployed = stack.create(**NEW)
    seen = len(engine.messages_for(deployed.urn))
    assert stack.diff(deployed, **{**NEW, "tags": {"env": "prod"}}).replaces == []
    assert stack.diff(deployed, **{**NEW, "display_name": "Renamed"}).replaces == ["display_name"]
    [renamed] = warnings_of(deployed.urn, seen)
    assert renamed.startswith("display_name changed, which an account cannot take in place")
    assert "vends a new Alibaba Cloud account" in renamed and f"Account {deployed.id} stays enrolled" in renamed

    seen = len(engine.messages_for(deployed.urn))
    on_tags = pulumi.ResourceOptions(replace_on_changes=["tags"])
    assert stack.diff(deployed, opts=on_tags, **{**NEW, "tags": {"env": "prod"}}).replaces == ["tags"]
    [forced] = warnings_of(deployed.urn, seen)
    assert "which replace_on_changes makes a replacement" in forced and "new Alibaba Cloud account" in forced

    existing = stack.create("existing", account_uid=MEMBER_ACCOUNT_UIDS[1])
    seen = len(engine.messages_for(existing.urn))
    moved = stack.diff(existing, account_uid=MEMBER_ACCOUNT_UIDS[1], region_id="cn-shanghai")
    assert moved.replaces == ["region_id"]  # the same account again: nothing is left behind
    assert warnings_of(existing.urn, seen) == []
    assert stack.diff(existing, account_uid=MEMBER_ACCOUNT_UIDS[2]).replaces == ["account_uid"]
    [other] = warnings_of(existing.urn, seen)
    assert f"in place of account {MEMBER_ACCOUNT_UIDS[1]}" in other and "stays enrolled" in other


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
    # A code any enrollment can meet (the default baseline creates no RAM role to conflict with).
    stack.emulator.add_outcome({"display_name": "Team A dev", "status": status, "error_code": "InternalError",
                                "error_message": "A system error occurred.",
                                "recommend": "https://next.api.aliyun.com/troubleshoot?q=InternalError"})
    with pytest.raises(ProviderError) as failure:
        stack.create(**NEW)
    [account] = stack.accounts_named("Team A dev")
    text = failure.value.details
    assert str(account["AccountUid"]) in text and status in text
    assert "InternalError" in text and "A system error occurred." in text
    assert "troubleshoot?q=InternalError" in text
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
    after_sending = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=TIMEOUT_AFTER_SENDING))
    with pytest.raises(ProviderError) as failure:
        stack.create(opts=after_sending, **NEW)
    [account] = stack.accounts_named("Team A dev")
    text = failure.value.details
    assert f"timed out after {TIMEOUT_AFTER_SENDING} waiting" in text and str(account["AccountUid"]) in text
    assert "last status Running" in text and "ACS-BP_ACCOUNT_FACTORY_" in text
    assert "pulumi up` again to resume" in text

    # Still stuck: a second attempt waits on the same account (and times out again), no new account.
    short = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="3s"))
    with pytest.raises(ProviderError):
        stack.create(opts=short, **NEW)
    assert len(stack.accounts_named("Team A dev")) == 1
    assert stack.emulator.state()["calls"]["EnrollAccount"] == 1


def test_transient_faults_are_retried_and_enroll_exactly_once(stack: AccountStack) -> None:
    stack.emulator.set_faults([
        {"action": "*", "code": "Throttling.User", "http_status": 400, "times": 3},
        {"action": "GetEnrolledAccount", "code": "InternalError", "http_status": 500, "times": 2},
        {"action": "ListEnrolledAccounts", "code": "ServiceUnavailable", "http_status": 503, "times": 2},
        {"action": "EnrollAccount", "code": "DeployConflict.Blueprint", "http_status": 400, "times": 1},
        {"action": "GetEnrolledAccount", "kind": "drop", "times": 2},
    ])
    deployed = stack.create(**NEW)
    assert deployed.outputs["status"] == "Finished"
    assert len(stack.accounts_named("Team A dev")) == 1
    fired = [rule["injected"] for rule in stack.emulator.get_faults()]
    assert fired == [3, 2, 2, 1, 2], fired  # every kind of fault really happened


@pytest.mark.parametrize("lost_answer", [
    {"kind": "drop"},
    {"code": "InternalError", "http_status": 500},
    {"code": "ServiceUnavailable", "http_status": 503},  # says nothing about whether it was carried out
], ids=["connection-dropped", "http-500", "http-503"])
def test_a_lost_enroll_answer_is_looked_up_not_enrolled_twice(stack: AccountStack, lost_answer: dict) -> None:
    stack.emulator.set_faults([{"action": "EnrollAccount", "after_processing": True, "times": 1, **lost_answer}])
    deployed = stack.create(**NEW)
    assert deployed.outputs["status"] == "Finished"
    [account] = stack.accounts_named("Team A dev")
    assert account["AccountUid"] == deployed.account_uid
    assert stack.emulator.state()["calls_ok"]["EnrollAccount"] == 1


def test_a_lost_enroll_answer_is_found_even_when_the_listing_lags(stack: AccountStack) -> None:
    """The listing shows a new account only seconds later (eventual consistency): the provider keeps
    looking before it would send EnrollAccount again."""
    stack.emulator.update_settings(list_lag_seconds=6)  # longer than a few seconds of looking
    stack.emulator.set_faults([{"action": "EnrollAccount", "kind": "drop", "after_processing": True, "times": 1}])
    deployed = stack.create(**NEW)
    [account] = stack.accounts_named("Team A dev")
    assert account["AccountUid"] == deployed.account_uid and deployed.outputs["status"] == "Finished"
    assert stack.emulator.state()["calls_ok"]["EnrollAccount"] == 1


def test_an_enroll_that_never_answers_fails_saying_the_next_up_looks_first(stack: AccountStack) -> None:
    stack.emulator.set_faults([{"action": "EnrollAccount", "kind": "drop"}])
    after_sending = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=TIMEOUT_AFTER_SENDING))
    with pytest.raises(ProviderError) as failure:
        stack.create(opts=after_sending, **NEW)
    text = failure.value.details
    assert "ConnectionFailure" in text and "looks for the account first" in text and "no second account" in text
    assert stack.accounts() == []


def test_an_existing_account_whose_enrollment_failed_is_enrolled_again(stack: AccountStack) -> None:
    uid = MEMBER_ACCOUNT_UIDS[2]
    stack.emulator.add_outcome({"account_uid": uid, "status": "Failed"})
    with pytest.raises(ProviderError) as failure:
        stack.create("existing", account_uid=uid, tags={"team": "data"})
    assert "Failed" in failure.value.details and str(uid) in failure.value.details
    deployed = stack.create("existing", account_uid=uid, tags={"team": "data"})
    assert deployed.outputs["status"] == "Finished"
    assert enrollments_of(stack, uid) == 2


def test_an_existing_account_already_enrolling_with_these_settings_is_joined(stack: AccountStack) -> None:
    from account_factory_testing.sdk import enroll, sdk_client

    uid = MEMBER_ACCOUNT_UIDS[2]
    enroll(sdk_client(stack.emulator.endpoint), account_uid=uid, baseline_id=CUSTOM_BASELINE_ID, tags={"team": "data"})
    deployed = stack.create("existing", account_uid=uid, baseline_id=CUSTOM_BASELINE_ID, tags={"team": "data"})
    assert deployed.outputs["status"] == "Finished"
    assert enrollments_of(stack, uid) == 1  # waited on the running enrollment, did not start another


def test_an_update_honours_its_custom_timeout(stack: AccountStack) -> None:
    deployed = stack.create(**NEW)
    stack.emulator.add_outcome({"account_uid": deployed.account_uid, "status": "Stuck"})
    short = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(update="2s"))
    with pytest.raises(ProviderError) as failure:
        stack.update(deployed, opts=short, **{**NEW, "tags": {"env": "prod"}})
    assert "timed out after 2s" in failure.value.details and "CustomTimeouts(update=" in failure.value.details


def test_an_account_left_by_an_interrupted_run_under_other_settings_is_named(
        stack: AccountStack, engine: FakeEngine) -> None:
    """The user changes a new-account setting (the prefix) after a timed-out create: a new account is
    right, but the first one must not be left behind unnoticed."""
    stack.emulator.add_outcome({"display_name": "Team A dev", "status": "Stuck"})
    after_sending = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=TIMEOUT_AFTER_SENDING))
    with pytest.raises(ProviderError):
        stack.create(opts=after_sending, **NEW)
    [stuck] = stack.accounts_named("Team A dev")
    deployed = stack.create(**{**NEW, "account_name_prefix": "team-a-development"})
    assert deployed.account_uid != stuck["AccountUid"]
    warnings = [m.message for m in engine.messages_for(deployed.urn) if m.severity == engine_pb2.WARNING]
    assert any(str(stuck["AccountUid"]) in w and f"account_uid={stuck['AccountUid']}" in w for w in warnings), warnings


def test_baseline_items_may_be_an_output_of_baseline_item_args() -> None:
    from alicloud_account_factory import BaselineItemArgs, EnrolledAccount
    from account_factory_testing.registration import capture_registrations

    def program() -> None:
        items = pulumi.Output.from_input("main").apply(
            lambda name: [BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_VPC", config={"VpcName": name})])
        EnrolledAccount("acct", account_uid=MEMBER_ACCOUNT_UIDS[0], baseline_items=items)

    [registration] = [r for r in capture_registrations(program) if r.name == "acct"]
    assert registration.inputs["baseline_items"] == [
        {"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": {"VpcName": "main"}, "skip": False}]  # None is not sent


def test_delete_needs_no_working_configuration(engine: FakeEngine) -> None:
    """`pulumi destroy` must not be blocked by a half-configured key pair that delete never uses."""
    from account_factory_testing.accounts import ACCESS_KEY_ID
    from account_factory_testing.provider_server import ProviderServer

    registration = register("gone", **NEW)
    last_outputs = {key: registration.inputs[key] for key in ("__provider", "resource_urn")}
    with ProviderServer(engine.address) as broken:
        broken.configure({"alicloud:accessKey": ACCESS_KEY_ID})
        broken.delete("1431653632361234", registration.urn, last_outputs)
    assert any("stays enrolled" in m.message for m in engine.messages_for(registration.urn))


def enrollments_of(stack: AccountStack, uid: int) -> int:
    return next(m["enrollments"] for m in stack.emulator.state()["directory"]["member_accounts"] if m["account_uid"] == uid)


def test_other_api_errors_fail_at_once_with_code_message_and_request_id(stack: AccountStack) -> None:
    with pytest.raises(ProviderError) as failure:
        stack.create(**{**NEW, "folder_id": "fd-DoesNotExist"})
    text = failure.value.details
    assert "EnrollAccount failed: InvalidParameter" in text and "FolderId" in text and "RequestId" in text
    assert "Check this resource's folder_id" in text  # the service names its parameter, we name the argument
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


def test_an_account_uid_beyond_float64_stays_exact_end_to_end(stack: AccountStack) -> None:
    """9123456789012345 as a float64 is ...344: the id, the outputs and the API calls keep every digit."""
    [big] = [uid for uid in MEMBER_ACCOUNT_UIDS if float(uid) != uid]
    deployed = stack.create("big", account_uid=str(big), tags={"team": "analytics"})
    assert deployed.id == str(big)
    assert deployed.outputs["account_uid"] == str(big)  # digits, because a number would lose the last one
    assert [a["AccountUid"] for a in stack.accounts()] == [big]
    fresh = stack.read(deployed)
    assert fresh is not None and fresh.id == str(big) and fresh.outputs["account_uid"] == str(big)
    assert stack.diff(fresh, account_uid=str(big), tags={"team": "analytics"}).changes == "none"


def test_a_404_that_does_not_say_not_found_is_an_error_not_a_vanished_account(stack: AccountStack) -> None:
    deployed = stack.create(**NEW)
    stack.emulator.set_faults([{"action": "GetEnrolledAccount", "code": "Gateway.Misrouted", "http_status": 404}])
    with pytest.raises(ProviderError) as failure:
        stack.read(deployed)
    assert "Gateway.Misrouted" in failure.value.details


def test_a_key_the_service_does_not_know_is_an_error_not_a_vanished_account(
        stack: AccountStack, engine: FakeEngine) -> None:
    """The gateway answers 404 InvalidAccessKeyId.NotFound: refresh must fail, not drop the resource."""
    from account_factory_testing.accounts import provider_config
    from account_factory_testing.provider_server import ProviderServer

    deployed = stack.create(**NEW)
    with ProviderServer(engine.address) as stranger:
        stranger.configure({**provider_config(stack.emulator.endpoint), "alicloud:accessKey": "LTAI5tNobodyKnowsMe"})
        with pytest.raises(ProviderError) as failure:
            stranger.read(deployed.id, deployed.urn, deployed.outputs, deployed.inputs)
    assert "InvalidAccessKeyId.NotFound" in failure.value.details
