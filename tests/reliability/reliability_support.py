"""Shared pieces of the reliability suite: evidence for the secret scan, the run summary,
and the few moves every scenario makes (start a provider server, fire creates, run the
emulator's command line on a fixed port).

Imported as `tests.reliability.reliability_support` by the conftest and by every test
module, so that all of them share one `EVIDENCE` and one `SUMMARY`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import pulumi

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import PROXY_VARIABLES, ProviderError, ProviderServer
from account_factory_testing.registration import Registration, _RecordingMocks, run_with_mocks
from account_factory_testing.secrets import where_found
from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.emulator import EmulatorAdmin
from alicloud_account_factory.resource import RESOURCE_TYPE

#: Deadline of one gRPC call: generous, so that only a hung provider trips it.
CALL_DEADLINE = 300.0
#: How long a test waits for an event (a request in the emulator's log, an account, a message)
#: before calling it a hang: far beyond what the event takes on a loaded machine.
HANG_SECONDS = 120.0
#: The suite's enrollments (the shared `emulator` fixture's too): short, so the suite is fast;
#: every scenario still waits through all the statuses.
ENROLL_SECONDS = 1.5
#: Random kill points, lags and downtimes come from this seed (set RELIABILITY_SEED to explore others).
SEED = int(os.environ.get("RELIABILITY_SEED", "20250117"))
#: The read timeout (`alicloud-account-factory:readTimeout`) of the scenarios that wait out an
#: unanswered request: a third of the real 30 s, so that the windows the provider derives from it
#: (in flight for twice the read timeout, then the listing's 15 s) pass three times sooner. What a
#: scenario's gateway holds is given in real seconds and scaled the same way (`held`), so every hold
#: keeps its ratio to the read timeout: still longer than it, or still well within it.
READ_TIMEOUT_SECONDS = 10.0
REAL_READ_TIMEOUT_SECONDS = 30.0
SHORT_READ_TIMEOUT = {"alicloud-account-factory:readTimeout": f"{READ_TIMEOUT_SECONDS:g}s"}


def held(real_seconds: float) -> float:
    """A hold of `real_seconds` against the real 30 s read timeout, at this suite's read timeout."""
    return real_seconds * READ_TIMEOUT_SECONDS / REAL_READ_TIMEOUT_SECONDS


# --- evidence: everything a user could ever see, scanned for the secret -----------------------


@dataclass
class Evidence:
    """Texts the suite saw (blobs, outputs, errors, logs), plus the servers and engines to read.

    Why: the secret key must never reach anything a user or a state file could show; every
    test files what it saw here, and the scan runs after each test and once more at the end.
    """

    items: list[tuple[str, str]] = field(default_factory=list)
    servers: list[ProviderServer] = field(default_factory=list)
    engines: list[FakeEngine] = field(default_factory=list)
    emulator_logs: list[Callable[[], str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, value: Any) -> None:
        text = value if isinstance(value, str) else repr(value)
        with self._lock:
            self.items.append((kind, text))

    def blob(self, b64: str) -> None:
        """A `__provider` blob: scanned as sent and as the pickle bytes it decodes to."""
        self.add("blob", b64)
        self.add("blob-decoded", base64.b64decode(b64).decode("latin-1"))

    def outputs(self, outputs: Mapping[str, Any]) -> None:
        self.add("outputs", dict(outputs))
        provider = outputs.get("__provider")
        if isinstance(provider, str):
            self.blob(provider)

    def error(self, error: BaseException) -> None:
        self.add("error", getattr(error, "details", None) or str(error))

    def watch_server(self, server: ProviderServer) -> None:
        with self._lock:
            self.servers.append(server)

    def watch_engine(self, engine: FakeEngine) -> None:
        with self._lock:
            self.engines.append(engine)

    def everything(self) -> list[tuple[str, str]]:
        """Every text seen so far, provider stderr and engine log messages included."""
        with self._lock:
            texts = list(self.items)
        return texts + self.streams()

    def streams(self) -> list[tuple[str, str]]:
        """What the processes wrote: provider stderr, engine log messages, emulator logs."""
        with self._lock:
            servers, engines, logs = list(self.servers), list(self.engines), list(self.emulator_logs)
        texts = [("provider-stderr", server.stderr_text()) for server in servers]
        texts += [("engine-log", message.message) for engine in engines for message in engine.messages]
        texts += [("emulator-stderr", log()) for log in logs]
        return texts

    @staticmethod
    def leaks(texts: Iterable[tuple[str, str]], secret: str = SECRET) -> list[str]:
        """Where the secret shows, in any spelling (in clear, JSON-escaped, percent-encoded, base64)."""
        return [f"{kind}: {place}" for kind, text in texts for place in where_found(text, secret, width=80)]


EVIDENCE = Evidence()

#: What the run proved, in numbers; written to JSON and printed at the end of the session.
SUMMARY: dict[str, Any] = {}
_summary_lock = threading.Lock()


def record(section: str, **figures: Any) -> None:
    """Add figures to one section of the run summary (sections add up across tests)."""
    with _summary_lock:
        merge_figures(SUMMARY, {section: figures})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def merge_figures(target: dict[str, Any], figures: Mapping[str, Any]) -> None:
    """Add `figures` into `target`: numbers add up, tables merge key by key, anything else is
    replaced (so the summaries of several test processes add up like those of several tests)."""
    for key, value in figures.items():
        if _is_number(value) and _is_number(target.get(key)):
            target[key] += value
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge_figures(target[key], value)
        elif isinstance(value, Mapping):
            target[key] = {}
            merge_figures(target[key], value)
        else:
            target[key] = value


# --- provider servers and resources ----------------------------------------------------------


def start_server(engine: FakeEngine, endpoint: str, warm_with: Optional[Registration] = None, *,
                 config: Optional[Mapping[str, str]] = None, env: Optional[Mapping[str, str]] = None) -> ProviderServer:
    """A real `python -m pulumi.dynamic` process configured for `endpoint`, as the engine starts it.

    `config` adds stack config (e.g. `alicloud-account-factory:fleetMode`), `env` environment variables.
    `warm_with` sends one Check first, as the engine does (it checks resources one at a time,
    then runs their creates in parallel): the provider configures itself, and widens the
    server's thread pool, on the first call that carries its blob.
    """
    server = ProviderServer(engine.address, env=env, default_deadline=CALL_DEADLINE)
    server.start()
    EVIDENCE.watch_server(server)
    server.configure(provider_config(endpoint, **(config or {})))
    if warm_with is not None:
        checked = server.check(warm_with.urn, {}, warm_with.inputs)
        assert checked.failures == [], checked.failures
    return server


class _PlaceholderOutputMocks(_RecordingMocks):
    """Records registrations exactly as `capture_registrations` does; every output is a placeholder text.

    Why: the stock mocks echo the inputs back as outputs, and the SDK then converts them to the
    resource's declared output types, which fails for the wrongly typed inputs of the bad-input
    catalogue (with a real engine Check rejects them before any output exists). What is
    registered, i.e. sent to the engine, is the same.
    """

    def new_resource(self, args: Any) -> tuple[Optional[str], dict]:
        resource_id, outputs = super().new_resource(args)
        return resource_id, {key: "(registered)" for key in outputs}


def register_raw(name: str, opts: Optional[pulumi.ResourceOptions] = None, *, preview: bool = False,
                 **kwargs: Any) -> Registration:
    """What `EnrolledAccount(name, **kwargs)` registers, whatever the types of the arguments."""
    return register_program(lambda: EnrolledAccount(name, opts=opts, **kwargs), preview=preview)[name]


def register_many(specs: Mapping[str, Mapping[str, Any]]) -> dict[str, Registration]:
    """What `EnrolledAccount(name, **kwargs)` registers for each (name, kwargs), in one program."""
    return register_program(lambda: [EnrolledAccount(name, **kwargs) for name, kwargs in specs.items()])


def register_program(program: Callable[[], Any], *, preview: bool = False) -> dict[str, Registration]:
    """Every EnrolledAccount a program registers, by name (preview: unknowns stay unknown)."""
    mocks = _PlaceholderOutputMocks()
    run_with_mocks(program, mocks, mocks.monitor, preview=preview)
    found = {r.name: r for r in mocks.registrations if r.type_ == RESOURCE_TYPE}
    for registration in found.values():
        EVIDENCE.blob(registration.inputs["__provider"])
    return found


@dataclass
class CreateOutcome:
    """How one engine-style Check + Create ended: an id and outputs, or the server's error."""

    name: str
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)
    error: Optional[ProviderError] = None


def check_and_create(server: ProviderServer, registration: Registration) -> CreateOutcome:
    """Check then Create, as the engine runs a new resource's step; errors are returned, not raised."""
    outcome = CreateOutcome(registration.name)
    try:
        checked = server.check(registration.urn, {}, registration.inputs)
        EVIDENCE.add("check", checked)
        assert checked.failures == [], checked.failures
        outcome.id, outcome.outputs = server.create(registration.urn, checked.inputs)
        EVIDENCE.outputs(outcome.outputs)
    except ProviderError as error:
        outcome.error = error
        EVIDENCE.error(error)
    return outcome


def create_in_a_new_provider(engine: FakeEngine, endpoint: str, registration: Registration,
                             **options: Any) -> CreateOutcome:
    """Check and Create in a provider process of its own, stopped afterwards: one `pulumi up` of
    this resource. `options` are `start_server`'s (config, env)."""
    server = start_server(engine, endpoint, warm_with=registration, **options)
    try:
        return check_and_create(server, registration)
    finally:
        server.stop()


def kill_right_after_enroll_took_effect(engine: FakeEngine, emulator: Any, registration: Registration,
                                       display_name: str) -> None:
    """A provider process creating `registration` is SIGKILLed once its EnrollAccount took effect,
    the answer held back (never delivered): what it recorded is an unanswered request."""
    emulator.set_faults([{"action": "EnrollAccount", "kind": "delay", "delay_seconds": 60,
                          "after_processing": True, "times": 1}])
    server = start_server(engine, emulator.endpoint, warm_with=registration)
    thread = threading.Thread(target=check_and_create, args=(server, registration), daemon=True)
    thread.start()
    try:
        assert wait_until(lambda: accounts_by_name(emulator.state()).get(display_name), timeout=HANG_SECONDS), \
            "never enrolled"
        server.kill()
    finally:
        server.stop()
        thread.join(10)
    emulator.set_faults([])


def create_all(server: ProviderServer, registrations: Iterable[Registration]) -> dict[str, CreateOutcome]:
    """Every create at once, in one provider process (the engine runs independent steps in parallel)."""
    registrations = list(registrations)
    with ThreadPoolExecutor(max_workers=max(1, len(registrations))) as pool:
        outcomes = list(pool.map(lambda r: check_and_create(server, r), registrations))
    return {outcome.name: outcome for outcome in outcomes}


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.02) -> bool:
    """Poll `predicate` 50 times a second (predicates copy the emulator's state or request log, and the
    suite is CPU-bound on 2 cores); False when `timeout` passes first (the caller decides what that means)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)
    return True


def release_once_looked(emulator: Any, since: float, listing: str = "ListAccountFactoryBaselines") -> int:
    """Let the gateway carry out its held request only once a create that started after `since` has looked
    (its listing is in the emulator's log): the worst order for a request that went unanswered. Returns how
    many requests were released (1 unless the hold's own bound ran out first)."""
    def looked() -> bool:
        return any(r["action"] == listing and r["time"] > since for r in emulator.requests())

    assert wait_until(looked, timeout=HANG_SECONDS), "the second create never looked"
    released: int = emulator.release_held()
    return released


# --- what the emulator holds ------------------------------------------------------------------


def accounts_by_name(state: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Enrolled accounts grouped by display name (more than one in a group is a duplicate)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for account in state["accounts"]:
        grouped.setdefault(account.get("DisplayName"), []).append(account)
    return grouped


def enrollments_by_uid(state: Mapping[str, Any]) -> dict[int, int]:
    """How many EnrollAccount calls took effect, per account."""
    return {m["account_uid"]: m["enrollments"] for m in state["directory"]["member_accounts"]}


def the_one_account(state: Mapping[str, Any], display_name: str, enrollments: int = 1) -> dict[str, Any]:
    """The only account with this display name, whose EnrollAccount took effect `enrollments`
    times (asserted: a second account, or a second enrollment, is what the suite hunts)."""
    accounts = accounts_by_name(state).get(display_name, [])
    assert len(accounts) == 1, f"{display_name}: {len(accounts)} accounts {[a['AccountUid'] for a in accounts]}"
    [account] = accounts
    took_effect = enrollments_by_uid(state)[account["AccountUid"]]
    assert took_effect == enrollments, f"{display_name}: EnrollAccount took effect {took_effect} times"
    return account


def duplicates(state: Mapping[str, Any], names: Iterable[str]) -> dict[str, int]:
    """Display names with more than one account (what the suite counts as "duplicates found")."""
    grouped = accounts_by_name(state)
    return {name: len(grouped.get(name, [])) for name in names if len(grouped.get(name, [])) > 1}


# --- the emulator's command line, restartable on one port --------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class EmulatorCli:
    """`python -m alicloud_account_factory.emulator` on a fixed port with a state file.

    Why a subprocess: a restart must lose everything in memory, exactly as a crashed or
    redeployed service does; only the state file carries over.
    """

    def __init__(self, port: int, state_file: Path, enroll_seconds: float) -> None:
        self.port = port
        self.state_file = state_file
        self.enroll_seconds = enroll_seconds
        self.endpoint = f"http://127.0.0.1:{port}"
        self.admin = EmulatorAdmin(self.endpoint)
        self.restarts = 0
        self._proc: Optional[subprocess.Popen[bytes]] = None
        self._stderr = tempfile.NamedTemporaryFile(prefix="emulator-", suffix=".stderr", delete=False)
        EVIDENCE.emulator_logs.append(self.stderr_text)

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARIABLES}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "alicloud_account_factory.emulator", "--port", str(self.port),
             "--access-key-id", ACCESS_KEY_ID, "--access-key-secret", SECRET,
             "--enroll-seconds", str(self.enroll_seconds), "--state-file", str(self.state_file)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr, env=env,
        )
        assert self._proc.stdout is not None
        first = self._proc.stdout.readline().decode().strip()
        if first != self.endpoint:
            self._proc.wait(timeout=10)
            raise RuntimeError(f"emulator did not start on {self.endpoint} (said {first!r}):\n{self.stderr_text()}")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(sig)
            self._proc.wait(timeout=15)
        if self._proc is not None and self._proc.stdout is not None:
            self._proc.stdout.close()

    def restart(self, sig: int, down_seconds: float) -> None:
        """Stop with `sig` (SIGKILL: a crash), stay down a while, start again on the same port."""
        self.stop(sig)
        time.sleep(down_seconds)
        self.start()
        self.restarts += 1

    def stderr_text(self) -> str:
        return Path(self._stderr.name).read_text(errors="replace")

    def close(self) -> None:
        self.stop(signal.SIGKILL)  # the state file is written after every change: nothing to flush
        self._stderr.close()


# --- unknown values, as a preview has them ---------------------------------------------------


def unknown_output() -> pulumi.Output[Any]:
    """An Output whose value is not known (what a preview passes for a not-yet-created value).

    Must be called inside a running Pulumi program (it needs the program's event loop).
    """
    loop = asyncio.get_event_loop()
    value: asyncio.Future[Any] = loop.create_future()
    value.set_result(None)
    known: asyncio.Future[bool] = loop.create_future()
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def dump_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
