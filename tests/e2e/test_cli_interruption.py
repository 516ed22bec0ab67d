"""An interrupted `pulumi up` (Ctrl-C, or the runner killed) ends with exactly one account.

The signal goes to the `pulumi up` process group, as a terminal's Ctrl-C or a CI runner's kill
does. Then the steps the README gives a user: `pulumi cancel` (a killed run leaves its lock),
`pulumi refresh --clear-pending-creates`, `pulumi up`.
"""

from __future__ import annotations

import signal
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
