"""An interrupted `pulumi up` (Ctrl-C, or the runner killed) ends with exactly one account.

The signal goes to the `pulumi up` process group, as a terminal's Ctrl-C or a CI runner's kill
does. Then the steps the README gives a user: `pulumi cancel` (a killed run leaves its lock),
`pulumi refresh --clear-pending-creates`, `pulumi up`.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from alicloud_account_factory.emulator import Emulator
from tests.e2e.harness import PulumiSandbox

NEW = {"account_name_prefix": "e2e-int", "display_name": "E2E interrupted", "folder_id": "fd-Sandbox001"}


def _start_up_and_wait_for_the_enrollment(sandbox: PulumiSandbox, emulator: Emulator, log: Path):
    sandbox.set_accounts({"team": NEW})
    process = sandbox.start("up", "--yes", "--skip-preview", log=log)
    deadline = time.monotonic() + 60
    while not emulator.state()["accounts"]:
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the create never enrolled the account"
        time.sleep(0.1)
    return process


def _providers_left_by(sandbox: PulumiSandbox) -> list[int]:
    """Provider processes started for this sandbox that outlived the CLI (plugins run in groups of their own)."""
    marker = f"PULUMI_HOME={sandbox.home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (marker in (entry / "environ").read_bytes().split(b"\0")
                        and b"pulumi.dynamic" in (entry / "cmdline").read_bytes()):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _wait_until_gone(pids: list[int], seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while pids and time.monotonic() < deadline:
        time.sleep(0.5)
        pids = [pid for pid in pids if Path(f"/proc/{pid}").exists() and b"pulumi.dynamic" in
                Path(f"/proc/{pid}/cmdline").read_bytes()]
    return pids


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
    process = _start_up_and_wait_for_the_enrollment(sandbox, emulator, log)
    sandbox.signal_group(process, signal.SIGINT)
    assert process.wait(timeout=60) != 0
    output = log.read_text()
    assert "cancelling" in output and "team created" in output, output  # the engine waits for the create

    sandbox.up()
    _assert_one_finished_account_in_a_clean_stack(sandbox, emulator)


@pytest.mark.enroll_seconds(6)
def test_a_killed_up_resumes_the_same_account_after_cancel_and_refresh(sandbox: PulumiSandbox, emulator: Emulator,
                                                                        tmp_path: Path) -> None:
    log = tmp_path / "up.log"
    process = _start_up_and_wait_for_the_enrollment(sandbox, emulator, log)
    sandbox.signal_group(process, signal.SIGKILL)
    process.wait(timeout=30)
    orphans = _providers_left_by(sandbox)
    assert orphans, "the provider process should have outlived the killed CLI (it runs in a group of its own)"
    # ... and ends by itself once it sees the engine gone, instead of polling on for nobody.
    left = _wait_until_gone(orphans, 40)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the provider process outlived its engine by more than 40 s"
    [enrolled] = emulator.state()["accounts"]
    pending = sandbox.export()["deployment"].get("pending_operations") or []
    assert [p["type"] for p in pending] == ["creating"], pending

    locked = sandbox.up(check=False)
    assert locked.returncode != 0 and "pulumi cancel" in locked.output, locked.output
    sandbox.pulumi("cancel", "--yes")
    sandbox.pulumi("refresh", "--yes", "--clear-pending-creates")
    resumed = sandbox.up()
    assert f"adopting account {enrolled['AccountUid']}" in resumed.output, resumed.output
    _assert_one_finished_account_in_a_clean_stack(sandbox, emulator)
