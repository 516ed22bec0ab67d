"""`make demo`: the real `pulumi up` of the quickstart, twice, and what a user without the CLI sees."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "examples" / "demo.py"
PORT = 18790  # the port Pulumi.dev.yaml points at


def _run_demo(path_dirs: list[str], demo_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if k.lower() not in ("http_proxy", "https_proxy", "all_proxy") and not k.startswith("PULUMI_")}
    env["PATH"] = os.pathsep.join(path_dirs)
    env["ALICLOUD_ACCOUNT_FACTORY_DEMO_DIR"] = str(demo_dir)
    return subprocess.run([sys.executable, str(DEMO)], cwd=REPO, env=env, text=True, capture_output=True, timeout=240)


def _port_is_free() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) != 0


def test_without_the_cli_the_demo_says_what_to_install(tmp_path: Path) -> None:
    result = _run_demo([str(tmp_path)], tmp_path / "demo")
    assert result.returncode == 2
    assert "needs the Pulumi CLI" in result.stderr and "make pulumi" in result.stderr and "pulumi.com" in result.stderr


def test_the_demo_runs_the_real_up_prints_outputs_and_a_second_run_changes_nothing(
        tmp_path: Path, pulumi_cli: Path) -> None:
    assert _port_is_free(), f"port {PORT} is taken: the demo could not start its emulator"
    path = [str(Path(sys.executable).parent), str(pulumi_cli), "/usr/bin", "/bin"]
    demo_dir = tmp_path / "demo"

    first = _run_demo(path, demo_dir)
    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"team-a-dev creating \(\d+s\) \[\d/4\] ACS-BP_ACCOUNT_FACTORY_\w+: Running", first.stdout), first.stdout
    assert "EnrolledAccount team-a-dev created" in first.stdout and re.search(r"\+ \d+ created", first.stdout)
    outputs = json.loads(first.stdout.split("stack outputs:", 1)[1])
    assert outputs["status"] == "Finished" and re.fullmatch(r"[0-9]{16}", outputs["account_id"])
    assert _port_is_free(), "the emulator was left running"
    assert (demo_dir / "state" / ".pulumi").is_dir()  # a local file backend of its own

    second = _run_demo(path, demo_dir)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "unchanged" in second.stdout and "created" not in second.stdout.split("stack outputs:")[0]
    assert json.loads(second.stdout.split("stack outputs:", 1)[1])["account_id"] == outputs["account_id"]
    assert subprocess.run(["git", "status", "--porcelain", "Pulumi.dev.yaml"], cwd=REPO, capture_output=True,
                          text=True).stdout == "", "the demo changed the committed stack config"
