"""Many accounts in one stack: shared polling and a provider server that is not capped at 4.

One provider process serves every EnrolledAccount of a stack. Two things make a fleet slow
with a naive provider, and this module addresses both:

* `pulumi.dynamic`'s server runs provider calls on a pool of 4 threads, and each create
  holds one while it waits: 32 accounts take 8 enrollment times, and check/diff/read calls
  queue behind them. `widen_provider_server_pool` raises that pool's limit. It reaches into
  private attributes of grpc and concurrent.futures, so it verifies everything it touches
  and, when anything is not as expected, leaves the server alone and says so once.
* every waiting account polling GetEnrolledAccount on its own adds up to rate limits.
  `SharedStatusPoller` makes one ListEnrolledAccounts sweep (100 accounts a page) serve
  every waiting enrollment, and calls GetEnrolledAccount only for an account whose status or
  UpdateTime changed, or that reached a terminal status.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from .client import GovernanceClient
from .errors import ApiError
from .model import PENDING, TERMINAL_STATUSES, Enrollment, EnrolledSummary
from .timeouts import Deadline
from .waiter import ENROLLMENT_TERMINAL, OnChange, PollingWaiter, WaiterModel, WaitTimedOut

#: Provider calls one process may run at once after widening (the stock server allows 4).
FLEET_WORKERS = 256
#: How long one sweep may take, retries included.
SWEEP_SECONDS = 120.0
#: Sweeps an account may be missing from the listing (eventual consistency) before it is
#: read directly.
MISSING_SWEEPS_BEFORE_DIRECT_READ = 3
#: Progress details (GetEnrolledAccount) are read at most this often per account; a new
#: status is announced at once from the listing, and the terminal status is read at once.
PROGRESS_REFRESH_SECONDS = 10.0
#: GetEnrolledAccount calls one sweep makes at once (100 accounts finishing together should
#: not be read one after another at the real service's latency).
PARALLEL_READS = 8


# --- the provider server's thread pool ---------------------------------------------------


@dataclass
class PoolWidening:
    """What `widen_provider_server_pool` did, for the log and for the test that guards it."""

    applied: bool
    detail: str


_widening: PoolWidening | None = None
_widening_lock = threading.Lock()


def running_in_provider_server() -> bool:
    main = sys.modules.get("__main__")
    return getattr(getattr(main, "__spec__", None), "name", "") == "pulumi.dynamic.__main__"


def _server_pools() -> list[ThreadPoolExecutor]:
    """The thread pools of the live grpc servers of this process."""
    from grpc import _server

    state_type = getattr(_server, "_ServerState", None)
    if state_type is None:
        return []
    pools = []
    for obj in gc.get_objects():
        if isinstance(obj, state_type):
            pool = getattr(obj, "thread_pool", None)
            if isinstance(pool, ThreadPoolExecutor):
                pools.append(pool)
    return pools


def widen_provider_server_pool(workers: int = FLEET_WORKERS,
                               warn: Callable[[str], None] | None = None) -> PoolWidening:
    """Let the provider server run `workers` calls at once instead of 4; decided once per process.

    If the server cannot be widened, `warn` hears why (once), and the stock server keeps working.
    """
    global _widening
    with _widening_lock:
        if _widening is None:
            _widening = _widen(workers)
            if not _widening.applied and running_in_provider_server() and warn is not None:
                warn(_widening.detail)
        return _widening


def _widen(workers: int) -> PoolWidening:
    if not running_in_provider_server():
        return PoolWidening(False, "not running inside the pulumi.dynamic provider server")
    try:
        pools = _server_pools()
        problem = f"found {len(pools)} grpc server thread pools, expected exactly 1"
    except Exception as error:  # noqa: BLE001 - grpc internals changed: keep the stock server
        pools, problem = [], f"{type(error).__name__}: {error}"
    if len(pools) == 1 and isinstance(getattr(pools[0], "_max_workers", None), int) \
            and hasattr(pools[0], "_adjust_thread_count"):
        pool = pools[0]
        before = pool._max_workers
        pool._max_workers = max(before, workers)
        return PoolWidening(True, f"provider server runs up to {pool._max_workers} calls at once (was {before})")
    return PoolWidening(
        False,
        f"could not widen the provider server's thread pool ({problem}); enrollments run at most "
        f"4 at a time in this process. Please report this with your pulumi version.",
    )


# --- one ListEnrolledAccounts for many readers ---------------------------------------------


class SharedListing:
    """Concurrent callers share one ListEnrolledAccounts sweep that started after they asked.

    A burst of 100 creates looking for their own accounts costs one sweep, not 100, and no
    caller ever gets a listing older than its own request.
    """

    def __init__(self, client: GovernanceClient) -> None:
        self._client = client
        self._lock = threading.Condition()
        self._started = 0  # sweeps started so far
        self._running = False
        self._completed: tuple[int, list[EnrolledSummary] | BaseException] = (0, [])

    def __call__(self, deadline: Deadline) -> list[EnrolledSummary]:
        with self._lock:
            # A sweep already running may have read the list before this request: wait for the next.
            wanted = self._started + 1
            while self._completed[0] < wanted:
                if self._running:
                    if not self._lock.wait(timeout=max(0.0, deadline.remaining())) and deadline.expired:
                        raise TimeoutError("timed out waiting for a shared ListEnrolledAccounts sweep")
                    continue
                self._running = True
                self._started += 1
                generation = self._started
                self._lock.release()
                try:
                    result: list[EnrolledSummary] | BaseException = self._client.list_enrolled(deadline)
                except BaseException as error:  # noqa: BLE001 - handed to every caller of this sweep
                    result = error
                finally:
                    self._lock.acquire()
                self._completed = (generation, result)
                self._running = False
                self._lock.notify_all()
            result = self._completed[1]
        if isinstance(result, BaseException):
            raise result
        return result


# --- shared status polling -----------------------------------------------------------------


@dataclass(eq=False)
class _Waiting:
    account_uid: int
    deadline: Deadline
    on_change: OnChange
    started: float = field(default_factory=time.monotonic)
    next_due: float = 0.0
    last: Enrollment | None = None
    done: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None
    read_directly: bool = False  # listing refused: this waiter polls its own account


class SharedStatusPoller:
    """A Waiter whose accounts share one poll loop (one thread per process and endpoint)."""

    def __init__(self, client: GovernanceClient, model: WaiterModel = ENROLLMENT_TERMINAL,
                 listing: Callable[[Deadline], list[EnrolledSummary]] | None = None) -> None:
        self._client = client
        self._model = model
        self._listing = listing or client.list_enrolled
        self._lock = threading.Condition()
        self._waiting: list[_Waiting] = []
        self._announced: dict[int, str] = {}  # account → the status last announced from a listing
        self._read_mark: dict[int, tuple[str, str | None]] = {}  # account → (Status, UpdateTime) last read
        self._read_at: dict[int, float] = {}  # account → when it was last read
        self._missing: dict[int, int] = {}
        self._readers: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._direct_reads = False  # set when listing is not allowed: fall back to per-account reads

    def wait(self, account_uid: int, deadline: Deadline, on_change: OnChange) -> Enrollment:
        if self._direct_reads:
            return PollingWaiter(self._client, self._model).wait(account_uid, deadline, on_change)
        waiting = _Waiting(account_uid, deadline, on_change)
        waiting.next_due = waiting.started + self._model.min_delay
        with self._lock:
            for memory in (self._announced, self._read_mark, self._read_at):
                memory.pop(account_uid, None)  # a new enrollment: judge it afresh
            self._waiting.append(waiting)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="enrollment-poller", daemon=True)
                self._thread.start()
            self._lock.notify_all()
        finished = waiting.done.wait(timeout=max(0.0, deadline.remaining()))
        with self._lock:
            if waiting in self._waiting:
                self._waiting.remove(waiting)
        if waiting.read_directly:
            return PollingWaiter(self._client, self._model).wait(account_uid, deadline, on_change)
        if waiting.failure is not None:
            raise waiting.failure
        if not finished or waiting.last is None or waiting.last.status not in TERMINAL_STATUSES:
            raise WaitTimedOut(self._latest(account_uid) or waiting.last)
        return waiting.last

    def _latest(self, account_uid: int) -> Enrollment | None:
        """One last look, so that a timeout says where the enrollment really stands."""
        try:
            return self._client.get(account_uid, Deadline.after(10.0))
        except Exception:  # noqa: BLE001 - the timeout is the error to report
            return None

    # --- the poll loop -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._thread = None
                    return
                due = min(w.next_due for w in self._waiting)
                delay = due - time.monotonic()
                if delay > 0:
                    self._lock.wait(timeout=delay)
                    continue
                waiting = list(self._waiting)
            self._sweep(waiting)
            now = time.monotonic()
            for w in waiting:
                if w.next_due <= now:
                    w.next_due = now + self._model.delay(now - w.started)

    def _sweep(self, waiting: list[_Waiting]) -> None:
        try:
            rows = {row.account_uid: row for row in self._listing(Deadline.after(SWEEP_SECONDS))}
        except ApiError as error:
            if not error.code.startswith("Throttling") and error.status_code and error.status_code < 500:
                self._give_up_listing(waiting, error)
            return  # a transient failure: the next sweep tries again, deadlines bound the wait
        except Exception:  # noqa: BLE001 - the loop must outlive a bad sweep
            return
        to_read: list[tuple[int, list[_Waiting], EnrolledSummary | None]] = []
        for account_uid in {w.account_uid for w in waiting}:
            mine = [w for w in waiting if w.account_uid == account_uid]
            row = rows.get(account_uid)
            if row is None:
                self._missing[account_uid] = self._missing.get(account_uid, 0) + 1
                if self._missing[account_uid] >= MISSING_SWEEPS_BEFORE_DIRECT_READ:
                    to_read.append((account_uid, mine, None))
                continue
            self._missing.pop(account_uid, None)
            if self._worth_reading(account_uid, row, mine):
                to_read.append((account_uid, mine, row))
        if len(to_read) > 1:
            if self._readers is None:
                self._readers = ThreadPoolExecutor(PARALLEL_READS, thread_name_prefix="enrollment-read")
            list(self._readers.map(lambda job: self._read(*job), to_read))
        elif to_read:
            self._read(*to_read[0])

    def _worth_reading(self, account_uid: int, row: EnrolledSummary, waiting: list[_Waiting]) -> bool:
        """GetEnrolledAccount only for news: a terminal or new status at once, progress now and then.

        Progress alone is re-read at most every PROGRESS_REFRESH_SECONDS, so an account costs
        about one read per baseline item however long it takes, not one per poll.
        """
        mark = (row.status, row.update_time)
        last = self._read_mark.get(account_uid)
        if row.status in TERMINAL_STATUSES:
            read = True
        elif row.status == PENDING or last == mark:
            read = False
        elif last is None or last[0] != row.status:
            read = True
        else:
            read = time.monotonic() - self._read_at.get(account_uid, 0.0) >= PROGRESS_REFRESH_SECONDS
        if not read and self._announced.get(account_uid) != row.status:
            # Say what the listing already tells (e.g. Pending) without a read.
            self._notify(waiting, Enrollment.from_api({"AccountUid": account_uid, "Status": row.status}))
        self._announced[account_uid] = row.status
        return read

    def _read(self, account_uid: int, waiting: list[_Waiting], row: EnrolledSummary | None) -> None:
        try:
            enrollment = self._client.get(account_uid, Deadline.after(SWEEP_SECONDS))
        except ApiError as error:
            if error.status_code and error.status_code < 500 and not error.code.startswith("Throttling"):
                for w in waiting:
                    w.failure = error
                    w.done.set()
            return
        except Exception:  # noqa: BLE001
            return
        if enrollment is None:
            return
        self._read_at[account_uid] = time.monotonic()
        self._read_mark[account_uid] = (row.status, row.update_time) if row is not None else (enrollment.status, None)
        self._notify(waiting, enrollment)
        if self._model.verdict(enrollment.status) != "retry":
            for w in waiting:
                w.done.set()

    @staticmethod
    def _notify(waiting: list[_Waiting], enrollment: Enrollment) -> None:
        for w in waiting:
            if w.last is None or (w.last.status, w.last.progress) != (enrollment.status, enrollment.progress):
                try:
                    w.on_change(enrollment)
                except Exception:  # noqa: BLE001 - a progress message must not stop the poller
                    pass
            w.last = enrollment

    def _give_up_listing(self, waiting: list[_Waiting], error: ApiError) -> None:
        """ListEnrolledAccounts is refused (e.g. not granted): every account polls itself."""
        self._direct_reads = True
        for w in waiting:
            w.read_directly = True
            w.done.set()
