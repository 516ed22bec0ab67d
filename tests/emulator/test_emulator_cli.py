"""The command line: endpoint on stdout, request log on stderr, clean signals, durable state."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_tea_openapi.exceptions import ClientException
from alicloud_account_factory.emulator import (
    DEFAULT_ACCESS_KEY_SECRET,
    MEMBER_ACCOUNT_UIDS,
    Emulator,
    EmulatorAdmin,
)
from emulator_support import make_client, run_cli, running, sdk_error


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_serves_logs_and_exits_cleanly(sig: int) -> None:
    with running("--enroll-seconds", "0.5") as (proc, endpoint):
        client = make_client(endpoint)
        uid = client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])).body.account_uid
        assert uid == MEMBER_ACCOUNT_UIDS[0]
        err = sdk_error(lambda: client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=1234567890123456)))
        assert err.code == "InvalidUser.NotFound"
        code, stderr = proc.stop(sig)
    assert code == 0
    lines = stderr.splitlines()
    assert lines[-1] == "account-factory-emulator: stopped"
    assert any(" POST / EnrollAccount 200 " in line and line.rstrip().endswith("ms") for line in lines)
    assert any(" POST / GetEnrolledAccount 404 " in line and "InvalidUser.NotFound" in line for line in lines)
    assert DEFAULT_ACCESS_KEY_SECRET not in stderr
    assert "ACS3-HMAC-SHA256" not in stderr and "Signature=" not in stderr


def test_console_script_and_options() -> None:
    script = shutil.which("account-factory-emulator", path=os.path.dirname(sys.executable))
    assert script, "the console script is not installed"
    with running("--access-key-id", "LTAI5tCliKey", "--access-key-secret", "cli-secret", "--qps", "2",
                 "--seed", "3", command=[script]) as (proc, endpoint):
        good = make_client(endpoint, "LTAI5tCliKey", "cli-secret")
        answered = 0
        while True:  # back to back until a third call comes within a second of two answered ones
            assert answered < 200, "--qps 2 never throttled"
            try:
                good.list_account_factory_baselines(m.ListAccountFactoryBaselinesRequest())
                answered += 1
            except ClientException as exc:
                assert (exc.code, exc.status_code) == ("Throttling.User", 400)
                break
        assert answered >= 2  # the first two of a second are let through
        time.sleep(1.05)
        default_keys = make_client(endpoint)
        err = sdk_error(lambda: default_keys.list_account_factory_baselines(m.ListAccountFactoryBaselinesRequest()))
        assert err.code == "InvalidAccessKeyId.NotFound"  # only the configured pair is accepted
        code, stderr = proc.stop()
    assert code == 0 and "cli-secret" not in stderr


def test_restart_with_state_file_resumes_the_enrollment(tmp_path: Path) -> None:
    """An enrollment of 6 s, seen Running 1 s in, ends on that schedule after a restart whose own
    enrollments take 60 s (the bounds leave a loaded machine tens of seconds either way)."""
    state_file = tmp_path / "state.json"
    with running("--enroll-seconds", "6", "--state-file", str(state_file)) as (proc, endpoint):
        client = make_client(endpoint)
        started = time.monotonic()
        uid = client.enroll_account(m.EnrollAccountRequest(account_name_prefix="durable", display_name="Durable",
                                                           folder_id="fd-Workload01")).body.account_uid
        EmulatorAdmin(endpoint.endpoint).add_outcome({"display_name": "Later", "status": "Failed"})
        time.sleep(1.0)
        before = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
        assert before.status == "Running"
        assert proc.stop()[0] == 0
    saved = json.loads(state_file.read_text())
    assert saved["model"]["enrollments"][0]["account_uid"] == uid
    assert not list(tmp_path.glob(".*.tmp"))  # no temp file left behind

    with running("--enroll-seconds", "60", "--state-file", str(state_file)) as (proc, endpoint):
        client = make_client(endpoint)
        after = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
        assert after.status in ("Running", "Finished")
        assert (after.create_time, after.display_name, after.folder_id) == (
            before.create_time, "Durable", "fd-Workload01")
        while after.status != "Finished":
            assert time.monotonic() - started < 40, "the enrollment did not finish on its recorded schedule"
            time.sleep(0.1)
            after = client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=uid)).body
        admin = EmulatorAdmin(endpoint.endpoint)
        assert admin.outcomes()[0]["display_name"] == "Later"
        member = next(a for a in admin.state()["directory"]["member_accounts"] if a["account_uid"] == uid)
        assert member["created_by_factory"] and member["enrollments"] == 1
        assert proc.stop()[0] == 0


def test_state_file_is_valid_json_at_all_times(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    bad: list[str] = []
    reads = 0
    done = threading.Event()

    def reader() -> None:
        nonlocal reads
        while not done.is_set():
            try:
                text = state_file.read_text()
            except FileNotFoundError:
                continue
            try:
                json.loads(text)
            except ValueError:
                bad.append(text[:200])
            reads += 1

    with running("--state-file", str(state_file)) as (proc, endpoint):
        thread = threading.Thread(target=reader)
        thread.start()
        client = make_client(endpoint)
        try:
            for i in range(40):
                client.enroll_account(m.EnrollAccountRequest(account_name_prefix=f"json-{i}", display_name=f"J{i}"))
        finally:
            done.set()
            thread.join()
        assert proc.stop()[0] == 0
    assert not bad and reads > 10
    assert len(json.loads(state_file.read_text())["model"]["enrollments"]) == 40


def test_corrupt_state_file_is_a_clear_startup_error(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    state_file.write_text('{"format": "alicloud-account-factory-emulator", "version": 1, "model": {')
    result = run_cli("--state-file", str(state_file))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "state file" in result.stderr and str(state_file) in result.stderr
    assert state_file.read_text().endswith('"model": {')  # left untouched


def test_missing_state_file_starts_fresh(tmp_path: Path) -> None:
    state_file = tmp_path / "new" / "state.json"
    state_file.parent.mkdir()
    with running("--state-file", str(state_file)) as (proc, endpoint):
        assert EmulatorAdmin(endpoint.endpoint).state()["accounts"] == []
        assert json.loads(state_file.read_text())["model"]["enrollments"] == []
        assert proc.stop(signal.SIGINT)[0] == 0


@pytest.mark.parametrize(("option", "value", "complaint"), [
    ("--port", "70000", "must be between 0 and 65535"),
    ("--port", "-1", "must be between 0 and 65535"),
    ("--enroll-seconds", "inf", "must be a finite number >= 0"),
    ("--enroll-seconds", "nan", "must be a finite number >= 0"),
    ("--list-lag-seconds", "inf", "must be a finite number >= 0"),
    ("--list-lag-seconds", "-1", "must be a finite number >= 0"),
])
def test_out_of_range_options_are_usage_errors(option: str, value: str, complaint: str) -> None:
    result = run_cli(option, value)
    assert result.returncode == 2 and result.stdout == ""
    assert f"argument {option}: {complaint}" in result.stderr


def test_state_file_in_a_missing_directory_is_a_clear_startup_error(tmp_path: Path) -> None:
    state_file = tmp_path / "missing" / "state.json"
    result = run_cli("--state-file", str(state_file))
    assert result.returncode == 2 and result.stdout == ""
    assert f"cannot write state file {state_file}:" in result.stderr
    assert "cannot listen" not in result.stderr
    assert not state_file.parent.exists()


def test_a_closed_stderr_does_not_spoil_a_clean_stop() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: every log line meets EPIPE
    try:
        with running(stderr=write_end) as (proc, endpoint):
            client = make_client(endpoint)
            for _ in range(3):  # each logs a line into the broken pipe
                assert client.list_account_factory_baselines(m.ListAccountFactoryBaselinesRequest()).body.baselines
            code, _ = proc.stop()
    finally:
        os.close(write_end)
    assert code == 0


def test_stale_temp_files_of_a_crashed_save_are_removed_on_start(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with Emulator(state_file=state_file):
        pass
    stale = [tmp_path / ".state.json.k3j_9x2a.tmp", tmp_path / ".state.json.0.tmp"]
    kept = [tmp_path / ".other.json.k3j_9x2a.tmp", tmp_path / "state.json.tmp", tmp_path / ".state.json.k3j.bak"]
    for path in stale + kept:
        path.write_text("{half a snapsh")
    log = io.StringIO()
    with Emulator(state_file=state_file, log_stream=log) as emu:
        assert emu.state()["accounts"] == []  # the real state file was loaded
    assert [p for p in stale + kept if p.exists()] == kept
    assert sorted(line.split(" ", 1)[1] for line in log.getvalue().splitlines()) == [
        f"removed stale temp file {path}" for path in sorted(map(str, stale))]
