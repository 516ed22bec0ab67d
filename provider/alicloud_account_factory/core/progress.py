"""Messages to the person running `pulumi up`, through the engine's Log service.

The engine's address is the last `host:port` argument of the provider process. Ephemeral
messages show on the resource's row while it waits (as native providers show "still
creating..."); they are delivered by a background thread, so a slow engine never stalls the
status poller, and when the engine falls behind the oldest waiting message is dropped. Debug
messages (each API call, a failure's traceback) take the same way; the engine shows them with
`pulumi up --debug` and logs them at `-v=3` and above. Warnings are sent before `log` returns, so
that delete's warning is not lost when the engine stops the process right after Delete answers.
When no engine is reachable (tests, a bare provider), warnings go to stderr instead, debug
messages nowhere, and nothing fails.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import deque
from typing import Any, Callable, Sequence

from .errors import redact

_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]|[\w.\-]+):\d+$")
#: Plugin flags that take their value as the next argument (pulumi's buildPluginArguments).
_FLAGS_WITH_VALUE = frozenset({"--tracing", "-tracing"})
LOG_TIMEOUT_SECONDS = 2.0
#: Ephemeral messages waiting for delivery at most; beyond that the oldest is dropped.
QUEUE_LIMIT = 256
#: Consecutive UNAVAILABLE answers after which the engine is taken to be gone for good.
UNAVAILABLE_LIMIT = 3
#: How long the delivery thread idles before it exits (it restarts with the next message).
IDLE_SECONDS = 30.0
#: How long a finished operation waits at most for its last status to reach the engine.
FINISH_TIMEOUT_SECONDS = 5.0


#: The `__main__` modules of the provider servers the engine starts with its address: Pulumi's dynamic
#: provider server, and this package's native plugin (`alicloud_account_factory.native`).
PROVIDER_SERVER_MAINS = frozenset({"pulumi.dynamic.__main__", "alicloud_account_factory.native.__main__"})


def running_in_provider_server() -> bool:
    """Whether this process is a provider server the engine started (the only kind it gave an address)."""
    main = sys.modules.get("__main__")
    return getattr(getattr(main, "__spec__", None), "name", "") in PROVIDER_SERVER_MAINS


def engine_address(args: Sequence[str]) -> str | None:
    """The engine's address among the plugin arguments: the last positional `host:port`.

    The engine runs plugins with `[--logtostderr] [-v=N] [--tracing <endpoint>] <engine-address>`,
    so the first argument is the address only when logging and tracing are off.
    """
    positional: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in _FLAGS_WITH_VALUE:
            skip = True
        elif not arg.startswith("-"):
            positional.append(arg)
    return next((arg for arg in reversed(positional) if _ADDRESS.match(arg)), None)


def _connect(address: str) -> Any:
    import grpc
    from pulumi.runtime.proto import engine_pb2_grpc

    # The engine is on this machine: never route its channel through an HTTP(S) proxy.
    return engine_pb2_grpc.EngineStub(grpc.insecure_channel(address, options=[("grpc.enable_http_proxy", 0)]))


def _unavailable(error: Exception) -> bool:
    import grpc

    return isinstance(error, grpc.RpcError) and error.code() == grpc.StatusCode.UNAVAILABLE


class EngineLog:
    """A lazily opened channel to the engine; given up after several UNAVAILABLE answers in a row."""

    def __init__(self, address: str | None, *, connect: Callable[[str], Any] = _connect,
                 queue_limit: int = QUEUE_LIMIT) -> None:
        self._address = address
        self._connect = connect
        self._stub: Any = None
        self._broken = address is None
        self._unavailable = 0
        self._lock = threading.Condition()
        #: (message, urn, debug); full: the oldest goes
        self._pending: deque[tuple[str, str, bool]] = deque(maxlen=queue_limit)
        self._sender: threading.Thread | None = None
        self._sending = False
        self._queued = 0  # messages ever queued...
        self._settled = 0  # ...and ever delivered, dropped or given up

    @staticmethod
    def from_process_arguments(args: Sequence[str] | None = None) -> "EngineLog":
        """The engine that started this process, if it looks like one started it."""
        if not running_in_provider_server():
            return EngineLog(None)
        return EngineLog(engine_address(sys.argv[1:] if args is None else args))

    @property
    def address(self) -> str | None:
        """The engine's address, None when no engine started this process."""
        return self._address

    @property
    def connected(self) -> bool:
        """False once the engine is known to be absent or gone."""
        return not self._broken

    def log(self, message: str, *, urn: str = "", warning: bool = False, ephemeral: bool = False) -> None:
        if ephemeral and not warning:
            self._enqueue(message, urn, debug=False)
            return
        if not self._broken and self._send(message, urn, warning=warning, ephemeral=ephemeral):
            return
        print(f"{'warning: ' if warning else ''}{message}", file=sys.stderr, flush=True)

    def debug(self, message: str, *, urn: str = "") -> None:
        """A debug message, delivered in the background like a status line (nowhere without an engine)."""
        self._enqueue(message, urn, debug=True)

    def settle(self, message: str, urn: str, timeout: float) -> None:
        """An operation's last status: queued after every earlier one (so none overtakes it) and waited
        for, so that it reaches the engine before the operation returns; the CLI keeps a row's last
        message on the row after the step completed (bounded by `timeout`: a slow engine never holds
        a finished create)."""
        self._enqueue(message, urn, debug=False)
        self.flush(timeout)

    def flush(self, timeout: float, *, through: int | None = None) -> bool:
        """Wait until every queued message (with `through`: every one queued before `queued()` said
        so) was handed to the engine; False on timeout."""
        with self._lock:
            if through is not None:
                return self._lock.wait_for(lambda: self._settled >= through, timeout=timeout)
            return self._lock.wait_for(lambda: not self._pending and not self._sending, timeout=timeout)

    def queued(self) -> int:
        """How many messages were queued so far (for `flush(through=...)`)."""
        with self._lock:
            return self._queued

    # --- delivery ------------------------------------------------------------------------

    def _enqueue(self, message: str, urn: str, *, debug: bool) -> None:
        with self._lock:
            if self._broken:
                return  # a status or debug line nobody can see: not worth stderr
            if len(self._pending) == self._pending.maxlen:
                self._settled += 1  # the oldest goes
            self._pending.append((message, urn, debug))
            self._queued += 1
            if self._sender is None:
                self._sender = threading.Thread(target=self._deliver, name="engine-log", daemon=True)
                self._sender.start()
            self._lock.notify_all()

    def _deliver(self) -> None:
        while True:
            with self._lock:
                if self._sending:
                    self._settled += 1
                self._sending = False
                self._lock.notify_all()
                if not self._lock.wait_for(lambda: self._pending or self._broken, timeout=IDLE_SECONDS) \
                        or self._broken:
                    self._settled += len(self._pending)
                    self._pending.clear()
                    self._sender = None
                    return
                message, urn, debug = self._pending.popleft()
                self._sending = True
            self._send(message, urn, warning=False, ephemeral=not debug, debug=debug)

    def _engine(self) -> Any:
        """The stub, opened on first use; None (for good) if it cannot even be opened."""
        with self._lock:
            if self._stub is None and not self._broken:
                try:
                    self._stub = self._connect(self._address or "")
                except Exception:  # noqa: BLE001 - no engine to talk to: messages go to stderr
                    self._broken = True
            return self._stub

    def _send(self, message: str, urn: str, *, warning: bool, ephemeral: bool, debug: bool = False) -> bool:
        """One Log call; counts UNAVAILABLE answers and gives the engine up after UNAVAILABLE_LIMIT."""
        stub = self._engine()
        if stub is None:
            return False
        try:
            from pulumi.runtime.proto import engine_pb2

            severity = engine_pb2.WARNING if warning else engine_pb2.DEBUG if debug else engine_pb2.INFO
            stub.Log(engine_pb2.LogRequest(severity=severity, message=message, urn=urn, ephemeral=ephemeral),
                     timeout=LOG_TIMEOUT_SECONDS)
        except Exception as error:  # noqa: BLE001 - an absent engine must never fail an enrollment
            with self._lock:
                if _unavailable(error):
                    self._unavailable += 1
                    self._broken = self._broken or self._unavailable >= UNAVAILABLE_LIMIT
                    self._lock.notify_all()
            return False
        with self._lock:
            self._unavailable = 0
        return True


_process_engine_log: EngineLog | None = None
_process_engine_lock = threading.Lock()  # its own: opening the engine's channel never waits on other locks


def process_engine_log() -> EngineLog:
    """The engine that started this process (one per process, opened on first use)."""
    global _process_engine_log
    with _process_engine_lock:
        if _process_engine_log is None:
            _process_engine_log = EngineLog.from_process_arguments()
        return _process_engine_log


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

    def debug(self, message: str) -> None:
        self._engine.debug(redact(message, self._secrets), urn=self._urn)

    def finish(self, message: str) -> None:
        """The line a finished operation leaves on its row (`Finished (account ...)`), delivered before it returns."""
        self._engine.settle(redact(message, self._secrets), self._urn, FINISH_TIMEOUT_SECONDS)
