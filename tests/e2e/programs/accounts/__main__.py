"""A program whose accounts come from the stack config, so that a test changes them by changing the config.

Config `accounts`: a JSON object, resource name -> EnrolledAccount arguments, plus these test knobs:
`custom_timeouts` ({"create": "3s"}), `tag_with_uid_of` (another account's name: its AccountUid
becomes the tag `peer`, an input unknown in preview), `get` (an AccountUid: read it with
EnrolledAccount.get instead of managing it), `aliases` (old names of this resource),
`replace_on_changes`, `delete_before_replace` and `import_` (resource options).
"""

from typing import Any

import pulumi

from alicloud_account_factory import BaselineItemArgs, EnrolledAccount

config = pulumi.Config()
accounts: dict[str, EnrolledAccount] = {}

for name, spec in (config.get_object("accounts") or {}).items():
    arguments: dict[str, Any] = dict(spec)
    if "get" in arguments:
        accounts[name] = EnrolledAccount.get(name, account_uid=arguments["get"])
        continue
    timeouts = arguments.pop("custom_timeouts", None)
    peer = arguments.pop("tag_with_uid_of", None)
    aliases = [pulumi.Alias(name=old) for old in arguments.pop("aliases", [])]
    options = pulumi.ResourceOptions(
        custom_timeouts=pulumi.CustomTimeouts(**timeouts) if timeouts else None,
        aliases=aliases or None,
        replace_on_changes=arguments.pop("replace_on_changes", None),
        delete_before_replace=arguments.pop("delete_before_replace", None),
        import_=arguments.pop("import_", None),
    )
    if "baseline_items" in arguments:
        arguments["baseline_items"] = [BaselineItemArgs(**item) for item in arguments["baseline_items"]]
    if peer is not None:
        arguments["tags"] = {**arguments.get("tags", {}), "peer": accounts[peer].account_uid.apply(str)}
    accounts[name] = EnrolledAccount(name, opts=options, **arguments)

for name, account in accounts.items():
    pulumi.export(name, {
        "account_uid": account.account_uid,
        "status": account.status,
        "progress": account.progress,
        "display_name": account.display_name,
        "tags": account.tags,
        "baseline_id": account.baseline_id,
    })
