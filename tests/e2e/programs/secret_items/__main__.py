"""One resource whose baseline item config holds two secrets: one from `pulumi config set --secret`,
one read from a file and wrapped with `pulumi.Output.secret(...)` (the CLI knows only the first).

Config: `resource` (`account` or `baseline`), `token` (secret), `itemFile` (a path), `vpcName`
(changes the item configs: an update), `timeout` (the create and update custom timeout).
"""

from pathlib import Path

import pulumi

from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount

config = pulumi.Config()
from_config = config.require_secret("token")
from_file = pulumi.Output.secret(Path(config.require("itemFile")).read_text(encoding="utf-8"))
items = [
    BaselineItemArgs(name="ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION",
                     config=pulumi.Output.all(from_config, from_file).apply(
                         lambda tokens: {"WebhookToken": tokens[0], "SigningKey": tokens[1]})),
    BaselineItemArgs(name="ACS-BP_ACCOUNT_FACTORY_VPC",
                     config={"VpcName": config.get("vpcName") or "main", "CidrBlock": "10.0.0.0/16"}),
]
timeout = config.get("timeout")
options = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create=timeout, update=timeout))

if config.require("resource") == "account":
    resource: pulumi.CustomResource = EnrolledAccount(
        "secret-account", account_name_prefix="secret-items", display_name="Secret items",
        folder_id="fd-Sandbox001", baseline_items=items, opts=options)
else:
    resource = AccountFactoryBaseline("secret-baseline", baseline_name="secret-items", description="secrets in items",
                                      baseline_items=items, opts=options)
pulumi.export("id", resource.id)
