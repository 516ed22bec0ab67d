"""Shared status polling: every enrollment waiting in a process on one cadence.

Every waiting account polling GetEnrolledAccount on its own adds up to rate limits.
`SharedStatusPoller` runs one cadence for every waiting enrollment: each sweep is one
ListEnrolledAccounts (100 accounts a page) for everyone, or a GetEnrolledAccount per waiting
account when there are fewer of those than listing pages. From a listing it announces new
statuses as they are, reads an account when it reaches a terminal status (create's outputs come
from GetEnrolledAccount), and reads progress details now and then.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

from ..core.transport import LIST_PAGE_SIZE
from .client import GovernanceClient
from ..core.errors import AccountFactoryError, ApiError, is_transient
from .model import PENDING, TERMINAL_STATUSES, Enrollment, EnrolledSummary
from ..core.operation import current_operation
from .shared_listing import SWEEP_SECONDS
from ..core.timeouts import Deadline
from .waiter import ENROLLMENT_TERMINAL, PollingWaiter, StatusCallback, WaiterModel, WaitTimedOut

#: Sweeps an account may be missing from the listing (eventual consistency) before it is
#: read directly.
MISSING_SWEEPS_BEFORE_DIRECT_READ = 3
#: Progress details (GetEnrolledAccount) are read at most this often per account, and not in
#: the first this-many seconds of a wait; statuses are announced from the listing at once.
PROGRESS_REFRESH_SECONDS = 10.0
#: GetEnrolledAccount calls one sweep makes at once (100 accounts finishing together should
#: not be read one after another at the real service's latency).
PARALLEL_READS = 8
#: The last look a timed-out wait takes, so that its error says where the enrollment stands.
LATEST_READ_SECONDS = 3.0


class StatusPollingFailed(AccountFactoryError):
    """The shared poller itself broke (a bug): its waiters fail at once instead of at their deadline."""

    def __init__(self, account_uid: int, error: BaseException) -> None:
        super().__init__(
            f"waiting for the enrollment of account {account_uid} failed unexpectedly "
            f"({type(error).__name__}: {error}). The enrollment carries on in Alibaba Cloud: run `pulumi up` "
            f"again to resume waiting, or set alicloud-account-factory:fleetMode to false to poll each "
            f"account on its own. Please report this."
        )
        self.__cause__ = error


def next_sweep_at(model: WaiterModel, last_sweep: float | None, starts: Iterable[float]) -> float:
    """When the shared cadence sweeps next (monotonic seconds; inf with nobody waiting).

    One cadence for everyone: after a sweep the next one is due after the waiter model's delay
    for the youngest waiter's age, so the pace slows as everyone waits longer. Waiters that
    arrived since the last sweep (a burst of creates) are first looked at together, `min_delay`
    after the youngest of them but at most `2 * min_delay` after the oldest, so that a steady
    stream of new enrollments cannot postpone the sweep. Sweeps are never closer together than
    `min_delay`: a new arrival is always at or after the last sweep.
    """
    arrived: list[float] = []
    waited: list[float] = []
    for start in starts:
        (arrived if last_sweep is None or start >= last_sweep else waited).append(start)
    due = math.inf
    if arrived:
        due = min(max(arrived) + model.min_delay, min(arrived) + 2 * model.min_delay)
    if waited and last_sweep is not None:
        due = min(due, last_sweep + model.delay(last_sweep - max(waited)))
    return due


@dataclass(eq=False)
class _Waiting:
    """One caller of `wait`: what it has been told, and how its wait ended."""

    account_uid: int
    deadline: Deadline
    on_change: StatusCallback
    started: float = field(default_factory=time.monotonic)
    last: Enrollment | None = None
    done: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None
    last_error: Exception | None = None  # the latest transient failure: a timeout carries it
    read_directly: bool = False  # listing refused: this waiter polls its own account


@dataclass
class _Account:
    """What the poller knows of one waiting account; forgotten when its last waiter leaves.

    Sweeps and parallel reads update these records: they do so only while holding the poller's
    lock, so no update is lost whichever threads run them.
    """

    announced: str | None = None  # the status its waiters were last told
    read_update_time: str | None = None  # UpdateTime at the last GetEnrolledAccount
    read_at: float | None = None  # when it was last read
    missing: int = 0  # consecutive listings without it


class SharedStatusPoller:
    """A Waiter whose accounts share one poll loop (one thread per process and endpoint)."""

    def __init__(self, client: GovernanceClient, model: WaiterModel = ENROLLMENT_TERMINAL,
                 listing: Callable[[Deadline], list[EnrolledSummary]] | None = None,
                 progress_refresh_seconds: float = PROGRESS_REFRESH_SECONDS) -> None:
        self._client = client
        self._model = model
        self._listing = listing or client.list_enrolled
        self._progress_refresh = progress_refresh_seconds
        self._lock = threading.Condition()
        self._waiting: list[_Waiting] = []
        self._accounts: dict[int, _Account] = {}
        self._last_sweep: float | None = None
        self._pages = 1  # pages of the last listing (1 until one is made)
        self._readers: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._direct_reads = False  # set when listing is not allowed: fall back to per-account reads

    def remembered_accounts(self) -> set[int]:
        """Accounts the poller keeps state for (only those still waited on)."""
        with self._lock:
            return set(self._accounts)

    def wait(self, account_uid: int, deadline: Deadline, on_change: StatusCallback) -> Enrollment:
        if self._direct_reads:
            return PollingWaiter(self._client, self._model).wait(account_uid, deadline, on_change)
        waiting = _Waiting(account_uid, deadline, on_change)
        with self._lock:
            self._accounts[account_uid] = _Account()  # a new enrollment: judge it afresh
            if self._thread is None or not self._thread.is_alive():
                poller = threading.Thread(target=self._run, name="enrollment-poller", daemon=True)
                poller.start()  # it waits for this lock; if it cannot start, this wait is not registered
                self._thread = poller
            self._waiting.append(waiting)
            self._lock.notify_all()
        try:
            finished = current_operation().wait_for(waiting.done, max(0.0, deadline.remaining()),
                                                    getattr(self._client, "endpoint", None))
        finally:
            self._leave(waiting)
        if waiting.read_directly:
            return PollingWaiter(self._client, self._model).wait(account_uid, deadline, on_change)
        if waiting.failure is not None:
            raise waiting.failure
        if not finished or waiting.last is None or waiting.last.status not in TERMINAL_STATUSES:
            raise WaitTimedOut(self._latest(account_uid) or waiting.last, waiting.last_error)
        return waiting.last

    def _leave(self, waiting: _Waiting) -> None:
        with self._lock:
            self._waiting.remove(waiting)
            if all(w.account_uid != waiting.account_uid for w in self._waiting):
                self._accounts.pop(waiting.account_uid, None)

    def _latest(self, account_uid: int) -> Enrollment | None:
        """One last look, so that a timeout says where the enrollment really stands (a few seconds at most)."""
        read = self._pool().submit(self._client.get, account_uid, Deadline.after(LATEST_READ_SECONDS))
        try:
            return read.result(timeout=LATEST_READ_SECONDS)
        except Exception:  # noqa: BLE001 - the timeout is the error to report (FutureTimeout included)
            return None

    def _pool(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._readers is None:
                self._readers = ThreadPoolExecutor(PARALLEL_READS, thread_name_prefix="enrollment-read")
            return self._readers

    # --- the poll loop -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._waiting:
                    self._thread = None
                    return
                delay = next_sweep_at(self._model, self._last_sweep, (w.started for w in self._waiting)) \
                    - time.monotonic()
                if delay > 0:
                    self._lock.wait(timeout=delay)
                    continue
                waiting = [w for w in self._waiting if not w.done.is_set()]
            try:
                self._sweep(waiting)
            except Exception as bug:  # noqa: BLE001 - fail the waiters now, not at their deadline
                self._fail(waiting, bug)
            with self._lock:
                self._last_sweep = time.monotonic()

    def _sweep(self, waiting: list[_Waiting]) -> None:
        """One look at every waiting account, from whichever source costs fewer calls."""
        by_account: dict[int, list[_Waiting]] = {}
        for w in waiting:
            by_account.setdefault(w.account_uid, []).append(w)
        if len(by_account) <= self._pages:
            self._read_all([(account_uid, mine, None) for account_uid, mine in by_account.items()])
            return
        try:
            listed = self._listing(Deadline.after(SWEEP_SECONDS))
        except (ApiError, TimeoutError) as error:
            if is_transient(error):
                self._remember(waiting, error)  # the next sweep tries again, deadlines bound the wait
            else:
                self._give_up_listing(waiting)
            return
        self._pages = max(1, math.ceil(len(listed) / LIST_PAGE_SIZE))
        rows = {row.account_uid: row for row in listed}
        now = time.monotonic()
        to_read: list[tuple[int, list[_Waiting], EnrolledSummary | None]] = []
        to_announce: list[tuple[list[_Waiting], EnrolledSummary]] = []
        for mine in by_account.values():
            self._remember(mine, None)
        with self._lock:  # the per-account records change only under the lock; callbacks run after it
            for account_uid, mine in by_account.items():
                # A waiter that just left took its account's record along: a scratch one does no harm.
                memory = self._accounts.get(account_uid) or _Account()
                row = rows.get(account_uid)
                if row is None:
                    memory.missing += 1
                    if memory.missing >= MISSING_SWEEPS_BEFORE_DIRECT_READ:
                        to_read.append((account_uid, mine, None))
                    continue
                memory.missing = 0
                if row.status not in TERMINAL_STATUSES and memory.announced != row.status:
                    memory.announced = row.status
                    to_announce.append((mine, row))
                if self._worth_reading(memory, row, mine, now):
                    to_read.append((account_uid, mine, row))
        for mine, row in to_announce:
            self._announce(mine, row)
        self._read_all(to_read)

    def _worth_reading(self, memory: _Account, row: EnrolledSummary, waiting: list[_Waiting], now: float) -> bool:
        """GetEnrolledAccount for a terminal status at once, for progress details now and then.

        A new status is announced from the listing row without a read. Progress is read only
        when UpdateTime moved, at most every PROGRESS_REFRESH_SECONDS and not in the first
        PROGRESS_REFRESH_SECONDS of a wait: a short enrollment costs its EnrollAccount and its
        final read, a long one about one read per baseline item.
        """
        if row.status in TERMINAL_STATUSES:
            return True  # create's outputs come from GetEnrolledAccount, never from a listing row
        if row.status == PENDING or row.update_time == memory.read_update_time:
            return False
        since = memory.read_at if memory.read_at is not None else min(w.started for w in waiting)
        return now - since >= self._progress_refresh

    def _read_all(self, jobs: list[tuple[int, list[_Waiting], EnrolledSummary | None]]) -> None:
        if len(jobs) > 1:
            list(self._pool().map(lambda job: self._read(*job), jobs))
        elif jobs:
            self._read(*jobs[0])

    def _read(self, account_uid: int, waiting: list[_Waiting], row: EnrolledSummary | None) -> None:
        try:
            enrollment = self._client.get(account_uid, Deadline.after(SWEEP_SECONDS))
        except Exception as error:  # noqa: BLE001 - sorted below: retry, API refusal, or bug
            if is_transient(error):
                self._remember(waiting, error)
            else:
                self._fail(waiting, error)
            return
        self._remember(waiting, None)
        if enrollment is None:
            return  # not visible yet right after EnrollAccount
        with self._lock:
            memory = self._accounts.get(account_uid) or _Account()
            memory.read_at = time.monotonic()
            memory.read_update_time = row.update_time if row is not None else enrollment.raw.get("UpdateTime")
            memory.announced = enrollment.status
        self._notify(waiting, enrollment)
        if self._model.verdict(enrollment.status) != "retry":
            for w in waiting:
                w.done.set()

    @classmethod
    def _announce(cls, waiting: list[_Waiting], row: EnrolledSummary) -> None:
        """Tell the waiters a status the listing shows (no progress details: those need a read)."""
        news = [w for w in waiting if w.last is None or w.last.status != row.status]
        if news:
            cls._notify(news, Enrollment.from_api({"AccountUid": row.account_uid, "Status": row.status}))

    @staticmethod
    def _notify(waiting: list[_Waiting], enrollment: Enrollment) -> None:
        for w in waiting:
            if w.last is None or (w.last.status, w.last.progress) != (enrollment.status, enrollment.progress):
                try:
                    w.on_change(enrollment)
                except Exception:  # noqa: BLE001 - a progress message must not stop the poller
                    pass
            w.last = enrollment

    @staticmethod
    def _remember(waiting: list[_Waiting], error: Exception | None) -> None:
        """Keep the latest transient failure (None: the last attempt worked) for a timeout to report."""
        for w in waiting:
            w.last_error = error

    @staticmethod
    def _fail(waiting: list[_Waiting], error: BaseException) -> None:
        """End these waits with `error` (an API refusal as it is, anything else as a poller bug)."""
        for w in waiting:
            w.failure = error if isinstance(error, ApiError) else StatusPollingFailed(w.account_uid, error)
            w.done.set()

    def _give_up_listing(self, waiting: list[_Waiting]) -> None:
        """ListEnrolledAccounts is refused (e.g. not granted): every account polls itself."""
        self._direct_reads = True
        for w in waiting:
            w.read_directly = True
            w.done.set()
