"""Exactly once, for a create the service cannot make idempotent (no client token): every request is
recorded before it leaves, an unanswered one keeps the resource from sending again while it may still
take effect or be missing from the listing (windows derived from the read timeout), and a create looks
for what an earlier attempt made, adopting it, before it sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .errors import AmbiguousCallError, UnansweredCallError
from .journal import ANSWERED, REFUSED, SENT, Attempt, AttemptJournal
from .settings import DEFAULT_READ_TIMEOUT_SECONDS


#: After an unanswered EnrollAccount, look for the account it may have created after each of
#: these pauses (seconds) before sending EnrollAccount again: the listing may show a new
#: account only after a while, and a resent call would enroll a second one.
AMBIGUOUS_LOOKUP_PAUSES = (1.0, 2.0, 4.0, 8.0)
#: How many read timeouts after it was sent an EnrollAccount may still take effect: the SDK stops
#: reading after one, but a gateway may hold the request and pass it on later. Chosen, not
#: documented by the service (see RELIABILITY.md).
IN_FLIGHT_READ_TIMEOUTS = 2.0
#: How long ListEnrolledAccounts may take to show an account once EnrollAccount took effect.
LISTING_LAG_SECONDS = 15.0


@dataclass(frozen=True)
class Windows:
    """How long an unanswered request may still turn up, all derived from the read timeout
    (`alicloud-account-factory:readTimeout`, 30 s by default), so that a shorter or longer one
    keeps the windows in proportion to the time a call may really take."""

    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS

    @property
    def in_flight(self) -> float:
        """How long after it was sent a request may still take effect: twice the read timeout (60 s by default)."""
        return IN_FLIGHT_READ_TIMEOUTS * self.read_timeout

    @property
    def unsettled(self) -> float:
        """How long an unanswered EnrollAccount keeps a create of its key from enrolling (it looks
        instead): the in-flight window plus the listing's lag (75 s by default)."""
        return self.in_flight + LISTING_LAG_SECONDS

    def unanswered_until(self, error: AmbiguousCallError, sent_at: float, now: float) -> float:
        """Until when (wall clock) a request that got no usable answer may still show up.

        Without any answer (a timeout) the service may still carry the request out until
        `in_flight` after it left; otherwise whatever it did is done. Either way the listing
        may take LISTING_LAG_SECONDS more to show it.
        """
        done_by = sent_at + self.in_flight if isinstance(error, UnansweredCallError) else now
        return max(done_by, now) + LISTING_LAG_SECONDS


class AttemptRecorder:
    """Hears each request of a non-idempotent create leave (`transport.SendObserver`) and keeps the
    attempt record in step: written before the request leaves (a kill -9 right after keeps the record),
    then settled as answered, refused, or unanswered until it can no longer turn up. A kill -9 at any
    point leaves at most the last request unsettled. One per create (EnrollAccount,
    CreateAccountFactoryBaseline, ...) and record key."""

    def __init__(self, journal: AttemptJournal, key: str, windows: Windows,
                 clock: Callable[[], float] | None = None) -> None:
        self._journal = journal
        self._key = key
        self._windows = windows
        self._clock = clock or journal.clock  # (the record's own clock, unless the caller keeps another)
        self._attempt: Attempt | None = None

    def sending(self) -> None:
        self._attempt = self._journal.sending(self._key)

    def refused(self) -> None:
        """The service refused the request: it did not take effect (settled once; a retry is a new attempt)."""
        if self._attempt is not None and self._attempt.unanswered:
            self._journal.settle(self._key, self._attempt, REFUSED)
            self._attempt = None

    def answered(self, *, account_uid: int | None = None, resource_id: str | None = None) -> None:
        """The request was answered with what it made: an account, or another resource's id."""
        if self._attempt is not None:
            self._journal.settle(self._key, self._attempt, ANSWERED, account_uid, resource_id=resource_id)
            self._attempt = None  # settled for good: nothing that follows changes what it made

    def unanswered(self, error: AmbiguousCallError, now: float | None = None) -> float:
        """No usable answer: the attempt stays unsettled until it can no longer turn up
        (`Windows.unanswered_until`), which is recorded and returned."""
        now = self._clock() if now is None else now
        if self._attempt is None:  # the client did not report the send: it left just now at the latest
            self.sending()
        assert self._attempt is not None
        until = self._windows.unanswered_until(error, self._attempt.at, now)
        self._journal.settle(self._key, self._attempt, SENT, until=until)
        return until
