"""Rolling a changed baseline out: 10 accounts on one baseline, its items changed, one `up`.

The service never re-applies a changed baseline to enrolled accounts. An account follows its
baseline when its inputs do (`baseline_items=baseline.baseline_items`): the `up` that changes
the baseline changes every account's inputs, and the provider re-enrolls each one in place.
The engine sends those updates together; the provider server runs them as a fleet (more than
its 4 stock workers at once), each reporting progress to the engine.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from account_factory_testing.accounts import AccountStack, Deployed, MostInProgress
from account_factory_testing.baselines import baseline_stack
from account_factory_testing.engine import FakeEngine
from alicloud_account_factory import BaselineItemArgs
from alicloud_account_factory.emulator import Emulator

FLEET = 10
STOCK_WORKERS = 4
VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"


@pytest.fixture(scope="module")
def enroll_seconds() -> float:
    """Long enough that the ten updates overlap, and each is seen Running, on a loaded machine."""
    return 5.0


def baseline_args(cidr: str) -> dict[str, Any]:
    return dict(baseline_name="workloads", baseline_items=[
        BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"),
        BaselineItemArgs(VPC, config={"Vpcs": [{"VpcName": "main", "CidrBlock": cidr}]}, version="1.1"),
        BaselineItemArgs("ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP")])


def account_args(i: int, baseline: Deployed) -> dict[str, Any]:
    return dict(account_name_prefix=f"team-{i}", display_name=f"Team {i}", folder_id="fd-Workload01",
                baseline_id=baseline.id, baseline_items=baseline.outputs["baseline_items"])


def all_at_once(stack: AccountStack, work: list[tuple[str, Deployed | None, dict[str, Any]]]) -> list[Deployed]:
    """Check each resource (as the engine does, one by one), then create or update them together."""
    checked = []
    for name, prior, args in work:
        registration, outcome = stack.check(name, olds=prior.inputs if prior else None, **args)
        assert outcome.failures == [], outcome.failures
        checked.append((registration, prior, outcome.inputs))

    def apply(registration: Any, prior: Deployed | None, inputs: dict[str, Any]) -> Deployed:
        if prior is None:
            id_, outputs = stack.server.create(registration.urn, inputs)
            return Deployed(registration.urn, id_, inputs, outputs)
        outputs = stack.server.update(prior.id, prior.urn, prior.outputs, inputs)
        return Deployed(prior.urn, prior.id, inputs, outputs)

    with ThreadPoolExecutor(len(work)) as pool:
        return [f.result() for f in [pool.submit(apply, *c) for c in checked]]


def vpc_config(emulator: Emulator, account_uid: int) -> str:
    account = next(a for a in emulator.state()["accounts"] if a["AccountUid"] == account_uid)
    return next(i["Config"] for i in account["Inputs"]["BaselineItems"] if i["Name"] == VPC)


def test_a_changed_baseline_rolls_out_to_ten_accounts_in_one_up(stack: AccountStack, emulator: Emulator,
                                                                 engine: FakeEngine) -> None:
    baselines = baseline_stack(stack.server, emulator)
    baseline = baselines.create("workloads", **baseline_args("10.0.0.0/16"))
    accounts = all_at_once(stack, [(f"team-{i}", None, account_args(i, baseline)) for i in range(FLEET)])
    assert all(a.outputs["status"] == "Finished" and a.outputs["baseline_id"] == baseline.id for a in accounts)

    # The next `up`: the baseline's VPC CIDR changes. Preview: the baseline and every account
    # update in place (no replacement: the same accounts).
    changed = baseline_args("10.8.0.0/16")
    assert baselines.diff(baseline, **changed).replaces == []
    baseline = baselines.update(baseline, **changed)
    assert baseline.outputs["baseline_items"][1]["config"] == '{"Vpcs":[{"CidrBlock":"10.8.0.0/16","VpcName":"main"}]}'
    for i, account in enumerate(accounts):
        diff = stack.diff(account, **account_args(i, baseline))
        assert diff.changes == "some" and diff.replaces == [], diff

    engine.clear()
    enrollments_before = {m["account_uid"]: m["enrollments"]
                          for m in emulator.state()["directory"]["member_accounts"]}
    with MostInProgress(emulator, interval=0.1) as in_progress:
        updated = all_at_once(stack, [(f"team-{i}", a, account_args(i, baseline)) for i, a in enumerate(accounts)])

    assert [u.id for u in updated] == [a.id for a in accounts]  # re-enrolled in place
    assert all(u.outputs["status"] == "Finished" for u in updated)
    members = {m["account_uid"]: m["enrollments"] for m in emulator.state()["directory"]["member_accounts"]}
    for account in updated:
        assert members[account.account_uid] == enrollments_before[account.account_uid] + 1
        assert "10.8.0.0/16" in vpc_config(emulator, account.account_uid)
    assert in_progress.most > STOCK_WORKERS, in_progress.most  # a fleet, not 4 at a time
    for account in updated:  # each update showed its progress while it ran
        shown = [m.message for m in engine.messages_for(account.urn) if m.ephemeral]
        assert f"Running (account {account.id})" in shown, shown
    assert len(emulator.state()["accounts"]) == FLEET  # no account was added or replaced
