"""An interrupted `pulumi up` (Ctrl-C, or the runner killed) ends with exactly one account.

The signal goes to the `pulumi up` process group, as a terminal's Ctrl-C or a CI runner's kill
does. Then the steps docs/enrolled-account.md gives a user: `pulumi cancel` (a killed run leaves its lock),
`pulumi refresh --clear-pending-creates`, `pulumi up`.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from account_factory_testing.sandbox import PulumiSandbox, kill_up_while_enrolling, start_up_and_wait_for_an_enrollment
from alicloud_account_factory.emulator import Emulator

NEW = {"account_name_prefix": "e2e-int", "display_name": "E2E interrupted", "folder_id": "fd-Sandbox001"}


def _assert_one_finished_account_in_a_clean_stack(sandbox: PulumiSandbox, emulator: Emulator) -> None:
    accounts = emulator.state()["accounts"]
    assert [a["Status"] for a in accounts] == ["Finished"], accounts
    assert sandbox.outputs()["team"]["account_uid"] == accounts[0]["AccountUid"]
    deployment = sandbox.export()["deployment"]
    assert not deployment.get("pending_operations")
    sandbox.pulumi("preview", "--expect-no-changes")  # exits non-zero if anything would change


@pytest.mark.enroll_seconds(6)
def test_ctrl_c_lets_the_create_finish_and_the_next_up_completes_the_stack(sandbox: PulumiSandbox,
                                                                           emulator: Emulator,
                                                                           tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    process = start_up_and_wait_for_an_enrollment(sandbox, emulator, log, {"team": NEW})
    sandbox.signal_group(process, signal.SIGINT)
    assert process.wait(timeout=60) != 0
    output = log.read_text()
    assert "cancelling" in output and "team created" in output, output  # the engine waits for the create

    sandbox.up()
    _assert_one_finished_account_in_a_clean_stack(sandbox, emulator)


@pytest.mark.enroll_seconds(6)
def test_a_killed_up_resumes_the_same_account_after_cancel_and_refresh(sandbox: PulumiSandbox, emulator: Emulator,
                                                                        tmp_path: Path) -> None:
    [enrolled] = kill_up_while_enrolling(sandbox, emulator, tmp_path / "up.log", {"team": NEW})
    pending = sandbox.export()["deployment"].get("pending_operations") or []
    assert [p["type"] for p in pending] == ["creating"], pending

    locked = sandbox.up(check=False)
    assert locked.returncode != 0 and "pulumi cancel" in locked.output, locked.output
    sandbox.pulumi("cancel", "--yes")
    sandbox.pulumi("refresh", "--yes", "--clear-pending-creates")
    resumed = sandbox.up()
    assert f"adopting account {enrolled['AccountUid']}" in resumed.output, resumed.output
    _assert_one_finished_account_in_a_clean_stack(sandbox, emulator)


@pytest.mark.enroll_seconds(6)
def test_skipped_checkpoints_are_refused_on_a_first_up_and_a_later_killed_up_loses_no_account(
        sandbox: PulumiSandbox, emulator: Emulator, tmp_path: Path) -> None:
    """With PULUMI_SKIP_CHECKPOINTS the engine writes the state once, at the end: a killed run loses
    everything it did. The stack's identity must never be lost that way (the next `up` would vend new
    accounts); the accounts of a later killed run are found again by their enrollment keys."""
    sandbox.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    sandbox.set_accounts({"team": NEW})
    refused = sandbox.up(check=False)
    assert refused.returncode != 0 and "Run this first `up` without PULUMI_SKIP_CHECKPOINTS" in refused.output
    assert emulator.state()["accounts"] == []

    del sandbox.env["PULUMI_SKIP_CHECKPOINTS"]
    sandbox.up()
    [first] = emulator.state()["accounts"]
    sandbox.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    second = {**NEW, "account_name_prefix": "e2e-second", "display_name": "E2E second"}
    sandbox.set_accounts({"team": NEW, "second": second})
    process = sandbox.start("up", "--yes", "--skip-preview", log=tmp_path / "up.log")
    deadline = time.monotonic() + 60
    while len(emulator.state()["accounts"]) < 2:
        assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "up.log").read_text()
        time.sleep(0.1)
    sandbox.signal_group(process, signal.SIGKILL)
    process.wait(timeout=30)
    assert "second" not in {r["urn"].rsplit("::", 1)[-1] for r in sandbox.resources()}  # nothing was written

    sandbox.pulumi("cancel", "--yes", check=False)  # the killed run may have left the stack locked
    resumed = sandbox.up()
    uids = sorted(a["AccountUid"] for a in emulator.state()["accounts"])
    assert len(uids) == 2 and first["AccountUid"] in uids, resumed.output
    assert sorted(sandbox.outputs()[name]["account_uid"] for name in ("team", "second")) == uids
