"""Helpers shared by the emulator tests (the real SDK, raw signed requests, waiting)."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from urllib.parse import urlencode

from account_factory_testing.provider_server import PROXY_VARIABLES
from alibabacloud_governance20210120.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.utils import Utils
from alibabacloud_tea_openapi.utils_models import Config
from alicloud_account_factory.emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET
from darabonba.exceptions import UnretryableException
from darabonba.request import DaraRequest


class Target(Protocol):
    """An in-process ``Emulator`` or a CLI process's ``Endpoint``."""

    @property
    def host_port(self) -> str: ...

    @property
    def port(self) -> int: ...


class Clock:
    """A settable clock for the emulator's ``clock=`` hook: timing tests without sleeping.

    Through the SDK, keep it within 15 minutes of real time (the signature's date window).
    """

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


SEED = 20210120
"""The seed of the ``emu`` fixture."""

def make_client(
    emu: Target,
    access_key_id: str = DEFAULT_ACCESS_KEY_ID,
    access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET,
    security_token: str | None = None,
    read_timeout_ms: int | None = None,
    signature_algorithm: str | None = None,
) -> Client:
    """A real governance SDK client pointed at the emulator."""
    config = Config(access_key_id=access_key_id, access_key_secret=access_key_secret,
                    security_token=security_token, endpoint=emu.host_port, protocol="http")
    if read_timeout_ms is not None:
        config.read_timeout = read_timeout_ms
    if signature_algorithm is not None:
        config.signature_algorithm = signature_algorithm
    return Client(config)


def sdk_error(call: Callable[[], Any]) -> AlibabaCloudException:
    """Run an SDK call that must fail with a service error; return that error."""
    try:
        call()
    except AlibabaCloudException as exc:
        return exc
    except UnretryableException as exc:
        inner = exc.inner_exception
        if isinstance(inner, AlibabaCloudException):
            return inner
        raise
    raise AssertionError("the call succeeded but an error was expected")


def wait_until(predicate: Callable[[], bool], timeout: float = 120.0, interval: float = 0.05) -> None:
    """Wait for an event; `timeout` only ends a wait for one that never comes (a hang)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def raw_request(
    emu: Target,
    action: str,
    query: dict[str, str] | None = None,
    *,
    access_key_id: str = DEFAULT_ACCESS_KEY_ID,
    access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET,
    nonce: str | None = None,
    date: str | None = None,
    security_token: str | None = None,
    announced_key_id: str | None = None,
    sign: bool = True,
    tamper: Callable[[dict[str, str]], None] | None = None,
    send_query: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    send_body: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    """Send one request signed by the SDK's own signer, with control over nonce and date.

    With ``security_token``, ``x-acs-accesskey-id`` announces ``announced_key_id`` (default: the
    signing key), signed like every other header. ``form`` goes in a form body (signed through
    its hash); ``send_body`` replaces the body actually sent.
    """
    body = urlencode(form).encode() if form is not None else b""
    query = dict(query or {})
    request = DaraRequest()
    request.method = "POST"
    request.pathname = "/"
    request.query = query
    request.headers = {
        "host": emu.host_port,
        "x-acs-version": "2021-01-20",
        "x-acs-action": action,
        "user-agent": "emulator-tests",
        "x-acs-date": date or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "accept": "application/json",
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    if form is not None:
        request.headers["content-type"] = "application/x-www-form-urlencoded"
    if security_token is not None:
        request.headers["x-acs-accesskey-id"] = announced_key_id or access_key_id
        request.headers["x-acs-security-token"] = security_token
    if sign:
        request.headers["Authorization"] = Utils.get_authorization(
            request, "ACS3-HMAC-SHA256", hashlib.sha256(body).hexdigest(), access_key_id, access_key_secret)
    headers = dict(request.headers)
    if tamper is not None:
        tamper(headers)
    sent = query if send_query is None else send_query
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        conn.request("POST", "/?" + urlencode(sent) if sent else "/", body=body if send_body is None else send_body,
                     headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


class Endpoint:
    """Where a CLI emulator process listens (what ``make_client`` needs)."""

    def __init__(self, url: str) -> None:
        self.endpoint = url
        self.host_port = url.removeprefix("http://")
        self.port = int(self.host_port.rsplit(":", 1)[1])


class CliProcess:
    """A running emulator CLI whose stderr is drained continuously (a full pipe would block it)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self._stderr: list[str] = []
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        for line in self.proc.stderr or ():
            self._stderr.append(line)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Signal the CLI and return (exit code, everything it wrote to stderr)."""
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=10)
        self._drain.join(timeout=10)
        return code, "".join(self._stderr)


def cli_command() -> list[str]:
    return [sys.executable, "-m", "alicloud_account_factory.emulator"]


def cli_env() -> dict[str, str]:
    """The environment for a CLI child: ours without proxies."""
    return {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the emulator CLI for a start that must fail (it would otherwise serve until the timeout)."""
    return subprocess.run(cli_command() + list(args), capture_output=True, text=True, timeout=20, env=cli_env())


@contextmanager
def running(
    *args: str, command: list[str] | None = None, stderr: int = subprocess.PIPE
) -> Iterator[tuple[CliProcess, Endpoint]]:
    """Run the emulator CLI; yields the process and the endpoint it printed first.

    ``stderr`` (a file descriptor) replaces the pipe whose lines ``CliProcess.stop`` returns.
    """
    cmd = (command or cli_command()) + list(args)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=stderr, text=True, env=cli_env())
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().strip()
        assert first.startswith("http://127.0.0.1:"), (first, proc.stderr.read() if proc.poll() is not None else "")
        yield CliProcess(proc), Endpoint(first)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
