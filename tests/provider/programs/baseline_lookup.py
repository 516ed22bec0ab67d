"""A new stack: a baseline, an account on it, and a look-up of the baseline by its (unknown in preview) id."""

import pulumi

from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount, get_baseline

baseline = AccountFactoryBaseline("net", baseline_name="lookup-net",
                                  baseline_items=[BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT")])
account = EnrolledAccount("acct", account_name_prefix="lookup-a", display_name="Lookup A",
                          baseline_id=baseline.baseline_id)
pulumi.export("baseline_id", baseline.baseline_id)
pulumi.export("looked_up", get_baseline(baseline.baseline_id))
pulumi.export("account_baseline_id", account.baseline_id)
