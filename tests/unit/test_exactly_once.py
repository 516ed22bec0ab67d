"""The one exactly-once recorder (`core.exactly_once.AttemptRecorder`, for EnrollAccount and
CreateAccountFactoryBaseline alike) on generated creates: the transport's send/refuse protocol, answers,
refusals, unanswered and ambiguous errors, clocks."""

from __future__ import annotations

import random
from typing import Any


from alicloud_account_factory.core.errors import AmbiguousCallError, UnansweredCallError
from alicloud_account_factory.core.exactly_once import AttemptRecorder, Windows
from alicloud_account_factory.core.journal import ANSWERED, REFUSED, SENT, Attempt, AttemptJournal

SCENARIOS = 4000


# --- generated creates ----------------------------------------------------------------------------


class Clock:
    def __init__(self, rng: random.Random) -> None:
        self.now = 1_700_000_000.0 + rng.uniform(0, 1e6)
        self._rng = rng

    def __call__(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += self._rng.choice((0.0, 0.001, self._rng.uniform(0, 5), self._rng.uniform(0, 120)))


def scenario(seed: int) -> tuple[float, list[list[tuple[str, Any]]]]:
    """A create's rounds (the provider's loop: a new recorder each), each the events of one call of the
    transport (`sending`, `refused` for each retried refusal) and how the call ended."""
    rng = random.Random(seed)
    read_timeout = rng.choice((1.0, 6.0, 30.0, 120.0))
    rounds = []
    for _ in range(rng.randint(1, 4)):
        events: list[tuple[str, Any]] = []
        unreported = rng.random() < 0.05  # an ambiguous answer the client raised without reporting a send
        if not unreported:
            events.append(("sending", None))
            for _ in range(rng.choice((0, 0, 1, 3))):
                events += [("refused", None), ("sending", None)]
        end = "unanswered" if unreported else rng.choice(("answered", "refusal", "refused, deadline", "unanswered",
                                                           "ambiguous"))
        if end == "refused, deadline":
            events += [("refused", None), ("refusal", None)]
        elif end == "unanswered":
            events.append(("unanswered", UnansweredCallError("Create", "ConnectionFailure", "no answer")))
        elif end == "ambiguous":
            events.append(("unanswered", AmbiguousCallError("Create", "InvalidResponse", "no id")))
        else:
            events.append((end, rng.randint(10**15, 10**16 - 1)))
        rounds.append(events)
        if end in ("answered", "refusal", "refused, deadline"):
            break
    return read_timeout, rounds


def run(seed: int) -> tuple[list[list[tuple[str, Any]]], Windows, list[Attempt], list[float], list[float]]:
    """One generated create through the recorder: its rounds, windows, the record it left, the untils
    returned and when each unanswered failure was seen."""
    rng = random.Random(seed * 7919)
    clock = Clock(rng)
    journal = AttemptJournal(None, clock=clock)
    read_timeout, rounds = scenario(seed)
    windows = Windows(read_timeout)
    returned: list[float] = []
    failed_at: list[float] = []
    for events in rounds:
        recorder = AttemptRecorder(journal, "key", windows)
        for event, value in events:
            clock.tick()
            if event == "sending":
                recorder.sending()
            elif event in ("refused", "refusal"):
                recorder.refused()
            elif event == "answered":
                recorder.answered(resource_id=str(value))
            else:
                failed_at.append(clock())
                returned.append(recorder.unanswered(value))
    return rounds, windows, journal.attempts("key"), returned, failed_at


def test_the_record_says_what_became_of_every_request() -> None:
    """On generated creates: a refused request is REFUSED, the answered one ANSWERED with what it made,
    an unanswered one SENT until its window ends (from its send, for no answer at all), and nothing else
    is left unsettled. (The old enrollment._Recorder and baseline_provider._Sending left the same record
    on 4,000 such creates each: see this file's history.)"""
    kinds: dict[str, int] = {}
    for seed in range(SCENARIOS):
        rounds, windows, record, returned, failed_at = run(seed)
        ends = [events[-1] for events in rounds]
        expected = []
        for events in rounds:
            sends = sum(1 for event, _ in events if event == "sending") or 1  # (an unreported send is recorded)
            end, value = events[-1]
            expected += [REFUSED] * (sends - 1)
            expected.append({"answered": ANSWERED, "refusal": REFUSED, "unanswered": SENT}[end])
        assert [a.state for a in record] == expected, f"scenario {seed}"
        unanswered = [a for a in record if a.state == SENT]
        assert [a.until for a in unanswered] == returned, f"scenario {seed}"
        for attempt, (event, error), seen in zip(unanswered, [e for e in ends if e[0] == "unanswered"], failed_at):
            # no answer at all: it may take effect until the in-flight window after it left; else it is done
            done_by = attempt.at + windows.in_flight if isinstance(error, UnansweredCallError) else seen
            assert attempt.until == max(done_by, seen) + 15.0, f"scenario {seed}"  # (+ the listing's lag)
        answered = [a for a in record if a.state == ANSWERED]
        assert [a.resource_id for a in answered] == [str(v) for e, v in ends if e == "answered"], f"scenario {seed}"
        for attempt in record:
            kinds[attempt.state] = kinds.get(attempt.state, 0) + 1
    assert all(kinds.get(state, 0) > SCENARIOS / 20 for state in (ANSWERED, REFUSED, SENT)), kinds


def test_unanswered_returns_the_recorded_until() -> None:
    journal = AttemptJournal(None, clock=lambda: 1000.0)
    recorder = AttemptRecorder(journal, "key", Windows(30.0), clock=lambda: 1010.0)
    recorder.sending()
    until = recorder.unanswered(UnansweredCallError("Create", "ConnectionFailure", "no answer"))
    assert until == 1000.0 + 60.0 + 15.0  # sent at + twice the read timeout + the listing's lag
    assert [(a.state, a.until) for a in journal.attempts("key")] == [(SENT, until)]


def test_a_refusal_settles_once_and_a_retry_is_a_new_attempt() -> None:
    journal = AttemptJournal(None, clock=lambda: 1000.0)
    recorder = AttemptRecorder(journal, "key", Windows())
    recorder.sending()
    recorder.refused()
    recorder.sending()
    recorder.answered(resource_id="bl-1")
    recorder.refused()  # (an answered attempt is not refused afterwards)
    assert [(a.state, a.resource_id) for a in journal.attempts("key")] == [(REFUSED, None), (ANSWERED, "bl-1")]
