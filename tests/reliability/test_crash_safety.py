"""Crash safety: SIGKILL the provider in the middle of creates, run `pulumi up` again.

Twenty-four new accounts, in six rounds of four creates in flight in one provider process. Each
round kills the process at a different point: while EnrollAccount is being refused, right
after the first EnrollAccount took effect, after every EnrollAccount took effect but before
any answer arrived, after every enrollment Finished but before any create returned, and at
two random moments between 0 and 1.5 enrollment times. Then a new
provider process runs Create again for every resource with the same inputs and URN, as the
next `pulumi up` does (the engine never learned the ids). A user must find exactly one
account per resource, Finished, and the id in state must be that account.

The provider processes run with the suite's shorter read timeout (`SHORT_READ_TIMEOUT`): a kill
while an EnrollAccount is in flight leaves an attempt the next process waits out, for a window
derived from it. The answers the rounds hold back (20 s) need not scale: nobody waits for them, the
kill comes first, and the longer they are, the surer it does.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Optional

import grpc

from account_factory_testing.accounts import IN_PROGRESS, emulator_for_tests
from account_factory_testing.engine import FakeEngine
from account_factory_testing.registration import Registration
from tests.reliability.reliability_support import (
    ENROLL_SECONDS,
    HANG_SECONDS,
    SEED,
    SHORT_READ_TIMEOUT,
    CreateOutcome,
    accounts_by_name,
    check_and_create,
    create_all,
    duplicates,
    enrollments_by_uid,
    record,
    register_many,
    start_server,
    wait_until,
)

PER_ROUND = 4
#: How a killed call looks to the engine: the connection to the provider is gone.
KILLED_CODES = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED, grpc.StatusCode.UNKNOWN)


@dataclass
class Round:
    """One provider process, PER_ROUND creates in flight, one kill."""

    name: str
    #: Kill as soon as this holds for the emulator's state (None: after `kill_after` seconds).
    trigger: Optional[Callable[[dict[str, Any]], bool]] = None
    kill_after: float = 0.0
    faults: list[dict[str, Any]] = field(default_factory=list)
    #: How long the round's enrollments take.
    enroll_seconds: float = ENROLL_SECONDS


@dataclass
class RoundResult:
    round: Round
    registrations: list[Registration]
    killed_after: float
    at_kill: dict[str, Any]
    interrupted: dict[str, CreateOutcome]
    recovered: dict[str, CreateOutcome]
    final: dict[str, Any]


def _rounds() -> list[Round]:
    rng = random.Random(SEED)
    return [
        # EnrollAccount refused (throttled) over and over: the kill lands before any account exists.
        Round("refused", trigger=lambda s: s["calls"].get("EnrollAccount", 0) >= 2 * PER_ROUND,
              faults=[{"action": "EnrollAccount", "code": "Throttling.User", "http_status": 400}]),
        # Right after the first EnrollAccount took effect: its answer may not even have been read. Its
        # enrollments take long enough that the kill, however loaded the machine, lands while they run.
        Round("after-first-enroll", trigger=lambda s: s["calls_ok"].get("EnrollAccount", 0) >= 1,
              enroll_seconds=20.0),
        # Every EnrollAccount took effect, no answer arrived: the provider never learned any AccountUid.
        Round("answers-lost", trigger=lambda s: s["calls_ok"].get("EnrollAccount", 0) >= PER_ROUND,
              faults=[{"action": "EnrollAccount", "kind": "delay", "delay_seconds": 20, "after_processing": True}]),
        # Every enrollment Finished, but the provider never read it (its reads hang): Create never returned.
        Round("finished-unreturned",
              trigger=lambda s: sum(a["Status"] == "Finished" for a in s["accounts"]) >= PER_ROUND,
              faults=[{"action": "GetEnrolledAccount", "kind": "delay", "delay_seconds": 20}]),
        Round("random-1", kill_after=rng.uniform(0, 1.5 * ENROLL_SECONDS)),
        Round("random-2", kill_after=rng.uniform(0, 1.5 * ENROLL_SECONDS)),
    ]


def _run_round(round_: Round, registrations: list[Registration], engine: FakeEngine, seed: int) -> RoundResult:
    with emulator_for_tests(enroll_seconds=round_.enroll_seconds, seed=seed) as emu:
        doomed = start_server(engine, emu.endpoint, warm_with=registrations[0], config=SHORT_READ_TIMEOUT)
        emu.set_faults(round_.faults)
        with ThreadPoolExecutor(len(registrations)) as pool:
            started = time.monotonic()
            futures = [pool.submit(check_and_create, doomed, r) for r in registrations]
            if round_.trigger is not None:
                fired = wait_until(lambda: round_.trigger(emu.state()), timeout=HANG_SECONDS)  # type: ignore[misc]
                assert fired, f"round {round_.name}: the kill point never came: {emu.state()['calls']}"
            else:
                time.sleep(round_.kill_after)
            doomed.kill()
            killed_after = time.monotonic() - started
            at_kill = emu.state()
            interrupted = {f.result().name: f.result() for f in futures}
        doomed.stop()
        emu.set_faults([])

        # The next `pulumi up`: a new provider process, Create again with the same inputs and URN.
        survivor = start_server(engine, emu.endpoint, warm_with=registrations[0], config=SHORT_READ_TIMEOUT)
        recovered = create_all(survivor, registrations)
        survivor.stop()
        return RoundResult(round_, registrations, killed_after, at_kill, interrupted, recovered, emu.state())


def test_a_killed_provider_never_leaves_a_second_account(engine: FakeEngine) -> None:
    rounds = _rounds()
    specs = {
        f"{r.name}-{i}": dict(account_name_prefix=f"crash-{r.name}-{i}", display_name=f"Crash {r.name} {i}",
                              folder_id="fd-Sandbox001", tags={"round": r.name})
        for r in rounds for i in range(PER_ROUND)
    }
    registered = register_many(specs)
    with ThreadPoolExecutor(len(rounds)) as pool:  # rounds are independent: one emulator each
        results = list(pool.map(
            lambda ir: _run_round(ir[1], [registered[f"{ir[1].name}-{i}"] for i in range(PER_ROUND)], engine,
                                  SEED + ir[0]),
            enumerate(rounds)))

    problems: list[str] = []
    figures: dict[str, Any] = {"rounds": {}}
    for result in results:
        name = result.round.name
        names = [specs[r.name]["display_name"] for r in result.registrations]
        grouped = accounts_by_name(result.final)
        enrollments = enrollments_by_uid(result.final)
        at_kill = accounts_by_name(result.at_kill)
        for registration, display_name in zip(result.registrations, names):
            first = result.interrupted[registration.name]
            if first.error is not None and first.error.code not in KILLED_CODES:
                problems.append(f"{name}/{registration.name}: failed before the kill: {first.error}")
            again = result.recovered[registration.name]
            accounts = grouped.get(display_name, [])
            if again.error is not None:
                problems.append(f"{name}/{registration.name}: create after the crash failed: {again.error.details[-600:]}")
            if len(accounts) != 1:
                problems.append(f"{name}/{display_name}: {len(accounts)} accounts, expected exactly one")
                continue
            [account] = accounts
            if account["Status"] != "Finished":
                problems.append(f"{name}/{display_name}: ended {account['Status']}")
            if again.error is None and (again.id != str(account["AccountUid"]) or again.outputs.get("status") != "Finished"):
                problems.append(f"{name}/{display_name}: create returned {again.id} ({again.outputs.get('status')}), "
                                f"the account is {account['AccountUid']}")
            if first.error is None and first.id != str(account["AccountUid"]):
                problems.append(f"{name}/{display_name}: the create before the kill returned another account {first.id}")
            if enrollments.get(account["AccountUid"]) != 1:
                problems.append(f"{name}/{display_name}: EnrollAccount took effect {enrollments.get(account['AccountUid'])} times")
        if len(result.final["accounts"]) != PER_ROUND:
            problems.append(f"{name}: {len(result.final['accounts'])} accounts in the directory, expected {PER_ROUND}")
        statuses = [at_kill[n][0]["Status"] if n in at_kill else "none" for n in names]
        figures["rounds"][name] = {
            "killed_after_seconds": round(result.killed_after, 3),
            "accounts_at_kill": {s: statuses.count(s) for s in sorted(set(statuses))},
            "creates_done_before_kill": sum(o.error is None for o in result.interrupted.values()),
            "duplicates": len(duplicates(result.final, names)),
        }
    assert not problems, "\n".join(problems)

    # The kill points are what they claim to be (otherwise the rounds prove less than they say).
    by_name = {r.round.name: r for r in results}
    assert by_name["refused"].at_kill["accounts"] == [], "the 'refused' kill came after an account existed"
    in_flight = [a for a in by_name["after-first-enroll"].at_kill["accounts"] if a["Status"] in IN_PROGRESS]
    assert in_flight, "the 'after-first-enroll' kill did not catch an enrollment in progress"
    lost = by_name["answers-lost"]
    assert len(lost.at_kill["accounts"]) == PER_ROUND and all(o.error for o in lost.interrupted.values())
    unreturned = by_name["finished-unreturned"]
    assert [a["Status"] for a in unreturned.at_kill["accounts"]] == ["Finished"] * PER_ROUND
    assert all(o.error for o in unreturned.interrupted.values()), "a create returned before the kill"

    record("crash_safety", seed=SEED, crashes_survived=len(results), creates_after_crash=len(specs),
           accounts_enrolling_at_kill=sum(a["Status"] in IN_PROGRESS for r in results for a in r.at_kill["accounts"]),
           duplicates_found=sum(f["duplicates"] for f in figures["rounds"].values()), **figures)
