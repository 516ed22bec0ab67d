"""A second stack that uses the accounts the downstream example vends, through a StackReference.

The producer exports each account's `account_id`: the AccountUid as its string of digits. Read as
a string, it is exact at any size and goes into ARNs and other resources' arguments as it is. (A
number output would come back a float64: `acs:ram::1570492569859844.0:role/admin`.)
Config: producer, the producer stack's name, e.g. organization/account-factory-downstream/dev.
"""

from collections.abc import Mapping

import pulumi

config = pulumi.Config()
producer = pulumi.StackReference(config.require("producer"))
accounts = producer.require_output("accounts")  # {"shared": "1570492569859844", "orders": ...}


def admin_role_arns(account_ids: Mapping[str, str]) -> dict[str, str]:
    """The RAM role every vended account gets an administrator role at (one per account)."""
    return {name: f"acs:ram::{account_id}:role/admin" for name, account_id in account_ids.items()}


pulumi.export("admin_role_arns", accounts.apply(admin_role_arns))
