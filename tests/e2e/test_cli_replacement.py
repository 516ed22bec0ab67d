"""A change that replaces an EnrolledAccount, through the real CLI: the preview says that a new Alibaba
Cloud account will be vended, which property forces it and what becomes of the old account; and it
names only what changed, also when the unchanged tags and baseline items come from the stack config.
"""

from __future__ import annotations

import re

from account_factory_testing.sandbox import PulumiSandbox
from alicloud_account_factory.emulator import Emulator

#: The accounts program reads every argument from the stack config (`pulumi.Config.get_object`).
TEAM = {"account_name_prefix": "e2e-repl", "display_name": "E2E replace", "folder_id": "fd-Sandbox001",
        "tags": {"env": "dev", "cost-center": "42"},
        "baseline_items": [{"name": "ACS-BP_ACCOUNT_FACTORY_VPC", "config": {"VpcName": "main", "Size": 16}},
                           {"name": "ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN", "skip": True}]}
EXISTING, OTHER_MEMBER = 1207465839102347, 9123456789012345


def _warnings(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if "warning:" in line)


def test_a_preview_that_replaces_says_a_new_account_is_vended_and_the_old_one_stays(
        sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"team": TEAM, "existing": {"account_uid": EXISTING}})
    sandbox.up()
    team_uid = sandbox.outputs()["team"]["account_uid"]
    sandbox.pulumi("refresh", "--yes")  # (the inputs a refresh stores must not make unchanged ones look changed)
    calls = dict(emulator.state()["calls"])

    sandbox.set_accounts({"team": {**TEAM, "display_name": "E2E renamed"}, "existing": {"account_uid": str(OTHER_MEMBER)}})
    preview = sandbox.pulumi("preview").output
    # Only what changed is named, although the unchanged tags and items come from the config too.
    assert re.search(r"EnrolledAccount team replace \[diff: ~display_name\]", preview), preview
    assert re.search(r"EnrolledAccount existing replace \[diff: ~account_uid\]", preview), preview
    warnings = _warnings(preview)
    assert re.search(rf"display_name.*new Alibaba Cloud account.*account {team_uid} stays enrolled", warnings, re.I), preview
    assert "stops managing it" in warnings and "no API to un-enroll" in warnings, preview
    assert re.search(rf"account_uid.*account {EXISTING} stays enrolled", warnings, re.I), preview
    assert emulator.state()["calls"] == calls  # a preview enrolls nothing

    # An in-place change vends nothing and warns of nothing.
    sandbox.set_accounts({"team": {**TEAM, "tags": {"env": "prod", "cost-center": "42"}},
                          "existing": {"account_uid": EXISTING}})
    update = sandbox.pulumi("preview").output
    assert re.search(r"EnrolledAccount team update \[diff: ~tags\]", update), update
    assert "new Alibaba Cloud account" not in update, update
