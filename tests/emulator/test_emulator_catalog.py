"""The item catalog a user extends (a `--catalog` file, the control API), through the real SDK over HTTP.

A program that names a real baseline item the emulator does not model must work against it once the
item is added; what the emulator does with an added item is what it does with a built-in one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import (
    MEMBER_ACCOUNT_UIDS,
    Emulator,
    EmulatorAdmin,
    EmulatorAdminError,
    StateFileError,
)
from emulator_support import make_client, run_cli, running, sdk_error, wait_until

VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
PASSWORD_POLICY = "ACS-BP_ACCOUNT_FACTORY_RAM_USER_PASSWORD_POLICY"
SUBSCRIBE_SERVICES = "ACS-BP_ACCOUNT_FACTORY_SUBSCRIBE_SERVICES"
GUARDRAILS = "ACS-BP_ACCOUNT_FACTORY_GUARDRAILS"  # a name this test makes up: the real one is not published
PRIVATE_ZONE = "ACS-BP_ACCOUNT_FACTORY_PRIVATE_ZONE"
#: The config terraform-provider-alicloud's alicloud_governance_baseline tests send for the password policy.
TERRAFORM_PASSWORD_POLICY = {"MinimumPasswordLength": 8, "RequireLowercaseCharacters": True,
                             "RequireUppercaseCharacters": True, "RequireNumbers": True, "RequireSymbols": True,
                             "MaxPasswordAge": 0, "HardExpiry": False, "PasswordReusePrevention": 0,
                             "MaxLoginAttempts": 0}

GUARDRAILS_ITEM = {
    "name": GUARDRAILS, "versions": ["1.0", "2.0"], "type": "Security", "description": "Guardrails",
    "config": {"Rules": ["rd-deny-leave"]},
    "config_schema": {"type": "object", "required": ["Rules"],
                      "properties": {"Rules": {"type": "array", "items": {"type": "string"}, "minItems": 1}}},
}
PRIVATE_ZONE_ITEM = {"name": PRIVATE_ZONE, "depends_on": [VPC]}


def item(name: str, config: Any = None, version: str | None = None,
         cls: type = m.CreateAccountFactoryBaselineRequestBaselineItems) -> Any:
    return cls(name=name, config=json.dumps(config) if config is not None else None, version=version)


def create(client: Client, *items: Any) -> str:
    request = m.CreateAccountFactoryBaselineRequest(baseline_name="extended", baseline_items=list(items))
    return client.create_account_factory_baseline(request).body.baseline_id


def listed(client: Client, **filters: Any) -> dict[tuple[str, str], Any]:
    body = client.list_account_factory_baseline_items(
        m.ListAccountFactoryBaselineItemsRequest(max_results=100, **filters)).body
    assert body.next_token is None
    return {(row.name, row.version): row for row in body.baseline_items}


def catalog_file(tmp_path: Path, payload: Any) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(payload))
    return path


# ---- the built-in catalog --------------------------------------------------------------


def test_the_real_items_from_terraform_are_built_in_with_their_configs_checked(client: Client) -> None:
    rows = listed(client)
    assert {(PASSWORD_POLICY, "1.0"), (SUBSCRIBE_SERVICES, "1.0")} <= set(rows)
    baseline_id = create(client, item(PASSWORD_POLICY, TERRAFORM_PASSWORD_POLICY),
                         item(SUBSCRIBE_SERVICES, {"EnabledServices": ["CONFIG"], "EnabledServiceConfigurations": []}))
    body = client.get_account_factory_baseline(m.GetAccountFactoryBaselineRequest(baseline_id=baseline_id)).body
    assert json.loads(body.baseline_items[0].config) == TERRAFORM_PASSWORD_POLICY

    too_short = sdk_error(lambda: create(client, item(PASSWORD_POLICY, {**TERRAFORM_PASSWORD_POLICY,
                                                                         "MinimumPasswordLength": 4})))
    assert (too_short.code, too_short.status_code) == ("InvalidParameter", 400)
    assert "BaselineItems.1.Config" in too_short.message and "MinimumPasswordLength must be at least 8" in too_short.message
    wrong_type = sdk_error(lambda: create(client, item(SUBSCRIBE_SERVICES, {"EnabledServices": "CONFIG"})))
    assert "EnabledServices must be an array, not a string" in wrong_type.message
    # A key the schema does not describe is taken: the service may know more keys than the emulator.
    create(client, item(PASSWORD_POLICY, {"MinimumPasswordDifferentCharacter": 2}))


def test_an_enrollment_override_is_checked_against_the_items_schema(client: Client) -> None:
    enroll = m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0], baseline_items=[
        m.EnrollAccountRequestBaselineItems(name=PASSWORD_POLICY, config=json.dumps({"RequireNumbers": "yes"}))])
    error = sdk_error(lambda: client.enroll_account(enroll))
    assert error.code == "InvalidParameter" and "BaselineItems.1.Config" in error.message
    assert "RequireNumbers must be a boolean, not a string" in error.message


# ---- a catalog file at start --------------------------------------------------------------


def test_items_of_a_catalog_file_are_listed_used_and_applied_like_built_in_ones(tmp_path: Path) -> None:
    path = catalog_file(tmp_path, {"items": [GUARDRAILS_ITEM, PRIVATE_ZONE_ITEM]})
    with Emulator(enroll_seconds=0.5, catalog_file=path) as emu:
        client = make_client(emu)
        rows = listed(client)
        assert {(GUARDRAILS, "1.0"), (GUARDRAILS, "2.0"), (PRIVATE_ZONE, "1.0")} <= set(rows)
        assert rows[(GUARDRAILS, "2.0")].type == "Security"
        assert rows[(PRIVATE_ZONE, "1.0")].type == "AccountFactory"  # the reference's type, when none is given
        assert [(d.name, d.version) for d in rows[(PRIVATE_ZONE, "1.0")].depends_on] == [(VPC, "1.0")]
        assert set(listed(client, names=[GUARDRAILS], versions=["2.0"])) == {(GUARDRAILS, "2.0")}

        assert sdk_error(lambda: create(client, item(PRIVATE_ZONE))).code == "DependencyViolation.BaselineItem"
        assert "version 3.0" in sdk_error(lambda: create(client, item(GUARDRAILS, version="3.0"))).message
        bad = sdk_error(lambda: create(client, item(GUARDRAILS, {"Rules": []})))
        assert "BaselineItems.1.Config" in bad.message and "Rules must have at least 1 entry" in bad.message
        baseline_id = create(client, item(PRIVATE_ZONE), item(GUARDRAILS, version="2.0"), item(VPC))
        body = client.get_account_factory_baseline(m.GetAccountFactoryBaselineRequest(baseline_id=baseline_id)).body
        # Application order: the built-ins, then the added items in the order they were defined.
        assert [(i.name, i.version) for i in body.baseline_items] == [(VPC, "1.0"), (GUARDRAILS, "2.0"),
                                                                      (PRIVATE_ZONE, "1.0")]
        assert json.loads(body.baseline_items[1].config) == {"Rules": ["rd-deny-leave"]}  # its default config

        uid = MEMBER_ACCOUNT_UIDS[1]
        client.enroll_account(m.EnrollAccountRequest(account_uid=uid, baseline_id=baseline_id, baseline_items=[
            m.EnrollAccountRequestBaselineItems(name=GUARDRAILS, config=json.dumps({"Rules": ["a", "b"]}))]))
        wait_until(lambda: client.get_enrolled_account(
            m.GetEnrolledAccountRequest(account_uid=uid)).body.status == "Finished")
        enrolled = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
        assert [(p.name, p.status) for p in enrolled.progress] == [(VPC, "Finished"), (GUARDRAILS, "Finished"),
                                                                   (PRIVATE_ZONE, "Finished")]
        assert sources(EmulatorAdmin(emu.endpoint).catalog())[GUARDRAILS] == "file"


def sources(catalog: list[dict[str, Any]]) -> dict[str, str]:
    return {entry["name"]: entry["source"] for entry in catalog}


def test_the_cli_takes_a_catalog_file_and_refuses_a_bad_one_at_start(tmp_path: Path) -> None:
    path = catalog_file(tmp_path, [GUARDRAILS_ITEM])
    with running("--catalog", str(path)) as (proc, endpoint):
        assert (GUARDRAILS, "2.0") in listed(make_client(endpoint))
        code, stderr = proc.stop()
    assert code == 0 and f"catalog {path}" in stderr

    bad = catalog_file(tmp_path, [{**GUARDRAILS_ITEM, "versions": "1.0"}])
    refused = run_cli("--catalog", str(bad))
    assert refused.returncode == 2 and refused.stdout == ""
    assert f"catalog file {bad}: catalog item 1 ({GUARDRAILS}): versions must be a non-empty list" in refused.stderr
    missing = run_cli("--catalog", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and f"cannot read catalog file {tmp_path / 'nope.json'}" in missing.stderr
    (tmp_path / "broken.json").write_text("[{")
    broken = run_cli("--catalog", str(tmp_path / "broken.json"))
    assert broken.returncode == 2 and "is not valid JSON" in broken.stderr


# ---- the control API ---------------------------------------------------------------------


def test_items_added_at_run_time_are_listed_at_once_and_reset_drops_them(tmp_path: Path) -> None:
    with Emulator(enroll_seconds=0.5, catalog_file=catalog_file(tmp_path, [GUARDRAILS_ITEM])) as emu:
        admin, client = EmulatorAdmin(emu.endpoint), make_client(emu)
        assert (PRIVATE_ZONE, "1.0") not in listed(client)
        catalog = admin.add_catalog_items(PRIVATE_ZONE_ITEM)
        assert sources(catalog)[PRIVATE_ZONE] == "api" and sources(catalog)[VPC] == "builtin"
        assert (PRIVATE_ZONE, "1.0") in listed(client)
        create(client, item(VPC), item(PRIVATE_ZONE))

        admin.reset()
        assert PRIVATE_ZONE not in sources(admin.catalog())
        assert sources(admin.catalog())[GUARDRAILS] == "file"  # what it started with stays


@pytest.mark.parametrize("definitions, complaint", [
    ({"versions": ["1.0"]}, "catalog item 1: name must be a baseline item name"),
    ({"name": "acs-bp_account_factory_x"}, "name must be a baseline item name"),
    ({"name": VPC}, f"catalog item 1 ({VPC}) is already in the catalog (built in)"),
    ({"name": GUARDRAILS, "version": "1.0"}, "unknown key(s) 'version'"),
    ({"name": GUARDRAILS, "versions": []}, "versions must be a non-empty list"),
    ({"name": GUARDRAILS, "versions": ["1.0", "v2"]}, "versions must be a non-empty list of versions such as"),
    ({"name": GUARDRAILS, "versions": ["1.0", "1.0"]}, "versions lists a version twice"),
    ({"name": GUARDRAILS, "config": ["a"]}, "config (the default config) must be a JSON object"),
    ({"name": GUARDRAILS, "config_schema": {"type": "object", "pattern": "x"}},
     "config_schema uses 'pattern', which the emulator does not check"),
    ({"name": GUARDRAILS, "config_schema": {"type": "array"}}, "config_schema must describe a JSON object"),
    ({"name": GUARDRAILS, "config_schema": {"properties": {"N": {"type": "int"}}}},
     "config_schema.properties.N.type must be one of"),
    ({**GUARDRAILS_ITEM, "config": {"Rules": []}},
     "the default config does not fit config_schema: Rules must have at least 1 entry"),
    ({"name": PRIVATE_ZONE, "depends_on": ["ACS-BP_ACCOUNT_FACTORY_VCP"]},
     "depends on 'ACS-BP_ACCOUNT_FACTORY_VCP', which is not in the catalog: did you mean 'ACS-BP_ACCOUNT_FACTORY_VPC'?"),
    ({"name": PRIVATE_ZONE, "depends_on": [PRIVATE_ZONE]}, "depends on itself"),
    ("ACS-BP_ACCOUNT_FACTORY_X", "must be a JSON object (one item), a list of them"),
    # All or nothing: the first item is fine, the second is not, and neither is added.
    ([GUARDRAILS_ITEM, {"name": PRIVATE_ZONE, "depends_on": "VPC"}],
     f"catalog item 2 ({PRIVATE_ZONE}): depends_on must be a list"),
])
def test_a_malformed_definition_is_refused_saying_what_is_wrong_and_adds_nothing(
        emu: Emulator, definitions: Any, complaint: str) -> None:
    admin = EmulatorAdmin(emu.endpoint)
    before = admin.catalog()
    with pytest.raises(EmulatorAdminError) as refused:
        admin.add_catalog_items(definitions)
    assert refused.value.status == 400 and complaint in refused.value.message, refused.value.message
    assert admin.catalog() == before


def test_an_item_may_depend_on_one_defined_before_it_in_the_same_list(emu: Emulator) -> None:
    admin = EmulatorAdmin(emu.endpoint)
    admin.add_catalog_items([GUARDRAILS_ITEM, {"name": PRIVATE_ZONE, "depends_on": [GUARDRAILS]}])
    assert next(e for e in admin.catalog() if e["name"] == PRIVATE_ZONE)["depends_on"] == [GUARDRAILS]
    again = pytest.raises(EmulatorAdminError, admin.add_catalog_items, GUARDRAILS_ITEM)
    assert "already in the catalog (added through the control API)" in again.value.message


# ---- restarts --------------------------------------------------------------------------------


def test_items_added_at_run_time_survive_a_restart_with_the_state_file(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Emulator(state_file=state) as emu:
        EmulatorAdmin(emu.endpoint).add_catalog_items(GUARDRAILS_ITEM)
        baseline_id = create(make_client(emu), item(GUARDRAILS, {"Rules": ["x"]}))
    with Emulator(state_file=state) as emu:
        assert (GUARDRAILS, "2.0") in listed(make_client(emu))
        body = make_client(emu).get_account_factory_baseline(m.GetAccountFactoryBaselineRequest(baseline_id=baseline_id)).body
        assert [i.name for i in body.baseline_items] == [GUARDRAILS]


def test_a_state_that_uses_an_item_of_a_catalog_file_needs_that_file_to_start(tmp_path: Path) -> None:
    state, path = tmp_path / "state.json", catalog_file(tmp_path, [GUARDRAILS_ITEM])
    with Emulator(state_file=state, catalog_file=path) as emu:
        baseline_id = create(make_client(emu), item(GUARDRAILS))
    with pytest.raises(StateFileError) as refused:
        Emulator(state_file=state).start()
    assert (f"baseline {baseline_id} uses baseline item {GUARDRAILS}, which is not in the catalog: start the "
            "emulator with the --catalog file that defines it") in str(refused.value)
    with Emulator(state_file=state, catalog_file=path) as emu:  # with the file it starts, as before
        assert (GUARDRAILS, "1.0") in listed(make_client(emu))


def test_an_item_added_at_run_time_that_the_catalog_file_now_defines_too_stops_the_start(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with Emulator(state_file=state) as emu:
        EmulatorAdmin(emu.endpoint).add_catalog_items(GUARDRAILS_ITEM)
    with pytest.raises(StateFileError) as refused:
        Emulator(state_file=state, catalog_file=catalog_file(tmp_path, [GUARDRAILS_ITEM])).start()
    assert (f"the state's catalog items (added through the control API): catalog item 1 ({GUARDRAILS}) is already "
            "in the catalog (from the --catalog file)") in str(refused.value)
