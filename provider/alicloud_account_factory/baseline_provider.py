"""The dynamic provider of `AccountFactoryBaseline`.

`AccountFactoryBaselineProvider` is pickled BY REFERENCE into every stack's state, so this
module path and the class name must never change. Configuration (stack config, credential chain,
endpoint override) and the empty pickle are the dynamic front door's (`dynamic.serving.DynamicProvider`).

Exactly once. CreateAccountFactoryBaseline has no idempotency token, the service lets two
baselines share a name and a gateway may carry a request out after the client stopped waiting.
So, as for EnrollAccount (`enrollment.py`), create:

* writes the resource's mark at the end of the description (a hash of the stack's identity and
  the resource's type and name, `baseline_fields.mark`; read hides it), and records each request in the
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

from .baselines import fields as baseline_fields
from .baselines.catalog import CATALOG_CODES, answered_from_catalog, shared_client
from .baselines.client import BaselineClient
from .core import replace_on_changes
from .core.context import process_journal
from .core.errors import AccountFactoryError, AmbiguousCallError, ApiError
from .core.exactly_once import AMBIGUOUS_LOOKUP_PAUSES, AttemptRecorder, Windows
from .core.field_kit import INPUTS_RECORD, input_record
from .core.journal import ANSWERED, AttemptJournal
from .core.operation import pause as pause_operation
from .core.operation import provider_call
from .core.progress import Reporter
from .core.timeouts import Deadline, operation_deadline
from .dynamic.answers import read_answer
from .dynamic.serving import DynamicProvider

READ_TIMEOUT_SECONDS = 300.0
IN_USE_CODE = "DependencyViolation.Blueprint"
CREATE = "CreateAccountFactoryBaseline"

#: The baseline each create in this process (one `pulumi up`) returned by URN, when that baseline existed
#: before the create (adopted by its mark, or taken over with `baseline_id=`). The stack holds such a
#: baseline from then on, so a delete of it in the same run (the resource a create-first `pulumi up
#: --replace` replaces, or one the program dropped while another took its baseline over) deletes nothing.
#: The delete is matched by the baseline, not the URN: it names the URN its outputs hold, which is the
#: old one of a resource renamed with an alias (a rename changes no output), whether or not the program
#: still lists that alias.
_kept_by_replacement: dict[str, str] = {}
#: The baseline each resource held when this run's Diff decided to replace it (its own rules, or
#: replace_on_changes), or when this run deleted it (a delete-first replacement), by URN. Its
#: replacement's create asks for a new baseline: it must not adopt that one, although it carries the
#: same mark (the same resource's). The engine checks a replacement's inputs a second time without
#: old inputs, so the create learns it from here (the provider process lives for one operation).
_replaced_baselines: dict[str, str] = {}
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
        named = error.naming_arguments(baseline_fields.arguments_named_in)
        if named is error:
            raise
        raise named from None


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


@dataclass(frozen=True)
class _Found:
    """What a look for this resource's baselines found."""

    own: list[dict[str, Any]]  # carrying its mark, or answered to a recorded attempt; oldest first
    others: list[dict[str, Any]]  # Custom baselines of the same name that are not its own


class AccountFactoryBaselineProvider(DynamicProvider):
    """Creates, reads, updates and deletes Account Factory baselines."""

    def _client(self, props: Mapping[str, Any]) -> tuple[BaselineClient, str]:
        settings = self._settings()
        region = props.get("region_id") or settings.region
        return shared_client(settings, region), region

    # --- the Pulumi protocol -------------------------------------------------------------

    @provider_call("check")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        with _kept_lock:  # a new step of this resource: what an earlier create of it returned is history
            _kept_by_replacement.pop(_urn(news), None)
        inputs, failures = baseline_fields.check(news, olds=olds)
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in failures])

    @provider_call("diff")
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = baseline_fields.diff(olds, news)
        replaces = replace_on_changes.replacing(changes, olds, news, baseline_fields.FIELDS_BY_NAME)
        if replaces and id_:
            with _kept_lock:
                _replaced_baselines[_urn(news)] = id_
        return DiffResult(changes=bool(changes), replaces=replaces, stables=[], delete_before_replace=False)

    @provider_call("create")
    def create(self, props: dict[str, Any]) -> CreateResult:
        checked, props = props, baseline_fields.normalized(props)  # (the inputs as the state holds them, and as used)
        client, region = self._client(props)
        deadline = operation_deadline(props.get("custom_timeouts"), "create")
        with _catalog_named(client, props, deadline):
            if props.get("baseline_id") is not None:  # taken over: made what the program asks for (unset: kept)
                baseline_id = self._taken_over(client, props, region, deadline)
                client.update_baseline(baseline_id, baseline_fields.request_values(props), deadline)
                made = False
            else:
                values = baseline_fields.request_values(props, creating=True)
                with _kept_lock:
                    replaced = _replaced_baselines.pop(_urn(props), None)
                baseline_id, made = self._create_once(client, props, region, values, deadline, replaced)
                if not made:  # adopted: make it what the program asks for
                    client.update_baseline(baseline_id, values, deadline)
        if not made:  # it existed before: the resource this one replaces (or another) may hold it
            with _kept_lock:
                _kept_by_replacement[_urn(props)] = baseline_id
        return CreateResult(baseline_id, self._outputs(client, baseline_id, props, region, deadline, inputs=checked))

    @provider_call("read")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client, region = self._client(props)
        raw = client.get_baseline(id_, Deadline.after(READ_TIMEOUT_SECONDS))
        if raw is None:
            return ReadResult("", {})
        outs = baseline_fields.outputs(raw, {**props, "region_id": props.get("region_id") or region})
        return read_answer(id_, outs, props, lambda recorded: baseline_fields.inputs_after_read(recorded, raw))

    @provider_call("update")
    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        checked, news = news, baseline_fields.normalized(news)
        client, region = self._client(news)
        deadline = operation_deadline(news.get("custom_timeouts"), "update")
        with _catalog_named(client, news, deadline):
            client.update_baseline(id_, baseline_fields.request_values(news), deadline)
        return UpdateResult(self._outputs(client, id_, news, region, deadline, inputs=checked))

    @provider_call("delete")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with _kept_lock:
            kept = id_ in _kept_by_replacement.values()
        if kept:
            self._reporter(props, self._settings().credentials.secrets()).status(
                f"baseline {id_} is held by a resource this `pulumi up` created (this resource's replacement, or one "
                f"that took it over), which keeps it from now on; nothing is deleted")
            return
        client, _region = self._client(props)
        deadline = operation_deadline(props.get("custom_timeouts"), "delete")
        with _kept_lock:  # a create of this URN in this run replaces it (delete_before_replace=True)
            _replaced_baselines.setdefault(_urn(props), id_)
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
                     deadline: Deadline, replaced: str | None) -> tuple[str, bool]:
        """This resource's baseline: (id, True) if this call made it, (id, False) if an earlier attempt did.
        `replaced`: the baseline of the resource this create replaces, never its own."""
        journal = process_journal()
        # The journal's keys, one file per resource and region: its own mark's first, then its other marks'
        # (aliases; as earlier builds marked it), whose attempts count too.
        keys = [f"baseline.{region}.{mark}" for mark in baseline_fields.marks(props)]
        key = keys[0]
        reporter = self._reporter(props, self._settings().credentials.secrets())
        windows = Windows(self._settings().read_timeout)
        unsure: AmbiguousCallError | None = None
        looks = 0
        while True:
            found = self._look(client, props, journal, keys, deadline, replaced)
            journal.warn_of_problems(reporter.warn)  # (what the look found wrong with the record, once)
            if found.own:
                return self._adopted(found, reporter, unsure), False
            pending = max((until for until in (journal.unanswered_until(other, windows.unsettled) for other in keys)
                           if until is not None), default=None)
            if pending is not None:  # an attempt may still take effect, or be missing from the listing: look, never create
                looks += 1
                pause = AMBIGUOUS_LOOKUP_PAUSES[min(looks, len(AMBIGUOUS_LOOKUP_PAUSES)) - 1]
                if deadline.remaining() <= pause:
                    raise _not_created(deadline, pending, unsure)
                pause_operation(pause)  # (stops early when cancelled: nothing was sent by this run)
                continue
            if found.others:
                raise _name_taken(found.others[0], props, region)
            if deadline.expired:
                raise _not_created(deadline, None, None)
            recorder = AttemptRecorder(journal, key, windows)
            try:
                baseline_id = client.create_baseline(values, deadline, recorder)
            except AmbiguousCallError as error:
                unsure = error  # looked for until it can no longer appear
                until = recorder.unanswered(error)
                reporter.status(f"{CREATE} went unanswered ({error.code}); looking for the baseline it may have "
                                f"made until {_clock_time(until)} before creating one")
                continue
            except ApiError:
                recorder.refused()  # the service said no: it did not take effect
                raise
            finally:
                journal.warn_of_problems(reporter.warn)  # a record that failed as the request left
            recorder.answered(resource_id=baseline_id)
            return baseline_id, True

    @staticmethod
    def _look(client: BaselineClient, props: Mapping[str, Any], journal: AttemptJournal, keys: list[str],
              deadline: Deadline, replaced: str | None) -> _Found:
        """This resource's baselines (its mark, whatever their name now; or the answer of a recorded
        attempt, read directly since the listing may lag) and same-named Custom ones that are not;
        neither holds the `replaced` baseline (this resource's, which its replacement does not take)."""
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

    @staticmethod
    def _adopted(found: _Found, reporter: Reporter, unsure: AmbiguousCallError | None) -> str:
        """The oldest of this resource's baselines; the others are named (a request carried out after
        the provider had stopped waiting for it made them)."""
        own, *extra = found.own
        own_id = str(own["BaselineId"])
        if unsure is not None:
            reporter.status(f"the unanswered {CREATE} made baseline {own_id}")
        else:  # (a targeted replace sends no old inputs and no Diff: the create cannot tell it from a retry)
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
                 deadline: Deadline, *, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Every output, and the record of the `inputs` the state holds from now on."""
        raw = client.get_baseline(baseline_id, deadline)
        if raw is None:
            raise ApiError("GetAccountFactoryBaseline", "InvalidBlueprint.NotFound",
                           f"baseline {baseline_id} disappeared right after it was written; run `pulumi up` again")
        outs = baseline_fields.outputs(raw, {**props, "region_id": props.get("region_id") or region})
        outs[INPUTS_RECORD] = input_record(inputs)
        return outs
