"""A baseline with the resource options from config (`protect`, `retainOnDelete`), and an
optional account using it (`withAccount`); `adoptId` takes over an existing baseline; `name` (default
"net") and `aliasOf` (an earlier name: an alias) name the baseline resource."""

import pulumi

from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount

config = pulumi.Config()
alias_of = config.get("aliasOf")
baseline = AccountFactoryBaseline(
    config.get("name") or "net", baseline_name="options-net",
    baseline_items=[BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT")], baseline_id=config.get("adoptId"),
    opts=pulumi.ResourceOptions(protect=config.get_bool("protect") or False,
                                retain_on_delete=config.get_bool("retainOnDelete") or False,
                                aliases=[pulumi.Alias(name=alias_of)] if alias_of else None))
if config.get_bool("withAccount"):
    EnrolledAccount("acct", account_name_prefix="options-a", display_name="Options A", baseline_id=baseline.baseline_id)
pulumi.export("baseline_id", baseline.baseline_id)
