"""A wrong endpoint (or an emulator that is not running), through the real `pulumi` CLI.

Retrying a connection failure is right (the service may come back); silence is not. While a create
retries, its line says what fails, where and since when; after `alicloud-account-factory:unreachableTimeout`
of nothing but connection failures, before anything was sent, it ends with an error naming the endpoint
and the config key that set it; a Ctrl-C ends it at once. Neither leaves a pending operation.
"""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from account_factory_testing.sandbox import PulumiSandbox, diagnostics_of, stop_run, wait_for_output
from alicloud_account_factory.emulator import Emulator

NEW = {"account_name_prefix": "e2e-dead", "display_name": "E2E dead endpoint", "folder_id": "fd-Sandbox001"}
UNREACHABLE_TIMEOUT = "alicloud-account-factory:unreachableTimeout"


@pytest.fixture
def dead_endpoint() -> Iterator[str]:
    """An endpoint where nothing listens: a port held by a socket that never listens (connections are
    refused at once, and no other process can take the port meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


def _status_line(endpoint: str) -> str:
    """The create's line while it retries: the endpoint, the cause, since when and the next try."""
    return (rf"team creating \(\d+s\) cannot reach {re.escape(endpoint)} \(connection refused\) "
            rf"since \d\d:\d\d:\d\d.*next try in")


def _told(output: str, endpoint: str) -> str:
    """The create's error, after asserting that the log (the warning under Diagnostics) also told what
    failed and since when."""
    block = [line.strip() for line in diagnostics_of(output, "team")]
    assert any(line.startswith(f"warning: cannot reach {endpoint} ") and "connection refused since" in line
               for line in block), block
    return next(line for line in block if line.startswith("error: "))


def _assert_the_stack_is_clean_and_the_next_up_works(sandbox: PulumiSandbox, emulator: Emulator) -> None:
    assert not sandbox.export()["deployment"].get("pending_operations")
    assert sum(emulator.state()["calls"].values()) == 0  # nothing went anywhere
    sandbox.set_config("alicloud-account-factory:endpoint", emulator.endpoint)
    sandbox.up()
    assert [a["Status"] for a in emulator.state()["accounts"]] == ["Finished"]


def test_a_create_retrying_a_dead_endpoint_says_so_and_ends_after_the_unreachable_timeout(
        sandbox: PulumiSandbox, emulator: Emulator, dead_endpoint: str, tmp_path: Path) -> None:
    sandbox.set_config("alicloud-account-factory:endpoint", dead_endpoint)
    sandbox.set_config(UNREACHABLE_TIMEOUT, "15s")
    sandbox.set_accounts({"team": NEW})
    log = tmp_path / "up.log"
    process = sandbox.start("up", "--yes", "--skip-preview", log=log)
    try:
        wait_for_output(process, log, _status_line(dead_endpoint), timeout=60)
        returncode = process.wait(timeout=120)  # far more than the 15 s it is allowed, far less than the 60 min
    finally:
        stop_run(sandbox, process)
    output = log.read_text()
    assert returncode != 0, output
    error = _told(output, dead_endpoint)
    assert dead_endpoint in error and "connection refused" in error, error
    assert "alicloud-account-factory:endpoint" in error and UNREACHABLE_TIMEOUT in error, error
    assert "sent nothing" in error, error
    _assert_the_stack_is_clean_and_the_next_up_works(sandbox, emulator)


def test_ctrl_c_ends_a_create_that_only_retries_a_dead_endpoint(sandbox: PulumiSandbox, emulator: Emulator,
                                                                  dead_endpoint: str, tmp_path: Path) -> None:
    sandbox.set_config("alicloud-account-factory:endpoint", dead_endpoint)
    sandbox.set_config(UNREACHABLE_TIMEOUT, "30m")  # only the Ctrl-C can end it in time
    sandbox.set_accounts({"team": NEW})
    log = tmp_path / "up.log"
    process = sandbox.start("up", "--yes", "--skip-preview", log=log)
    try:
        wait_for_output(process, log, _status_line(dead_endpoint), timeout=60)
        sandbox.signal_group(process, signal.SIGINT)  # a terminal's Ctrl-C
        returncode = process.wait(timeout=60)  # a generous bound, far less than the 30 min
    finally:
        stop_run(sandbox, process)
    output = log.read_text()
    assert returncode != 0 and "cancelling" in output, output
    error = _told(output, dead_endpoint)
    assert "cancelled" in error and "nothing was sent" in error and dead_endpoint in error, error
    _assert_the_stack_is_clean_and_the_next_up_works(sandbox, emulator)
