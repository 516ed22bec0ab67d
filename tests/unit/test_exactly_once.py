"""One exactly-once recorder (`core.exactly_once.AttemptRecorder`) in place of the enroller's `_Recorder`
and the baseline provider's `_Sending`: compared with both old ones on generated creates (the transport's
send/refuse protocol, answers, refusals, unanswered and ambiguous errors, clocks), the record each leaves
is the same, and so is every "unanswered until"."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from alicloud_account_factory.core.errors import AmbiguousCallError, UnansweredCallError
from alicloud_account_factory.core.exactly_once import AttemptRecorder, Windows
from alicloud_account_factory.core.journal import ANSWERED, REFUSED, SENT, Attempt, AttemptJournal

SCENARIOS = 4000


# --- the two old implementations, as they were (their clock injected), for the comparison only ---------


class OldRecorder:  # enrollment._Recorder
    def __init__(self, journal: AttemptJournal, key: str, windows: Windows) -> None:
        self._journal = journal
        self._key = key
        self._windows = windows
        self._attempt: Attempt | None = None

    def sending(self) -> None:
        self._attempt = self._journal.sending(self._key)

    def refused(self) -> None:
        if self._attempt is not None and self._attempt.unanswered:
            self._journal.settle(self._key, self._attempt, REFUSED)
            self._attempt = None

    def answered(self, account_uid: int) -> None:
        if self._attempt is not None:
            self._journal.settle(self._key, self._attempt, ANSWERED, account_uid)

    def unanswered(self, error: AmbiguousCallError, now: float) -> None:
        if self._attempt is None:
            self.sending()
        assert self._attempt is not None
        until = self._windows.unanswered_until(error, self._attempt.at, now)
        self._journal.settle(self._key, self._attempt, SENT, until=until)


@dataclass
class OldSending:  # baseline_provider._Sending (time.time() as the injected clock)
    journal: AttemptJournal
    key: str
    windows: Windows
    clock: Callable[[], float]
    attempt: Attempt | None = None

    def sending(self) -> None:
        self.attempt = self.journal.sending(self.key)

    def refused(self) -> None:
        self.settle(REFUSED)

    def settle(self, state: str, *, baseline_id: str | None = None, until: float | None = None) -> None:
        if self.attempt is not None:
            self.journal.settle(self.key, self.attempt, state, until=until, resource_id=baseline_id)

    def unanswered(self, error: AmbiguousCallError) -> float:
        now = self.clock()
        until = self.windows.unanswered_until(error, self.attempt.at if self.attempt is not None else now, now)
        if self.attempt is None:
            self.sending()
        self.settle(SENT, until=until)
        return until


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


def run(seed: int, make: Callable[[AttemptJournal, str, Windows, Clock], Any], flavour: str) -> tuple[list[Any], list[Any]]:
    """The record a recorder leaves, and what its `unanswered` returned, for one scenario."""
    rng = random.Random(seed * 7919)
    clock = Clock(rng)
    journal = AttemptJournal(None, clock=clock)
    read_timeout, rounds = scenario(seed)
    windows = Windows(read_timeout)
    returned: list[Any] = []
    for events in rounds:
        recorder = make(journal, "key", windows, clock)
        for event, value in events:
            clock.tick()
            if event in ("sending", "refused"):
                getattr(recorder, event)()
            elif event == "refusal":  # the provider's `except ApiError`: it did not take effect
                recorder.refused() if not isinstance(recorder, OldSending) else recorder.settle(REFUSED)
            elif event == "answered":
                if isinstance(recorder, OldRecorder):
                    recorder.answered(value)
                elif isinstance(recorder, OldSending):
                    recorder.settle(ANSWERED, baseline_id=str(value))
                elif flavour == "accounts":
                    recorder.answered(account_uid=value)
                else:
                    recorder.answered(resource_id=str(value))
            else:  # unanswered
                if isinstance(recorder, OldRecorder):
                    recorder.unanswered(value, clock())
                    returned.append(None)
                else:
                    until = recorder.unanswered(value) if isinstance(recorder, OldSending) else recorder.unanswered(value, clock())
                    returned.append(until)
    record = [(a.at, a.state, a.account_uid, a.until, a.resource_id) for a in journal.attempts("key")]
    return record, returned


@pytest.mark.parametrize("flavour", ["accounts", "baselines"])
def test_the_one_recorder_leaves_the_record_each_old_one_left(flavour: str) -> None:
    old: Callable[[AttemptJournal, str, Windows, Clock], Any] = (
        (lambda journal, key, windows, clock: OldRecorder(journal, key, windows)) if flavour == "accounts"
        else (lambda journal, key, windows, clock: OldSending(journal, key, windows, clock)))
    new = lambda journal, key, windows, clock: AttemptRecorder(journal, key, windows, clock=clock)  # noqa: E731
    kinds: dict[str, int] = {}
    for seed in range(SCENARIOS):
        old_record, old_returned = run(seed, old, flavour)
        new_record, new_returned = run(seed, new, flavour)
        assert new_record == old_record, f"scenario {seed}: {scenario(seed)}"
        if flavour == "baselines":
            assert new_returned == old_returned, f"scenario {seed}"
        for state in {state for _, state, *_ in new_record}:
            kinds[state] = kinds.get(state, 0) + 1
    assert all(kinds.get(state, 0) > SCENARIOS / 20 for state in (ANSWERED, REFUSED, SENT)), kinds  # each outcome ran


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
