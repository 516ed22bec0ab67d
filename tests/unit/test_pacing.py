"""The shared pace: unpaced until the service throttles, cut at a throttle, grown back, relaxed.

The model is driven with a fake clock; the queue's spacing is checked in real time (a paced
call can only ever wait longer than its spacing, never less, so the checks are lower bounds).
"""

from __future__ import annotations

import threading
import time

import pytest

from alicloud_account_factory.pacing import AdaptivePace, PaceModel
from alicloud_account_factory.timeouts import Deadline

MODEL = PaceModel(cut=0.8, window=1.0, growth=0.1, min_growth=1.0, floor=0.5, keep_of_best=0.5, relax_after=30.0)
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
    assert pace.rate() == pytest.approx(8.0 + 1.0 * 2.3)  # only grown since the one cut


def test_a_throttle_under_the_pace_cuts_again_but_never_below_the_floors(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=40, passed=10)
    pace.throttled(sent_at=clock.now - 0.2)  # 8 a second, and the best window seen passed 10
    for _ in range(10):
        clock.now += 1.5
        pace.passed()  # one answer a second gets through: the pace keeps being cut...
        pace.throttled(sent_at=clock.now - 0.1)
    assert pace.rate() == pytest.approx(5.0)  # ...but not below half of the 10 that once passed in a window

    lonely = AdaptivePace(MODEL, clock)
    lonely.wait_turn(LONG)
    lonely.throttled(sent_at=clock.now)
    assert lonely.rate() == pytest.approx(0.8)  # 0.8 x 1 sent
    clock.now += 1.0
    lonely.throttled(sent_at=clock.now)  # 1.8 a second by now, nothing sent in the window
    assert lonely.rate() == pytest.approx(MODEL.floor)


def test_the_pace_grows_back_and_is_dropped_after_a_quiet_spell(clock: FakeClock) -> None:
    pace = AdaptivePace(MODEL, clock)
    traffic(pace, clock, sent=400, passed=200)
    pace.throttled(sent_at=clock.now)
    assert pace.rate() == pytest.approx(160.0)
    clock.now += 5.0
    assert pace.rate() == pytest.approx(160.0 + 0.1 * 160.0 * 5.0)  # 10% of the cut pace a second
    clock.now += MODEL.relax_after - 5.0
    assert pace.rate() is None


def test_paced_calls_are_spaced_and_served_first_come_first_served() -> None:
    pace = AdaptivePace(PaceModel(window=1.0, min_growth=0.0, growth=0.0, floor=20.0, keep_of_best=0.0))
    pace.wait_turn(LONG)
    pace.throttled(sent_at=time.monotonic())  # paced at the floor: 20 a second
    turns: list[tuple[int, float]] = []
    lock = threading.Lock()

    def call(i: int) -> None:
        taken = pace.wait_turn(LONG)
        with lock:
            turns.append((i, taken))

    threads = []
    for i in range(6):
        threads.append(threading.Thread(target=call, args=(i,)))
        threads[-1].start()
        time.sleep(0.01)  # queue up in order
    for thread in threads:
        thread.join(timeout=10)
    assert [i for i, _ in turns] == list(range(6))
    gaps = [b - a for (_, a), (_, b) in zip(turns, turns[1:])]
    assert all(gap >= 1 / 20 - 1e-3 for gap in gaps), gaps


def test_a_call_whose_turn_is_past_its_deadline_goes_at_once() -> None:
    pace = AdaptivePace(PaceModel(window=1.0, min_growth=0.0, growth=0.0, floor=0.5, keep_of_best=0.0))
    pace.wait_turn(LONG)
    pace.throttled(sent_at=time.monotonic())  # one call every 2 s, and one was just taken
    started = time.monotonic()
    pace.wait_turn(Deadline.after(0.5))
    assert time.monotonic() - started < 0.4  # waiting 2 s would only have missed the deadline
