"""One pace for all of a process's calls to an endpoint, learnt from the service's throttling.

Why: every `EnrolledAccount` of a stack is served by one provider process. When the API
answers `Throttling`, each refused call retrying on its own jittered backoff still leaves the
process as a whole sending several times what the service admits (100 creates against a limit
of 10 requests a second sent about 47 a second, nine in ten refused). So the calls share a pace
that is cut at a throttle and grows back while none comes (AIMD, as TCP's congestion control
and the AWS SDKs' "adaptive" retry mode do): the process settles just under a limit it cannot
see. Until the service throttles, and once it has not for a while, nothing is paced.

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


class AdaptivePace:
    """A first-come, first-served queue of calls, spaced by the pace once the service throttles.

    Safe to share between threads. `clock` is injectable so the model can be tested without
    waiting; the queue itself waits in real time.
    """

    def __init__(self, model: PaceModel = PaceModel(), clock: Callable[[], float] = time.monotonic) -> None:
        self._model = model
        self._clock = clock
        self._turns = threading.Condition()
        self._queue: deque[object] = deque()  # callers waiting for their turn, first come first
        self._last_turn = float("-inf")
        self._sent: deque[float] = deque()  # turns taken in the last window
        self._passed: deque[float] = deque()  # answers other than "throttled" in the last window
        self._best_passed = 0.0  # the most answers in one window lately, and when
        self._best_at = float("-inf")
        self._cut_to: float | None = None  # the pace right after the last cut; None: not pacing
        self._cut_at = float("-inf")

    def rate(self) -> float | None:
        """Calls a second now allowed, or None when calls are not paced."""
        with self._turns:
            return self._rate(self._clock())

    def wait_turn(self, deadline: Deadline) -> float:
        """Block until this call's turn; returns the time it was taken (for `throttled`).

        The pace is re-read while waiting, so a pace that grows back shortens the queue at
        once. A call whose turn would come after its deadline goes at once instead: waiting
        could only make it fail without having tried.
        """
        me = object()
        with self._turns:
            self._queue.append(me)
            try:
                while True:
                    now = self._clock()
                    rate = self._rate(now)
                    if rate is None:
                        break
                    ahead = self._queue.index(me)
                    due = max(now, self._last_turn + (ahead + 1) / rate)
                    if due <= now and ahead == 0:
                        break
                    if due - now >= deadline.remaining():
                        break
                    self._turns.wait(timeout=due - now if ahead == 0 else max(due - now, 1.0 / rate))
            finally:
                self._queue.remove(me)
                self._turns.notify_all()
            self._last_turn = now
            self._sent.append(now)
            _forget_before(self._sent, now - self._model.window)
            return now

    def passed(self) -> None:
        """The service answered a call (anything but a throttle): it counts toward what it admits."""
        with self._turns:
            now = self._clock()
            self._passed.append(now)
            _forget_before(self._passed, now - self._model.window)
            passed = len(self._passed) / self._model.window
            if passed >= self._best_passed or now - self._best_at >= self._model.relax_after:
                self._best_passed, self._best_at = passed, now

    def throttled(self, sent_at: float) -> None:
        """The service refused a call taken at `sent_at` for its rate: cut the pace.

        The new pace is a share of the least of: the pace, what was sent in the last window, and
        what the service let through in it (once anything did). A burst's refusals keep arriving after its first one,
        and a service that counts requests per window refuses until that window has passed, so
        there is one cut per window, by a call sent after the last cut.
        """
        with self._turns:
            now = self._clock()
            if sent_at < self._cut_at or now - self._cut_at < self._model.window:
                return
            start = now - self._model.window
            _forget_before(self._sent, start)
            _forget_before(self._passed, start)
            sent = len(self._sent) / self._model.window
            passed = len(self._passed) / self._model.window
            rate = self._rate(now)
            base = min(sent, rate or sent, passed or sent)
            best = self._best_passed if now - self._best_at < self._model.relax_after else 0.0
            self._cut_to = max(self._model.floor, best * self._model.keep_of_best, base * self._model.cut)
            self._cut_at = now
            self._turns.notify_all()

    def _rate(self, now: float) -> float | None:
        if self._cut_to is None:
            return None
        since = now - self._cut_at
        if since >= self._model.relax_after:
            self._cut_to = None
            return None
        return self._cut_to + max(self._model.min_growth, self._model.growth * self._cut_to) * since


def _forget_before(times: deque[float], start: float) -> None:
    while times and times[0] <= start:
        times.popleft()
