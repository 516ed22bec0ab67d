"""Drive the real Pulumi dynamic provider server (``python -m pulumi.dynamic``) over gRPC.

This is exactly what the engine does: start the process with the engine's address as its
first argument, read the port from the first line of stdout, then call the
``pulumirpc.ResourceProvider`` service. Properties are (de)serialized with the SDK's own
``pulumi.runtime.rpc`` functions so numbers, unknowns and secrets look as they do in production.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import grpc
from google.protobuf import struct_pb2

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PROVIDER_KEY = "__provider"
UNREACHABLE_ENGINE = "127.0.0.1:1"
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
# Never route loopback gRPC through a proxy, whatever the environment says.
CHANNEL_OPTIONS = [("grpc.enable_http_proxy", 0)]
DEFAULT_DEADLINE = 300.0


#: Where a provider process records its EnrollAccount attempts (alicloud_account_factory.core.journal).
JOURNAL_ENV = "ALICLOUD_ACCOUNT_FACTORY_STATE_DIR"
_journal_directory: list[str] = []


def _session_journal_directory() -> str:
    """One temporary directory per test process, unless a test sets its own."""
    if not _journal_directory:
        _journal_directory.append(tempfile.mkdtemp(prefix="account-factory-journal-"))
    return _journal_directory[0]


class ProviderError(Exception):
    """A provider call failed; ``details`` is the server's text (a traceback for provider errors)."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details


@dataclass
class CheckOutcome:
    inputs: dict[str, Any]
    failures: list[tuple[str, str]]


@dataclass
class DiffOutcome:
    changes: Literal["none", "some", "unknown"]
    replaces: list[str]
    delete_before_replace: bool
    raw: provider_pb2.DiffResponse = field(repr=False)


def make_urn(
    type_: str,
    name: str,
    project: str = "project",
    stack: str = "stack",
    parent_type: str | None = None,
) -> str:
    """A URN as the engine builds it (children of the root stack are not type-qualified)."""
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


def split_urn(urn: str) -> tuple[str, str]:
    """(type, name) of a URN; the engine sends them alongside the URN in every request."""
    parts = urn.split("::", 3)
    if len(parts) != 4:
        return "", ""
    return parts[2].split("$")[-1], parts[3]


def provider_blob(provider: ResourceProvider) -> str:
    """The ``__provider`` value ``pulumi.dynamic.Resource`` would register for ``provider``."""
    return serialize_provider(provider)


def normalize_unknowns(value: Any) -> Any:
    """Replace ``pulumi.output.Unknown`` objects by the wire sentinel ``rpc.UNKNOWN``."""
    if isinstance(value, Unknown):
        return rpc.UNKNOWN
    if isinstance(value, dict):
        return {k: normalize_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize_unknowns(v) for v in value]
    return value


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    """Serialize a property bag with the SDK serializer on a private event loop (thread-safe)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(dict(props), {}))
    finally:
        loop.close()


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    """Deserialize a property bag; unknowns come back as ``rpc.UNKNOWN``, secrets stay wrapped."""
    return normalize_unknowns(rpc.deserialize_properties(struct, keep_unknowns=True))


class ProviderServer:
    """Context manager owning one ``python -m pulumi.dynamic`` process and a channel to it.

    Every call helper is thread-safe (one shared channel) and takes a ``deadline`` in seconds.
    """

    def __init__(
        self,
        engine_address: str | None,
        env: Mapping[str, str] | None = None,
        extra_pythonpath: Sequence[str | os.PathLike[str]] = (),
        startup_timeout: float = 60.0,
        default_deadline: float = DEFAULT_DEADLINE,
    ) -> None:
        self.engine_address = engine_address or UNREACHABLE_ENGINE
        self._env = dict(env or {})
        self._extra_pythonpath = [str(p) for p in extra_pythonpath]
        self._startup_timeout = startup_timeout
        self.default_deadline = default_deadline
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr_path: str | None = None
        self._stderr_cache = ""
        self._stdout_lines: list[str] = []
        self._drain: threading.Thread | None = None
        self._channel: grpc.Channel | None = None
        self.stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------
    def _child_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
        # The provider records EnrollAccount attempts on disk: never in the home of whoever runs the tests.
        env.setdefault(JOURNAL_ENV, _session_journal_directory())
        env.update(self._env)
        paths = self._extra_pythonpath + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        if paths:
            env["PYTHONPATH"] = os.pathsep.join(paths)
        return env

    def start(self) -> ProviderServer:
        fd, self._stderr_path = tempfile.mkstemp(prefix="pulumi-dynamic-", suffix=".stderr")
        with os.fdopen(fd, "wb") as stderr_file:
            self._proc = subprocess.Popen(
                [sys.executable, "-u", "-m", "pulumi.dynamic", self.engine_address],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=stderr_file,
                env=self._child_env(),
            )
        first_line: queue.Queue[str] = queue.Queue()
        # Keep draining stdout for the process's whole life, as the engine does: a provider that
        # prints must never block on a full pipe.
        self._drain = threading.Thread(target=self._drain_stdout, args=(first_line,), daemon=True)
        self._drain.start()
        try:
            line = first_line.get(timeout=self._startup_timeout)
        except queue.Empty:
            self.kill()
            raise RuntimeError(
                f"provider server printed no port within {self._startup_timeout}s; stderr:\n{self.stderr_text()}"
            ) from None
        if not line.strip().isdigit():
            self._proc.wait(timeout=10)
            raise RuntimeError(
                f"provider server exited (code {self._proc.returncode}) before printing its port "
                f"(stdout {line!r}); stderr:\n{self.stderr_text()}"
            )
        self.port = int(line)
        self._channel = grpc.insecure_channel(f"127.0.0.1:{self.port}", options=CHANNEL_OPTIONS)
        grpc.channel_ready_future(self._channel).result(timeout=self._startup_timeout)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
        return self

    def _drain_stdout(self, first_line: queue.Queue[str]) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        first = True
        for raw in iter(self._proc.stdout.readline, b""):
            text = raw.decode(errors="replace").rstrip("\n")
            if first:
                first_line.put(text)
                first = False
            else:
                self._stdout_lines.append(text)
        if first:
            first_line.put("")  # EOF before the port: the process died

    @property
    def pid(self) -> int:
        assert self._proc is not None, "server not started"
        return self._proc.pid

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the server (crash tests): in-flight calls fail with UNAVAILABLE."""
        if self._proc is not None and self._proc.poll() is None:
            os.kill(self._proc.pid, signal.SIGKILL)
            self._proc.wait(timeout=10)

    def stop(self) -> None:
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._drain is not None:
            self._drain.join(timeout=10)  # EOF once the process is gone
        if self._proc is not None and self._proc.stdout is not None:
            self._proc.stdout.close()
        if self._stderr_path is not None:
            self._stderr_cache = self.stderr_text()
            os.unlink(self._stderr_path)
            self._stderr_path = None

    def stderr_text(self) -> str:
        """Everything the server process wrote to stderr so far (to scan for leaked secrets)."""
        if self._stderr_path is None:
            return self._stderr_cache
        return Path(self._stderr_path).read_text(errors="replace")

    def stdout_text(self) -> str:
        """Whatever the process printed after its port line."""
        return "\n".join(self._stdout_lines)

    def __enter__(self) -> ProviderServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- calls -----------------------------------------------------------------------------
    def _call(self, method: str, request: Any, deadline: float | None) -> Any:
        assert self.stub is not None, "server not started"
        try:
            return getattr(self.stub, method)(request, timeout=deadline or self.default_deadline)
        except grpc.RpcError as exc:
            raise ProviderError(exc.code(), exc.details() or "") from None

    def configure(
        self, config: Mapping[str, str], *, deadline: float | None = None
    ) -> provider_pb2.ConfigureResponse:
        """Send the stack config, as the engine does once per provider before any other call."""
        request = provider_pb2.ConfigureRequest(
            args=to_struct(config),
            variables=dict(config),
            acceptSecrets=True,
            acceptResources=True,
        )
        return self._call("Configure", request, deadline)

    def check(
        self,
        urn: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        deadline: float | None = None,
    ) -> CheckOutcome:
        type_, name = split_urn(urn)
        request = provider_pb2.CheckRequest(
            urn=urn, name=name, type=type_, olds=to_struct(olds), news=to_struct(news)
        )
        response = self._call("Check", request, deadline)
        return CheckOutcome(
            inputs=from_struct(response.inputs),
            failures=[(f.property, f.reason) for f in response.failures],
        )

    def diff(
        self,
        id_: str,
        urn: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        deadline: float | None = None,
    ) -> DiffOutcome:
        """``olds`` are the old OUTPUTS, as the engine sends them."""
        type_, name = split_urn(urn)
        request = provider_pb2.DiffRequest(
            id=id_,
            urn=urn,
            name=name,
            type=type_,
            olds=to_struct(olds),
            news=to_struct(news),
            old_inputs=to_struct(old_inputs or {}),
        )
        response = self._call("Diff", request, deadline)
        changes: Literal["none", "some", "unknown"] = {
            provider_pb2.DiffResponse.DIFF_NONE: "none",
            provider_pb2.DiffResponse.DIFF_SOME: "some",
        }.get(response.changes, "unknown")  # type: ignore[assignment]
        return DiffOutcome(
            changes=changes,
            replaces=list(response.replaces),
            delete_before_replace=response.deleteBeforeReplace,
            raw=response,
        )

    def create(
        self,
        urn: str,
        properties: Mapping[str, Any],
        timeout: float = 0,
        *,
        deadline: float | None = None,
    ) -> tuple[str, dict[str, Any]]:
        type_, name = split_urn(urn)
        request = provider_pb2.CreateRequest(
            urn=urn, name=name, type=type_, properties=to_struct(properties), timeout=timeout
        )
        response = self._call("Create", request, deadline)
        return response.id, from_struct(response.properties)

    def read(
        self,
        id_: str,
        urn: str,
        properties: Mapping[str, Any],
        inputs: Mapping[str, Any] | None = None,
        *,
        deadline: float | None = None,
    ) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
        """Returns (id, outputs, inputs or None); an empty id means "gone"."""
        type_, name = split_urn(urn)
        request = provider_pb2.ReadRequest(
            id=id_,
            urn=urn,
            name=name,
            type=type_,
            properties=to_struct(properties),
            inputs=to_struct(inputs or {}),
        )
        response = self._call("Read", request, deadline)
        new_inputs = from_struct(response.inputs) if response.HasField("inputs") else None
        return response.id, from_struct(response.properties), new_inputs

    def update(
        self,
        id_: str,
        urn: str,
        olds: Mapping[str, Any],
        news: Mapping[str, Any],
        timeout: float = 0,
        *,
        old_inputs: Mapping[str, Any] | None = None,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        """``olds`` are the old OUTPUTS; returns the new outputs."""
        type_, name = split_urn(urn)
        request = provider_pb2.UpdateRequest(
            id=id_,
            urn=urn,
            name=name,
            type=type_,
            olds=to_struct(olds),
            news=to_struct(news),
            old_inputs=to_struct(old_inputs or {}),
            timeout=timeout,
        )
        response = self._call("Update", request, deadline)
        return from_struct(response.properties)

    def delete(
        self,
        id_: str,
        urn: str,
        properties: Mapping[str, Any],
        *,
        old_inputs: Mapping[str, Any] | None = None,
        timeout: float = 0,
        deadline: float | None = None,
    ) -> None:
        """``properties`` are the resource's last OUTPUTS."""
        type_, name = split_urn(urn)
        request = provider_pb2.DeleteRequest(
            id=id_,
            urn=urn,
            name=name,
            type=type_,
            properties=to_struct(properties),
            old_inputs=to_struct(old_inputs or {}),
            timeout=timeout,
        )
        self._call("Delete", request, deadline)
