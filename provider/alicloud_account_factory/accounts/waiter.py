"""Waiting for an enrollment to reach a terminal status, described as data.

As botocore does, the waiter is a model (delays and acceptors) plus a loop that applies it.
The polling delay grows with the time already waited (a quarter of it, between `min_delay`
and `max_delay`): prompt for short enrollments, frugal for the usual 10-30 minute ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Literal, Protocol

from .client import GovernanceClient
from ..core.errors import ApiError
from .model import FAILURE_STATUSES, FINISHED, IN_PROGRESS_STATUSES, Enrollment
from ..core.timeouts import Deadline

Verdict = Literal["success", "failure", "retry"]
#: Hears each status or progress the waited-for enrollment reports that differs from the last.
StatusCallback = Callable[[Enrollment], None]


@dataclass(frozen=True)
class Acceptor:
    verdict: Verdict
    statuses: frozenset[str]


@dataclass(frozen=True)
class WaiterModel:
    name: str
    min_delay: float
    max_delay: float
    delay_fraction: float
    acceptors: tuple[Acceptor, ...]

    def delay(self, waited: float) -> float:
        return min(self.max_delay, max(self.min_delay, waited * self.delay_fraction))

    def verdict(self, status: str) -> Verdict:
        for acceptor in self.acceptors:
            if status in acceptor.statuses:
                return acceptor.verdict
        return "retry"  # a status this release does not know yet: keep waiting, the deadline bounds it


ENROLLMENT_TERMINAL = WaiterModel(
    name="EnrollmentTerminal",
    min_delay=1.0,
    max_delay=30.0,
    delay_fraction=0.25,
    acceptors=(
        Acceptor("success", frozenset({FINISHED})),
        Acceptor("failure", FAILURE_STATUSES),
        Acceptor("retry", IN_PROGRESS_STATUSES),
    ),
)


class WaitTimedOut(Exception):
    def __init__(self, last: Enrollment | None, cause: Exception | None = None) -> None:
        self.last = last
        self.cause = cause
        super().__init__("deadline reached")


class Waiter(Protocol):
    """Blocks until the account's enrollment is terminal; returns its last state."""

    def wait(self, account_uid: int, deadline: Deadline, on_change: StatusCallback) -> Enrollment: ...


def changed(before: Enrollment | None, after: Enrollment) -> bool:
    return before is None or (before.status, before.progress) != (after.status, after.progress)


class PollingWaiter:
    """One GetEnrolledAccount loop per waiting account: simple, and the fallback of the fleet."""

    def __init__(self, client: GovernanceClient, model: WaiterModel = ENROLLMENT_TERMINAL,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._model = model
        self._sleep = sleep

    def wait(self, account_uid: int, deadline: Deadline, on_change: StatusCallback) -> Enrollment:
        started = time.monotonic()
        last: Enrollment | None = None
        while True:
            try:
                current = self._client.get(account_uid, deadline)
            except ApiError as error:
                if deadline.expired:
                    raise WaitTimedOut(last, error) from error
                raise
            if current is not None:  # None: not visible yet right after EnrollAccount
                if changed(last, current):
                    on_change(current)
                last = current
                if self._model.verdict(current.status) != "retry":
                    return current
            remaining = deadline.remaining()
            if remaining <= 0:
                raise WaitTimedOut(last)
            self._sleep(min(self._model.delay(time.monotonic() - started), remaining))
