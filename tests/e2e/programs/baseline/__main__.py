"""A baseline and the accounts vended with it, configured from the stack so that a test changes them.

Config: `baselineName`, `vpcName` (the VPC item's VpcName), `webhookToken` (a secret: put in the
notification item's config), `accounts` (how many, default 2), `retainBaseline` (retain_on_delete),
`protectBaseline` (protect), `description`, `replaceOnChanges` (a JSON list: the replace_on_changes option),
`baselineResource` (the resource's name, default "platform-baseline"), `baselineAliasOf` (an earlier
name of it: an alias) and `followItems` (the accounts also take the baseline's items, as the roll-out
of docs/account-factory-baseline.md does).
"""

import pulumi

from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount

config = pulumi.Config()
token = config.get_secret("webhookToken")
items = [BaselineItemArgs(name="ACS-BP_ACCOUNT_FACTORY_VPC",
                          config={"VpcName": config.get("vpcName") or "main", "CidrBlock": "10.0.0.0/16"})]
if token is not None:
    items.append(BaselineItemArgs(name="ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION",
                                  config=token.apply(lambda value: {"WebhookToken": value})))

alias_of = config.get("baselineAliasOf")
baseline = AccountFactoryBaseline(
    config.get("baselineResource") or "platform-baseline",
    baseline_name=config.get("baselineName") or "platform",
    description=config.get("description") or "what every vended account gets",
    baseline_items=items,
    opts=pulumi.ResourceOptions(retain_on_delete=config.get_bool("retainBaseline") or False,
                                protect=config.get_bool("protectBaseline") or False,
                                replace_on_changes=config.get_object("replaceOnChanges"),
                                aliases=[pulumi.Alias(name=alias_of)] if alias_of else None),
)
count = config.get_int("accounts")
follow_items = config.get_bool("followItems") or False
accounts = [
    EnrolledAccount(f"team-{i}", account_name_prefix=f"bl-team-{i}", display_name=f"Baseline team {i}",
                    baseline_id=baseline.baseline_id,
                    baseline_items=baseline.baseline_items if follow_items else None)
    for i in range(2 if count is None else count)
]

pulumi.export("baseline_id", baseline.baseline_id)
pulumi.export("baseline_items", baseline.baseline_items)
pulumi.export("accounts", {f"team-{i}": {"account_uid": a.account_uid, "baseline_id": a.baseline_id,
                                         "status": a.status} for i, a in enumerate(accounts)})
