"""One ListEnrolledAccounts sweep for many concurrent readers (creates looking for their accounts, the poller)."""

from __future__ import annotations

import threading
import time

from .client import GovernanceClient
from ..core.errors import AccountFactoryError, ApiError
from .model import EnrolledSummary
from ..core.operation import LOOK_SECONDS, current_operation
from ..core.timeouts import Deadline

#: How long one sweep (a whole listing, or one read) may take, retries included.
SWEEP_SECONDS = 120.0


class ListingTimedOut(AccountFactoryError, TimeoutError):
    """A caller's deadline passed before a shared ListEnrolledAccounts sweep answered."""


class SharedListing:
    """Concurrent callers share one ListEnrolledAccounts sweep that started after they asked.

    A burst of 100 creates looking for their own accounts costs one sweep, not 100. A caller
    gets a listing that started after its request, unless it accepts one that started at most
    `max_age` seconds before (a create's first look: see `Enroller`), which it then shares with
    the burst. A sweep runs on its own thread with its own deadline, so a caller with a short
    deadline gives up alone and does not cut the sweep short for the others.
    """

    def __init__(self, client: GovernanceClient, sweep_seconds: float = SWEEP_SECONDS) -> None:
        self._client = client
        self._sweep_seconds = sweep_seconds
        self._lock = threading.Condition()
        self._started = 0  # sweeps started so far
        self._running = False
        self._completed: tuple[int, list[EnrolledSummary] | BaseException] = (0, [])
        self._started_at: dict[int, float] = {}  # when each of the last two sweeps started (monotonic)
        self._retrying: ApiError | None = None  # why the running sweep is retrying, if it is

    def __call__(self, deadline: Deadline, *, max_age: float | None = None) -> list[EnrolledSummary]:
        operation = current_operation()  # told what fails while it waits, and stopped if it must
        with self._lock:
            # A sweep already running may have read the list before this request: wait for the next,
            # unless the caller accepts one that started at most `max_age` seconds ago.
            wanted = self._started + 1
            if max_age is not None:
                recent = [n for n, at in self._started_at.items() if at >= time.monotonic() - max_age]
                wanted = min(recent, default=wanted)
                if self._completed[0] >= wanted and isinstance(self._completed[1], BaseException):
                    wanted = self._completed[0] + 1  # a failed sweep since: not one to share
        while True:
            with self._lock:
                if self._completed[0] >= wanted:
                    result = self._completed[1]
                    break
                if not self._running:
                    self._start_sweep()
                    continue
                remaining = deadline.remaining()
                if remaining <= 0:
                    why = f": {self._retrying}" if self._retrying is not None else ""
                    raise ListingTimedOut(f"no ListEnrolledAccounts sweep answered within {deadline.describe()}{why}")
                self._lock.wait(timeout=min(remaining, LOOK_SECONDS) if operation.watching else remaining)
            operation.waiting(getattr(self._client, "endpoint", None))  # (outside the lock: it may log)
        if isinstance(result, BaseException):
            raise result
        return result

    def _start_sweep(self) -> None:
        """Called with the lock held (the sweep waits for it before it reports)."""
        generation = self._started + 1
        # Started first: if no thread can be started, nothing is marked running that never will be.
        threading.Thread(target=self._sweep, args=(generation,), name="enrollment-listing", daemon=True).start()
        self._running = True
        self._retrying = None
        self._started = generation
        self._started_at = {n: at for n, at in self._started_at.items() if n == generation - 1}
        self._started_at[generation] = time.monotonic()

    def _note_retry(self, error: ApiError) -> None:
        """A caller that gives up while the sweep retries learns why (e.g. the endpoint is unreachable)."""
        with self._lock:
            self._retrying = error

    def _sweep(self, generation: int) -> None:
        result: list[EnrolledSummary] | BaseException
        try:
            result = self._client.list_enrolled(Deadline.after(self._sweep_seconds), on_retry=self._note_retry)
        except BaseException as error:  # noqa: BLE001 - handed to every caller of this sweep
            result = error
        with self._lock:
            self._retrying = None
            self._completed = (generation, result)
            self._running = False
            self._lock.notify_all()
