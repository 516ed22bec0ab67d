"""A baseline as code, and three team accounts vended with it.

The baseline (contacts, notifications, RAM security, a VPC and its security group) is created
first; each account's `baseline_id` is its output, so in the preview of a new stack the id is
unknown and `pulumi up` creates the baseline before the accounts. The catalog look-up shows the
VPC item's versions. Config (all optional): teams (comma separated), vpcCidr, vpcVersion.

To roll a changed baseline out, change its items here (e.g. `pulumi config set vpcCidr ...`)
and run `pulumi up`: the baseline updates in place and, because the accounts' `baseline_items`
are the baseline's, every account is re-enrolled in place, as a fleet.
"""

import pulumi

from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount, get_baseline_items

VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"

config = pulumi.Config()
teams = [t.strip() for t in (config.get("teams") or "orders,search,billing").split(",") if t.strip()]
vpc = BaselineItemArgs(VPC, version=config.get("vpcVersion") or "1.1",
                       config={"Vpcs": [{"VpcName": "workloads", "CidrBlock": config.get("vpcCidr") or "10.0.0.0/16"}]})

baseline = AccountFactoryBaseline(
    "workloads",
    baseline_name="workloads",
    description="Accounts for product teams: contacts, notifications, RAM security, VPC and SG",
    baseline_items=[
        BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"),
        BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION"),
        BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_RAM_SECURITY_PREFERENCE"),
        vpc,
        BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"),
    ],
    # Accounts stay enrolled when their resources are removed (the service cannot un-enroll),
    # so the baseline they use cannot be deleted: `pulumi destroy` leaves it in place too.
    opts=pulumi.ResourceOptions(retain_on_delete=True),
)

accounts = {
    team: EnrolledAccount(
        f"team-{team}",
        account_name_prefix=f"team-{team}",
        display_name=f"Team {team}",
        folder_id="fd-Sandbox001",
        baseline_id=baseline.baseline_id,
        # The baseline's items as overrides: when the baseline changes, so do the accounts'
        # inputs, and `pulumi up` re-enrolls them in place (the service never does it by itself).
        baseline_items=baseline.baseline_items,
        tags={"team": team},
        opts=pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="90m", update="90m")),
    )
    for team in teams
}

pulumi.export("baseline_id", baseline.baseline_id)
pulumi.export("baseline_items", baseline.baseline_items.apply(lambda items: [i.name for i in items]))
pulumi.export("accounts", {team: account.account_id for team, account in accounts.items()})
pulumi.export("statuses", {team: account.status for team, account in accounts.items()})
pulumi.export("vpc_item_versions", get_baseline_items(names=[VPC]).apply(lambda rows: [r.version for r in rows]))
