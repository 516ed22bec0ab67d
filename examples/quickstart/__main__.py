"""Quickstart: a new account in a folder, enrolled with the default baseline.

`pulumi up` creates the account and blocks until its baseline is applied; the outputs show
where it stands. Config (all optional): displayName, accountNamePrefix, folderId.
"""

import pulumi

from alicloud_account_factory import EnrolledAccount

config = pulumi.Config()

account = EnrolledAccount(
    "team-a-dev",
    account_name_prefix=config.get("accountNamePrefix") or "team-a-dev",
    display_name=config.get("displayName") or "Team A development",
    folder_id=config.get("folderId") or "fd-Sandbox001",
    tags={"team": "a", "env": "dev"},
    opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="90m", update="90m")),
)

# account_id: the AccountUid as a string of digits, exact at any size (stack outputs carry numbers
# as float64, so an exported account_uid would be read back as a float).
pulumi.export("account_id", account.account_id)
pulumi.export("status", account.status)
pulumi.export("progress", account.progress)
