"""A baseline's create, decided apart from doing it: `baselines.creation_steps` (pure) and
`baselines.creation.create_once` (the one loop that executes the steps), compared with the provider's
former `_create_once` on generated creates: existing baselines (its own by mark, same-named others,
the System baseline, a replaced one), attempt records (answered, unanswered with and without a known
end, refused), CreateAccountFactoryBaseline answers (answered, refused after retries, unanswered and
made or not, answered without an id), listing lag and deadlines. What each returns or raises, what it
says, what it sends and the record it leaves are the same."""

from __future__ import annotations

import random
import time as real_time
from dataclasses import dataclass
from typing import Any, Mapping

import pytest

from alicloud_account_factory.baselines import creation, creation_steps
from alicloud_account_factory.baselines import fields as baseline_fields
from alicloud_account_factory.baselines.errors import BaselineNameTaken, BaselineNotCreated
from alicloud_account_factory.core.errors import AccountFactoryError, AmbiguousCallError, ApiError, UnansweredCallError
from alicloud_account_factory.core.exactly_once import AMBIGUOUS_LOOKUP_PAUSES, AttemptRecorder, Windows
from alicloud_account_factory.core.journal import ANSWERED, REFUSED, SENT, AttemptJournal

SCENARIOS = 3000
REGION = "cn-hangzhou"
CREATE = "CreateAccountFactoryBaseline"


# --- the former implementation (baseline_provider, before the split), its clock and pause injected -----


def _clock_time(at: float) -> str:
    return real_time.strftime("%H:%M:%S", real_time.localtime(at))


def _name_taken(other: Mapping[str, Any], props: Mapping[str, Any], region: str) -> BaselineNameTaken:
    baseline_id = other.get("BaselineId")
    return BaselineNameTaken(
        f"a baseline named {props['baseline_name']!r} already exists in {region} ({baseline_id}, created "
        f"{other.get('CreateTime') or 'at an unknown time'}) and it is not this resource's: it does not carry this "
        f"resource's mark (it was made in the console, by another stack, or by a build of this provider that did not "
        f"mark its baselines). Baseline names tell baselines apart, so this resource neither creates a second one "
        f"nor takes that one over unasked. Give this resource another baseline_name; or, to manage {baseline_id} from "
        f"this resource (`pulumi import` cannot bring in a dynamic resource), add baseline_id='{baseline_id}' to it: "
        f"it is then updated to this program's values, and deleted with the resource unless retain_on_delete=True; "
        f"or, to use it as it is, pass '{baseline_id}' to EnrolledAccount(baseline_id=...) instead.")


def _not_created(deadline: Any, pending: float | None, unsure: AmbiguousCallError | None) -> BaselineNotCreated:
    until = f" until {_clock_time(pending)}" if pending is not None else ""
    if unsure is not None:
        what = (f"{CREATE} went unanswered ({unsure}) and the service may still carry it out{until}: whether it made "
                f"a baseline is not known, and none turned up before the create timed out after {deadline.describe()}.")
    elif pending is not None:
        what = (f"timed out after {deadline.describe()} before {CREATE} was sent: an earlier {CREATE} of this resource "
                f"went unanswered and may still take effect or show up in the listing{until}. This run created nothing.")
    else:
        what = f"timed out after {deadline.describe()} before {CREATE} was sent. This run created nothing."
    return BaselineNotCreated(
        f"{what} Run `pulumi up` again: the provider looks for this resource's baseline first (on this machine it waits "
        f"as long as an unanswered request may still take effect) and adopts it, so no second baseline is created; "
        f"or allow more time with ResourceOptions(custom_timeouts=CustomTimeouts(create='30m')).")


@dataclass(frozen=True)
class _Found:
    own: list[dict[str, Any]]
    others: list[dict[str, Any]]


def old_look(client: Any, props: Mapping[str, Any], journal: AttemptJournal, keys: list[str], deadline: Any,
             replaced: str | None) -> _Found:
    marks = baseline_fields.marks(props)
    rows = [b for b in client.list_baselines(deadline) if b.get("Type") == "Custom" and b.get("BaselineId") != replaced]
    own = {str(b["BaselineId"]): b for b in rows if baseline_fields.mark_in(b.get("Description")) in marks}
    answered = {a.resource_id for key in keys for a in journal.attempts(key) if a.state == ANSWERED and a.resource_id}
    for baseline_id in sorted(answered - set(own) - {replaced}):
        raw = client.get_baseline(baseline_id, deadline)
        if raw is not None and raw.get("Type") == "Custom":
            own[baseline_id] = raw
    others = [b for b in rows if b.get("BaselineName") == props["baseline_name"] and str(b["BaselineId"]) not in own]
    return _Found(sorted(own.values(), key=lambda b: str(b.get("CreateTime") or "")), others)


def old_adopted(found: _Found, reporter: Any, unsure: AmbiguousCallError | None) -> str:
    own, *extra = found.own
    own_id = str(own["BaselineId"])
    if unsure is not None:
        reporter.status(f"the unanswered {CREATE} made baseline {own_id}")
    else:
        reporter.warn(f"adopting baseline {own_id} ({own.get('BaselineName')!r}), which carries this resource's "
                      f"mark, instead of creating a second one; it is updated to this program's values. It was "
                      f"made for this resource by an earlier `pulumi up` that did not record it (interrupted, "
                      f"failed or timed out), or this is a create-first replacement (`pulumi up --replace`) "
                      f"of the resource that holds it, whose delete then keeps it")
    for other in extra:
        reporter.warn(f"baseline {other['BaselineId']} ({other.get('BaselineName')!r}) was also created for this "
                      f"resource, by a {CREATE} carried out after the provider had stopped waiting for it, and no "
                      f"stack manages it. This resource keeps baseline {own_id}; delete "
                      f"{other['BaselineId']} in the Cloud Governance Center console.")
    return own_id


def old_create_once(client: Any, props: Mapping[str, Any], region: str, values: Mapping[str, Any], deadline: Any,
                    replaced: str | None, *, journal: AttemptJournal, reporter: Any, windows: Windows,
                    pause: Any) -> tuple[str, bool]:
    keys = [f"baseline.{region}.{mark}" for mark in baseline_fields.marks(props)]
    key = keys[0]
    unsure: AmbiguousCallError | None = None
    looks = 0
    while True:
        found = old_look(client, props, journal, keys, deadline, replaced)
        journal.warn_of_problems(reporter.warn)
        if found.own:
            return old_adopted(found, reporter, unsure), False
        pending = max((until for until in (journal.unanswered_until(other, windows.unsettled) for other in keys)
                       if until is not None), default=None)
        if pending is not None:
            looks += 1
            wait = AMBIGUOUS_LOOKUP_PAUSES[min(looks, len(AMBIGUOUS_LOOKUP_PAUSES)) - 1]
            if deadline.remaining() <= wait:
                raise _not_created(deadline, pending, unsure)
            pause(wait)
            continue
        if found.others:
            raise _name_taken(found.others[0], props, region)
        if deadline.expired:
            raise _not_created(deadline, None, None)
        sending = AttemptRecorder(journal, key, windows)
        try:
            baseline_id = client.create_baseline(values, deadline, sending)
        except AmbiguousCallError as error:
            unsure = error
            until = sending.unanswered(error)
            reporter.status(f"{CREATE} went unanswered ({error.code}); looking for the baseline it may have "
                            f"made until {_clock_time(until)} before creating one")
            continue
        except ApiError:
            sending.refused()
            raise
        finally:
            journal.warn_of_problems(reporter.warn)
        sending.answered(resource_id=baseline_id)
        return baseline_id, True


# --- a generated service ---------------------------------------------------------------------------


class Clock:
    """Wall and monotonic time of a scenario: each call to the service, and each pause, moves them."""

    def __init__(self) -> None:
        self.wall = 1_800_000_000.0
        self.mono = 0.0

    def __call__(self) -> float:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


class FakeDeadline:
    def __init__(self, clock: Clock, seconds: float) -> None:
        self._clock = clock
        self._at = clock.mono + seconds
        self._seconds = seconds

    def remaining(self) -> float:
        return self._at - self._clock.mono

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def describe(self) -> str:
        return f"{self._seconds:g} s"


class Reporter:
    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def status(self, text: str) -> None:
        self.said.append(("status", text))

    def warn(self, text: str) -> None:
        self.said.append(("warn", text))


class Service:
    """Baselines, a listing that lags, and CreateAccountFactoryBaseline answers scripted by the scenario."""

    def __init__(self, rng: random.Random, clock: Clock, props: Mapping[str, Any], other_props: Mapping[str, Any]) -> None:
        self._rng, self._clock, self._props = rng, clock, props
        self.baselines: dict[str, dict[str, Any]] = {}
        self.shown_after: dict[str, int] = {}  # listings before a new baseline shows up
        self.calls: list[str] = []
        self._made = 0
        for _ in range(rng.randint(0, 3)):
            kind = rng.choice(("own", "other-named", "other-mark", "system", "unrelated"))
            self.add(own=kind == "own", name=props["baseline_name"] if kind in ("other-named", "own", "system")
                     else "another", mark_props=other_props if kind == "other-mark" else None,
                     system=kind == "system")
        self.script = [rng.choice(("answer", "refuse", "retry-answer", "unanswered-made", "unanswered", "ambiguous-made",
                                   "no-id")) for _ in range(4)]

    def add(self, *, own: bool, name: str, mark_props: Mapping[str, Any] | None = None, system: bool = False,
            lag: int = 0) -> str:
        self._made += 1
        baseline_id = f"afb-{self._made:04d}"
        description = "made here"
        if own:
            description = baseline_fields.marked(description, self._props)
        elif mark_props is not None:
            description = baseline_fields.marked(description, mark_props)
        self.baselines[baseline_id] = {"BaselineId": baseline_id, "BaselineName": name, "Description": description,
                                       "Type": "System" if system else "Custom",
                                       "CreateTime": f"2026-01-01T00:00:{self._made:02d}Z"}
        self.shown_after[baseline_id] = lag
        return baseline_id

    def list_baselines(self, deadline: Any) -> list[dict[str, Any]]:
        self.calls.append("list")
        self._clock.advance(0.2)
        shown = []
        for baseline_id, row in self.baselines.items():
            if self.shown_after[baseline_id] > 0:
                self.shown_after[baseline_id] -= 1
            else:
                shown.append(dict(row))
        return shown

    def get_baseline(self, baseline_id: str, deadline: Any) -> dict[str, Any] | None:
        self.calls.append(f"get {baseline_id}")
        self._clock.advance(0.1)
        row = self.baselines.get(baseline_id)
        return dict(row) if row is not None else None

    def create_baseline(self, values: Mapping[str, Any], deadline: Any, observer: Any) -> str:
        outcome = self.script.pop(0) if self.script else "answer"
        self.calls.append(f"create {outcome}")
        observer.sending()
        self._clock.advance(self._rng.choice((0.3, 5.0, 40.0)))
        if outcome == "retry-answer":
            observer.refused()
            self._clock.advance(1.0)
            observer.sending()
        if outcome == "refuse":
            raise ApiError(CREATE, "InvalidParameter", "refused", status_code=400)
        lag = self._rng.randint(0, 3)
        if outcome == "unanswered":
            raise UnansweredCallError(CREATE, "ConnectionFailure", "no answer")
        baseline_id = self.add(own=True, name=values["BaselineName"], lag=lag)
        if outcome == "unanswered-made":
            raise UnansweredCallError(CREATE, "ConnectionFailure", "no answer")
        if outcome in ("ambiguous-made", "no-id"):
            raise AmbiguousCallError(CREATE, "InvalidResponse", "the answer holds no BaselineId")
        return baseline_id


def scenario_props(rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    identity = rng.choice(("stack-a", None))
    props = {"baseline_name": "guardrails", "resource_urn": "urn:pulumi:dev::proj::alicloud:Baseline::guardrails",
             "stack_identity": identity}
    if rng.random() < 0.3:
        props["resource_aliases"] = ["urn:pulumi:dev::proj::alicloud:Baseline::old-name"]
    other = {**props, "stack_identity": "stack-b"}
    return props, other


def run(seed: int, new: bool) -> tuple[Any, list[tuple[str, str]], list[str], list[tuple[Any, ...]]]:
    rng = random.Random(seed)
    clock = Clock()
    props, other_props = scenario_props(rng)
    service = Service(rng, clock, props, other_props)
    journal = AttemptJournal(None, clock=clock)
    keys = [f"baseline.{REGION}.{mark}" for mark in baseline_fields.marks(props)]
    for _ in range(rng.choice((0, 0, 1, 2))):  # what earlier runs recorded
        key = rng.choice(keys)
        attempt = journal.sending(key)
        state = rng.choice(("answered-live", "answered-gone", "unanswered-known", "unanswered-unknown", "refused"))
        if state == "answered-live":
            journal.settle(key, attempt, ANSWERED, resource_id=service.add(own=rng.random() < 0.5, name="renamed"))
        elif state == "answered-gone":
            journal.settle(key, attempt, ANSWERED, resource_id="afb-gone")
        elif state == "unanswered-known":
            journal.settle(key, attempt, SENT, until=clock.wall + rng.choice((-10.0, 3.0, 30.0)))
        elif state == "refused":
            journal.settle(key, attempt, REFUSED)
        clock.advance(rng.choice((0.0, 20.0, 100.0)))
    replaced = rng.choice([None, None, *service.baselines])
    deadline = FakeDeadline(clock, rng.choice((0.0, 2.0, 9.0, 120.0, 1200.0)))
    reporter = Reporter()
    values = {"BaselineName": props["baseline_name"]}
    create = creation.create_once if new else old_create_once
    try:
        result: Any = create(service, props, REGION, values, deadline, replaced, journal=journal, reporter=reporter,
                             windows=Windows(rng.choice((6.0, 30.0))), pause=clock.advance)
    except AccountFactoryError as error:
        result = (type(error).__name__, str(error))
    except ApiError as error:
        result = (type(error).__name__, str(error))
    record = [(key, a.at, a.state, a.until, a.resource_id) for key in keys for a in journal.attempts(key)]
    return result, reporter.said, service.calls, record


def test_the_split_create_does_what_the_former_one_did() -> None:
    outcomes: dict[str, int] = {}
    for seed in range(SCENARIOS):
        old, new = run(seed, new=False), run(seed, new=True)
        assert new[0] == old[0], f"scenario {seed}: result"
        assert new[1] == old[1], f"scenario {seed}: what it said"
        assert new[2] == old[2], f"scenario {seed}: the calls it made"
        assert new[3] == old[3], f"scenario {seed}: the record it left"
        kind = ("made" if old[0][1] else "adopted") if isinstance(old[0][1], bool) else old[0][0]
        outcomes[kind] = outcomes.get(kind, 0) + 1
    # every way a create ends ran, often
    for kind in ("made", "adopted", "BaselineNameTaken", "BaselineNotCreated", "ApiError"):
        assert outcomes.get(kind, 0) > SCENARIOS / 100, outcomes
    print(f"{SCENARIOS} generated creates, the same in old and new: {outcomes}")


# --- the pure steps on their own -------------------------------------------------------------------


def _row(baseline_id: str, name: str = "guardrails", created: str = "2026-01-01T00:00:00Z") -> dict[str, Any]:
    return {"BaselineId": baseline_id, "BaselineName": name, "CreateTime": created, "Type": "Custom"}


def _next(found: creation_steps.Found, pending: float | None = None, *, looks: int = 0, remaining: float = 60.0,
          unsure: AmbiguousCallError | None = None) -> creation_steps.CreateStep:
    return creation_steps.next_create_step(found, pending, looks=looks, remaining=remaining, unsure=unsure,
                                           waited="1m", baseline_name="guardrails", region=REGION)


def test_its_own_baseline_is_adopted_before_anything_else() -> None:
    step = _next(creation_steps.Found([_row("afb-1"), _row("afb-2")], [_row("afb-9")]), pending=2e9, remaining=0)
    assert isinstance(step, creation_steps.Adopt) and step.baseline_id == "afb-1" and step.status is None
    assert len(step.warnings) == 2 and "afb-2" in step.warnings[1]


def test_a_pending_attempt_means_looking_again_never_creating() -> None:
    found = creation_steps.Found([], [])
    pauses = [_next(found, pending=2e9, looks=n) for n in range(6)]
    assert pauses == [creation_steps.Look(p) for p in (*AMBIGUOUS_LOOKUP_PAUSES, AMBIGUOUS_LOOKUP_PAUSES[-1],
                                                         AMBIGUOUS_LOOKUP_PAUSES[-1])]
    step = _next(found, pending=2e9, remaining=AMBIGUOUS_LOOKUP_PAUSES[0])
    assert isinstance(step, creation_steps.Fail) and isinstance(step.error, BaselineNotCreated)


@pytest.mark.parametrize(("remaining", "expected"), [(10.0, creation_steps.Create), (0.0, creation_steps.Fail)])
def test_it_creates_only_with_time_left(remaining: float, expected: type) -> None:
    assert isinstance(_next(creation_steps.Found([], []), remaining=remaining), expected)


def test_a_same_named_baseline_of_another_is_never_taken() -> None:
    step = _next(creation_steps.Found([], [_row("afb-7")]))
    assert isinstance(step, creation_steps.Fail) and isinstance(step.error, BaselineNameTaken)
    assert "afb-7" in str(step.error)
