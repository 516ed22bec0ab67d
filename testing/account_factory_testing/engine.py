"""A fake Pulumi engine ``Engine`` gRPC service.

A provider process receives the engine's address as its first command-line argument and may
call ``Engine.Log`` on it (that is how ephemeral "waiting for ..." status lines reach the CLI).
``FakeEngine`` runs a real gRPC server implementing that service and records every message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from types import TracebackType

import grpc
from google.protobuf import empty_pb2

from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc

# Severities as the engine defines them (engine.proto LogSeverity).
DEBUG = engine_pb2.DEBUG
INFO = engine_pb2.INFO
WARNING = engine_pb2.WARNING
ERROR = engine_pb2.ERROR


@dataclass(frozen=True)
class LogMessage:
    """One ``Engine.Log`` request as the engine received it."""

    severity: int
    message: str
    urn: str
    ephemeral: bool
    stream_id: int


class _EngineServicer(engine_pb2_grpc.EngineServicer):
    """Records Log calls; keeps the root resource URN like the real engine does."""

    def __init__(self, owner: FakeEngine) -> None:
        self._owner = owner

    def Log(self, request: engine_pb2.LogRequest, context: grpc.ServicerContext) -> empty_pb2.Empty:
        self._owner._record(
            LogMessage(
                severity=request.severity,
                message=request.message,
                urn=request.urn,
                ephemeral=request.ephemeral,
                stream_id=request.streamId,
            )
        )
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):  # type: ignore[no-untyped-def]
        return engine_pb2.GetRootResourceResponse(urn=self._owner.root_urn)

    def SetRootResource(self, request, context):  # type: ignore[no-untyped-def]
        self._owner.root_urn = request.urn
        return engine_pb2.SetRootResourceResponse()


class FakeEngine:
    """Context manager: a gRPC ``Engine`` service on 127.0.0.1 that records log messages.

    Use ``.address`` as the provider server's engine address.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[LogMessage] = []
        self.root_urn = ""
        self._server: grpc.Server | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeEngine:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        engine_pb2_grpc.add_EngineServicer_to_server(_EngineServicer(self), server)
        self.port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self._server = server
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop(grace=None)
            self._server = None

    def __enter__(self) -> FakeEngine:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """The ``host:port`` a provider process gets as its first argument."""
        return f"127.0.0.1:{self.port}"

    # -- recorded messages -----------------------------------------------------------------
    def _record(self, message: LogMessage) -> None:
        with self._lock:
            self._messages.append(message)

    @property
    def messages(self) -> list[LogMessage]:
        """A snapshot of every message received, in arrival order."""
        with self._lock:
            return list(self._messages)

    def messages_for(self, urn: str) -> list[LogMessage]:
        """Messages attributed to one resource URN."""
        return [m for m in self.messages if m.urn == urn]

    def ephemeral(self) -> list[LogMessage]:
        """Messages sent with ``ephemeral=True`` (transient status lines)."""
        return [m for m in self.messages if m.ephemeral]

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(
        self, predicate: Callable[[LogMessage], bool], timeout: float = 120.0
    ) -> LogMessage:
        """Wait until a message matching ``predicate`` arrives (Log calls may race the reply);
        ``timeout`` only ends a wait for one that never comes."""
        deadline = time.monotonic() + timeout
        while True:
            for m in self.messages:
                if predicate(m):
                    return m
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching log message within {timeout}s; got {self.messages!r}")
            time.sleep(0.02)
