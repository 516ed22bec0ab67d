"""Enroll an account that already exists in the resource directory.

The baseline comes from a custom Account Factory baseline, with two item overrides: the VPC
item gets its own configuration, and the default RAM domain item is skipped. Changing the
baseline, its items or the tags later re-applies the baseline to the same account.
Config: accountUid (defaults to a member account of the local emulator), baselineId, vpcName,
costCenter.
"""

import pulumi

from alicloud_account_factory import BaselineItemArgs, EnrolledAccount

config = pulumi.Config()

account = EnrolledAccount(
    "payments-prod",
    account_uid=config.get("accountUid") or "1207465839102347",
    baseline_id=config.get("baselineId") or "afb-bp1n7hx3vq9lm2ty0a5c",
    baseline_items=[
        BaselineItemArgs(
            name="ACS-BP_ACCOUNT_FACTORY_VPC",
            config={"VpcName": config.get("vpcName") or "payments-main", "CidrBlock": "10.20.0.0/16"},
            version="1.0",
        ),
        BaselineItemArgs(name="ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN", skip=True),
    ],
    tags={"team": "payments", "env": "prod", "cost-center": config.get("costCenter") or "cc-1042"},
)

pulumi.export("account_id", account.account_id)
pulumi.export("baseline_id", account.baseline_id)
pulumi.export("status", account.status)
pulumi.export("progress", account.progress)
