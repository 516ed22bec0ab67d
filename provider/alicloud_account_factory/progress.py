"""Messages to the person running `pulumi up`, through the engine's Log service.

The engine's address is the provider process's first argument. Ephemeral messages show
on the resource's row while it waits (as native providers show "still creating..."), and
warnings stay in the output. When no engine is reachable (tests, a bare provider), messages
go to stderr instead and nothing fails.
"""

from __future__ import annotations

import re
import sys
import threading
from typing import Any

from .errors import redact

_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]|[\w.\-]+):\d+$")
LOG_TIMEOUT_SECONDS = 2.0


class EngineLog:
    """A lazily opened channel to the engine; disabled for good after the first failure."""

    def __init__(self, address: str | None) -> None:
        self._address = address
        self._stub: Any = None
        self._broken = address is None
        self._lock = threading.Lock()

    @staticmethod
    def from_process_arguments() -> "EngineLog":
        """The engine that started this process, if it looks like one started it."""
        main = sys.modules.get("__main__")
        spec = getattr(main, "__spec__", None)
        started_by_engine = getattr(spec, "name", "") == "pulumi.dynamic.__main__"
        candidate = sys.argv[1] if started_by_engine and len(sys.argv) > 1 else None
        return EngineLog(candidate if candidate and _ADDRESS.match(candidate) else None)

    def _engine(self) -> Any:
        with self._lock:
            if self._stub is None and not self._broken:
                import grpc
                from pulumi.runtime.proto import engine_pb2_grpc

                self._stub = engine_pb2_grpc.EngineStub(grpc.insecure_channel(self._address))
            return self._stub

    def log(self, message: str, *, urn: str = "", warning: bool = False, ephemeral: bool = False) -> None:
        stub = None if self._broken else self._engine()
        if stub is not None:
            from pulumi.runtime.proto import engine_pb2

            severity = engine_pb2.WARNING if warning else engine_pb2.INFO
            try:
                stub.Log(
                    engine_pb2.LogRequest(severity=severity, message=message, urn=urn or "", ephemeral=ephemeral),
                    timeout=LOG_TIMEOUT_SECONDS,
                )
                return
            except Exception:  # noqa: BLE001 - an absent engine must never fail an enrollment
                self._broken = True
        if warning or not ephemeral:
            print(f"{'warning: ' if warning else ''}{message}", file=sys.stderr, flush=True)


class Reporter:
    """Where one resource's messages go; every text is scrubbed of secrets first."""

    def __init__(self, engine: EngineLog, urn: str, secrets: tuple[str, ...]) -> None:
        self._engine = engine
        self._urn = urn
        self._secrets = secrets

    def status(self, message: str) -> None:
        self._engine.log(redact(message, self._secrets), urn=self._urn, ephemeral=True)

    def warn(self, message: str) -> None:
        self._engine.log(redact(message, self._secrets), urn=self._urn, warning=True)
