"""The emulator in a process of its own (`python -m alicloud_account_factory.emulator`), accepting the test key pair.

Why a process: the benchmarks measure the provider, and an in-process emulator's HTTP work would
share their GIL. `EmulatorProcess` listens on a free port and is stopped on exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from typing import IO

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
from account_factory_testing.provider_server import PROXY_VARIABLES
from alicloud_account_factory.emulator import EmulatorAdmin

STARTUP_SECONDS = 60.0


class EmulatorProcess:
    """Context manager: the emulator CLI on port 0; `.endpoint` is what it printed, `.admin` its control API."""

    def __init__(self, enroll_seconds: float, qps: int | None = None, catalog_file: str | None = None) -> None:
        """`catalog_file`: the emulator's `--catalog FILE` (baseline items added to its catalog)."""
        self._enroll_seconds = enroll_seconds
        self._qps = qps
        self._catalog_file = catalog_file
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self.endpoint = ""

    def __enter__(self) -> EmulatorProcess:
        self._stderr = tempfile.TemporaryFile("w+")
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "alicloud_account_factory.emulator", "--port", "0",
             "--enroll-seconds", f"{self._enroll_seconds:g}",
             "--access-key-id", ACCESS_KEY_ID, "--access-key-secret", SECRET,
             *(["--qps", str(self._qps)] if self._qps else []),
             *(["--catalog", self._catalog_file] if self._catalog_file else [])],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env,
        )
        self.endpoint = _first_line(self._proc, STARTUP_SECONDS)
        if not self.endpoint.startswith("http"):
            stderr = self._stderr_text()
            self.__exit__()
            raise RuntimeError(f"emulator did not start (stdout {self.endpoint!r}):\n{stderr}")
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._proc is not None:
            _stop_process(self._proc)
            if self._proc.stdout is not None:
                self._proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()

    @property
    def admin(self) -> EmulatorAdmin:
        return EmulatorAdmin(self.endpoint)

    def _stderr_text(self) -> str:
        assert self._stderr is not None
        self._stderr.seek(0)
        return self._stderr.read()[-4000:]


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first stdout line of `proc`, without hanging if it never comes."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline() if proc.stdout else ""), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


def _stop_process(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
