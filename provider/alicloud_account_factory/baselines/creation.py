"""A baseline's create, take-over and delete against the service: the looks, the attempt record, the
CreateAccountFactoryBaseline requests, and one loop that does what `creation_steps` decides.

The create writes the resource's mark at the end of the description (`fields.mark`; read hides it),
records each request in the attempt journal before it leaves (`core.exactly_once.AttemptRecorder`),
then its answer (the baseline id) or until when it may still turn up.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..core.errors import AmbiguousCallError, ApiError
from ..core.exactly_once import AttemptRecorder, Windows
from ..core.journal import ANSWERED, AttemptJournal
from ..core.operation import clock_time
from ..core.operation import pause as pause_operation
from ..core.progress import Reporter
from ..core.timeouts import Deadline
from . import fields
from .client import BaselineClient
from .creation_steps import Adopt, Fail, Found, Look, next_create_step
from .errors import CREATE, BaselineInUse

#: The code of a delete the service refuses because enrolled accounts use the baseline.
IN_USE_CODE = "DependencyViolation.Blueprint"


def look(client: BaselineClient, props: Mapping[str, Any], journal: AttemptJournal, keys: list[str],
         deadline: Deadline, replaced: str | None) -> Found:
    """This resource's baselines (its mark, whatever their name now; or the answer of a recorded
    attempt, read directly since the listing may lag) and same-named Custom ones that are not;
    neither holds the `replaced` baseline (this resource's, which its replacement does not take)."""
    marks = fields.marks(props)
    rows = [b for b in client.list_baselines(deadline) if b.get("Type") == "Custom" and b.get("BaselineId") != replaced]
    own = {str(b["BaselineId"]): b for b in rows if fields.mark_in(b.get("Description")) in marks}
    answered = {a.resource_id for key in keys for a in journal.attempts(key) if a.state == ANSWERED and a.resource_id}
    for baseline_id in sorted(answered - set(own) - {replaced}):
        raw = client.get_baseline(baseline_id, deadline)
        if raw is not None and raw.get("Type") == "Custom":
            own[baseline_id] = raw
    others = [b for b in rows if b.get("BaselineName") == props["baseline_name"] and str(b["BaselineId"]) not in own]
    return Found(sorted(own.values(), key=lambda b: str(b.get("CreateTime") or "")), others)


def create_once(client: BaselineClient, props: Mapping[str, Any], region: str, values: Mapping[str, Any],
                deadline: Deadline, replaced: str | None, *, journal: AttemptJournal, reporter: Reporter,
                windows: Windows, pause: Callable[[float], None] = pause_operation) -> tuple[str, bool]:
    """This resource's baseline: (id, True) if this call made it, (id, False) if an earlier attempt did.
    `replaced`: the baseline of the resource this create replaces, never its own; `pause`: waits between
    looks (the operation's, which stops early when cancelled: nothing was sent by this run)."""
    # The journal's keys, one file per resource and region: its own mark's first, then its other marks'
    # (aliases; as earlier builds marked it), whose attempts count too.
    keys = [f"baseline.{region}.{mark}" for mark in fields.marks(props)]
    unsure: AmbiguousCallError | None = None
    looks = 0
    while True:
        found = look(client, props, journal, keys, deadline, replaced)
        journal.warn_of_problems(reporter.warn)  # (what the look found wrong with the record, once)
        pending = None if found.own else max(
            (until for until in (journal.unanswered_until(key, windows.unsettled) for key in keys) if until is not None),
            default=None)
        step = next_create_step(found, pending, looks=looks, remaining=deadline.remaining(), unsure=unsure,
                                waited=deadline.describe(), baseline_name=props["baseline_name"], region=region)
        if isinstance(step, Adopt):
            if step.status is not None:
                reporter.status(step.status)
            for warning in step.warnings:
                reporter.warn(warning)
            return step.baseline_id, False
        if isinstance(step, Fail):
            raise step.error
        if isinstance(step, Look):
            looks += 1
            pause(step.after)
            continue
        recorder = AttemptRecorder(journal, keys[0], windows)
        try:
            baseline_id = client.create_baseline(values, deadline, recorder)
        except AmbiguousCallError as error:
            unsure = error  # looked for until it can no longer appear
            until = recorder.unanswered(error)
            reporter.status(f"{CREATE} went unanswered ({error.code}); looking for the baseline it may have "
                            f"made until {clock_time(until)} before creating one")
            continue
        except ApiError:
            recorder.refused()  # the service said no: it did not take effect
            raise
        finally:
            journal.warn_of_problems(reporter.warn)  # a record that failed as the request left
        recorder.answered(resource_id=baseline_id)
        return baseline_id, True


def taken_over(client: BaselineClient, props: Mapping[str, Any], region: str, deadline: Deadline) -> str:
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


def delete(client: BaselineClient, baseline_id: str, baseline_name: Any, deadline: Deadline) -> None:
    """DeleteAccountFactoryBaseline; a refusal because accounts use it names them."""
    try:
        client.delete_baseline(baseline_id, deadline)
    except ApiError as error:
        if error.code != IN_USE_CODE:
            raise
        users = [row for row in client.enrolled_rows(deadline) if row.get("BaselineId") == baseline_id]
        named = ", ".join(f"{row.get('DisplayName') or '?'} ({row.get('AccountUid')})" for row in users)
        raise BaselineInUse(
            f"baseline {baseline_id} ({baseline_name}) was not deleted: {len(users) or 'some'} enrolled "
            f"account(s) still use it{': ' + named if named else ''}. Move them to another baseline first "
            f"(set their baseline_id and run `pulumi up`), or keep the baseline with "
            f"`retain_on_delete=True`. ({error.code}, RequestId {error.request_id})") from None
