"""Exactly one account per resource, through the real CLI: other backends, forced replaces, renames
(of resources, with an alias; of stacks and projects).

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


def _stack_identity(sandbox: PulumiSandbox) -> str:
    [identity] = sandbox.resources(":StackIdentity")
    return str(identity["outputs"]["value"])


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


# --- renamed stacks and projects: the key that finds an earlier attempt survives both ---------------

#: Far longer than a create takes to send EnrollAccount, even on a loaded machine; the enrollment
#: (`enroll_seconds`) is longer still, so the create always times out while its account enrolls.
CREATE_TIMEOUT = "10s"


@pytest.mark.enroll_seconds(15)
def test_a_timed_out_create_then_a_stack_rename_resumes_the_same_account(sandbox: PulumiSandbox,
                                                                          emulator: Emulator) -> None:
    """Issue 18, item 1: `pulumi stack rename` keeps the state and the StackIdentity but changes every
    URN. The timeout's own error promised that the next `up` enrolls no second account."""
    sandbox.set_accounts({"team": {**NEW, "custom_timeouts": {"create": CREATE_TIMEOUT}}})
    timed_out = sandbox.up(check=False)
    [enrolled] = emulator.state()["accounts"]
    said = " ".join(timed_out.output.split())  # the CLI wraps long lines
    assert timed_out.returncode != 0 and f"resume waiting on account {enrolled['AccountUid']}" in said, said
    identity = _stack_identity(sandbox)

    sandbox.rename_stack("prod")
    assert _stack_identity(sandbox) == identity  # the same stack: same state, same StackIdentity
    sandbox.set_accounts({"team": NEW})
    resumed = sandbox.up()
    assert _uids(emulator) == [enrolled["AccountUid"]], resumed.output
    assert sandbox.outputs()["team"]["account_uid"] == enrolled["AccountUid"]
    assert emulator.state()["calls"]["EnrollAccount"] == 1, resumed.output
    assert emulator.state()["accounts"][0]["Status"] == "Finished"


def test_a_failed_enrollment_then_a_project_rename_enrolls_the_same_account_again(sandbox: PulumiSandbox,
                                                                                  emulator: Emulator) -> None:
    """Issue 18, item 1: the project renamed (the stack moved into it with `pulumi stack rename`, then
    Pulumi.yaml and the config keys) after a Failed enrollment: the next `up` retries that account."""
    emulator.add_outcome({"display_name": NEW["display_name"], "status": "Failed", "error_code": "InternalError",
                          "error_message": "A system error occurred."})
    sandbox.set_accounts({"team": NEW})
    failed = sandbox.up(check=False)
    [enrolled] = emulator.state()["accounts"]
    assert failed.returncode != 0 and enrolled["Status"] == "Failed", failed.output
    identity = _stack_identity(sandbox)

    sandbox.rename_project("renamed-accounts")
    assert _stack_identity(sandbox) == identity
    retried = sandbox.up()
    assert _uids(emulator) == [enrolled["AccountUid"]], retried.output
    assert sandbox.outputs()["team"]["account_uid"] == enrolled["AccountUid"]
    [account] = emulator.state()["accounts"]
    assert account["Status"] == "Finished" and emulator.state()["calls"]["EnrollAccount"] == 2
