"""One EnrolledAccount whose name, aliases, timeout and replacement style come from stack config.

Config (all optional): name (default "acct"), aliasOf (an earlier name of the resource),
createTimeout (e.g. "1s"), deleteBeforeReplace ("true" or "false"; unset: the resource's default), displayName,
tag (a tag value).
"""

import pulumi

from alicloud_account_factory import EnrolledAccount

config = pulumi.Config()
alias_of = config.get("aliasOf")
account = EnrolledAccount(
    config.get("name") or "acct",
    account_name_prefix="stack-acct",
    display_name=config.get("displayName") or "Stack account",
    tags={"tag": config.get("tag") or "one"},
    opts=pulumi.ResourceOptions(
        aliases=[pulumi.Alias(name=alias_of)] if alias_of else None,
        custom_timeouts=pulumi.CustomTimeouts(create=config.get("createTimeout") or "10m"),
        delete_before_replace=config.get_bool("deleteBeforeReplace"),  # None: the resource's default
    ),
)
pulumi.export("account_uid", account.account_uid)
