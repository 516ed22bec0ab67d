"""The engine lifeline: a provider process ends once its engine is gone, and never before it answered."""

from __future__ import annotations

import socket

import pytest

from alicloud_account_factory.dynamic.lifeline import EngineLifeline, engine_answers


def _run(answers: list[bool], refusals: int = 3) -> tuple[list[str], int]:
    """Feed the lifeline a script of look-ups; returns (addresses it gave up on, look-ups made)."""
    script = iter(answers)
    looked = 0
    gone: list[str] = []

    def answer(_address: str) -> bool:
        nonlocal looked
        looked += 1
        return next(script)

    EngineLifeline("127.0.0.1:1", refusals=refusals, answers=answer, on_gone=gone.append,
                   sleep=lambda _s: None).watch()
    return gone, looked


def test_it_waits_for_the_engine_to_answer_before_it_watches() -> None:
    gone, looked = _run([False, False, True, False, False, False])
    assert gone == ["127.0.0.1:1"] and looked == 6


def test_one_answer_among_refusals_starts_the_count_again() -> None:
    gone, looked = _run([True, False, False, True, False, False, False])
    assert gone == ["127.0.0.1:1"] and looked == 7


def test_an_engine_that_never_answered_is_never_given_up_on() -> None:
    class Enough(Exception):
        pass

    looks = 0
    gone: list[str] = []

    def never(_address: str) -> bool:
        nonlocal looks
        looks += 1
        if looks > 50:
            raise Enough
        return False

    with pytest.raises(Enough):
        EngineLifeline("127.0.0.1:1", answers=never, on_gone=gone.append, sleep=lambda _s: None).watch()
    assert gone == []


def test_engine_answers_is_a_real_connect() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        assert engine_answers(address)
    assert not engine_answers(address)
    assert engine_answers("not-an-address")  # proves nothing: never taken for an engine gone
