"""`make demo` without the Pulumi CLI: its steps, checked with a stand-in `pulumi` on PATH.

The CLI cannot be installed here, so a small script plays it: it records each call and, during
`up`, checks that the emulator the stack config points at is really answering. What is asserted
is what a user with the CLI relies on: the backend is local, the stack is selected, `up --yes`
runs while the emulator serves, the outputs are printed, and the emulator is stopped afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo.py"
PORT = 18790  # the port Pulumi.dev.yaml points at

FAKE_PULUMI = """#!{python}
import json, os, sys, urllib.request
with open({log!r}, "a") as log:
    log.write(json.dumps({{"args": sys.argv[1:], "backend": os.environ.get("PULUMI_BACKEND_URL", "")}}) + "\\n")
if sys.argv[1] == "up":
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({{}}))
    state = json.load(opener.open("http://127.0.0.1:{port}/_emulator/state", timeout=5))
    print("up: the emulator answers, %d accounts" % len(state["accounts"]))
if sys.argv[1:3] == ["stack", "output"]:
    print(json.dumps({{"account_uid": 1207465839102347, "status": "Finished"}}))
"""


def _run_demo(path_dirs: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["PATH"] = os.pathsep.join(path_dirs)
    return subprocess.run([sys.executable, str(DEMO)], cwd=REPO, env=env, text=True, capture_output=True, timeout=60)


def _port_is_free() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) != 0


def test_without_the_cli_the_demo_says_what_to_install(tmp_path: Path) -> None:
    result = _run_demo([str(tmp_path)], tmp_path)
    assert result.returncode == 2
    assert "needs the Pulumi CLI" in result.stderr and "pulumi.com" in result.stderr


def test_the_demo_runs_up_against_the_emulator_prints_outputs_and_stops_it(tmp_path: Path) -> None:
    assert _port_is_free(), f"port {PORT} is taken: the demo could not start its emulator"
    log = tmp_path / "calls.jsonl"
    fake = tmp_path / "pulumi"
    fake.write_text(FAKE_PULUMI.format(python=sys.executable, log=str(log), port=PORT))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)

    result = _run_demo([str(tmp_path), os.path.dirname(sys.executable), "/usr/bin", "/bin"], tmp_path)
    assert result.returncode == 0, result.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    commands = [c["args"][:2] for c in calls]
    assert commands == [["stack", "select"], ["up", "--yes"], ["stack", "output"]], commands
    assert all(c["backend"].startswith("file://") and c["backend"].endswith("/.demo/state") for c in calls)
    assert all("dev" in c["args"] for c in calls)  # the stack whose config points at the emulator
    assert "up: the emulator answers" in result.stdout
    assert '"account_uid": 1207465839102347' in result.stdout  # the outputs are printed
    assert _port_is_free(), "the emulator was left running"
