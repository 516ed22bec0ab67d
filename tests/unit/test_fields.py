"""check and diff, driven by the field table, without a server or an API."""

from __future__ import annotations

import pytest
from pulumi.output import UNKNOWN as UNKNOWN_VALUE
from pulumi.runtime.rpc import UNKNOWN

from alicloud_account_factory.accounts import fields
from alicloud_account_factory.accounts.model import ENROLLMENT_KEY_TAG, Enrollment

NEW = {"account_name_prefix": "team-a-prod", "display_name": "Team A production", "folder_id": "fd-Platform01"}
EXISTING = {"account_uid": 1431653632361234}


def failures_of(news: dict) -> dict[str, str]:
    _inputs, failures = fields.check(news)
    return dict(failures)


# --- check -------------------------------------------------------------------------------


def test_a_valid_new_account_passes_and_is_canonicalized() -> None:
    inputs, failures = fields.check({
        **NEW,
        "payer_account_uid": "1958331234567890",
        "tags": {"team": "a", "env": "prod"},
        "baseline_items": [{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": '{"b": 1, "a": [1, 2]}'}],
    })
    assert failures == []
    assert inputs["payer_account_uid"] == 1958331234567890
    assert list(inputs["tags"]) == ["env", "team"]
    assert inputs["baseline_items"] == [
        {"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": '{"a":[1,2],"b":1}', "skip": False, "version": None}
    ]


def test_a_new_account_needs_prefix_and_display_name() -> None:
    problems = failures_of({})
    assert set(problems) == {"account_name_prefix", "display_name"}
    assert "account_uid" in problems["display_name"]  # the message names the alternative


def test_existing_account_excludes_new_account_fields() -> None:
    problems = failures_of({**EXISTING, "display_name": "x", "folder_id": "fd-Platform01", "resell_account_type": "resell"})
    assert set(problems) == {"display_name", "folder_id", "resell_account_type"}
    assert all("remove" in reason for reason in problems.values())


@pytest.mark.parametrize("uid", [1431653632361234, 1431653632361234.0, "1431653632361234", " 1431653632361234 "])
def test_account_uid_accepts_int_exact_float_and_string(uid: object) -> None:
    inputs, failures = fields.check({"account_uid": uid})
    assert failures == []
    assert inputs["account_uid"] == 1431653632361234 and isinstance(inputs["account_uid"], int)


@pytest.mark.parametrize(
    "uid, hint",
    [(9.2e15, "as a string"), (1.5, "not an account id"), ("12ab", "digits"), (True, "boolean"), (12345, "15 or 16 digits")],
)
def test_account_uid_rejections_say_what_to_do(uid: object, hint: str) -> None:
    assert hint in failures_of({"account_uid": uid})["account_uid"]


def test_tags_limits() -> None:
    assert "at most 20" in failures_of({**EXISTING, "tags": {f"k{i}": "v" for i in range(21)}})["tags"]
    # a new account keeps one tag for the enrollment key
    assert ENROLLMENT_KEY_TAG in failures_of({**NEW, "tags": {f"k{i}": "v" for i in range(20)}})["tags"]
    assert failures_of({**EXISTING, "tags": {f"k{i}": "v" for i in range(20)}}) == {}
    assert "empty key" in failures_of({**NEW, "tags": {"": "v"}})["tags"]
    assert "reserved" in failures_of({**NEW, "tags": {ENROLLMENT_KEY_TAG: "x"}})["tags"]
    assert "string" in failures_of({**NEW, "tags": {"n": 3}})["tags"]


@pytest.mark.parametrize(
    "item, hint",
    [
        ({"config": "{}"}, "name is required"),
        ({"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": "{not json"}, "not valid JSON"),
        ({"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": "[1, 2]"}, "JSON object"),
        ({"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "skip": "yes"}, "True or False"),
        ({"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "confg": "{}"}, "unknown key"),
    ],
)
def test_baseline_item_rejections(item: dict, hint: str) -> None:
    reason = failures_of({**NEW, "baseline_items": [item]})["baseline_items"]
    assert hint in reason and "baseline_items[0]" in reason


def test_duplicate_baseline_items_are_rejected() -> None:
    item = {"name": "ACS-BP_ACCOUNT_FACTORY_VPC"}
    assert "twice" in failures_of({**NEW, "baseline_items": [item, item]})["baseline_items"]


@pytest.mark.parametrize(
    "field, value",
    [("resell_account_type", "wholesale"), ("folder_id", "folder-1"), ("baseline_id", "bp-123"),
     ("region_id", "Hangzhou"), ("account_name_prefix", "-bad prefix")],
)
def test_enums_and_ids_are_validated(field: str, value: str) -> None:
    assert field in failures_of({**NEW, field: value})


@pytest.mark.parametrize("unknown", [UNKNOWN, UNKNOWN_VALUE], ids=["wire-sentinel", "Unknown-object"])
def test_unknown_values_are_tolerated_during_preview(unknown: object) -> None:
    inputs, failures = fields.check({
        "account_name_prefix": unknown, "display_name": "x", "payer_account_uid": unknown,
        "tags": {"team": unknown}, "baseline_items": [{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": unknown}],
    })
    assert failures == []
    assert inputs["payer_account_uid"] is unknown


def test_custom_timeouts_are_checked() -> None:
    assert failures_of({**NEW, "custom_timeouts": {"create": "90m", "update": "1h30m"}}) == {}
    assert "Go duration" in failures_of({**NEW, "custom_timeouts": {"create": "ninety minutes"}})["custom_timeouts"]


# --- diff --------------------------------------------------------------------------------


def outputs_for(**overrides: object) -> dict:
    outs = {
        "account_uid": 1431653632361234, "account_name_prefix": "team-a-prod", "display_name": "Team A production",
        "folder_id": "fd-Platform01", "payer_account_uid": 1431653632361234, "baseline_id": "afb-Default001",
        "baseline_items": [], "tags": {}, "resell_account_type": None, "region_id": "cn-hangzhou", "status": "Finished",
    }
    outs.update(overrides)
    return outs


def changes(olds: dict, news: dict) -> dict[str, bool]:
    return {c.field: c.replaces for c in fields.diff(olds, news)}


def test_no_change_when_inputs_match_outputs() -> None:
    checked, _ = fields.check({**NEW})
    assert changes(outputs_for(), checked) == {}


def test_unset_scalars_are_the_services_choice() -> None:
    checked, _ = fields.check({"account_name_prefix": "team-a-prod", "display_name": "Team A production"})
    assert changes(outputs_for(), checked) == {}


@pytest.mark.parametrize(
    "field, value",
    [("display_name", "Renamed"), ("folder_id", "fd-Sandbox001"), ("account_name_prefix", "team-b"),
     ("payer_account_uid", 1958331234567890), ("resell_account_type", "non_resell"), ("region_id", "cn-shanghai")],
)
def test_replacing_fields(field: str, value: object) -> None:
    checked, _ = fields.check({**NEW, field: value})
    assert changes(outputs_for(), checked) == {field: True}


def test_account_uid_change_replaces() -> None:
    checked, _ = fields.check({"account_uid": 1958331234567890})
    assert changes(outputs_for(), checked) == {"account_uid": True}


@pytest.mark.parametrize(
    "field, value",
    [("baseline_id", "afb-Custom0001"), ("tags", {"env": "prod"}),
     ("baseline_items", [{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "skip": True}])],
)
def test_updating_fields(field: str, value: object) -> None:
    checked, _ = fields.check({**NEW, field: value})
    assert changes(outputs_for(), checked) == {field: False}


def test_removing_tags_or_items_is_a_change() -> None:
    checked, _ = fields.check({**NEW})
    assert changes(outputs_for(tags={"env": "prod"}), checked) == {"tags": False}
    item = {"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": None, "skip": True, "version": None}
    assert changes(outputs_for(baseline_items=[item]), checked) == {"baseline_items": False}


def test_config_compares_by_meaning_and_items_by_name() -> None:
    olds = outputs_for(baseline_items=[
        {"name": "B", "config": '{"x":1,"y":2}', "skip": False, "version": None},
        {"name": "A", "config": None, "skip": True, "version": "1.0"},
    ])
    checked, _ = fields.check({**NEW, "baseline_items": [
        {"name": "A", "skip": True, "version": "1.0"}, {"name": "B", "config": {"y": 2, "x": 1}},
    ]})
    assert changes(olds, checked) == {}


@pytest.mark.parametrize("unknown", [UNKNOWN, UNKNOWN_VALUE], ids=["wire-sentinel", "Unknown-object"])
def test_unknown_values_are_changes_and_replace_when_the_field_replaces(unknown: object) -> None:
    assert changes(outputs_for(), {**NEW, "folder_id": unknown}) == {"folder_id": True}
    assert changes(outputs_for(), {**NEW, "tags": {"env": unknown}}) == {"tags": False}


def test_timeouts_and_urn_never_cause_a_diff() -> None:
    checked, _ = fields.check({**NEW, "custom_timeouts": {"create": "2h"}, "resource_urn": "urn:pulumi:a::b::c::d"})
    assert changes(outputs_for(), checked) == {}


def test_a_failed_enrollment_found_by_refresh_is_enrolled_again() -> None:
    checked, _ = fields.check({**NEW})
    assert changes(outputs_for(status="Failed"), checked) == {"status": False}


# --- read --------------------------------------------------------------------------------


def test_outputs_read_every_field_and_hide_the_enrollment_key() -> None:
    body = {
        "AccountUid": 1431653632361234, "BaselineId": "afb-Default001", "DisplayName": "Renamed in console",
        "FolderId": "fd-Sandbox001", "PayerAccountUid": 1431653632361234, "MasterAccountUid": 1958330000000001,
        "Status": "Finished", "Initialized": True, "CreateTime": "2026-11-23T10:00:00Z", "UpdateTime": "2026-11-23T10:05:00Z",
        "Progress": [{"Name": "ACS-BP_ACCOUNT_FACTORY_VPC", "Status": "Finished"}],
        "BaselineItems": [{"Name": "ACS-BP_ACCOUNT_FACTORY_VPC", "Config": "{\"b\": 1}", "Version": "1.0"}],
        "Inputs": {"AccountNamePrefix": "team-a-prod", "Tag": [{"Key": "env", "Value": "prod"},
                                                               {"Key": ENROLLMENT_KEY_TAG, "Value": "abc"}]},
    }
    outs = fields.outputs(Enrollment.from_api(body), {"region_id": "cn-hangzhou", "resell_account_type": "resell"})
    assert outs["display_name"] == "Renamed in console"  # drift shows
    assert outs["folder_id"] == "fd-Sandbox001"
    assert outs["tags"] == {"env": "prod"}
    assert outs["account_name_prefix"] == "team-a-prod"
    assert outs["resell_account_type"] == "resell" and outs["region_id"] == "cn-hangzhou"
    assert outs["master_account_uid"] == 1958330000000001
    assert outs["applied_baseline_items"] == [
        {"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": '{"b":1}', "skip": False, "version": "1.0"}]
    assert outs["progress"] == [{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "status": "Finished"}]
    assert outs["error_info"] is None and outs["initialized"] is True


# --- exactness, keys, the resource's arguments ------------------------------------------------


def test_an_account_uid_above_2_53_stays_exact_from_check_to_request_and_outputs() -> None:
    big = "9123456789012345"  # a float64 would make it ...344
    inputs, failures = fields.check({"account_uid": big})
    assert failures == [] and inputs["account_uid"] == big  # kept as digits: a number would lose the last one
    assert fields.enroll_request(fields.normalized(inputs)).account_uid == 9123456789012345
    outs = fields.outputs(Enrollment.from_api({"AccountUid": 9123456789012345, "MasterAccountUid": 1958330000000001,
                                               "PayerAccountUid": 9123456789012345, "Status": "Finished"}), {})
    assert outs["account_uid"] == big and outs["payer_account_uid"] == big
    assert outs["master_account_uid"] == 1958330000000001  # small enough to stay a number
    assert changes(outs, inputs) == {}


def test_2_to_the_53_is_where_numbers_stop_being_trusted() -> None:
    # 9007199254740993 reaches the provider as the float 9007199254740992.0: never take it for an AccountUid
    assert "as a string" in failures_of({"account_uid": float(2**53)})["account_uid"]
    inputs, failures = fields.check({"account_uid": str(2**53)})
    assert failures == [] and inputs["account_uid"] == str(2**53)
    inputs, _ = fields.check({"account_uid": 2**53 - 1.0})
    assert inputs["account_uid"] == 2**53 - 1


def test_whole_numbers_of_a_dict_config_are_sent_as_integers() -> None:
    # Pulumi delivers {"Mask": 16} from a program as {"Mask": 16.0}
    inputs, _ = fields.check({**NEW, "baseline_items": [{"name": "VPC", "config": {"Mask": 16.0, "Ports": [80.0, 4.5]}}]})
    assert inputs["baseline_items"][0]["config"] == '{"Mask":16,"Ports":[80,4.5]}'
    as_text, _ = fields.check({**NEW, "baseline_items": [{"name": "VPC", "config": '{"Ports": [80, 4.5], "Mask": 16}'}]})
    assert changes(outputs_for(baseline_items=as_text["baseline_items"]), inputs) == {}


def test_the_enrollment_key_hashes_exactly_the_settings_whose_change_vends_a_new_account() -> None:
    keyed = {"account_name_prefix", "display_name", "folder_id", "payer_account_uid", "resell_account_type", "region_id"}
    assert set(fields.KEYED_FIELDS) == keyed  # tags, baseline and timeouts may change between runs
    for name in keyed:  # and a change to any of them replaces the resource, as diff says
        changed = {"region_id": "cn-shanghai", "payer_account_uid": 1958331234567890, "resell_account_type": "resell"}
        assert changes(outputs_for(), {**NEW, name: changed.get(name, "fd-Other0001" if name == "folder_id" else "other")}) \
            == {name: True}


def test_every_field_of_the_table_is_an_argument_of_the_resource_and_of_its_args() -> None:
    import inspect
    import typing

    from alicloud_account_factory import EnrolledAccount, EnrolledAccountArgs

    keyword_form = typing.get_overloads(EnrolledAccount.__init__)[-1]
    arguments = set(inspect.signature(keyword_form).parameters) - {"self", "resource_name", "opts"}
    assert arguments == set(fields.FIELDS_BY_NAME)
    assert set(inspect.signature(EnrolledAccountArgs).parameters) == set(fields.FIELDS_BY_NAME)
