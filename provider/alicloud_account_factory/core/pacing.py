"""One pace for a provider process's calls to an endpoint, learnt from the service's throttling.

Why: every `EnrolledAccount` of a stack is served by one provider process. When the API
answers `Throttling`, each refused call retrying on its own jittered backoff still leaves the
process as a whole sending several times what the service admits (100 creates against a limit
of 10 requests a second sent about 47 a second, more than eight in ten refused). So the calls share a pace
that is cut at a throttle and grows back while none comes (AIMD, as TCP's congestion control
and the AWS SDKs' "adaptive" retry mode do): the process settles just under a limit it cannot
see. Until the service throttles, and once it has not for a while, a burst only starts slowly:
at most `start_rate` calls a second, then at most `start_growth` times what went out in the last
window (TCP's slow start), so that a first burst of 1,000 creates against a limit of 10 a second
has a few refusals instead of 990 (0.63 refused requests per enrollment at N = 100 came from that
burst); a process that never bursts is never held back.

Each `GovernanceClient` (one per endpoint, credentials and region in a process) has its own.
The pace is described as data (`PaceModel`), apart from the queue that applies it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from .timeouts import Deadline


@dataclass(frozen=True)
class PaceModel:
    cut: float = 0.8  # at a throttle, keep this share of what passed (or was sent) in the last window
    window: float = 1.0  # seconds over which rates are measured, and the least time between two cuts
    growth: float = 0.1  # per second since the cut, as a share of the pace right after it
    min_growth: float = 1.0  # ...but at least this many more calls a second, each second
    floor: float = 0.5  # calls a second: never slower than this...
    #: ...nor slower than this share of the most the service let through in a window of the last
    #: `relax_after` seconds: refusals that come whatever the rate must not slow the pace to the floor.
    keep_of_best: float = 0.5
    relax_after: float = 30.0  # seconds without a throttle: stop pacing
    #: Above the rate that drew the last throttle, the pace grows at this share of its growth: it
    #: probes for more slowly where it was refused, instead of being refused again within seconds.
    probe_share: float = 0.1
    #: Unthrottled, calls a second a burst starts at (None: unpaced until the first throttle)...
    start_rate: float | None = 20.0
    start_growth: float = 2.0  # ...and at most this many times what was sent in the last window

    def __post_init__(self) -> None:
        if not (self.floor > 0 and self.window > 0 and 0 < self.cut < 1):
            raise ValueError(f"{self}: floor and window must be positive and cut between 0 and 1")


class AdaptivePace:
    """A first-come, first-served queue of calls, spaced by the pace once the service throttles.

    Safe to share between threads. Only the head of the queue waits on a timer; the others wait
    to become the head (or for a cut, which may move their turn past their deadline), so a turn
    wakes one thread, not all of them. `clock` is injectable so that the model can be tested
    without waiting; the queue itself waits in real time.
    """

    def __init__(self, model: PaceModel = PaceModel(), clock: Callable[[], float] = time.monotonic) -> None:
        self._model = model
        self._clock = clock
        self._lock = threading.Lock()
        self._queue: deque[threading.Condition] = deque()  # one per waiting caller, first come first
        self._last_turn = float("-inf")  # the last turn taken in order (not by a call that went ahead)
        self._sent: deque[float] = deque()  # every call's turn, for `relax_after` seconds
        self._passed: deque[float] = deque()  # answers other than "throttled" in the last window
        self._best_passed = 0.0  # the most answers in one window lately, and when
        self._best_at = float("-inf")
        self._cut_to: float | None = None  # the pace right after the last cut; None: not pacing
        self._cut_at = float("-inf")
        self._refused_at = float("inf")  # the rate that drew the last cut's throttle

    @property
    def waiting(self) -> int:
        """How many calls are queued for their turn."""
        with self._lock:
            return len(self._queue)

    def rate(self) -> float | None:
        """Calls a second now allowed (a cut pace, or a burst's start), or None when calls are not paced."""
        with self._lock:
            return self._rate(self._clock())

    def wait_turn(self, deadline: Deadline) -> float:
        """Block until this call's turn; returns the time it was taken (for `throttled`).

        The pace is re-read at every wake-up, so a pace that grows back shortens the wait. A
        call whose turn would come after its deadline goes at once instead (waiting could only
        make it fail without having tried), without pushing back the turns of those it passed.
        """
        me = threading.Condition(self._lock)
        in_order = False
        with self._lock:
            self._queue.append(me)
            try:
                while True:
                    now = self._clock()
                    rate = self._rate(now)
                    if rate is None:
                        in_order = True
                        break
                    ahead = self._queue.index(me)
                    due = max(now, self._last_turn + (ahead + 1) / rate)
                    if ahead == 0 and due <= now:
                        in_order = True
                        break
                    if due - now >= deadline.remaining():
                        in_order = ahead == 0  # the head passes nobody: its turn counts
                        break
                    me.wait(timeout=due - now if ahead == 0 else None)
            finally:
                was_head = self._queue[0] is me
                self._queue.remove(me)
                if was_head and self._queue:
                    self._queue[0].notify()
            if in_order:
                self._last_turn = now
            self._sent.append(now)
            _forget_before(self._sent, now - self._model.relax_after)
            return now

    def passed(self) -> None:
        """The service answered a call (anything but a throttle): it counts toward what it admits."""
        with self._lock:
            now = self._clock()
            self._passed.append(now)
            _forget_before(self._passed, now - self._model.window)
            passed = len(self._passed) / self._model.window
            if passed >= self._best_passed or now - self._best_at >= self._model.relax_after:
                self._best_passed, self._best_at = passed, now

    def throttled(self, sent_at: float) -> None:
        """The service refused a call taken at `sent_at` for its rate: cut the pace.

        The new pace is a share of the least of: the pace, what was sent in the window up to
        that call, and what the service let through in the last window (once anything did); it
        is never above the pace it replaces. A burst's refusals keep arriving after its first
        one, and a service that counts requests per window refuses until that window has
        passed, so there is one cut per window, by a call sent after the last cut.
        """
        with self._lock:
            now = self._clock()
            if sent_at < self._cut_at or now - self._cut_at < self._model.window:
                return
            window = self._model.window
            _forget_before(self._passed, now - window)
            sent = max(1, sum(1 for at in self._sent if sent_at - window < at <= sent_at)) / window
            passed = len(self._passed) / window
            rate = self._rate(now)
            base = min(sent, rate or sent, passed or sent)
            best = self._best_passed if now - self._best_at < self._model.relax_after else 0.0
            cut_to = max(self._model.floor, best * self._model.keep_of_best, base * self._model.cut)
            self._cut_to = cut_to if rate is None else min(rate, cut_to)
            self._cut_at = now
            self._refused_at = max(base, self._cut_to)
            for waiter in self._queue:  # turns moved later: a waiter's may now be past its deadline
                waiter.notify()

    def _rate(self, now: float) -> float | None:
        if self._cut_to is not None:
            since = now - self._cut_at
            if since < self._model.relax_after:
                return self._grown(since)
            self._cut_to = None
        return self._starting_rate(now)

    def _grown(self, since: float) -> float:
        """The cut pace `since` seconds after the cut: additive growth, slower above where it was refused."""
        assert self._cut_to is not None
        growth = max(self._model.min_growth, self._model.growth * self._cut_to)
        grown = self._cut_to + growth * since
        if grown <= self._refused_at:
            return grown
        reached = (self._refused_at - self._cut_to) / growth  # seconds after the cut
        return self._refused_at + growth * self._model.probe_share * (since - reached)

    def _starting_rate(self, now: float) -> float | None:
        """Not cut: a burst grows from `start_rate` by at most `start_growth` a window (None: unpaced)."""
        if self._model.start_rate is None:
            return None
        recent = sum(1 for at in self._sent if at > now - self._model.window) / self._model.window
        return max(self._model.start_rate, self._model.start_growth * recent)


def _forget_before(times: deque[float], start: float) -> None:
    while times and times[0] <= start:
        times.popleft()
