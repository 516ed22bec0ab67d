"""Exactly one account per resource, through the real CLI: other backends, forced replaces, renames.

The enrollment key lets a create find what an earlier attempt of the same resource left behind.
These are the cases where "the same resource" is not what the URN alone says.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from account_factory_testing.sandbox import PulumiSandbox, SandboxFactory, kill_up_while_enrolling, steps
from alicloud_account_factory.emulator import Emulator


NEW = {"account_name_prefix": "e2e-once", "display_name": "E2E once", "folder_id": "fd-Sandbox001",
       "tags": {"env": "dev"}}


def _uids(emulator: Emulator) -> list[int]:
    return [a["AccountUid"] for a in emulator.state()["accounts"]]


def test_the_same_project_and_stack_in_another_backend_gets_an_account_of_its_own(
        sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    """Personal `dev` stacks of one program: same project, stack and resource names, other backends."""
    mine, theirs = sandbox_for(), sandbox_for()
    mine.set_accounts({"team": NEW})
    theirs.set_accounts({"team": NEW})
    mine.up()
    other = theirs.up()
    first, second = mine.outputs()["team"]["account_uid"], theirs.outputs()["team"]["account_uid"]
    assert first != second, other.output
    assert "adopting" not in other.output, other.output
    assert sorted(_uids(emulator)) == sorted([first, second])
    # ... and neither run touches the other's account afterwards.
    mine.pulumi("refresh", "--yes")
    assert mine.outputs()["team"]["account_uid"] == first


def test_a_forced_replace_enrolls_a_new_account_and_only_warns_about_the_old_one(sandbox: PulumiSandbox,
                                                                                 emulator: Emulator) -> None:
    """`pulumi up --replace` sends the provider neither old inputs nor a Diff. Replacements delete
    first by default, so the delete (no API call) lets the old account go before the create."""
    sandbox.set_accounts({"team": NEW})
    sandbox.up()
    old = sandbox.outputs()["team"]["account_uid"]
    [resource] = sandbox.resources()

    replaced = sandbox.up("--replace", resource["urn"])
    new = sandbox.outputs()["team"]["account_uid"]
    assert new != old and sorted(_uids(emulator)) == sorted([old, new]), replaced.output
    assert f"account {old} stays enrolled" in replaced.output
    assert f"account {new} stays enrolled" not in replaced.output and f"adopting account {old}" not in replaced.output
    summary = sandbox.preview_json()["changeSummary"]  # the stack holds the new one: nothing to do
    assert set(summary) == {"same"}, summary


def test_a_forced_replace_with_create_before_delete_keeps_the_account_and_never_asks_to_close_it(
        sandbox: PulumiSandbox, emulator: Emulator) -> None:
    """The limit that remains (RELIABILITY.md): created first, the replacement cannot be told from
    the retry of an interrupted create and adopts the account, which the stack then still holds."""
    sandbox.set_accounts({"team": {**NEW, "delete_before_replace": False}})
    sandbox.up()
    old = sandbox.outputs()["team"]["account_uid"]
    [resource] = sandbox.resources()

    replaced = sandbox.up("--replace", resource["urn"])
    assert sandbox.outputs()["team"]["account_uid"] == old and _uids(emulator) == [old], replaced.output
    assert f"account {old} stays enrolled" not in replaced.output and "Remove or close" not in replaced.output


def test_replace_on_changes_with_delete_before_replace_enrolls_a_new_account(sandbox: PulumiSandbox,
                                                                             emulator: Emulator) -> None:
    options = {"replace_on_changes": ["tags"], "delete_before_replace": True}
    sandbox.set_accounts({"team": {**NEW, **options}})
    sandbox.up()
    old = sandbox.outputs()["team"]["account_uid"]

    sandbox.set_accounts({"team": {**NEW, **options, "tags": {"env": "prod"}}})
    assert steps(sandbox.preview_json())["team"]["op"] == "replace"
    replaced = sandbox.up()
    new = sandbox.outputs()["team"]["account_uid"]
    assert new != old and len(_uids(emulator)) == 2, replaced.output
    assert f"adopting account {old}" not in replaced.output


@pytest.mark.enroll_seconds(6)
def test_a_rename_with_an_alias_after_a_killed_create_resumes_the_same_account(sandbox: PulumiSandbox,
                                                                                emulator: Emulator,
                                                                                tmp_path: Path) -> None:
    [enrolled] = kill_up_while_enrolling(sandbox, emulator, tmp_path / "up.log", {"old-name": NEW})
    sandbox.pulumi("cancel", "--yes")
    sandbox.pulumi("refresh", "--yes", "--clear-pending-creates")

    sandbox.set_accounts({"new-name": {**NEW, "aliases": ["old-name"]}})
    resumed = sandbox.up()
    assert sandbox.outputs()["new-name"]["account_uid"] == enrolled["AccountUid"], resumed.output
    deadline = time.monotonic() + 10
    while emulator.state()["accounts"][0]["Status"] != "Finished" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _uids(emulator) == [enrolled["AccountUid"]]
