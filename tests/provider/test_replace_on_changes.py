"""`replace_on_changes` through the real provider server, for every resource of the package.

The engine applies the option only to a provider's detailed diff (or changed keys), and the Python
dynamic provider server sends neither: without the provider applying it, the option is dropped
silently. Both resources apply it with Pulumi's own path rules (`resource.PropertyPath.Contains`):
a path replaces the resource when a change lies at or under it; `*` stands for any one key or index;
a path deeper than what changed (`tags.team` when only `tags.env` changed) does not replace.
"""

from __future__ import annotations

import inspect
from typing import Any

import pulumi
import pulumi.dynamic
import pytest

import alicloud_account_factory
from account_factory_testing.accounts import AccountStack, Deployed
from account_factory_testing.baselines import baseline_stack
from account_factory_testing.provider_server import ProviderServer
from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount
from alicloud_account_factory.emulator import Emulator

VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
SG = "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"
ACCOUNT = dict(account_name_prefix="roc-team", display_name="Replace on changes", tags={"env": "dev"})
BASELINE = dict(baseline_name="roc-network", description="VPC and SG",
                baseline_items=[BaselineItemArgs(VPC, config={"Vpcs": [{"VpcName": "main", "CidrBlock": "10.0.0.0/16"}]},
                                                 version="1.1"),
                                BaselineItemArgs(SG)])
OTHER_CIDR = [BaselineItemArgs(VPC, config={"Vpcs": [{"VpcName": "main", "CidrBlock": "10.1.0.0/16"}]}, version="1.1"),
              BaselineItemArgs(SG)]

#: Per resource: its arguments, and (replace_on_changes, changed arguments, what Diff must replace).
CASES: dict[type, tuple[dict[str, Any], list[tuple[list[str], dict[str, Any], list[str]]]]] = {
    EnrolledAccount: (ACCOUNT, [
        (["tags"], {"tags": {"env": "prod"}}, ["tags"]),
        (["tags.env"], {"tags": {"env": "prod"}}, ["tags"]),
        (['tags["env"]'], {"tags": {"env": "prod"}}, ["tags"]),
        (["tags.team"], {"tags": {"env": "prod"}}, []),  # deeper than the change: no new (billed) account
        (["tags.team"], {"tags": {"env": "dev", "team": "a"}}, ["tags"]),
        (["*"], {"tags": {"env": "prod"}}, ["tags"]),
        (["baseline_items"], {"tags": {"env": "prod"}}, []),
        (["tags"], {}, []),  # no change, nothing to replace
    ]),
    AccountFactoryBaseline: (BASELINE, [
        (["description"], {"description": "changed"}, ["description"]),
        (["*"], {"description": "changed"}, ["description"]),
        (["baseline_name"], {"description": "changed"}, []),
        (["baseline_items[*].config.Vpcs"], {"baseline_items": OTHER_CIDR}, ["baseline_items"]),
        (["baseline_items[0].config.Vpcs[0].CidrBlock"], {"baseline_items": OTHER_CIDR}, ["baseline_items"]),
        (["baseline_items[*].config.Vpcs[*].VpcName"], {"baseline_items": OTHER_CIDR}, []),
        (["baseline_items[1]"], {"baseline_items": OTHER_CIDR}, []),
        (["baseline_items[*].version"], {"baseline_items": OTHER_CIDR}, []),
    ]),
}


def _resources_of_the_package() -> set[type]:
    exported = (getattr(alicloud_account_factory, name) for name in alicloud_account_factory.__all__)
    return {value for value in exported if inspect.isclass(value) and issubclass(value, pulumi.dynamic.Resource)}


def test_every_resource_of_the_package_is_covered_here() -> None:
    """A resource added later gets its row in CASES, so that its provider is shown to apply the option."""
    assert _resources_of_the_package() == set(CASES)


@pytest.mark.parametrize("resource", list(CASES), ids=lambda resource: resource.__name__)
def test_diff_replaces_exactly_where_the_paths_say(resource: type, server: ProviderServer, stack: AccountStack,
                                                   emulator: Emulator) -> None:
    driver = stack if resource is EnrolledAccount else baseline_stack(server, emulator)
    arguments, cases = CASES[resource]
    deployed: Deployed = driver.create("roc", **arguments)
    wrong = []
    for paths, changed, replaces in cases:
        diff = driver.diff(deployed, opts=pulumi.ResourceOptions(replace_on_changes=paths), **{**arguments, **changed})
        if sorted(diff.replaces) != replaces:
            wrong.append(f"replace_on_changes={paths}, {sorted(changed)} changed: replaces {diff.replaces}, "
                         f"expected {replaces}")
    assert not wrong, "\n".join(wrong)
