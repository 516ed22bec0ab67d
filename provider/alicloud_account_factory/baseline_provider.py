"""The dynamic provider of `AccountFactoryBaseline`.

`AccountFactoryBaselineProvider` is pickled BY REFERENCE into every stack's state, so this
module path and the class name must never change. It inherits configuration (stack config,
credential chain, endpoint override) and the empty pickle from `EnrolledAccountProvider`.

Exactly once. CreateAccountFactoryBaseline has no idempotency token, the service lets two
baselines share a name and a gateway may carry a request out after the client stopped waiting.
So, as for EnrollAccount (`enrollment.py`), create:

* writes the resource's mark at the end of the description (a hash of the stack's identity and
  the resource's URN, `baseline_fields.mark`; read hides it), and records each request in the
  attempt journal before it leaves, then its answer (the baseline id) or that none came;
* first looks for its own baseline, one carrying its mark (whatever its name now) or one a
  recorded attempt was answered with, and adopts it;
* does not create while an unanswered attempt may still take effect or be missing from the
  listing (the windows of `enrollment.py`): it looks again instead;
* never adopts a same-named Custom baseline that is not its own (another stack's, the
  console's): it fails, naming it. `baseline_id=` takes over an existing baseline on purpose.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Mapping

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from . import baseline_fields
from .baseline_client import BaselineClient
from .catalog import CATALOG_CODES, answered_from_catalog, shared_client
from .enrollment_steps import AMBIGUOUS_LOOKUP_PAUSES, Windows
from .errors import AccountFactoryError, AmbiguousCallError, ApiError
from .journal import ANSWERED, REFUSED, SENT, Attempt, AttemptJournal
from .progress import Reporter
from .provider import EnrolledAccountProvider, _journal
from .timeouts import Deadline, operation_deadline

READ_TIMEOUT_SECONDS = 300.0
IN_USE_CODE = "DependencyViolation.Blueprint"
CREATE = "CreateAccountFactoryBaseline"

#: The baseline each create in this process returned by URN, when that baseline existed before the
#: create (adopted by its mark, or taken over with `baseline_id=`). Pulumi deletes a resource after a
#: create of the same URN only when that create replaced it (`pulumi up --replace`, create-first): a
#: delete of the baseline listed here is of the replaced resource, whose baseline the replacement
#: holds, and must not delete it.
_kept_by_replacement: dict[str, str] = {}
_kept_lock = threading.Lock()


def _urn(props: Mapping[str, Any]) -> str:
    return str(props.get(baseline_fields.RESOURCE_URN) or "")


@contextmanager
def _catalog_named(client: BaselineClient, props: Mapping[str, Any], deadline: Deadline) -> Iterator[None]:
    """The service's item errors carry the catalog's answer, and errors name the argument."""
    try:
        yield
    except ApiError as error:
        if error.code in CATALOG_CODES:
            raise answered_from_catalog(error, client, list(props.get("baseline_items") or ()), deadline) from None
        arguments = baseline_fields.arguments_named_in(error.message)
        if not arguments or error.arguments:
            raise
        raise error.about(arguments) from None


class BaselineInUse(AccountFactoryError):
    """Delete refused by the service because enrolled accounts still use the baseline."""


class BaselineNameTaken(AccountFactoryError):
    """A Custom baseline of this name exists and is not this resource's: it is never adopted
    unasked (it may be another stack's), and a second one of the name would be ambiguous."""


class BaselineNotCreated(AccountFactoryError):
    """The deadline came while an unanswered CreateAccountFactoryBaseline may still take effect."""


def _clock_time(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


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


def _not_created(deadline: Deadline, pending: float | None, unsure: AmbiguousCallError | None) -> BaselineNotCreated:
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


@dataclass
class _Sending:
    """Hears each CreateAccountFactoryBaseline leave (`client.SendObserver`) and keeps the journal
    in step: sent before it leaves (a kill -9 right after keeps the record), then settled."""

    journal: AttemptJournal
    key: str
    windows: Windows
    attempt: Attempt | None = None

    def sending(self) -> None:
        self.attempt = self.journal.sending(self.key)

    def refused(self) -> None:
        self.settle(REFUSED)

    def settle(self, state: str, *, baseline_id: str | None = None, until: float | None = None) -> None:
        if self.attempt is not None:
            self.journal.settle(self.key, self.attempt, state, until=until, resource_id=baseline_id)

    def unanswered(self, error: AmbiguousCallError) -> float:
        """Records until when the attempt may still turn up (`Windows.unanswered_until`), and returns it."""
        now = time.time()
        until = self.windows.unanswered_until(error, self.attempt.at if self.attempt is not None else now, now)
        if self.attempt is None:
            self.sending()
        self.settle(SENT, until=until)
        return until


@dataclass(frozen=True)
class _Found:
    """What a look for this resource's baselines found."""

    own: list[dict[str, Any]]  # carrying its mark, or answered to a recorded attempt; oldest first
    others: list[dict[str, Any]]  # Custom baselines of the same name that are not its own


class AccountFactoryBaselineProvider(EnrolledAccountProvider):
    """Creates, reads, updates and deletes Account Factory baselines."""

    def _client(self, props: Mapping[str, Any]) -> tuple[BaselineClient, str]:
        settings = self._settings()
        region = props.get("region_id") or settings.region
        return shared_client(settings, region), region

    # --- the Pulumi protocol -------------------------------------------------------------

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        with _kept_lock:  # a new step of this resource: what an earlier create of it returned is history
            _kept_by_replacement.pop(_urn(news), None)
        inputs, failures = baseline_fields.check(news, olds=olds)
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in failures])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = baseline_fields.diff(olds, news)
        return DiffResult(changes=bool(changes), replaces=[name for name, replaces in changes if replaces],
                          stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = baseline_fields.normalized(props)
        client, region = self._client(props)
        deadline = operation_deadline(props.get("custom_timeouts"), "create")
        with _catalog_named(client, props, deadline):
            if props.get("baseline_id") is not None:  # taken over: made what the program asks for (unset: kept)
                baseline_id = self._taken_over(client, props, region, deadline)
                client.update_baseline(baseline_id, baseline_fields.request_values(props), deadline)
                made = False
            else:
                values = baseline_fields.request_values(props, creating=True)
                baseline_id, made = self._create_once(client, props, region, values, deadline)
                if not made:  # adopted: make it what the program asks for
                    client.update_baseline(baseline_id, values, deadline)
        if not made:  # it existed before: the resource this one replaces may hold it
            with _kept_lock:
                _kept_by_replacement[_urn(props)] = baseline_id
        return CreateResult(baseline_id, self._outputs(client, baseline_id, props, region, deadline))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client, region = self._client(props)
        raw = client.get_baseline(id_, Deadline.after(READ_TIMEOUT_SECONDS))
        if raw is None:
            return ReadResult("", {})
        return ReadResult(id_, baseline_fields.outputs(raw, {**props, "region_id": props.get("region_id") or region}))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        news = baseline_fields.normalized(news)
        client, region = self._client(news)
        deadline = operation_deadline(news.get("custom_timeouts"), "update")
        with _catalog_named(client, news, deadline):
            client.update_baseline(id_, baseline_fields.request_values(news), deadline)
        return UpdateResult(self._outputs(client, id_, news, region, deadline))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with _kept_lock:
            kept = _kept_by_replacement.get(_urn(props)) == id_
        if kept:
            self._reporter(props, self._settings().credentials.secrets()).status(
                f"baseline {id_} is kept by this resource's replacement, which holds it from now on; nothing is deleted")
            return
        client, _region = self._client(props)
        deadline = operation_deadline(props.get("custom_timeouts"), "delete")
        try:
            client.delete_baseline(id_, deadline)
        except ApiError as error:
            if error.code != IN_USE_CODE:
                raise
            users = [row for row in client.enrolled_rows(deadline) if row.get("BaselineId") == id_]
            named = ", ".join(f"{row.get('DisplayName') or '?'} ({row.get('AccountUid')})" for row in users)
            raise BaselineInUse(
                f"baseline {id_} ({props.get('baseline_name')}) was not deleted: {len(users) or 'some'} enrolled "
                f"account(s) still use it{': ' + named if named else ''}. Move them to another baseline first "
                f"(set their baseline_id and run `pulumi up`), or keep the baseline with "
                f"`retain_on_delete=True`. ({error.code}, RequestId {error.request_id})") from None

    # --- helpers -------------------------------------------------------------------------

    def _create_once(self, client: BaselineClient, props: Mapping[str, Any], region: str, values: Mapping[str, Any],
                     deadline: Deadline) -> tuple[str, bool]:
        """This resource's baseline: (id, True) if this call made it, (id, False) if an earlier attempt did."""
        journal = _journal()
        key = f"baseline.{region}.{baseline_fields.own_mark(props)}"  # the journal's: one file per resource and region
        reporter = self._reporter(props, self._settings().credentials.secrets())
        windows = Windows(self._settings().read_timeout)
        unsure: AmbiguousCallError | None = None
        looks = 0
        while True:
            found = self._look(client, props, journal, key, deadline)
            if found.own:
                return self._adopted(found, reporter, unsure), False
            pending = journal.unanswered_until(key, windows.unsettled)
            if pending is not None:  # an attempt may still take effect, or be missing from the listing: look, never create
                looks += 1
                pause = AMBIGUOUS_LOOKUP_PAUSES[min(looks, len(AMBIGUOUS_LOOKUP_PAUSES)) - 1]
                if deadline.remaining() <= pause:
                    raise _not_created(deadline, pending, unsure)
                time.sleep(pause)
                continue
            if found.others:
                raise _name_taken(found.others[0], props, region)
            if deadline.expired:
                raise _not_created(deadline, None, None)
            sending = _Sending(journal, key, windows)
            try:
                baseline_id = client.create_baseline(values, deadline, sending)
            except AmbiguousCallError as error:
                unsure = error  # looked for until it can no longer appear
                until = sending.unanswered(error)
                reporter.status(f"{CREATE} went unanswered ({error.code}); looking for the baseline it may have "
                                f"made until {_clock_time(until)} before creating one")
                continue
            except ApiError:
                sending.settle(REFUSED)  # the service said no: it did not take effect
                raise
            sending.settle(ANSWERED, baseline_id=baseline_id)
            return baseline_id, True

    @staticmethod
    def _look(client: BaselineClient, props: Mapping[str, Any], journal: AttemptJournal, key: str,
              deadline: Deadline) -> _Found:
        """This resource's baselines (its mark, whatever their name now; or the answer of a recorded
        attempt, read directly since the listing may lag) and same-named Custom ones that are not."""
        marks = baseline_fields.marks(props)
        rows = [b for b in client.list_baselines(deadline) if b.get("Type") == "Custom"]
        own = {str(b["BaselineId"]): b for b in rows if baseline_fields.mark_in(b.get("Description")) in marks}
        answered = {a.resource_id for a in journal.attempts(key) if a.state == ANSWERED and a.resource_id}
        for baseline_id in sorted(answered - set(own)):
            raw = client.get_baseline(baseline_id, deadline)
            if raw is not None and raw.get("Type") == "Custom":
                own[baseline_id] = raw
        others = [b for b in rows if b.get("BaselineName") == props["baseline_name"] and str(b["BaselineId"]) not in own]
        return _Found(sorted(own.values(), key=lambda b: str(b.get("CreateTime") or "")), others)

    @staticmethod
    def _adopted(found: _Found, reporter: Reporter, unsure: AmbiguousCallError | None) -> str:
        """The oldest of this resource's baselines; the others are named (a request carried out after
        the provider had stopped waiting for it made them)."""
        own, *extra = found.own
        own_id = str(own["BaselineId"])
        if unsure is not None:
            reporter.status(f"the unanswered {CREATE} made baseline {own_id}")
        else:
            reporter.warn(f"adopting baseline {own_id} ({own.get('BaselineName')!r}), created for this resource by an "
                          f"earlier `pulumi up` that did not record it (interrupted, failed or timed out), instead of "
                          f"creating a second one; it is updated to this program's values")
        for other in extra:
            reporter.warn(f"baseline {other['BaselineId']} ({other.get('BaselineName')!r}) was also created for this "
                          f"resource, by a {CREATE} carried out after the provider had stopped waiting for it, and no "
                          f"stack manages it. This resource keeps baseline {own_id}; delete "
                          f"{other['BaselineId']} in the Cloud Governance Center console.")
        return own_id

    @staticmethod
    def _taken_over(client: BaselineClient, props: Mapping[str, Any], region: str, deadline: Deadline) -> str:
        """The existing baseline `baseline_id` names, which this resource manages from now on."""
        baseline_id = str(props["baseline_id"])
        raw = client.get_baseline(baseline_id, deadline)
        if raw is None:
            raise ApiError("GetAccountFactoryBaseline", "InvalidBaseline.NotFound",
                           f"there is no baseline {baseline_id} in {region}: remove baseline_id to create a new "
                           f"baseline, or give the id of an existing one", arguments=("baseline_id",))
        if raw.get("Type") != "Custom":
            raise ApiError("GetAccountFactoryBaseline", "OperationDenied.SystemBaseline",
                           f"baseline {baseline_id} is the System baseline, which cannot be changed or deleted: to use "
                           f"it, pass its id to EnrolledAccount(baseline_id=...) and remove this resource",
                           arguments=("baseline_id",))
        return baseline_id

    @staticmethod
    def _outputs(client: BaselineClient, baseline_id: str, props: Mapping[str, Any], region: str,
                 deadline: Deadline) -> dict[str, Any]:
        raw = client.get_baseline(baseline_id, deadline)
        if raw is None:
            raise ApiError("GetAccountFactoryBaseline", "InvalidBlueprint.NotFound",
                           f"baseline {baseline_id} disappeared right after it was written; run `pulumi up` again")
        return baseline_fields.outputs(raw, {**props, "region_id": props.get("region_id") or region})
