"""get_baseline_items / get_baselines / get_baseline: a program's look-ups, through the real SDK.

The programs run under `pulumi.runtime.set_mocks` (preview and up) with stack config pointing
at the emulator; the look-ups call the emulator over HTTP from the program's process.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc

from account_factory_testing.accounts import SECRET, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.registration import program_outputs, unwrap_secrets
from account_factory_testing.stack import StackHarness
from alicloud_account_factory import get_baseline, get_baseline_items, get_baselines
from alicloud_account_factory.baselines.client import BaselineClient
from alicloud_account_factory.emulator import CUSTOM_BASELINE_ID, DEFAULT_BASELINE_ID, Emulator, EmulatorAdmin
from alicloud_account_factory.core.errors import ApiError, ConfigurationError
from alicloud_account_factory.core.settings import ENDPOINT_ENV, ProviderSettings
from alicloud_account_factory.core.timeouts import Deadline

VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
PROGRAMS = Path(__file__).parent / "programs"


def outputs_of(program: Any, config: dict[str, str], *, preview: bool = False) -> dict[str, Any]:
    return program_outputs(program, config=config, preview=preview)


def calls(emulator: Emulator) -> dict[str, int]:
    return dict(emulator.state()["calls"])


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_lookups_answer_in_preview_and_up(emulator: Emulator, preview: bool) -> None:
    def program() -> None:
        pulumi.export("vpc", get_baseline_items(names=[VPC]))
        pulumi.export("network", get_baseline_items(type="Network", versions=["1.0"]))
        pulumi.export("baselines", get_baselines())
        pulumi.export("default", get_baseline(DEFAULT_BASELINE_ID))

    outputs = outputs_of(program, provider_config(emulator.endpoint), preview=preview)
    assert [(r["name"], r["version"]) for r in outputs["vpc"]] == [(VPC, "1.0"), (VPC, "1.1")]
    assert {r["type"] for r in outputs["network"]} == {"Network"}
    assert all(r["version"] == "1.0" for r in outputs["network"])
    sg = next(r for r in outputs["network"] if r["name"] == "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP")
    assert sg["depends_on"] == [{"name": VPC, "type": "Network", "version": "1.0"}]
    assert {b["baseline_id"]: b["type"] for b in outputs["baselines"]} == {
        DEFAULT_BASELINE_ID: "System", CUSTOM_BASELINE_ID: "Custom"}
    assert rpc.is_rpc_secret(outputs["default"])  # item configs may hold secrets
    default = unwrap_secrets(outputs["default"])
    assert default["baseline_id"] == DEFAULT_BASELINE_ID and default["region_id"] == "cn-hangzhou"
    assert default["baseline_items"] and {"name", "config", "version"} <= set(default["baseline_items"][0])
    assert SECRET not in repr(outputs)  # credentials never reach an Output
    assert calls(emulator) == {"ListAccountFactoryBaselineItems": 2, "ListAccountFactoryBaselines": 1,
                               "GetAccountFactoryBaseline": 1}


def test_an_unknown_id_is_an_unknown_answer_without_a_call(emulator: Emulator) -> None:
    def program() -> None:
        unknown = pulumi.Output(set(), _future(None), _future(False))  # an id not known before `up`
        pulumi.export("baseline", get_baseline(unknown))

    outputs = outputs_of(program, provider_config(emulator.endpoint), preview=True)
    # The answer is secret: pulumi 3.260 drops the secret mark of an unknown, 3.272 keeps it.
    assert unwrap_secrets(outputs["baseline"]) == rpc.UNKNOWN
    assert calls(emulator) == {}


def test_a_missing_baseline_and_a_broken_config_are_named(emulator: Emulator) -> None:
    with pytest.raises(ApiError, match="there is no baseline 'afb-nope' .*get_baselines\\(\\) lists"):
        outputs_of(lambda: pulumi.export("b", get_baseline("afb-nope")), provider_config(emulator.endpoint))
    config = {k: v for k, v in provider_config(emulator.endpoint).items() if k != "alicloud:secretKey"}
    with pytest.raises(ConfigurationError, match="set alicloud:secretKey too"):
        outputs_of(lambda: pulumi.export("b", get_baselines()), config)


def test_the_endpoint_override_and_a_secret_baseline_id(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # No endpoint in stack config: ALIBABA_CLOUD_GOVERNANCE_ENDPOINT is used, as by the provider.
    monkeypatch.setenv(ENDPOINT_ENV, emulator.endpoint)
    config = {k: v for k, v in provider_config(emulator.endpoint).items() if not k.endswith(":endpoint")}

    def program() -> None:
        pulumi.export("b", get_baseline(pulumi.Output.secret(CUSTOM_BASELINE_ID)))

    raw = outputs_of(program, config)
    assert rpc.is_rpc_secret(raw["b"])  # a secret argument keeps the answer secret
    assert unwrap_secrets(raw)["b"]["baseline_name"] == "Network baseline"


def test_every_page_is_followed(emulator: Emulator) -> None:
    settings = ProviderSettings.from_config(provider_config(emulator.endpoint).get)
    client = BaselineClient(settings, settings.region, page_size=2)
    rows = client.list_baseline_items(Deadline.after(60))
    versions = sum(len(item["versions"]) for item in emulator.catalog())  # 11: 9 items, 2 with two versions
    assert len(rows) == versions and calls(emulator)["ListAccountFactoryBaselineItems"] == math.ceil(versions / 2)
    assert len({(r["Name"], r["Version"]) for r in rows}) == versions


def test_items_added_to_the_emulators_catalog_are_looked_up_like_built_in_ones(emulator: Emulator) -> None:
    """A real item the emulator does not model, added at run time, is what get_baseline_items answers."""
    EmulatorAdmin(emulator.endpoint).add_catalog_items({
        "name": "ACS-BP_ACCOUNT_FACTORY_PRIVATE_ZONE", "versions": ["1.0", "1.1"], "description": "PrivateZone",
        "depends_on": [VPC]})

    def program() -> None:
        pulumi.export("zone", get_baseline_items(names=["ACS-BP_ACCOUNT_FACTORY_PRIVATE_ZONE"]))
        pulumi.export("all", get_baseline_items())

    outputs = outputs_of(program, provider_config(emulator.endpoint))
    assert outputs["zone"] == [
        {"name": "ACS-BP_ACCOUNT_FACTORY_PRIVATE_ZONE", "version": version, "type": "AccountFactory",
         "description": "PrivateZone", "depends_on": [{"name": VPC, "type": "Network", "version": "1.0"}]}
        for version in ("1.0", "1.1")]
    assert outputs["all"][-2:] == outputs["zone"]  # after the built-in items: applied after them


def test_a_lookup_of_a_new_baseline_in_preview_and_up(emulator: Emulator, engine: FakeEngine) -> None:
    """A new stack: in preview the baseline's id is unknown, so are the look-up and the account's
    baseline_id; `up` creates the baseline first and the look-up answers with it."""
    with ProviderServer(engine.address) as server:
        stack = StackHarness(PROGRAMS / "baseline_lookup.py", server, config=provider_config(emulator.endpoint))
        plan = stack.preview()
        assert sorted(plan.steps.values()) == ["create", "create", "create"]  # baseline, account, stack identity
        assert plan.stack_outputs["looked_up"] == rpc.UNKNOWN
        assert plan.stack_outputs["baseline_id"] == rpc.UNKNOWN
        assert calls(emulator) == {}
        outputs = stack.up().stack_outputs
    assert outputs["looked_up"]["baseline_id"] == outputs["baseline_id"] == outputs["account_baseline_id"]
    assert outputs["looked_up"]["baseline_name"] == "lookup-net"


def _future(value: Any) -> Any:
    future: asyncio.Future[Any] = asyncio.get_event_loop().create_future()
    future.set_result(value)
    return future


def test_lookup_rows_are_typed(emulator: Emulator) -> None:
    """Rows are the output types their signatures name (attributes an IDE knows), and still dicts."""

    def program() -> None:
        pulumi.export("baselines", get_baselines().apply(lambda rows: sorted({type(r).__name__ for r in rows})))
        pulumi.export("security_group", get_baseline_items(names=["ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"]).apply(
            lambda rows: [type(rows[0]).__name__, type(rows[0].depends_on[0]).__name__, rows[0].depends_on[0].name]))
        pulumi.export("default", get_baseline(DEFAULT_BASELINE_ID).apply(
            lambda found: [type(found).__name__, found.baseline_id, type(found.baseline_items[0]).__name__,
                           found["baseline_items"][0].name]))

    outputs = unwrap_secrets(outputs_of(program, provider_config(emulator.endpoint)))
    assert outputs["baselines"] == ["BaselineSummary"]
    assert outputs["security_group"] == ["BaselineCatalogItem", "BaselineItemDependency", VPC]
    default = outputs["default"]
    assert default[:3] == ["GetBaselineResult", DEFAULT_BASELINE_ID, "AccountFactoryBaselineItem"] and default[3]
