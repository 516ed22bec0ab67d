"""The emulator's HTTP server: the governance API plus the ``/_emulator/`` control API.

Why it is built this way: the real SDK keeps connections alive and a fleet of clients
hits the service concurrently, so the server is threaded (daemon threads, HTTP/1.1,
a large backlog); everything a test needs to steer the service (faults, outcomes,
throttling, reset, STS) is reachable over HTTP so that out-of-process users can use it too.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import socket
import socketserver
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

from .faults import FaultInjector, FaultRule
from .model import GovernanceModel, new_request_id, start_catalog
from .responses import (
    API_METHODS,
    API_VERSION,
    WRITE_ACTIONS,
    GovernanceResponses,
    action_not_found,
    error_body,
    http_error,
    method_not_allowed,
    render,
    request_params,
    response_format,
    version_not_found,
    xml_root,
)
from .signature import STS_DEFAULT_SECONDS, SignatureError, SignatureVerifier, SignedRequest, signed_route

DEFAULT_ACCESS_KEY_ID = "LTAI5tEmuLatorTestKey0001"
DEFAULT_ACCESS_KEY_SECRET = "EmulatorTestSecret0000000000000001"
DEFAULT_ENROLL_SECONDS = 8.0
CONTROL_PREFIX = "/_emulator"
STATE_FORMAT = "alicloud-account-factory-emulator"
STATE_VERSION = 1
REQUEST_LOG_SIZE = 1000
KEEPALIVE_IDLE_SECONDS = 120.0
#: The largest request body read (an emulator choice: RPC bodies are form parameters, kilobytes).
MAX_BODY_BYTES = 8 * 1024 * 1024
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class StateFileError(RuntimeError):
    """The state file exists but cannot be used (corrupt, wrong format): refuse to start."""


class ControlError(ValueError):
    """A bad control-API request (answered 400 with ``{"error": ...}``)."""


class BodyTooLarge(Exception):
    """A request body larger than MAX_BODY_BYTES, announced or streamed: answered 413, never read."""

    def __init__(self, size: int, announced: bool) -> None:
        spelt = f"{size} bytes announced" if announced else f"more than {MAX_BODY_BYTES} bytes in chunks"
        super().__init__(f"The request body ({spelt}) is larger than the {MAX_BODY_BYTES} bytes this service takes.")


# ---- small parts ------------------------------------------------------------------------


class QpsLimiter:
    """Admits at most ``qps`` API requests in any sliding one-second window."""

    def __init__(self, qps: int, clock: Callable[[], float] = time.monotonic) -> None:
        if qps < 1:
            raise ValueError("qps must be >= 1")
        self.qps = qps
        self._clock = clock
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> bool:
        with self._lock:
            now = self._clock()
            while self._admitted and now - self._admitted[0] >= 1.0:
                self._admitted.popleft()
            if len(self._admitted) >= self.qps:
                return False
            self._admitted.append(now)
            return True

    def reset(self) -> None:
        with self._lock:
            self._admitted.clear()


class StateStore:
    """Atomic JSON snapshots: temp file in the same directory, fsync, ``os.replace``."""

    TEMP_SUFFIX = ".tmp"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._lock = threading.Lock()

    @property
    def _temp_prefix(self) -> str:
        """Temp files are ``.<name>.<random>.tmp``: hidden, and recognisably this file's."""
        return f".{os.path.basename(self.path)}."

    def remove_stale_temp_files(self) -> list[str]:
        """Delete temp files left by a save that never reached ``os.replace`` (a crash or kill).

        Only this state file's own pattern is touched; a file that cannot be removed is left
        alone (it is harmless, just clutter). Returns the paths removed.
        """
        pattern = os.path.join(glob.escape(os.path.dirname(self.path)),
                               glob.escape(self._temp_prefix) + "*" + self.TEMP_SUFFIX)
        removed = []
        for path in sorted(glob.glob(pattern)):
            try:
                os.unlink(path)
            except OSError:
                continue
            removed.append(path)
        return removed

    def load(self) -> dict[str, Any] | None:
        """The saved snapshot, ``None`` if there is no file yet; StateFileError if unusable."""
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise StateFileError(f"cannot read state file {self.path}: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
            raise StateFileError(f"{self.path} is not an account factory emulator state file")
        if data.get("version") != STATE_VERSION:
            raise StateFileError(f"{self.path}: unsupported state version {data.get('version')!r}")
        return data

    def save(self, snapshot: Callable[[], dict[str, Any]]) -> None:
        """Write ``snapshot()`` (taken under the store lock, so the newest always wins)."""
        with self._lock:
            data = {"format": STATE_FORMAT, "version": STATE_VERSION,
                    "saved_at": time.time(), **snapshot()}
            directory = os.path.dirname(self.path)
            fd, tmp = tempfile.mkstemp(prefix=self._temp_prefix, suffix=self.TEMP_SUFFIX, dir=directory)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=1, sort_keys=True)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            try:
                dir_fd = os.open(directory, os.O_RDONLY)
            except OSError:
                return
            try:
                os.fsync(dir_fd)
            except OSError:
                pass
            finally:
                os.close(dir_fd)


@dataclass
class Reply:
    """What to send back (or ``drop``: close the connection without a response), in ``format``
    (``JSON`` or ``XML``: what the request asked for); ``outage``: the service goes down before
    it leaves (an ``outage`` fault rule)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    outage: bool = False
    action: str = ""
    code: str = ""
    control: bool = False
    format: str = "JSON"


def _request_id(reply: Reply) -> str:
    """The RequestId an answer carries (a dropped connection's or a refused request's may carry none: "")."""
    if reply.drop:
        return ""
    body_id = reply.body.get("RequestId") if isinstance(reply.body, dict) else None
    return str(body_id or reply.headers.get("x-acs-request-id") or "")


def error_reply(status: int, body: dict[str, Any], action: str, headers: dict[str, str] | None = None) -> Reply:
    """An error answer: its code and request id also go where the request log and the SDK look."""
    return Reply(status=status, body=body, action=action, code=str(body.get("Code", "")),
                 headers={"x-acs-request-id": str(body.get("RequestId", "")), **(headers or {})})


# ---- HTTP plumbing ----------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow in some sandboxes)."""
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self, keep: socket.socket | None = None) -> None:
        """Unblock keep-alive handler threads so a stopped server really stops answering (all but
        ``keep``: the connection whose answer is still to be sent)."""
        with self._conn_lock:
            connections = [conn for conn in self._connections if conn is not keep]
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AccountFactoryEmulator/1.0"
    sys_version = ""
    timeout = KEEPALIVE_IDLE_SECONDS
    # Headers and body go out in two writes: without TCP_NODELAY, Nagle plus the client's
    # delayed ACK would add ~40 ms to every keep-alive answer.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib access log: the emulator writes its own (without secrets)."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer an HTTP-level rejection (bad framing, or what the stdlib refuses itself: a
        malformed request line, an unknown method, oversized headers) in the service's JSON
        error shape and log it, instead of the stdlib's HTML page or a silent close.

        The connection is closed afterwards: the rest of the byte stream cannot be trusted.
        """
        request_id = new_request_id()
        status, body = http_error(int(code), message or HTTPStatus(code).phrase, request_id)
        reply = error_reply(status, body, "", {"Connection": "close"})
        self.close_connection = True
        # parse_request sets command and path together (a failed parse leaves command None and
        # path possibly from the previous request on this connection).
        path = self.path.partition("?")[0] if self.command else "-"
        self.server.emulator.record_request(self.command or "-", path, reply, 0.0)
        if self.request_version == "HTTP/0.9":
            # What the stdlib assumes when it could not read a version; as 0.9 the answer would
            # go out without status line or headers, unparsable by any client alive today.
            self.request_version = "HTTP/1.0"
        self._send(reply)

    def _read_body(self) -> bytes:
        """The request body; ValueError when its framing (Content-Length or chunks) is malformed,
        BodyTooLarge before reading more than MAX_BODY_BYTES."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                line = self.rfile.readline().split(b";")[0].strip()
                if not set(line) <= _HEX_DIGITS:  # int(..., 16) would also take "-5" or "0x10"
                    raise ValueError(f"malformed chunk size {line[:20]!r}")
                size = int(line or b"0", 16)
                total += size
                if total > MAX_BODY_BYTES:
                    raise BodyTooLarge(total, announced=False)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        lengths = {v.strip() for v in self.headers.get_all("Content-Length", [])}
        if not lengths:
            return b""
        length = lengths.pop()
        if lengths or not (length.isascii() and length.isdigit()):
            raise ValueError("malformed Content-Length header: it must be one non-negative integer")
        if int(length) > MAX_BODY_BYTES:
            raise BodyTooLarge(int(length), announced=True)
        return self.rfile.read(int(length))

    def _dispatch(self) -> None:
        started = time.monotonic()
        emulator = self.server.emulator
        path, _, query = self.path.partition("?")
        try:
            body = self._read_body()
        except BodyTooLarge as exc:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, str(exc))
            return
        except ValueError as exc:
            self.send_error(HTTPStatus.BAD_REQUEST, str(exc))
            return
        except OSError:  # the client went away mid-body: nobody to answer
            self.close_connection = True
            return
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        try:
            if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
                reply = emulator.answer_control(self.command, path, query, body)
                reply.control = True
            else:
                reply = emulator.answer_api(self.command, path, query, headers, body)
        except Exception as exc:  # a bug must still produce a well-formed answer
            request_id = new_request_id()
            reply = Reply(status=500, action=(headers.get("x-acs-action") or [""])[0],
                          body=error_body("InternalError", "The request processing has failed due to some "
                                          f"unknown error, exception or failure. ({type(exc).__name__})",
                                          request_id),
                          headers={"x-acs-request-id": request_id}, code="InternalError")
        # Recorded before answering, so the log already shows a request when its client sees the answer.
        emulator.record_request(self.command, path, reply, (time.monotonic() - started) * 1000)
        if reply.outage:
            # Down before the answer leaves: the client's next request finds the port closed.
            self.close_connection = True
            emulator.go_down(keep=self.connection)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        """Write ``reply`` (no body for HEAD, as HTTP requires), or drop the connection."""
        if reply.drop:
            self.close_connection = True
            try:
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            payload, content_type = render(reply.body, reply.format, xml_root(reply.action, reply.status == 200))
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                self.wfile.flush()
            except OSError:
                self.close_connection = True

    # The methods a client may plausibly send reach _dispatch, which answers those the API or a
    # control route does not take with a JSON 405 (the stdlib would send an HTML 501 page);
    # any other method goes to send_error (a JSON 501).
    do_POST = do_GET = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _dispatch


# ---- the emulator -----------------------------------------------------------------------


class Emulator:
    """A local Cloud Governance Center (``governance``, 2021-01-20) for the real SDK.

    Use as a context manager (``with Emulator() as emu: emu.endpoint``) or call
    :meth:`start` / :meth:`stop`. The convenience methods (:meth:`state`, :meth:`set_faults`,
    :meth:`add_outcome`, :meth:`reset`, :meth:`issue_sts`) do in-process what the
    ``/_emulator/`` control API does over HTTP.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        access_key_id: str = DEFAULT_ACCESS_KEY_ID,
        access_key_secret: str = DEFAULT_ACCESS_KEY_SECRET,
        enroll_seconds: float = DEFAULT_ENROLL_SECONDS,
        state_file: str | os.PathLike[str] | None = None,
        qps: int | None = None,
        seed: int | None = None,
        *,
        list_lag_seconds: float = 0.0,
        log_stream: TextIO | None = None,
        clock: Callable[[], float] = time.time,
        catalog_file: str | os.PathLike[str] | None = None,
    ) -> None:
        """``catalog_file``: a JSON file of baseline item definitions added to the built-in catalog
        (docs/emulator.md, "The item catalog"); ValueError if it cannot be read or an item is malformed."""
        if not access_key_id or not access_key_secret:
            raise ValueError("access_key_id and access_key_secret must not be empty")
        self.host = host
        self._requested_port = port
        self.model = GovernanceModel(enroll_seconds=enroll_seconds, clock=clock, seed=seed,
                                     list_lag_seconds=list_lag_seconds, catalog=start_catalog(catalog_file))
        self.responses = GovernanceResponses(self.model)
        self.verifier = SignatureVerifier(access_key_id, access_key_secret, clock=clock)
        self.faults = FaultInjector(seed, self.responses.actions)
        self.limiter = QpsLimiter(qps, clock=clock) if qps else None
        self._store = StateStore(state_file) if state_file else None
        self._log_stream = log_stream
        self._log_lock = threading.Lock()
        self._counts_lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._calls_ok: Counter[str] = Counter()
        self._requests: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_SIZE)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------

    def start(self) -> Emulator:
        """Load the state file (if any), bind and serve on background daemon threads."""
        if self._server is not None:
            return self
        if self._store is not None:
            for stale in self._store.remove_stale_temp_files():
                self._log(f"removed stale temp file {stale}")
            data = self._store.load()
            if data is not None:
                try:
                    self.model.load_dict(data["model"])
                    self.verifier.load_sts(data.get("sts", []))
                except (KeyError, TypeError, ValueError) as exc:
                    raise StateFileError(f"cannot load state file {self._store.path}: {exc}") from exc
            self._save()
        self._server = _Server((self.host, self._requested_port), self)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="account-factory-emulator", daemon=True)
        self._thread.start()
        return self

    def go_down(self, keep: socket.socket | None = None) -> None:
        """An outage (the ``outage`` fault): stop listening and close every connection but ``keep``
        (the one whose answer is still to be sent, with ``Connection: close``), so that new
        connections are refused. The state is kept; ``start()`` serves again, on the same port."""
        server = self._server
        if server is None:
            return
        port = self.port
        self._stop(keep)
        self._requested_port = port
        self._log(f"outage: stopped listening on port {port} (fault rule)")

    def stop(self) -> None:
        """Stop serving, close kept-alive connections and flush the state file."""
        self._stop()

    def _stop(self, keep: socket.socket | None = None) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections(keep)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._save()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def host_port(self) -> str:
        """``127.0.0.1:PORT``: what the SDK's ``Config(endpoint=...)`` wants."""
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host_port}"

    # ---- in-process control (same as the /_emulator/ API) ------------------------------

    def state(self) -> dict[str, Any]:
        """Enrolled accounts, the directory and per-action call counts."""
        view = self.model.state_view()
        with self._counts_lock:
            view["calls"] = dict(self._calls)
            view["calls_ok"] = dict(self._calls_ok)
        return view

    def set_faults(self, rules: list[dict[str, Any]] | dict[str, Any]) -> list[dict[str, Any]]:
        """Replace the fault rules (``[]`` clears); raises ValueError if a rule is invalid."""
        return self.faults.set_rules(rules)

    def get_faults(self) -> list[dict[str, Any]]:
        return self.faults.rules_view()

    def release_held(self) -> int:
        """Let go of every request an `until_released` delay rule holds (and holds from now on)."""
        return self.faults.release()

    def add_outcome(self, outcome: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue how the next matching enrollment(s) end; returns the queued outcomes."""
        specs = outcome if isinstance(outcome, list) else [outcome]
        queued = self.model.add_outcomes(specs)
        self._save()
        return queued

    def get_outcomes(self) -> list[dict[str, Any]]:
        return self.model.outcomes_view()

    def clear_outcomes(self) -> None:
        self.model.clear_outcomes()
        self._save()

    def get_settings(self) -> dict[str, Any]:
        """Runtime settings: ``{"list_lag_seconds": S}``."""
        return self.model.settings_view()

    def update_settings(self, **changes: Any) -> dict[str, Any]:
        """Change some runtime settings (``list_lag_seconds=S``); raises ValueError if one is invalid.

        Not persisted: a restart starts with the options it is given, as it does for fault rules.
        """
        return self.model.update_settings(changes)

    def catalog(self) -> list[dict[str, Any]]:
        """Every baseline item the emulator knows, as definitions with their ``source``."""
        return self.model.catalog_view()

    def add_catalog_items(self, definitions: Any) -> list[dict[str, Any]]:
        """Add baseline items (one definition or a list; all or none, ValueError saying why); returns the catalog."""
        catalog = self.model.add_catalog_items(definitions)
        self._save()
        return catalog

    def reset(self) -> None:
        """Seeded directory, start settings and catalog, no enrollments, faults, outcomes, call counts or request log."""
        self.model.reset()
        self.faults.clear()
        if self.limiter is not None:
            self.limiter.reset()
        with self._counts_lock:
            self._calls.clear()
            self._calls_ok.clear()
            self._requests.clear()
        self._save()

    def issue_sts(self, duration_seconds: float = STS_DEFAULT_SECONDS) -> dict[str, Any]:
        """Temporary credentials (``AccessKeyId``, ``AccessKeySecret``, ``SecurityToken``, ``Expiration``)."""
        creds = self.verifier.issue_sts(duration_seconds)
        self._save()
        return creds

    def requests(self) -> list[dict[str, Any]]:
        """The most recent API requests (method, path, action, status, code, ms); never secrets.

        Control-API requests are not listed (they are still logged to the log stream)."""
        with self._counts_lock:
            return list(self._requests)

    # ---- serving (what the HTTP server calls) ---------------------------------------

    def answer_api(self, method: str, path: str, query: str, headers: dict[str, list[str]], body: bytes) -> Reply:
        """One governance API request, answered in the format it asks for (errors too)."""
        params = request_params(query, headers, body)
        reply = self._api_reply(method, path, query, headers, body, params)
        reply.format = response_format(params)
        return reply

    def answer_control(self, method: str, path: str, query: str, body: bytes) -> Reply:
        """The ``/_emulator/`` API: never signed, counted, throttled or faulted."""
        route = path[len(CONTROL_PREFIX):].rstrip("/") or "/"
        action = f"_emulator{route}"

        def ok(payload: Any) -> Reply:
            return Reply(status=200, body=payload, action=action)

        try:
            payload = json.loads(body.decode("utf-8")) if body.strip() else None
        except (UnicodeDecodeError, ValueError) as exc:
            return Reply(status=400, body={"error": f"request body is not valid JSON: {exc}"}, action=action)
        try:
            if route == "/health" and method == "GET":
                return ok({"ok": True, "endpoint": self.endpoint if self._server else None})
            if route == "/state" and method == "GET":
                return ok(self.state())
            if route == "/faults":
                if method == "GET":
                    return ok(self.get_faults())
                if method == "POST":
                    return ok(self.set_faults(payload if payload is not None else []))
                if method == "DELETE":
                    return ok(self.set_faults([]))
            if route == "/faults/release" and method == "POST":
                return ok({"released": self.release_held()})
            if route == "/outcomes":
                if method == "GET":
                    return ok(self.get_outcomes())
                if method == "POST":
                    if not isinstance(payload, (dict, list)):
                        raise ControlError("expected an outcome object or a list of them")
                    return ok(self.add_outcome(payload))
                if method == "DELETE":
                    self.clear_outcomes()
                    return ok([])
            if route == "/reset" and method == "POST":
                self.reset()
                return ok({"reset": True})
            if route == "/sts" and method == "POST":
                duration = STS_DEFAULT_SECONDS
                if isinstance(payload, dict) and "duration_seconds" in payload:
                    duration = payload["duration_seconds"]
                    if not isinstance(duration, (int, float)) or isinstance(duration, bool):
                        raise ControlError("duration_seconds must be a number")
                return ok(self.issue_sts(duration))
            if route == "/requests" and method == "GET":
                return ok(self.requests())
            if route == "/catalog":
                if method == "GET":
                    return ok(self.catalog())
                if method == "POST":
                    return ok(self.add_catalog_items(payload))
            if route == "/settings":
                if method == "GET":
                    return ok(self.get_settings())
                if method == "POST":
                    if not isinstance(payload, dict):
                        raise ControlError("expected a settings object, e.g. {\"list_lag_seconds\": 2}")
                    return ok(self.update_settings(**payload))
        except ValueError as exc:
            return Reply(status=400, body={"error": str(exc)}, action=action)
        known = {"/health", "/state", "/faults", "/faults/release", "/outcomes", "/reset", "/sts", "/requests", "/settings", "/catalog"}
        if route in known:
            return Reply(status=405, body={"error": f"{method} is not allowed on {path}"}, action=action)
        return Reply(status=404, body={"error": f"unknown control endpoint {path}"}, action=action)

    def record_request(self, method: str, path: str, reply: Reply, ms: float) -> None:
        """Count a request in the log (API requests only) and write its line to the log stream."""
        status: int | str = "drop" if reply.drop else reply.status
        now = time.time()
        entry: dict[str, Any] = {"time": now, "method": method, "path": path, "action": reply.action,
                                 "status": status, "code": reply.code, "request_id": _request_id(reply),
                                 "ms": round(ms, 2)}
        if not reply.control:
            with self._counts_lock:
                self._requests.append(entry)
        line = f"{method} {path} {reply.action or '-'} {status} {ms:.1f}ms"
        self._log(f"{line} {reply.code}" if reply.code else line, now)

    # ---- internals ----------------------------------------------------------------

    def _save(self) -> None:
        if self._store is not None:
            self._store.save(lambda: {"model": self.model.to_dict(), "sts": self.verifier.sts_snapshot()})

    def _log(self, text: str, now: float | None = None) -> None:
        """One timestamped line on the log stream; a closed or broken stream is not an error."""
        if self._log_stream is None:
            return
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
        with self._log_lock:
            try:
                self._log_stream.write(f"{stamp} {text}\n")
                self._log_stream.flush()
            except (OSError, ValueError):
                pass

    def _count(self, counter: Counter[str], action: str) -> None:
        with self._counts_lock:
            counter[action] += 1

    def _fault_reply(self, rule: FaultRule, action: str, request_id: str) -> Reply:
        headers = {}
        if rule.retry_after is not None:
            headers["x-acs-retry-after"] = str(rule.retry_after)
        return error_reply(rule.http_status, error_body(rule.code, rule.message, request_id), action, headers)

    def _api_reply(self, method: str, path: str, query: str, headers: dict[str, list[str]], body: bytes,
                   params: dict[str, str]) -> Reply:
        """Signature, throttling, faults, then the model.

        Action and version are what the request signed (`signed_route`): the ``x-acs-action`` /
        ``x-acs-version`` headers or the ``Action``/``Version`` parameters under ACS3, the
        parameters only under the classic signature; a header and a parameter that disagree are refused.
        """
        route = signed_route(headers, params)
        action = route.action
        self._count(self._calls, action or "<missing>")
        request_id = new_request_id()
        if method not in API_METHODS:
            return error_reply(*method_not_allowed(method, request_id), action, {"Allow": ", ".join(API_METHODS)})
        if route.refusal is not None:
            refusal = route.refusal
            return error_reply(refusal.http_status, error_body(refusal.code, refusal.message, request_id), action)
        if action not in self.responses.actions:
            return error_reply(*action_not_found(request_id), action)
        version = route.version
        if version != API_VERSION:
            return error_reply(*version_not_found(request_id), action)
        try:
            self.verifier.verify(SignedRequest(method, path, query, headers, body, params))
        except SignatureError as err:
            return error_reply(err.http_status, error_body(err.code, err.message, request_id), action)
        if self.limiter is not None and not self.limiter.admit():
            return error_reply(400, error_body("Throttling.User", "Request was denied due to user flow control.",
                                               request_id), action)

        rule = self.faults.pick(action, after_processing=False)
        if rule is not None:
            if rule.kind == "error":
                return self._fault_reply(rule, action, request_id)
            if rule.kind == "drop":
                return Reply(drop=True, action=action, code="<dropped>")
            if rule.kind == "outage":
                return Reply(drop=True, outage=True, action=action, code="<outage>")
            self.faults.delay(rule)

        status, answer = self.responses.dispatch(action, params, request_id)
        if status == 200:
            self._count(self._calls_ok, action)
            if action in WRITE_ACTIONS:
                self._save()
        reply = (Reply(status=200, body=answer, action=action, headers={"x-acs-request-id": request_id})
                 if status == 200 else error_reply(status, answer, action))

        rule = self.faults.pick(action, after_processing=True)
        if rule is not None:
            if rule.kind == "error":
                return self._fault_reply(rule, action, request_id)
            if rule.kind == "drop":
                return Reply(drop=True, action=action, code="<dropped after processing>")
            if rule.kind == "outage":
                reply.outage = True
                reply.code = reply.code or "<outage after answering>"
                reply.headers["Connection"] = "close"
                return reply
            self.faults.delay(rule)
        return reply
