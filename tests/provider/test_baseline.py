"""AccountFactoryBaseline end to end: the real provider server over gRPC, the emulator over HTTP."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Callable, Optional

import pulumi
import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET, AccountStack, Deployed, provider_config
from account_factory_testing.baselines import baseline_stack
from account_factory_testing.provider_server import ProviderError, ProviderServer
from account_factory_testing.registration import (
    TEST_STACK_IDENTITY_ENV,
    Registration,
    capture_registrations,
    program_outputs,
    unwrap_secrets,
)
from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, get_baseline, get_baselines
from alicloud_account_factory.baseline_resource import RESOURCE_TYPE
from alicloud_account_factory.emulator import DEFAULT_BASELINE_ID, Emulator
from alicloud_account_factory.accounts.fields import INPUTS_RECORD, RESOURCE_ALIASES, STACK_IDENTITY

VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
SG = "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"
CONTACT = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"
NETWORK = dict(baseline_name="team-network", description="VPC and SG",
               baseline_items=[BaselineItemArgs(VPC, config={"Vpcs": [{"VpcName": "main", "CidrBlock": "10.0.0.0/16"}]},
                                                version="1.1"),
                               BaselineItemArgs(SG)])


@pytest.fixture
def baselines(server: ProviderServer, emulator: Emulator) -> AccountStack:
    return baseline_stack(server, emulator)


def in_emulator(emulator: Emulator, baseline_id: str) -> dict | None:
    return next((b for b in emulator.state()["baselines"] if b["BaselineId"] == baseline_id), None)


def test_create_read_update_delete(baselines: AccountStack, emulator: Emulator) -> None:
    deployed = baselines.create("net", **NETWORK)
    outs = deployed.outputs
    assert outs["baseline_id"] == deployed.id and deployed.id.startswith("afb-")
    assert (outs["type"], outs["baseline_name"], outs["description"]) == ("Custom", "team-network", "VPC and SG")
    assert [(i["name"], i["version"]) for i in outs["baseline_items"]] == [(VPC, "1.1"), (SG, "1.0")]
    assert outs["create_time"] and outs["update_time"] and outs["region_id"] == "cn-hangzhou"
    assert in_emulator(emulator, deployed.id)["BaselineName"] == "team-network"

    assert baselines.read(deployed).outputs == outs
    # The same config spelt another way, items in another order: no change.
    reordered = dict(NETWORK, baseline_items=[BaselineItemArgs(SG), BaselineItemArgs(
        VPC, config='{"Vpcs": [{"CidrBlock": "10.0.0.0/16", "VpcName": "main"}]}', version="1.1")])
    assert baselines.diff(deployed, **reordered).changes == "none"

    changed = dict(NETWORK, baseline_items=[BaselineItemArgs(CONTACT)])
    diff = baselines.diff(deployed, **changed)
    assert diff.changes == "some" and diff.replaces == []
    updated = baselines.update(deployed, **changed)
    assert [i["name"] for i in updated.outputs["baseline_items"]] == [CONTACT]
    assert [i["Name"] for i in in_emulator(emulator, deployed.id)["BaselineItems"]] == [CONTACT]

    baselines.delete(updated)
    assert in_emulator(emulator, deployed.id) is None
    assert baselines.read(updated) is None  # refresh of a deleted baseline drops it from state


def test_drift_shows_on_refresh(baselines: AccountStack, emulator: Emulator) -> None:
    from alibabacloud_governance20210120 import models as m
    from tests.emulator.emulator_support import make_client

    deployed = baselines.create("net", **NETWORK)
    make_client(emulator, ACCESS_KEY_ID, SECRET).update_account_factory_baseline(m.UpdateAccountFactoryBaselineRequest(
        baseline_id=deployed.id, description="changed by hand"))
    refreshed = baselines.read(deployed)
    assert refreshed.outputs["description"] == "changed by hand"
    assert baselines.server.diff(refreshed.id, refreshed.urn, refreshed.outputs, deployed.inputs).changes == "some"


def test_check_names_the_field_and_the_fix_before_any_call(baselines: AccountStack) -> None:
    calls_before = baselines.calls()
    cases = {
        "baseline_name": dict(NETWORK, baseline_name=" "),
        "baseline_items": dict(NETWORK, baseline_items=[BaselineItemArgs("vpc")]),
    }
    for field, args in cases.items():
        _registration, checked = baselines.check("net", **args)
        assert [f for f, _ in checked.failures] == [field], checked.failures
    _r, checked = baselines.check("net", **dict(NETWORK, baseline_items=[BaselineItemArgs(VPC, version="latest")]))
    assert "baseline_items[0].version 'latest' is not a version such as '1.0'" in checked.failures[0][1]
    _r, checked = baselines.check("net", **dict(NETWORK, baseline_items=[BaselineItemArgs(VPC, config="{nope")]))
    assert "baseline_items[0].config is not valid JSON" in checked.failures[0][1]
    _r, checked = baselines.check("net", baseline_items=[BaselineItemArgs(VPC)])
    assert checked.failures[0][0] == "baseline_name" and "is required" in checked.failures[0][1]
    # A description sent anew (a new baseline's, or a changed one, which an update would otherwise send
    # without the mark) leaves room for the mark; an unchanged one of a baseline made before the mark
    # keeps the service's 256.
    _r, checked = baselines.check("net", **dict(NETWORK, description="d" * 231))
    assert checked.failures == [("description", checked.failures[0][1])] and "at most 230" in checked.failures[0][1]
    _r, checked = baselines.check("net", olds={"baseline_name": "team-network", "description": "short"},
                                  **dict(NETWORK, description="d" * 231))
    assert [f for f, _ in checked.failures] == ["description"] and "at most 230" in checked.failures[0][1]
    _r, checked = baselines.check("net", olds={"baseline_name": "team-network", "description": "d" * 256},
                                  **dict(NETWORK, description="d" * 256))
    assert checked.failures == []
    assert baselines.calls() == calls_before


def test_catalog_answers_items_it_does_not_know_at_create(baselines: AccountStack) -> None:
    with pytest.raises(ProviderError) as info:
        baselines.create("net", baseline_name="bad", baseline_items=[BaselineItemArgs(VPC, version="9.9")])
    assert "has no version '9.9': the catalog lists 1.0, 1.1" in info.value.details
    with pytest.raises(ProviderError) as info:
        baselines.create("net", baseline_name="bad", baseline_items=[BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_VCP")])
    assert f"did you mean '{VPC}'?" in info.value.details and "baseline_items" in info.value.details
    with pytest.raises(ProviderError) as info:
        baselines.create("net", baseline_name="bad", baseline_items=[BaselineItemArgs(SG)])
    assert f"depends on '{VPC}': add it to baseline_items" in info.value.details


def test_an_interrupted_create_leaves_one_baseline(baselines: AccountStack, emulator: Emulator) -> None:
    # The service creates the baseline but the answer is lost: the provider finds it by name.
    emulator.set_faults([{"action": "CreateAccountFactoryBaseline", "kind": "drop", "after_processing": True,
                          "times": 1}])
    deployed = baselines.create("net", **NETWORK)
    named = [b for b in emulator.state()["baselines"] if b["BaselineName"] == "team-network"]
    assert [b["BaselineId"] for b in named] == [deployed.id]
    # A second `up` after an interruption between create and state: adopted, not duplicated.
    again = baselines.create("net", **dict(NETWORK, description="second try"))
    assert again.id == deployed.id and again.outputs["description"] == "second try"
    assert in_emulator(emulator, deployed.id)["Description"].startswith("second try [pulumi:")
    assert emulator.state()["calls"].get("CreateAccountFactoryBaseline") == 1


def test_delete_of_a_baseline_in_use_names_the_accounts(baselines: AccountStack, stack: AccountStack,
                                                         emulator: Emulator) -> None:
    baseline = baselines.create("net", baseline_name="in-use", baseline_items=[BaselineItemArgs(CONTACT)])
    account = stack.create("acct", account_name_prefix="team-b", display_name="Team B", baseline_id=baseline.id)
    with pytest.raises(ProviderError) as info:
        baselines.delete(baseline)
    assert f"Team B ({account.id})" in info.value.details
    assert "retain_on_delete" in info.value.details
    assert in_emulator(emulator, baseline.id) is not None  # nothing half-deleted


def test_a_secret_item_config_keeps_baseline_items_secret(baselines: AccountStack, engine: object) -> None:
    def program() -> None:
        secret = pulumi.Output.secret({"Vpcs": [{"VpcName": "s3cr3t-vpc"}]})
        AccountFactoryBaseline("net", baseline_name="s", baseline_items=[BaselineItemArgs(VPC, config=secret)])

    registrations = capture_registrations(program)
    [registration] = [r for r in registrations if r.type_ == RESOURCE_TYPE]
    assert registration.inputs["baseline_items"][0]["config"] == {"Vpcs": [{"VpcName": "s3cr3t-vpc"}]}
    # The provider reports the value only under baseline_items and the record of the inputs, both of
    # which the resource marks secret.
    assert {"baseline_items", INPUTS_RECORD} <= set(registration.additional_secret_outputs)
    deployed = baselines.create("net", baseline_name="s", baseline_items=[
        BaselineItemArgs(VPC, config={"Vpcs": [{"VpcName": "s3cr3t-vpc"}]})])
    elsewhere = {k: v for k, v in deployed.outputs.items() if k not in ("baseline_items", INPUTS_RECORD, "__provider")}
    assert "s3cr3t-vpc" not in json.dumps(elsewhere)
    assert "s3cr3t-vpc" not in baselines.server.stderr_text()


def test_an_enrolled_account_overriding_an_unknown_item_is_told_the_closest_name(stack: AccountStack,
                                                                                  emulator: Emulator) -> None:
    typo = [BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_VCP", config={"Vpcs": []})]
    with pytest.raises(ProviderError) as info:
        stack.create("acct", account_name_prefix="team-c", display_name="Team C", baseline_items=typo)
    assert f"'ACS-BP_ACCOUNT_FACTORY_VCP' is not in the catalog: did you mean '{VPC}'?" in info.value.details
    assert "baseline_items" in info.value.details and "InvalidBaselineItem.NotFound" in info.value.details
    assert stack.accounts() == []  # refused before anything was enrolled

    account = stack.create("acct", account_name_prefix="team-c", display_name="Team C",
                           baseline_items=[BaselineItemArgs(CONTACT)])
    with pytest.raises(ProviderError) as info:
        stack.update(account, account_name_prefix="team-c", display_name="Team C",
                     baseline_items=[BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_ACOUNT_CONTACT")])
    assert f"did you mean '{CONTACT}'?" in info.value.details
    # The catalog is read only after a refusal: once per refused enrollment.
    assert emulator.state()["calls"]["ListAccountFactoryBaselineItems"] == 2


# --- whose baseline it is: the mark in the description -----------------------------------------


def created_directly(emulator: Emulator, name: str, description: str) -> str:
    """A baseline made outside this stack (the console, another tool): no mark of any resource."""
    from alibabacloud_governance20210120 import models as m
    from tests.emulator.emulator_support import make_client

    return str(make_client(emulator, ACCESS_KEY_ID, SECRET).create_account_factory_baseline(
        m.CreateAccountFactoryBaselineRequest(baseline_name=name, description=description, baseline_items=[
            m.CreateAccountFactoryBaselineRequestBaselineItems(name=CONTACT)])).body.baseline_id)


def named(emulator: Emulator, name: str) -> list[dict]:
    return [b for b in emulator.state()["baselines"] if b["BaselineName"] == name]


def test_the_mark_stays_out_of_every_description_users_read(baselines: AccountStack, emulator: Emulator) -> None:
    deployed = baselines.create("net", **NETWORK)
    stored = in_emulator(emulator, deployed.id)["Description"]
    assert stored.startswith("VPC and SG [pulumi:") and stored.endswith("]")  # what the console shows
    assert deployed.outputs["description"] == "VPC and SG"
    assert baselines.read(deployed).outputs["description"] == "VPC and SG"
    bare = baselines.create("bare", baseline_name="bare", baseline_items=[BaselineItemArgs(CONTACT)])
    assert bare.outputs["description"] == "" and in_emulator(emulator, bare.id)["Description"].startswith("[pulumi:")

    def program() -> None:
        pulumi.export("listed", get_baselines())
        pulumi.export("one", get_baseline(deployed.id))

    looked_up = program_outputs(program, config=provider_config(emulator.endpoint))
    assert {b["baseline_id"]: b["description"] for b in looked_up["listed"]}[deployed.id] == "VPC and SG"
    assert unwrap_secrets(looked_up["one"])["description"] == "VPC and SG"


def test_a_same_named_baseline_of_another_stack_is_neither_adopted_nor_doubled(
        baselines: AccountStack, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same program and resource name in another stack (another organization or backend: its
    own StackIdentity) must not take this stack's baseline over, nor make a second one of the name."""
    monkeypatch.setenv(TEST_STACK_IDENTITY_ENV, "stack-a")
    theirs = baselines.create("net", **NETWORK)
    monkeypatch.setenv(TEST_STACK_IDENTITY_ENV, "stack-b")
    with pytest.raises(ProviderError) as refused:
        baselines.create("net", **dict(NETWORK, description="stack b's"))
    assert f"'team-network' already exists in cn-hangzhou ({theirs.id}" in refused.value.details
    assert f"baseline_id='{theirs.id}'" in refused.value.details and "baseline_name" in refused.value.details
    assert [b["BaselineId"] for b in named(emulator, "team-network")] == [theirs.id]
    assert in_emulator(emulator, theirs.id)["Description"].startswith("VPC and SG [")  # untouched
    assert emulator.state()["calls"]["CreateAccountFactoryBaseline"] == 1
    assert "UpdateAccountFactoryBaseline" not in emulator.state()["calls"]

    # Asked to, stack b takes it over: updated to its program's values, and marked as its own.
    taken = baselines.create("net", **dict(NETWORK, description="stack b's", baseline_id=theirs.id))
    assert taken.id == theirs.id and taken.outputs["description"] == "stack b's"
    assert baselines.diff(taken, **dict(NETWORK, description="stack b's", baseline_id=theirs.id)).changes == "none"
    assert baselines.create("net", **dict(NETWORK, description="stack b's")).id == theirs.id  # its own now
    other = baselines.diff(taken, **dict(NETWORK, description="stack b's", baseline_id="afb-bpotherbaseline01"))
    assert other.changes == "some" and other.replaces == ["baseline_id"]


def test_a_baseline_made_in_the_console_is_not_adopted(baselines: AccountStack, emulator: Emulator) -> None:
    console = created_directly(emulator, "team-network", "made by hand")
    with pytest.raises(ProviderError) as refused:
        baselines.create("net", **NETWORK)
    assert console in refused.value.details and "not this resource's" in refused.value.details
    assert [b["BaselineId"] for b in named(emulator, "team-network")] == [console]
    assert in_emulator(emulator, console)["Description"] == "made by hand"
    # The System baseline cannot be taken over, and an id that does not exist is named.
    with pytest.raises(ProviderError) as system:
        baselines.create("net", **dict(NETWORK, baseline_id=DEFAULT_BASELINE_ID))
    assert "System baseline" in system.value.details and "baseline_id" in system.value.details
    with pytest.raises(ProviderError) as missing:
        baselines.create("net", **dict(NETWORK, baseline_id="afb-bpnosuchbaseline0"))
    assert "there is no baseline afb-bpnosuchbaseline0 in cn-hangzhou" in missing.value.details


def test_an_interrupted_create_is_adopted_after_a_rename(baselines: AccountStack, emulator: Emulator) -> None:
    """Its mark, not its name, makes a baseline this resource's: renamed between an interrupted run
    and the next, the resource still finds the baseline it made."""
    emulator.set_faults([{"action": "CreateAccountFactoryBaseline", "kind": "drop", "after_processing": True,
                          "times": 1}])
    first = baselines.create("net", **NETWORK)  # found again at once after the lost answer
    again = baselines.create("net", **dict(NETWORK, baseline_name="team-network-2"))  # the state was lost meanwhile
    assert again.id == first.id and again.outputs["baseline_name"] == "team-network-2"
    assert named(emulator, "team-network") == [] and len(named(emulator, "team-network-2")) == 1
    assert emulator.state()["calls"]["CreateAccountFactoryBaseline"] == 1


def test_a_state_written_before_the_mark_keeps_working(baselines: AccountStack, emulator: Emulator) -> None:
    """A baseline created by a build without the mark: refresh shows no drift, an unchanged program
    no diff, and an update writes the mark in."""
    baseline_id = created_directly(emulator, "older", "from an older build")
    program = dict(baseline_name="older", description="from an older build", baseline_items=[BaselineItemArgs(CONTACT)])
    registration, checked = baselines.check("older", **program)
    old_inputs = {k: v for k, v in checked.inputs.items()
                  if k not in (STACK_IDENTITY, RESOURCE_ALIASES, "baseline_id")}  # not registered then
    refreshed = baselines.read(Deployed(registration.urn, baseline_id, old_inputs,
                                        {"__provider": old_inputs["__provider"]}))
    assert refreshed is not None and refreshed.outputs["description"] == "from an older build"
    assert baselines.diff(refreshed, **program).changes == "none"
    updated = baselines.update(refreshed, **dict(program, description="updated"))
    assert updated.outputs["description"] == "updated"
    assert in_emulator(emulator, baseline_id)["Description"].startswith("updated [pulumi:")


# --- issue 18, item 1: the stack or the project renamed ------------------------------------------


def _registered_in(stack: str, project: str = "project") -> Callable[..., Registration]:
    """What `AccountFactoryBaseline(...)` registers in a stack and project of these names."""
    def register(name: str, opts: Optional[pulumi.ResourceOptions] = None, **kwargs: Any) -> Registration:
        registrations = capture_registrations(lambda: AccountFactoryBaseline(name, opts=opts, **kwargs),
                                              project=project, stack=stack)
        return next(r for r in registrations if r.type_ == RESOURCE_TYPE)
    return register


@pytest.mark.parametrize("renamed", [{"stack": "prod"}, {"project": "renamed"}], ids=["stack", "project"])
def test_an_interrupted_create_is_adopted_after_the_stack_or_project_is_renamed(
        server: ProviderServer, emulator: Emulator, renamed: dict[str, str]) -> None:
    """`pulumi stack rename` (into another project too) keeps the StackIdentity and rewrites the URNs:
    the mark, and the attempt record, must still say the baseline is this resource's."""
    before = AccountStack(server, emulator, _registered_in("stack"))
    first = before.create("net", **NETWORK)  # its answer never reached the state: the `up` was interrupted
    after = AccountStack(server, emulator, _registered_in(**{"stack": "stack", **renamed}))
    again = after.create("net", **dict(NETWORK, description="after the rename"))
    assert again.id == first.id and again.outputs["description"] == "after the rename"
    assert [b["BaselineId"] for b in named(emulator, "team-network")] == [first.id]
    assert emulator.state()["calls"]["CreateAccountFactoryBaseline"] == 1


def _mark_written_before_renames_were_kept(urn: str, stack_identity: str) -> str:
    """The mark builds up to 2c1bf42 wrote: a hash of the stack's identity and the whole URN (the stack
    and project names in it), spelt out as those builds computed it."""
    material = f"{stack_identity}\n{urn}"
    return f"[pulumi:{hashlib.sha256(material.encode()).hexdigest()[:16]}]"


def test_a_baseline_marked_by_an_earlier_build_is_adopted_and_never_doubled_after_a_rename(
        server: ProviderServer, emulator: Emulator) -> None:
    """Under the names it was made under, an earlier build's interrupted create is adopted by its mark.
    After a rename its mark cannot be told from another stack's (it hashes the old names with the
    identity): create fails on the name, naming `baseline_id=`, and makes no second baseline."""
    urn = f"urn:pulumi:stack::project::{RESOURCE_TYPE}::net"
    mark = _mark_written_before_renames_were_kept(urn, os.environ[TEST_STACK_IDENTITY_ENV])  # this test's stack
    earlier = created_directly(emulator, "team-network", f"VPC and SG {mark}")
    renamed = AccountStack(server, emulator, _registered_in("prod"))
    with pytest.raises(ProviderError) as refused:
        renamed.create("net", **NETWORK)
    assert f"baseline_id='{earlier}'" in refused.value.details
    adopted = AccountStack(server, emulator, _registered_in("stack")).create("net", **NETWORK)
    assert adopted.id == earlier and [b["BaselineId"] for b in named(emulator, "team-network")] == [earlier]
    assert emulator.state()["calls"]["CreateAccountFactoryBaseline"] == 1  # created_directly's
