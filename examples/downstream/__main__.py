"""Outputs feeding the rest of the stack.

A shared-services account is vended first; two workload accounts are then billed to it
(payer_account_uid comes from its output, so they wait for it) and tagged with it. The stack
exports an account map that other stacks can read with a StackReference.
Config: teams (comma-separated, default "orders,search").
"""

import pulumi

from alicloud_account_factory import EnrolledAccount

config = pulumi.Config()
teams = [team.strip() for team in (config.get("teams") or "orders,search").split(",") if team.strip()]

shared = EnrolledAccount(
    "shared-services",
    account_name_prefix="shared-services",
    display_name="Shared services",
    folder_id="fd-Platform01",
    tags={"role": "shared"},
)

workloads = {
    team: EnrolledAccount(
        f"workload-{team}",
        account_name_prefix=f"wl-{team}",
        display_name=f"Workload {team}",
        folder_id="fd-Workload01",
        payer_account_uid=shared.account_uid,
        tags={"team": team, "billed-to": shared.account_uid.apply(str)},
    )
    for team in teams
}

pulumi.export("shared_account_uid", shared.account_uid)
pulumi.export(
    "accounts",
    pulumi.Output.all(
        shared=shared.account_uid,
        **{team: account.account_uid for team, account in workloads.items()},
    ),
)
pulumi.export(
    "all_finished",
    pulumi.Output.all(*[a.status for a in [shared, *workloads.values()]]).apply(
        lambda statuses: all(status == "Finished" for status in statuses)
    ),
)
