"""The fleet machinery on its own: shared polling, the shared listing, pool widening, engine log.

An in-memory Account Factory (`FakeService`) and a fast waiter model stand in for the API and
the 1-30 s delays, so each test runs in a few seconds and counts calls exactly.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from pulumi.runtime.proto import engine_pb2, provider_pb2_grpc

from account_factory_testing.engine import FakeEngine
from alicloud_account_factory.accounts import shared_listing, shared_poller
from alicloud_account_factory.core.errors import AmbiguousCallError, ApiError
from alicloud_account_factory.accounts.model import Enrollment, EnrolledSummary
from alicloud_account_factory.dynamic.pool_widening import PoolWidener, provider_server_pools
from alicloud_account_factory.core.progress import EngineLog, Reporter, engine_address
from alicloud_account_factory.accounts.shared_listing import SharedListing
from alicloud_account_factory.accounts.shared_poller import SharedStatusPoller, StatusPollingFailed, next_sweep_at
from alicloud_account_factory.core.timeouts import Deadline
from alicloud_account_factory.accounts.waiter import ENROLLMENT_TERMINAL, WaiterModel, WaitTimedOut

#: The enrollment waiter's model, twenty times faster.
FAST = WaiterModel("Fast", min_delay=0.05, max_delay=1.5, delay_fraction=0.25, acceptors=ENROLLMENT_TERMINAL.acceptors)
ITEMS = 4
PAGE = 100


# --- an in-memory Account Factory ----------------------------------------------------------


@dataclass
class FakeService:
    """Accounts go Pending (first 10%), then Running through ITEMS items, then Finished."""

    filler: int = 0  # other enrolled accounts, for more listing pages
    list_error: Exception | None = None
    get_error: Exception | None = None
    get_blocks: threading.Event | None = None  # set: get() waits for it
    calls: Counter[str] = field(default_factory=Counter)
    get_times: dict[int, list[float]] = field(default_factory=dict)
    _accounts: dict[int, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def enroll(self, account_uid: int, duration: float) -> None:
        with self._lock:
            self._accounts[account_uid] = (time.monotonic(), duration)

    def finish(self, account_uid: int) -> None:
        """The enrollment ends now."""
        with self._lock:
            self._accounts[account_uid] = (self._accounts[account_uid][0], 0.0)

    def _phase(self, account_uid: int) -> tuple[str, tuple[str, ...], str]:
        """(Status, item statuses, UpdateTime) now."""
        started, duration = self._accounts[account_uid]
        elapsed = time.monotonic() - started
        if elapsed >= duration:
            return "Finished", ("Finished",) * ITEMS, f"t{ITEMS + 2}"
        if elapsed < 0.1 * duration:
            return "Pending", ("Pending",) * ITEMS, "t0"
        current = min(ITEMS - 1, int((elapsed - 0.1 * duration) / (0.9 * duration / ITEMS)))
        items = ("Finished",) * current + ("Running",) + ("Pending",) * (ITEMS - current - 1)
        return "Running", items, f"t{current + 1}"

    def list_enrolled(self, deadline: Deadline, on_retry: object = None) -> list[EnrolledSummary]:
        with self._lock:
            uids = list(self._accounts)
        rows = [EnrolledSummary(900_000 + i, None, None, "Finished", "t0") for i in range(self.filler)]
        for uid in uids:
            status, _items, update_time = self._phase(uid)
            rows.append(EnrolledSummary(uid, None, None, status, update_time))
        with self._lock:
            self.calls["List"] += max(1, math.ceil(len(rows) / PAGE))
        if self.list_error is not None:
            raise self.list_error
        return rows

    def get(self, account_uid: int, deadline: Deadline) -> Enrollment | None:
        with self._lock:
            self.calls["Get"] += 1
            self.get_times.setdefault(account_uid, []).append(time.monotonic())
        if self.get_blocks is not None:
            self.get_blocks.wait(60)
        if self.get_error is not None:
            raise self.get_error
        status, items, update_time = self._phase(account_uid)
        return Enrollment.from_api({
            "AccountUid": account_uid, "Status": status, "UpdateTime": update_time,
            "Progress": [{"Name": f"ACS-BP_ITEM_{i}", "Status": s} for i, s in enumerate(items, start=1)],
        })


@dataclass
class Outcome:
    account_uid: int
    started: float
    result: Enrollment | None = None
    error: BaseException | None = None
    ended: float = 0.0
    seen: list[Enrollment] = field(default_factory=list)


def wait_for_all(poller: SharedStatusPoller, service: FakeService, plan: list[tuple[int, float, float]],
                 deadline: float = 30.0) -> list[Outcome]:
    """Enroll and wait for each (uid, start after s, duration s), every wait on its own thread."""
    began = time.monotonic()
    outcomes: list[Outcome] = []

    def one(account_uid: int, start: float, duration: float) -> Outcome:
        time.sleep(max(0.0, began + start - time.monotonic()))
        service.enroll(account_uid, duration)
        outcome = Outcome(account_uid, time.monotonic())
        try:
            outcome.result = poller.wait(account_uid, Deadline.after(deadline), outcome.seen.append)
        except BaseException as error:  # noqa: BLE001 - inspected by the test
            outcome.error = error
        outcome.ended = time.monotonic()
        return outcome

    with futures.ThreadPoolExecutor(len(plan)) as pool:
        outcomes = list(pool.map(lambda job: one(*job), plan))
    return outcomes


def poller_for(service: FakeService, **kwargs: Any) -> SharedStatusPoller:
    return SharedStatusPoller(service, FAST, listing=service.list_enrolled, **kwargs)  # type: ignore[arg-type]


def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition`; a minute means it never came."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


@contextmanager
def listed_throughout(poller: SharedStatusPoller, service: FakeService) -> Iterator[None]:
    """Two long waits around the block's, so that more accounts wait than the listing has pages
    all along (with one left the poller reads it directly), however spread out the block's waits
    start and end on a loaded machine; ended when the block is done."""
    anchors = [9100, 9101]
    with futures.ThreadPoolExecutor(len(anchors)) as pool:
        for uid in anchors:
            service.enroll(uid, 3600.0)
        held = [pool.submit(poller.wait, uid, Deadline.after(120.0), lambda _seen: None) for uid in anchors]
        until(lambda: set(anchors) <= poller.remembered_accounts(), "the long waits never started")
        yield
        for uid in anchors:
            service.finish(uid)
        assert all(f.result().status == "Finished" for f in held)


# --- one cadence ---------------------------------------------------------------------------


def simulated_sweeps(starts: list[float], duration: float) -> list[float]:
    """The sweep times `next_sweep_at` gives waiters starting at `starts`, each waiting `duration`."""
    sweeps: list[float] = []
    last: float | None = None
    while True:
        live = [s for s in starts if last is None or s + duration > last]
        if not live:
            return sweeps
        last = next_sweep_at(ENROLLMENT_TERMINAL, last, live)
        sweeps.append(last)


def test_one_cadence_for_waiters_started_at_different_times() -> None:
    """40 waiters over 60 s, 10 minutes each: one cadence, each waiter still served at its own pace."""
    starts = [1.5 * i for i in range(40)]
    duration = 600.0
    sweeps = simulated_sweeps(starts, duration)
    # Per-waiter schedules would each poll ~35 times (1400 in all, a few shared by chance).
    own = len(simulated_sweeps([0.0], duration))
    assert own >= 30
    assert len(sweeps) <= 2 * own + 60 // 1.5, len(sweeps)
    model = ENROLLMENT_TERMINAL
    for start in starts:
        mine = [t for t in sweeps if start < t <= start + duration + model.max_delay]
        assert mine[0] - start <= 2 * model.min_delay + 1e-9
        for before, after in zip(mine, mine[1:]):
            assert model.min_delay - 1e-9 <= after - before <= model.delay(before - start) + 1e-9


def test_a_burst_is_first_looked_at_after_its_youngest_and_a_stream_cannot_postpone_the_sweep() -> None:
    model = ENROLLMENT_TERMINAL
    burst = [0.0, 0.02, 0.05]
    assert next_sweep_at(model, None, burst) == pytest.approx(0.05 + model.min_delay)
    stream = [0.9 * i for i in range(10)]  # a new create every 0.9 s
    assert next_sweep_at(model, None, stream) == pytest.approx(2 * model.min_delay)
    # After a sweep: the youngest waiter's pace, and a newcomer min_delay after it arrived.
    assert next_sweep_at(model, 100.0, [0.0, 90.0]) == pytest.approx(100.0 + model.delay(10.0))
    assert next_sweep_at(model, 100.0, [0.0, 100.5]) == pytest.approx(100.5 + model.min_delay)
    assert next_sweep_at(model, 100.0, [0.0, 99.0, 100.5]) == pytest.approx(100.0 + model.min_delay)
    assert next_sweep_at(model, 100.0, []) == math.inf


def test_staggered_waiters_share_sweeps_instead_of_adding_their_schedules_up() -> None:
    service = FakeService()
    poller = poller_for(service)
    plan = [(1000 + i, 0.1 * i, 2.0) for i in range(10)]
    outcomes = wait_for_all(poller, service, plan)
    assert all(o.result is not None and o.result.status == "Finished" for o in outcomes), outcomes
    # The youngest waiter's cadence: ~0.05-0.1 s apart while they arrive, then slower; the
    # union of ten own schedules sweeps about four times as often.
    assert service.calls["List"] <= 45, service.calls  # per-waiter schedules: about 130


# --- calls per enrollment ------------------------------------------------------------------


def test_a_short_enrollment_costs_one_read_at_its_end_and_statuses_come_from_the_listing() -> None:
    service = FakeService()
    poller = poller_for(service)
    with listed_throughout(poller, service):
        outcomes = wait_for_all(poller, service, [(2000 + i, 0.0, 2.0) for i in range(20)])  # 1.8 s Running
    assert all(o.result is not None and o.result.status == "Finished" for o in outcomes)
    reads = {o.account_uid: len(service.get_times[o.account_uid]) for o in outcomes}
    assert set(reads.values()) == {1}, reads  # the terminal read only: no read on Pending -> Running
    for outcome in outcomes:
        statuses = [seen.status for seen in outcome.seen]
        assert "Running" in statuses and statuses[-1] == "Finished", statuses
        assert outcome.result is not None and outcome.result.progress  # outputs from GetEnrolledAccount


def test_progress_details_are_read_when_update_time_moved_and_not_too_often() -> None:
    refresh = 0.4
    service = FakeService()
    poller = poller_for(service, progress_refresh_seconds=refresh)
    with listed_throughout(poller, service):
        outcomes = wait_for_all(poller, service, [(3000 + i, 0.0, 3.0) for i in range(3)])
    for outcome in outcomes:
        reads = service.get_times[outcome.account_uid]
        assert reads[0] - outcome.started >= refresh  # none in the first refresh period
        assert all(b - a >= refresh * 0.9 for a, b in zip(reads, reads[1:]))
        assert 2 <= len(reads) <= ITEMS + 1  # progress reads only when UpdateTime moved, plus the final one
        assert any(seen.progress and "ACS-BP_ITEM_" in seen.progress_line() for seen in outcome.seen)


def test_fewer_waiting_accounts_than_listing_pages_are_read_directly() -> None:
    service = FakeService()
    outcomes = wait_for_all(poller_for(service), service, [(4000, 0.0, 0.6)])
    assert outcomes[0].result is not None and outcomes[0].result.status == "Finished"
    assert service.calls["List"] == 0, service.calls

    service = FakeService(filler=150)  # two pages
    poller = poller_for(service)
    with futures.ThreadPoolExecutor(2) as pool:
        for uid in (4100, 4101):
            service.enroll(uid, 3600.0)
        waits = [pool.submit(poller.wait, uid, Deadline.after(120.0), lambda _seen: None) for uid in (4100, 4101)]
        until(lambda: service.calls["List"] >= 2, "the two waits were never listed")  # once both wait
        for uid in (4100, 4101):
            service.finish(uid)
        assert all(f.result().status == "Finished" for f in waits)
    assert service.calls["List"] == 2, service.calls  # one listing taught it the page count


def test_the_poller_forgets_an_account_when_its_wait_ends() -> None:
    service = FakeService()
    poller = poller_for(service)
    wait_for_all(poller, service, [(5000 + i, 0.0, 0.5) for i in range(3)])
    assert poller.remembered_accounts() == set()


# --- failures ------------------------------------------------------------------------------


def test_a_bug_in_a_sweep_fails_the_waiters_at_once() -> None:
    service = FakeService(list_error=ValueError("a bug"))
    outcomes = wait_for_all(poller_for(service), service, [(6000, 0.0, 60.0), (6001, 0.0, 60.0)], deadline=30.0)
    for outcome in outcomes:
        assert isinstance(outcome.error, StatusPollingFailed), outcome.error
        assert isinstance(outcome.error.__cause__, ValueError)
        assert str(outcome.account_uid) in str(outcome.error) and "a bug" in str(outcome.error)
        assert outcome.ended - outcome.started < 15.0  # at once: not at the 30 s deadline


def test_transient_failures_are_retried_until_the_deadline_and_the_timeout_carries_the_last_one() -> None:
    cut = AmbiguousCallError("ListEnrolledAccounts", "ConnectionFailure", "could not complete the call",
                             retryable=True)  # as the client marks it
    service = FakeService(list_error=cut)
    poller = poller_for(service)
    with listed_throughout(poller, service):  # (alone, the one left would be read directly, not listed)
        outcomes = wait_for_all(poller, service, [(7000, 0.0, 60.0), (7001, 0.0, 60.0)], deadline=3.0)
        service.list_error = None  # the listing is back: the long waits around can end
    assert service.calls["List"] >= 3  # kept trying
    for outcome in outcomes:
        assert isinstance(outcome.error, WaitTimedOut), outcome.error
        assert outcome.error.cause is cut
        assert outcome.error.last is not None and outcome.error.last.status == "Pending"  # the last look


def test_a_refused_read_fails_the_wait_with_the_api_error() -> None:
    refused = ApiError("GetEnrolledAccount", "Forbidden.RAM", "not allowed", status_code=403)
    service = FakeService(get_error=refused)
    outcomes = wait_for_all(poller_for(service), service, [(7500, 0.0, 0.3)], deadline=10.0)
    assert outcomes[0].error is refused


def test_the_last_look_of_a_timed_out_wait_takes_a_few_seconds_at_most(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared_poller, "LATEST_READ_SECONDS", 0.3)
    hung = threading.Event()
    service = FakeService(get_blocks=hung)
    try:
        outcomes = wait_for_all(poller_for(service), service, [(8000, 0.0, 60.0)], deadline=0.5)
    finally:
        hung.set()
    assert isinstance(outcomes[0].error, WaitTimedOut)
    assert outcomes[0].ended - outcomes[0].started < 30.0  # not held by the read that hangs 60 s


# --- the shared listing --------------------------------------------------------------------


class SlowLister:
    """A listing that takes `seconds`, or, held, until `release` is set; `entered` is set once a
    sweep is under way (and has reported `failing`, if given, as a retry)."""

    def __init__(self, seconds: float = 0.0, failing: ApiError | None = None, *, held: bool = False) -> None:
        self.seconds = seconds
        self.failing = failing
        self.deadlines: list[float] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        if not held:
            self.release.set()

    def list_enrolled(self, deadline: Deadline,
                      on_retry: Callable[[ApiError], None] | None = None) -> list[EnrolledSummary]:
        self.deadlines.append(deadline.seconds)
        if on_retry is not None and self.failing is not None:
            on_retry(self.failing)  # as the client does before it sleeps and tries again
        self.entered.set()
        assert self.release.wait(60), "the test never released the listing"
        time.sleep(self.seconds)
        return [EnrolledSummary(1, None, None, "Finished", "t0")]


@dataclass(frozen=True)
class Announced(Deadline):
    """A deadline that counts its caller in `waiting` each time the shared listing reads it, which it
    does, holding its lock, right before it waits for a sweep."""

    waiting: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0), compare=False)

    def remaining(self) -> float:
        self.waiting.release()
        return super().remaining()


def test_a_sweep_has_its_own_deadline_and_a_short_caller_gives_up_alone() -> None:
    lister = SlowLister(held=True)
    listing = SharedListing(lister)  # type: ignore[arg-type]
    with futures.ThreadPoolExecutor(2) as pool:
        long = pool.submit(listing, Deadline.after(60.0))
        assert lister.entered.wait(60)
        with pytest.raises(TimeoutError):
            listing(Deadline.after(0.1))  # gives up at its own deadline, while the sweep still runs
        lister.release.set()
        assert [row.account_uid for row in long.result()] == [1]
    assert lister.deadlines and all(seconds == shared_listing.SWEEP_SECONDS for seconds in lister.deadlines)


def test_a_caller_that_gives_up_learns_why_the_sweep_is_still_retrying() -> None:
    unreachable = AmbiguousCallError("ListEnrolledAccounts", "ConnectionFailure", "could not complete the call")
    lister = SlowLister(failing=unreachable, held=True)
    listing = SharedListing(lister)  # type: ignore[arg-type]
    with futures.ThreadPoolExecutor(1) as pool:
        patient = pool.submit(listing, Deadline.after(60.0))
        assert lister.entered.wait(60)  # the sweep has met the failure and retries
        try:
            with pytest.raises(TimeoutError, match="ConnectionFailure: could not complete the call"):
                listing(Deadline.after(0.1))
        finally:
            lister.release.set()
        patient.result()


def test_callers_asking_together_share_one_sweep() -> None:
    """Ten callers that ask while a sweep runs (held until all ten wait) share the next one."""
    lister = SlowLister(held=True)
    listing = SharedListing(lister)  # type: ignore[arg-type]
    deadline = Announced(time.monotonic() + 60.0, 60.0)
    with futures.ThreadPoolExecutor(10) as pool:
        results = pool.map(lambda _: listing(deadline), range(10))
        for _ in range(10):
            assert deadline.waiting.acquire(timeout=60)
        lister.release.set()
        assert all(len(rows) == 1 for rows in results)
    assert len(lister.deadlines) == 2


def test_a_first_look_shares_a_recent_sweep_and_any_other_caller_gets_a_new_one() -> None:
    lister = SlowLister(0.05)
    listing = SharedListing(lister)  # type: ignore[arg-type]
    listing(Deadline.after(10.0))
    listing(Deadline.after(10.0), max_age=5.0)  # the sweep just made will do
    assert len(lister.deadlines) == 1
    listing(Deadline.after(10.0))  # it must start after the call
    assert len(lister.deadlines) == 2
    time.sleep(0.2)
    listing(Deadline.after(10.0), max_age=0.1)  # the last one started too long ago
    assert len(lister.deadlines) == 3


def test_a_first_look_joins_the_running_sweep() -> None:
    lister = SlowLister(held=True)
    listing = SharedListing(lister)  # type: ignore[arg-type]
    with futures.ThreadPoolExecutor(2) as pool:
        first = pool.submit(listing, Deadline.after(60.0))
        assert lister.entered.wait(60)
        joined = pool.submit(listing, Deadline.after(60.0), max_age=60.0)
        lister.release.set()
        joined.result()
        first.result()
    assert len(lister.deadlines) == 1  # answered by the running sweep, not a new one


def test_a_failed_recent_sweep_is_not_shared() -> None:
    class FailsOnce(SlowLister):
        def list_enrolled(self, deadline: Deadline,
                          on_retry: Callable[[ApiError], None] | None = None) -> list[EnrolledSummary]:
            if not self.deadlines:
                self.deadlines.append(deadline.seconds)
                raise ApiError("ListEnrolledAccounts", "ServiceUnavailable", "try later", status_code=503)
            return super().list_enrolled(deadline, on_retry)

    lister = FailsOnce(0.01)
    listing = SharedListing(lister)  # type: ignore[arg-type]
    with pytest.raises(ApiError):
        listing(Deadline.after(10.0))
    assert [row.account_uid for row in listing(Deadline.after(10.0), max_age=5.0)] == [1]
    assert len(lister.deadlines) == 2


# --- widening the provider server's pool ---------------------------------------------------


def no_max_workers() -> futures.ThreadPoolExecutor:
    pool = futures.ThreadPoolExecutor(2)
    del pool._max_workers
    return pool


@pytest.mark.parametrize("find_pools, detail", [
    (lambda: [], "found 0 running grpc servers"),
    (lambda: [futures.ThreadPoolExecutor(4), futures.ThreadPoolExecutor(4)], "found 2 running grpc servers"),
    (lambda: [no_max_workers()], "no integer _max_workers"),
    (lambda: [object()], "no integer _max_workers"),
    (lambda: 1 / 0, "looking for it failed: ZeroDivisionError"),
])
def test_when_the_pool_cannot_be_widened_it_is_left_alone_and_said_once(
        find_pools: Callable[[], list[Any]], detail: str) -> None:
    widener = PoolWidener(find_pools)
    warnings: list[str] = []
    assert widener.widen(64).applied is False  # no warn callback yet: nothing said
    decisions = [widener.widen(64, warn=warnings.append) for _ in range(3)]
    assert [d.applied for d in decisions] == [False] * 3
    assert len(warnings) == 1 and detail in warnings[0] and "could not widen" in warnings[0], warnings


@pytest.fixture
def provider_grpc_server() -> Iterator[futures.ThreadPoolExecutor]:
    """A running grpc server serving ResourceProvider in this process, as `python -m pulumi.dynamic` has."""
    pool = futures.ThreadPoolExecutor(max_workers=4)
    server = grpc.server(pool)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider_pb2_grpc.ResourceProviderServicer(), server)
    server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield pool
    server.stop(grace=None)


def test_the_live_provider_server_pool_is_found_and_widened(provider_grpc_server: futures.ThreadPoolExecutor) -> None:
    with FakeEngine():  # another grpc server in the process: not the provider's, not counted
        assert provider_server_pools() == [provider_grpc_server]
        decision = PoolWidener().widen(16)
    assert decision.applied and provider_grpc_server._max_workers == 16, decision
    release = threading.Event()
    running = threading.Semaphore(0)

    def block() -> None:
        running.release()
        release.wait(10)

    jobs = [provider_grpc_server.submit(block) for _ in range(8)]
    try:
        assert all(running.acquire(timeout=60) for _ in range(8))  # 8 at once, not 4
    finally:
        release.set()
        futures.wait(jobs)


def test_without_a_provider_server_nothing_is_widened() -> None:
    with FakeEngine():
        decision = PoolWidener().widen(16)
    assert not decision.applied and "found 0" in decision.detail


# --- the engine log ------------------------------------------------------------------------


@pytest.mark.parametrize("args, address", [
    (["127.0.0.1:1234"], "127.0.0.1:1234"),
    (["--logtostderr", "-v=9", "127.0.0.1:5555"], "127.0.0.1:5555"),
    (["--tracing", "tracing.example:9411", "127.0.0.1:5555"], "127.0.0.1:5555"),
    (["--logtostderr", "-v=3", "--tracing", "localhost:4000", "localhost:6000"], "localhost:6000"),
    (["--tracing=localhost:9411", "[::1]:7000"], "[::1]:7000"),
    (["--tracing", "localhost:9411"], None),
    (["-v=3", "--logtostderr"], None),
    ([], None),
])
def test_the_engine_address_is_the_last_positional_host_port(args: list[str], address: str | None) -> None:
    assert engine_address(args) == address


def test_outside_a_provider_server_there_is_no_engine() -> None:
    assert EngineLog.from_process_arguments(["127.0.0.1:1234"]).connected is False


class Unavailable(grpc.RpcError):
    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNAVAILABLE


class FakeStub:
    """An Engine stub: records messages; can be slow, held, or failing for a while."""

    def __init__(self, delay: float = 0.0, failures: int = 0) -> None:
        self.delay = delay
        self.failures = failures
        self.hold: threading.Event | None = None
        self.entered = threading.Event()
        self.received: list[engine_pb2.LogRequest] = []

    def Log(self, request: engine_pb2.LogRequest, timeout: float) -> None:  # noqa: N802 - gRPC's name
        self.entered.set()
        if self.hold is not None:
            self.hold.wait(60)
        time.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise Unavailable()
        self.received.append(request)


def log_with(stub: FakeStub, **kwargs: Any) -> EngineLog:
    return EngineLog("127.0.0.1:1", connect=lambda _address: stub, **kwargs)


def test_status_messages_never_wait_for_a_slow_engine_and_warnings_are_delivered_before_log_returns() -> None:
    stub = FakeStub()
    stub.hold = threading.Event()  # the engine hangs on the first message (for 60 s)
    engine = log_with(stub)
    logged = threading.Thread(target=lambda: [engine.log(f"status {i}", urn="urn:a", ephemeral=True) for i in range(5)])
    logged.start()
    logged.join(30)
    assert not logged.is_alive(), "status messages waited for the hung engine"
    stub.hold.set()
    engine.log("mind this", urn="urn:a", warning=True)
    assert "mind this" in [r.message for r in stub.received]  # synchronous
    assert engine.flush(10)
    statuses = [r.message for r in stub.received if r.ephemeral]
    assert statuses == [f"status {i}" for i in range(5)]


def test_when_the_engine_falls_behind_the_oldest_status_messages_are_dropped() -> None:
    stub = FakeStub()
    stub.hold = threading.Event()
    engine = log_with(stub, queue_limit=5)
    engine.log("m0", ephemeral=True)
    assert stub.entered.wait(5)  # m0 is being delivered; the engine hangs
    for i in range(1, 15):
        engine.log(f"m{i}", ephemeral=True)
    stub.hold.set()
    assert engine.flush(10)
    assert [r.message for r in stub.received] == ["m0", *(f"m{i}" for i in range(10, 15))]


def test_debug_messages_go_at_debug_severity_and_a_flush_waits_only_for_what_was_queued_before_it() -> None:
    stub = FakeStub()
    stub.hold = threading.Event()
    engine = log_with(stub, queue_limit=3)
    engine.debug("d0", urn="urn:a")
    assert stub.entered.wait(5)  # d0 is being delivered; the engine hangs
    for i in range(1, 5):
        engine.debug(f"d{i}", urn="urn:a")  # d1 is dropped: the queue holds 3
    through = engine.queued()
    assert not engine.flush(0.2, through=through)
    stub.hold.set()
    assert engine.flush(10, through=through)
    later = threading.Event()
    stub.hold, stub.delay = later, 0.0
    engine.log("status", ephemeral=True)  # queued after: a flush through `through` does not wait for it
    assert engine.flush(0.5, through=through)
    later.set()
    assert engine.flush(10)
    assert [(r.message, r.severity, r.ephemeral) for r in stub.received] == [
        *((f"d{i}", engine_pb2.DEBUG, False) for i in (0, 2, 3, 4)), ("status", engine_pb2.INFO, True)]


def test_the_engine_is_given_up_only_after_several_unavailable_answers_in_a_row(
        capsys: pytest.CaptureFixture[str]) -> None:
    stub = FakeStub(failures=2)
    engine = log_with(stub)
    for i in range(3):
        engine.log(f"warning {i}", warning=True)
    assert engine.connected and [r.message for r in stub.received] == ["warning 2"]
    assert "warning 0" in capsys.readouterr().err  # not lost: stderr instead

    stub.failures = 3
    for i in range(3):
        engine.log(f"again {i}", warning=True)
    assert not engine.connected
    engine.log("afterwards", warning=True)
    assert "afterwards" in capsys.readouterr().err and stub.failures == 0


def test_a_real_unreachable_engine_is_given_up_after_unavailable_answers(capsys: pytest.CaptureFixture[str]) -> None:
    engine = EngineLog("127.0.0.1:1")  # nothing listens there
    for i in range(3):
        engine.log(f"w{i}", warning=True)
    assert not engine.connected
    assert "w2" in capsys.readouterr().err


def test_messages_are_scrubbed_of_secrets() -> None:
    stub = FakeStub()
    engine = log_with(stub)
    reporter = Reporter(engine, "urn:a", ("s3cr3t-Value-42",))
    reporter.status("status with s3cr3t-Value-42 inside")
    reporter.warn("warning with s3cr3t-Value-42 inside")
    assert engine.flush(5)
    assert len(stub.received) == 2 and all("s3cr3t" not in r.message for r in stub.received)
