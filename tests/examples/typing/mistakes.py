"""Mistakes a program can make with this package's types, each of which mypy must report.

Never run, only type-checked (tests/examples/test_typing.py): every line that ends in an `# E:`
comment must get an error containing the comment's text, and no other line may get one. With outputs typed `list[Any]` or
`dict`, most of these would pass unnoticed.
"""

import pulumi

from alicloud_account_factory import (
    AccountFactoryBaseline,
    AccountFactoryBaselineArgs,
    BaselineItemArgs,
    EnrolledAccount,
    EnrolledAccountArgs,
    get_baseline,
    get_baseline_items,
    get_baselines,
)
from alicloud_account_factory import EnrolledAcount  # E: Module "alicloud_account_factory" has no attribute "EnrolledAcount"

account = EnrolledAccount("team-a", account_name_prefix="team-a", display_name="Team A")
baseline = AccountFactoryBaseline("network", baseline_name="network",
                                  baseline_items=[BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_VPC")])

# Outputs: each entry, record and row has a type of its own.
pulumi.export("first", account.progress.apply(lambda entries: entries[0].upper()))  # E: "EnrolledAccountProgress" has no attribute "upper"
pulumi.export("code", account.error_info.apply(lambda info: info.code))  # E: Item "None" of "EnrolledAccountErrorInfo | None" has no attribute "code"
pulumi.export("skip", account.applied_baseline_items.apply(lambda items: items[0].skip + "x"))  # E: Unsupported operand types for + ("bool" and "str")
pulumi.export("uid", account.account_uid.apply(lambda uid: uid + 1))  # E: Unsupported operand types for + ("str" and "int")
pulumi.export("id", account.account_id.apply(lambda text: text + 1))  # E: Unsupported operand types for + ("str" and "int")
pulumi.export("tag", account.tags.apply(lambda tags: tags["team"] + 1))  # E: Unsupported operand types for + ("str" and "int")
pulumi.export("items", baseline.baseline_items.apply(lambda items: items[0].skip))  # E: "AccountFactoryBaselineItem" has no attribute "skip"

# Look-ups return typed rows.
pulumi.export("ids", get_baselines().apply(lambda rows: rows[0].baseline_id + 1))  # E: Unsupported operand types for + ("str" and "int")
pulumi.export("deps", get_baseline_items().apply(lambda rows: rows[0].depends_on[0].nme))  # E: "BaselineItemDependency" has no attribute "nme"
pulumi.export("one", get_baseline("afb-1234").apply(lambda found: found.baseline_items[0].name + 1))  # E: Unsupported operand types for + ("str" and "int")

# Arguments: the Args classes and the keywords are checked alike.
EnrolledAccountArgs(display_name=42)  # E: Argument "display_name" to "EnrolledAccountArgs" has incompatible type "int"
EnrolledAccount("tagged", account_uid=1207465839102347, tags={"team": 1})  # E: Dict entry 0 has incompatible type "str": "int"
EnrolledAccount("both", EnrolledAccountArgs(account_uid=1207465839102347), folder_id="fd-x")  # E: No overload variant of "EnrolledAccount" matches
EnrolledAccount("typo", account_uid=1207465839102347, baseline_items=[{"nam": "X"}])  # E: List item 0 has incompatible type "dict[str, str]"
BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_VPC", skip="yes")  # E: Argument "skip" to "BaselineItemArgs" has incompatible type "str"
AccountFactoryBaselineArgs(baseline_name=["network"])  # E: Argument "baseline_name" to "AccountFactoryBaselineArgs" has incompatible type "list[str]"
