"""A Python program on the generated Python SDK (sdk/python) and the native plugin, moved from the dynamic
provider (tests/e2e/test_native_python_migration.py): the account the dynamic `EnrolledAccount("team", ...)`
enrolled is the native resource's, through an alias to the dynamic resource's type. Config `env`: a tag.
"""

import pulumi
import pulumi_alicloud_account_factory as af

#: The type the dynamic provider's EnrolledAccount is registered with (alicloud_account_factory.resource).
DYNAMIC_TYPE = "pulumi-python:dynamic/alicloud-account-factory:EnrolledAccount"

config = pulumi.Config()
team = af.EnrolledAccount(
    "team",
    account_name_prefix="py-team",
    display_name="Python team",
    tags={"env": config.get("env") or "dev"},
    opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=DYNAMIC_TYPE)]),
)

pulumi.export("account_uid", team.account_uid)
pulumi.export("status", team.status)
pulumi.export("tags", team.tags)
