"""The shared pace: a burst starts slowly, cut at a throttle, grown back, relaxed.

The model is driven with a fake clock; the queue's spacing is checked in real time (a paced
call can only ever wait longer than its spacing, never less, so the checks are lower bounds).
"""

from __future__ import annotations

import threading
import time

import pytest

from alicloud_account_factory.core.pacing import AdaptivePace, PaceModel
from alicloud_account_factory.core.timeouts import Deadline

#: The cut-and-grow part alone (no slow start; that has tests of its own below).
MODEL = PaceModel(cut=0.8, window=1.0, growth=0.1, min_growth=1.0, floor=0.5, keep_of_best=0.5, relax_after=30.0,
                  start_rate=None)
LONG = Deadline.after(3600)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def traffic(pace: AdaptivePace, clock: FakeClock, *, sent: int, passed: int) -> None:
    """`sent` calls in the last half second (none paced yet), `passed` of them answered."""
    clock.now -= 0.5
    for _ in range(sent):
        pace.wait_turn(LONG)
    clock.now += 0.5
    for _ in range(passed):
        pace.passed()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_nothing_is_paced_until_the_service_throttles(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=200, passed=200)
    assert pace.rate() is None
    started = time.monotonic()
    pace.wait_turn(LONG)
    assert time.monotonic() - started < 0.5  # no queue: 200 calls in a second did not slow the next one


def test_a_throttle_cuts_the_pace_below_what_the_service_let_through(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=40, passed=10)  # a burst of 40; the service admits 10 a second
    pace.throttled(sent_at=clock.now - 0.2)
    assert pace.rate() == pytest.approx(8.0)  # 0.8 x 10 passed, not 0.8 x 40 sent


def test_before_any_answer_passed_the_cut_is_from_what_was_sent(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=20, passed=0)
    pace.throttled(sent_at=clock.now - 0.2)
    assert pace.rate() == pytest.approx(16.0)


def test_one_burst_cuts_once(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=40, passed=10)
    pace.throttled(sent_at=clock.now - 0.2)
    clock.now += 0.3
    pace.throttled(sent_at=clock.now - 0.1)  # the same window: the service is still counting the burst
    clock.now += 2.0
    pace.throttled(sent_at=clock.now - 2.5)  # a call sent before the cut: says nothing about the new pace
    # only grown since the one cut: 1 a second up to the 10 that passed, a tenth of that above them
    assert pace.rate() == pytest.approx(10.0 + 0.1 * 1.0 * 0.3)


def test_a_throttle_under_the_pace_cuts_again_but_never_below_the_floors(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=40, passed=10)
    pace.throttled(sent_at=clock.now - 0.2)  # 8 a second, and the best window seen passed 10
    for _ in range(10):
        clock.now += 1.5
        pace.passed()  # one answer a second gets through: the pace keeps being cut...
        pace.throttled(sent_at=clock.now - 0.1)
    assert pace.rate() == pytest.approx(5.0)  # ...but not below half of the 10 that once passed in a window

    lonely = AdaptivePace(PaceModel(floor=2.0, keep_of_best=0.0, start_rate=None), clock)
    lonely.wait_turn(LONG)
    lonely.throttled(sent_at=clock.now)
    assert lonely.rate() == pytest.approx(2.0)  # not 0.8 x the 1 call sent


def test_a_cut_never_raises_the_pace(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=40, passed=10)
    pace.throttled(sent_at=clock.now - 0.2)  # 8 a second
    clock.now += 2.0  # grown to 10 a second; then 30 answers arrive at once
    for _ in range(30):
        pace.passed()
    pace.throttled(sent_at=clock.now - 0.1)
    assert pace.rate() == pytest.approx(10.0)  # half the best window (15) would have been a raise


def test_a_late_throttle_answer_is_judged_by_the_calls_sent_with_it(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=20, passed=0)  # 20 calls half a second ago...
    burst = clock.now - 0.5
    clock.now += 1.5  # ...whose refusals only arrive 2 s after they were sent
    pace.throttled(sent_at=burst)
    assert pace.rate() == pytest.approx(16.0)  # 0.8 x 20, not the floor: nothing was sent in the last second


def test_the_pace_grows_back_and_is_dropped_after_a_quiet_spell(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=400, passed=200)
    pace.throttled(sent_at=clock.now)
    assert pace.rate() == pytest.approx(160.0)
    clock.now += 2.0
    assert pace.rate() == pytest.approx(160.0 + 0.1 * 160.0 * 2.0)  # 10% of the cut pace a second...
    clock.now += 3.0  # ...up to the 200 that passed (at 2.5 s), a tenth of that above them
    assert pace.rate() == pytest.approx(200.0 + 0.1 * 0.1 * 160.0 * 2.5)
    clock.now += MODEL.relax_after - 5.0
    assert pace.rate() is None


def test_above_the_rate_that_was_refused_the_pace_probes_slowly(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=40, passed=10)  # the service admits 10 a second
    pace.throttled(sent_at=clock.now - 0.2)  # cut to 8
    clock.now += 2.0
    assert pace.rate() == pytest.approx(10.0)  # back where it was refused in 2 s...
    clock.now += 10.0
    assert pace.rate() == pytest.approx(11.0)  # ...but 10 s more to ask for one more a second


def test_a_burst_starts_slowly_and_doubles_each_window_until_the_service_throttles(clock: FakeClock) -> None:
    pace = AdaptivePace(PaceModel(start_rate=20.0, start_growth=2.0, window=1.0), clock)

    def burst(calls: int) -> None:
        """`calls` turns, each taken when the start rate allows it (the fake clock moves to it)."""
        for i in range(calls):
            if i:
                clock.now += 0.0501
            pace.wait_turn(LONG)

    assert pace.rate() == pytest.approx(20.0)  # a first burst of 1,000 goes out at 20 a second...
    burst(20)
    assert pace.rate() == pytest.approx(40.0)  # ...then at most twice what went out in the last second
    clock.now += 1.0
    assert pace.rate() == pytest.approx(20.0)  # a quiet second: back to the start
    burst(20)
    for _ in range(10):
        pace.passed()  # the service admits 10 a second: the first throttle cuts below that
    pace.throttled(sent_at=clock.now)
    assert pace.rate() == pytest.approx(8.0)


def test_a_process_that_does_not_burst_is_not_held_back() -> None:
    pace = AdaptivePace(PaceModel(start_rate=20.0))
    started = time.monotonic()
    pace.wait_turn(LONG)
    assert time.monotonic() - started < 0.5  # the first call goes at once


def queue_up(pace: AdaptivePace, count: int, deadline: Deadline = LONG) -> tuple[list[threading.Thread], dict[int, float]]:
    """`count` callers, queued in order (each waits until the one before it is in the queue)."""
    turns: dict[int, float] = {}
    threads = []
    for i in range(count):
        queued = pace.waiting
        threads.append(threading.Thread(target=lambda i=i: turns.__setitem__(i, pace.wait_turn(deadline))))
        threads[-1].start()
        while pace.waiting == queued and i not in turns:
            time.sleep(0.001)
    return threads, turns


def paced(rate: float) -> AdaptivePace:
    """A pace already cut to a steady `rate`, with a turn just taken."""
    pace = AdaptivePace(PaceModel(min_growth=0.0, growth=0.0, floor=rate, keep_of_best=0.0, start_rate=None))
    pace.wait_turn(LONG)
    pace.throttled(sent_at=time.monotonic())
    return pace


def test_paced_calls_are_spaced_and_served_first_come_first_served() -> None:
    pace = paced(20.0)
    threads, turns = queue_up(pace, 6)
    for thread in threads:
        thread.join(timeout=10)
    order = sorted(turns, key=turns.__getitem__)
    assert order == list(range(6))
    gaps = [turns[b] - turns[a] for a, b in zip(order, order[1:])]
    assert all(gap >= 1 / 20 - 1e-3 for gap in gaps), gaps


def test_a_call_whose_turn_is_past_its_deadline_goes_at_once_without_delaying_the_queue() -> None:
    pace = paced(0.5)  # one call in 2 s, and one was just taken
    taken = time.monotonic()
    threads, turns = queue_up(pace, 1)  # the next one: its turn is 2 s after the last
    went = pace.wait_turn(Deadline.after(0.5))  # its turn would be 4 s after it: past its deadline
    threads[0].join(timeout=60)
    assert went < turns[0]  # went at once, ahead of the caller queued before it, instead of failing untried
    assert turns[0] - taken < 3.0  # and that caller kept its turn, 2 s after the last (not pushed back to 4 s)


def test_the_head_of_the_queue_going_early_for_its_deadline_still_uses_its_turn() -> None:
    pace = paced(1.0)  # one call a second, and one was just taken
    time.sleep(0.6)
    pace.wait_turn(Deadline.after(0.2))  # its turn is 0.4 s away, past its deadline: it goes at once
    started = time.monotonic()
    pace.wait_turn(LONG)
    assert time.monotonic() - started >= 0.9  # the next one is spaced a full turn after it, not 0.4 s
