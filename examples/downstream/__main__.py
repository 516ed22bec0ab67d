"""Outputs feeding the rest of the stack, and other stacks.

A shared-services account comes first (vended, or an existing one given as `sharedAccountUid`);
two workload accounts are then billed to it (`payer_account_uid` comes from its output, so they
wait for it) and tagged with it. The stack exports the accounts' `account_id`s, which another stack
reads with a StackReference (examples/stack-reference).

Why `account_id` and not `account_uid`: Pulumi carries numbers as float64, so a number read
through a StackReference comes back a float (`1570492569859844.0`), and an AccountUid of 2^53 or
more cannot be a number at all. `account_id` is the AccountUid as its string of digits, exact at
any size. Inside this program `account_uid` feeds other accounts exactly (an int below 2^53, its
digits from 2^53 on).
Config: teams (comma-separated, default "orders,search"), sharedAccountUid (optional).
"""

import pulumi

from alicloud_account_factory import EnrolledAccount

config = pulumi.Config()
teams = [team.strip() for team in (config.get("teams") or "orders,search").split(",") if team.strip()]
existing_shared = config.get_int("sharedAccountUid")

if existing_shared is not None:
    shared = EnrolledAccount("shared-services", account_uid=existing_shared, tags={"role": "shared"})
else:
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
        payer_account_uid=shared.account_uid,  # exact, whatever its size
        tags={"team": team, "billed-to": shared.account_id},
    )
    for team in teams
}

pulumi.export("accounts", {"shared": shared.account_id, **{team: a.account_id for team, a in workloads.items()}})
pulumi.export(
    "all_finished",
    pulumi.Output.all(*[a.status for a in [shared, *workloads.values()]]).apply(
        lambda statuses: all(status == "Finished" for status in statuses)
    ),
)
