"""One EnrolledAccount whose name, aliases, timeout and replacement style come from stack config.

Config (all optional): name (default "acct"), aliasOf (an earlier name of the resource),
createTimeout (e.g. "1s"), deleteBeforeReplace ("true" or "false"; unset: the resource's default), displayName,
tag (a tag value), accountUid (enroll that existing account instead of a new one), retainOnDelete
("true": the engine never calls Delete), replaceOnChanges (one input path whose change replaces).
"""

import pulumi

from alicloud_account_factory import EnrolledAccount

config = pulumi.Config()
alias_of = config.get("aliasOf")
account_uid = config.get("accountUid")
replace_on = config.get("replaceOnChanges")
account = EnrolledAccount(
    config.get("name") or "acct",
    account_name_prefix=None if account_uid else "stack-acct",
    display_name=None if account_uid else config.get("displayName") or "Stack account",
    account_uid=account_uid,
    tags={"tag": config.get("tag") or "one"},
    opts=pulumi.ResourceOptions(
        aliases=[pulumi.Alias(name=alias_of)] if alias_of else None,
        custom_timeouts=pulumi.CustomTimeouts(create=config.get("createTimeout") or "10m"),
        delete_before_replace=config.get_bool("deleteBeforeReplace"),  # None: the resource's default
        retain_on_delete=config.get_bool("retainOnDelete"),
        replace_on_changes=[replace_on] if replace_on else None,
    ),
)
pulumi.export("account_uid", account.account_uid)
