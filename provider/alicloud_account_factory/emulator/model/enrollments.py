"""Enrollments: EnrollAccount's rules, the lifecycle an enrollment goes through, and the
outcomes the control API queues for the next ones.

The lifecycle is computed lazily from recorded wall-clock timestamps, so a restart loses nothing.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from typing import Any

from .catalog import (
    BUILTIN_ITEMS,
    ITEM_RAM_ROLE,
    KNOWN_ERRORS,
    ITEM_ERROR_CODES,
    Baseline,
    invalid_config,
)
from .common import (
    DEFAULT_PAGE,
    MAX_TAGS,
    GENERIC_ITEM_ERROR,
    GovernanceError,
    ItemError,
    check_page_size,
    decode_token,
    encode_token,
    troubleshoot,
    format_time,
    invalid_parameter,
    new_request_id,
)
from .directory import ROOT_FOLDER_ID, MemberAccount, user_not_found
from .catalog import blueprint_not_found
from .item_catalog import ItemCatalog

ENROLLMENT_STATUSES = ("Pending", "Running", "Scheduling", "Finished", "Failed", "ScheduleFailed")
_BUSY_STATUSES = frozenset({"Pending", "Running", "Scheduling"})
OUTCOME_STATUSES = ("Failed", "ScheduleFailed", "Stuck")
PENDING_FRACTION = 0.1
"""Share of an enrollment's duration spent Pending before the first item runs."""

_PREFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,49}$")

SCHEDULE_ERROR = ItemError("InternalError", "A system error occurred while scheduling the account enrollment.",
                           troubleshoot("InternalError", "governance"))
"""The default error of a ScheduleFailed outcome (no baseline item ran)."""

_OTHER_ERROR_MESSAGES: dict[str, str] = {
    "Failed": "The baseline item failed to be applied to the account.",
    "ScheduleFailed": "The account enrollment failed to be scheduled.",
    "Stuck": "",
}
"""The message of an error code the emulator knows nothing about, per outcome status."""



@dataclass(frozen=True)
class ItemInput:
    """One ``BaselineItems.N`` entry as sent (``None`` = that field was not sent)."""

    name: str
    config: str | None = None
    skip: bool | None = None
    version: str | None = None


@dataclass
class Outcome:
    """How the next matching enrollment(s) end instead of Finished (set by the control API).

    The error fields left ``None`` are decided when the outcome is consumed, from the item that
    fails: an outcome must never report an error its failing item could not have raised.
    """

    status: str
    display_name: str | None = None
    account_uid: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    recommend: str | None = None
    baseline_item: str | None = None
    times: int = 1

    @classmethod
    def from_spec(cls, spec: Any, known_items: Container[str]) -> Outcome:
        """Validate a control-API outcome object (raises ValueError with a readable reason);
        ``known_items``: the catalog its ``baseline_item`` must be in."""
        if not isinstance(spec, dict):
            raise ValueError("an outcome must be a JSON object")
        known = {"status", "display_name", "account_uid", "error_code", "error_message",
                 "recommend", "baseline_item", "times"}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ValueError(f"unknown outcome field(s): {', '.join(unknown)}")
        status = spec.get("status")
        if status not in OUTCOME_STATUSES:
            raise ValueError(f"status must be one of {', '.join(OUTCOME_STATUSES)}")
        display_name = spec.get("display_name")
        if display_name is not None and not isinstance(display_name, str):
            raise ValueError("display_name must be a string")
        account_uid = spec.get("account_uid")
        if account_uid is not None:
            if isinstance(account_uid, str) and account_uid.isdigit():
                account_uid = int(account_uid)
            if not isinstance(account_uid, int) or isinstance(account_uid, bool):
                raise ValueError("account_uid must be an integer")
        times = spec.get("times", 1)
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise ValueError("times must be a positive integer")
        baseline_item = spec.get("baseline_item")
        if baseline_item is not None and baseline_item not in known_items:
            raise ValueError(f"unknown baseline_item {baseline_item!r}")
        for key in ("error_code", "error_message", "recommend"):
            if spec.get(key) is not None and not isinstance(spec[key], str):
                raise ValueError(f"{key} must be a string")
        outcome = cls(status=status, display_name=display_name, account_uid=account_uid,
                      error_code=spec.get("error_code"), error_message=spec.get("error_message"),
                      recommend=spec.get("recommend"), baseline_item=baseline_item, times=times)
        outcome._check_pairing()
        return outcome

    def _check_pairing(self) -> None:
        """Refuse an error code that belongs to one baseline item where that item cannot fail."""
        owner = ITEM_ERROR_CODES.get(self.error_code or "")
        if owner is None:
            return
        if self.status == "ScheduleFailed":
            raise ValueError(f"error_code {self.error_code} is raised by baseline item {owner}, and a "
                             "ScheduleFailed enrollment applies no baseline item")
        if self.baseline_item is not None and self.baseline_item != owner:
            raise ValueError(f"error_code {self.error_code} can only be raised by baseline item {owner}, "
                             f"not by {self.baseline_item}")

    @property
    def required_item(self) -> str | None:
        """The item a Failed outcome's error code belongs to: it can only fail an enrollment
        that applies that item."""
        return ITEM_ERROR_CODES.get(self.error_code or "") if self.status == "Failed" else None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.display_name is not None:
            out["display_name"] = self.display_name
        if self.account_uid is not None:
            out["account_uid"] = self.account_uid
        for key in ("error_code", "error_message", "recommend", "baseline_item"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out["times"] = self.times
        return out

    def matches(self, account_uid: int | None, display_names: Iterable[str | None], applied: Iterable[str]) -> bool:
        """Whether this outcome is for that enrollment (``applied``: the items it does not skip)."""
        if self.account_uid is not None and self.account_uid != account_uid:
            return False
        if self.display_name is not None and self.display_name not in set(display_names):
            return False
        return self.required_item is None or self.required_item in set(applied)

    def failing_item(self, applied: list[str]) -> str | None:
        """The item a Failed or Stuck enrollment stops at: the one asked for (or owning the error
        code) if applied, else for Failed the RAM role item if applied, else the last applied item."""
        if self.status not in ("Failed", "Stuck") or not applied:
            return None
        wanted = self.baseline_item or self.required_item
        if wanted in applied:
            return wanted
        if self.status == "Failed" and ITEM_RAM_ROLE in applied:
            return ITEM_RAM_ROLE
        return applied[-1]

    def error(self, failed_item: str | None) -> ItemError:
        """The ErrorInfo to report: the fields given, the rest from the failing item's own error
        (or the schedule's, or a system error)."""
        if self.status == "ScheduleFailed":
            default = SCHEDULE_ERROR
        else:
            builtin = BUILTIN_ITEMS.get(failed_item) if failed_item else None  # an added item has no error of its own
            default = (builtin.error if builtin else None) or GENERIC_ITEM_ERROR
        code = self.error_code if self.error_code is not None else default.code
        if code != default.code:
            default = KNOWN_ERRORS.get(code) or ItemError(code, _OTHER_ERROR_MESSAGES[self.status],
                                                           troubleshoot(code, "governance"))
        return ItemError(code,
                         self.error_message if self.error_message is not None else default.message,
                         self.recommend if self.recommend is not None else default.recommend)


@dataclass
class Enrollment:
    """The last EnrollAccount that took effect for one account, with its recorded times.

    The provider's `model.Enrollment` (what GetEnrolledAccount answers) is another type on purpose:
    the emulator shares nothing with the provider but the API's vocabulary.
    """

    account_uid: int
    seq: int
    baseline_id: str
    items: list[dict[str, Any]]  # effective items: Name, Version, Config, Skip
    inputs: dict[str, Any]
    started_at: float
    duration: float
    created_at: float
    min_update_second: int
    listed_at: float  # when ListEnrolledAccounts starts to show it (see list_lag_seconds)
    outcome: dict[str, Any] | None = None  # status, error_code, error_message, recommend, failed_item
    error_request_id: str = field(default_factory=new_request_id)


@dataclass(frozen=True)
class _Phase:
    at: float
    status: str
    progress: tuple[str, ...]


# --------------------------------------------------------------------------------------
# Lifecycle (pure functions of an enrollment and "now")
# --------------------------------------------------------------------------------------


def _phases(e: Enrollment) -> list[_Phase]:
    """Every state the enrollment goes through, with the time it is entered.

    Items report only the statuses the reference documents (Pending, Running, Finished,
    Failed): a skipped item is Pending until the run reaches it, then Finished at once, since
    there is nothing to apply (``BaselineItems[].Skip`` tells a client it was skipped).
    """
    t0, d = e.started_at, e.duration
    count = len(e.items)
    pending = ("Pending",) * count
    kind = e.outcome["status"] if e.outcome else "Finished"
    if kind == "ScheduleFailed":
        return [_Phase(t0, "Scheduling", pending), _Phase(t0 + d, "ScheduleFailed", pending)]
    phases = [_Phase(t0, "Pending", pending)]
    active = [i for i, it in enumerate(e.items) if not it["Skip"]]
    run_start = t0 + d * PENDING_FRACTION
    slot = (d - d * PENDING_FRACTION) / len(active) if active else 0.0
    stop = None
    if kind in ("Failed", "Stuck") and active:
        target = e.outcome.get("failed_item") if e.outcome else None
        names = [e.items[i]["Name"] for i in active]
        stop = names.index(target) if target in names else len(active) - 1
    progress = list(pending) if active else ["Finished"] * count
    if not active:
        phases.append(_Phase(run_start, "Running", tuple(progress)))
    for k, idx in enumerate(active):
        # The previous applied item is done, and so is every skipped item up to this one.
        for reached in range(active[k - 1] if k else 0, idx):
            progress[reached] = "Finished"
        progress[idx] = "Running"
        phases.append(_Phase(run_start + k * slot, "Running", tuple(progress)))
        if k == stop:
            break
    if kind == "Stuck":
        return phases
    if kind == "Failed":
        if stop is not None:
            progress[active[stop]] = "Failed"
        phases.append(_Phase(t0 + d, "Failed", tuple(progress)))
    else:
        phases.append(_Phase(t0 + d, "Finished", ("Finished",) * count))
    return phases


def _current(e: Enrollment, now: float) -> tuple[_Phase, int]:
    """The phase in effect at ``now`` and its UpdateTime (whole seconds).

    UpdateTime strictly increases with every transition so that a client can detect any
    change from UpdateTime alone: when two transitions fall in the same second, the later
    one is reported one second after the previous one.
    """
    phases: list[_Phase] = []
    for ph in _phases(e):  # transitions at the same instant: only the last is observable
        if phases and phases[-1].at == ph.at:
            phases[-1] = ph
        else:
            phases.append(ph)
    shown = e.min_update_second - 1
    current = phases[0]
    for ph in phases:
        if ph.at > now and ph is not phases[0]:
            break
        shown = max(math.floor(ph.at), shown + 1)
        current = ph
    return current, shown



def _merge_items(baseline: Baseline, overrides: list[ItemInput], catalog: ItemCatalog) -> list[dict[str, Any]]:
    """The baseline's items merged with the request's (request wins), in application order."""
    merged: dict[str, dict[str, Any]] = {
        it.name: {"Config": it.config, "Name": it.name, "Skip": False, "Version": it.version}
        for it in baseline.items
    }
    for item in overrides:
        known = catalog[item.name]
        current = merged.get(item.name, {"Config": known.config, "Name": item.name,
                                         "Skip": False, "Version": known.version})
        if item.config is not None:
            current["Config"] = item.config
        if item.version is not None:
            current["Version"] = item.version
        if item.skip is not None:
            current["Skip"] = item.skip
        merged[item.name] = current
    return sorted(merged.values(), key=lambda it: catalog.order(it["Name"]))


def _check_dependencies(items: list[dict[str, Any]], catalog: ItemCatalog) -> None:
    applied = set(_applied(items))
    for it in items:
        if it["Skip"]:
            continue
        for dep in catalog[it["Name"]].depends_on:
            if dep not in applied:
                raise GovernanceError(
                    "DependencyViolation.BaselineItem",
                    f"The dependency of {it['Name']} baseline item has not been configured. "
                    f"Please config {dep} first.", 400)


def _inputs(
    account_uid: int | None,
    account_name_prefix: str | None,
    display_name: str | None,
    folder_id: str | None,
    payer_account_uid: int | None,
    items: list[ItemInput],
    tags: list[dict[str, str]] | None,
) -> dict[str, Any]:
    """Echo of what was sent (keys that were not sent are omitted)."""
    out: dict[str, Any] = {}
    if account_name_prefix is not None:
        out["AccountNamePrefix"] = account_name_prefix
    if account_uid is not None:
        out["AccountUid"] = account_uid
    if items:
        echoed = []
        for it in items:
            entry: dict[str, Any] = {}
            if it.config is not None:
                entry["Config"] = it.config
            entry["Name"] = it.name
            if it.skip is not None:
                entry["Skip"] = it.skip
            if it.version is not None:
                entry["Version"] = it.version
            echoed.append(entry)
        out["BaselineItems"] = echoed
    if display_name is not None:
        out["DisplayName"] = display_name
    if folder_id is not None:
        out["FolderId"] = folder_id
    if payer_account_uid is not None:
        out["PayerAccountUid"] = payer_account_uid
    if tags is not None:
        out["Tag"] = [dict(t) for t in tags]
    return out


def _outcome_record(outcome: Outcome | None, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The outcome as resolved for one enrollment (persisted with it)."""
    if outcome is None:
        return None
    failed_item = outcome.failing_item(_applied(items))
    error = outcome.error(failed_item) if outcome.status != "Stuck" else ItemError("", "", "")
    return {
        "status": outcome.status,
        "error_code": error.code,
        "error_message": error.message,
        "recommend": error.recommend,
        "failed_item": failed_item,
    }


def _applied(items: list[dict[str, Any]]) -> list[str]:
    """The names of the items an enrollment applies (those not skipped), in order."""
    return [it["Name"] for it in items if not it["Skip"]]



class EnrollmentsMixin:
    """EnrollAccount and its reads, for :class:`GovernanceModel` (which holds ``enrollments``)."""

    enrollments: dict[int, Enrollment]
    outcomes: list[Outcome]
    catalog: ItemCatalog
    accounts: dict[int, MemberAccount]
    folders: dict[str, Any]
    master_account_uid: int
    list_lag_seconds: float
    enroll_seconds: float
    _seq: int
    _lock: Any
    _clock: Callable[[], float]

    # ---- EnrollAccount ------------------------------------------------------------

    def enroll_account(
        self,
        *,
        account_uid: int | None = None,
        account_name_prefix: str | None = None,
        display_name: str | None = None,
        folder_id: str | None = None,
        payer_account_uid: int | None = None,
        baseline_id: str | None = None,
        baseline_items: list[ItemInput] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> int:
        """Validate, then create or re-baseline an account; returns its uid.

        Every rejection happens before anything is changed.
        """
        with self._lock:
            now = self._clock()
            baseline = self._baseline_for(baseline_id)
            items_in = list(baseline_items or [])
            seen: set[str] = set()
            for n, item in enumerate(items_in, start=1):
                known = self.catalog.get(item.name)
                if known is None:
                    raise GovernanceError(
                        "InvalidBaselineItem.NotFound",
                        f"The specified baseline item named {item.name} does not exist.", 404)
                if item.name in seen:
                    raise invalid_parameter(f"BaselineItems.{n}.Name")
                problem = known.config_problem(item.config) if item.config is not None else None
                if problem:
                    raise invalid_config(f"BaselineItems.{n}.Config", problem)
                seen.add(item.name)
            self._check_tags(tags)

            if account_uid is not None:
                account = self._enrollable_account(account_uid)
                previous = self.enrollments.get(account_uid)
                if previous is not None:
                    phase, _ = _current(previous, now)
                    if phase.status in _BUSY_STATUSES:
                        raise GovernanceError(
                            "DeployConflict.Blueprint",
                            f"The {previous.baseline_id} blueprint is being deployed. Please wait "
                            "for its deployment to complete and try again.", 400)
            else:
                account = None
                previous = None
                if not account_name_prefix:
                    raise invalid_parameter("AccountNamePrefix")
                if not _PREFIX_RE.match(account_name_prefix):
                    raise invalid_parameter("AccountNamePrefix")
                if not display_name or not display_name.strip() or len(display_name) > 50:
                    raise invalid_parameter("DisplayName")
                if folder_id and folder_id not in self.folders:
                    raise invalid_parameter("FolderId")
                if payer_account_uid is not None and payer_account_uid not in self._known_uids():
                    raise user_not_found()

            effective = _merge_items(baseline, items_in, self.catalog)
            _check_dependencies(effective, self.catalog)

            # ---- everything is valid: commit ----
            if account is None:
                uid = self._new_uid()
                account = MemberAccount(
                    account_uid=uid,
                    display_name=display_name or "",
                    folder_id=folder_id or ROOT_FOLDER_ID,
                    payer_account_uid=payer_account_uid if payer_account_uid is not None else uid,
                    account_name_prefix=account_name_prefix or "",
                    created_by_factory=True,
                )
                self.accounts[uid] = account
            account.enrollments += 1

            inputs = _inputs(account_uid, account_name_prefix, display_name, folder_id,
                             payer_account_uid, items_in, tags)
            outcome = self._take_outcome(account.account_uid, (display_name, account.display_name),
                                         _applied(effective))
            min_update = math.floor(now)
            if previous is not None:
                _, shown = _current(previous, now)
                min_update = max(min_update, shown + 1)
                seq, created_at, listed_at = previous.seq, previous.created_at, previous.listed_at
            else:
                self._seq += 1
                seq, created_at, listed_at = self._seq, now, now + self.list_lag_seconds
            self.enrollments[account.account_uid] = Enrollment(
                account_uid=account.account_uid,
                seq=seq,
                baseline_id=baseline.baseline_id,
                items=effective,
                inputs=inputs,
                started_at=now,
                duration=self.enroll_seconds,
                created_at=created_at,
                min_update_second=min_update,
                listed_at=listed_at,
                outcome=_outcome_record(outcome, effective),
            )
            return account.account_uid

    @staticmethod
    def _check_tags(tags: list[dict[str, str]] | None) -> None:
        if tags is None:
            return
        if len(tags) > MAX_TAGS:
            raise invalid_parameter("Tag")
        keys: set[str] = set()
        for n, tag in enumerate(tags, start=1):
            key = tag.get("Key", "")
            if not key or not key.strip():
                raise invalid_parameter(f"Tag.{n}.Key")
            if key in keys:
                raise invalid_parameter(f"Tag.{n}.Key")
            keys.add(key)

    def _take_outcome(self, uid: int, display_names: tuple[str | None, ...], applied: list[str]) -> Outcome | None:
        for outcome in self.outcomes:
            if outcome.matches(uid, display_names, applied):
                outcome.times -= 1
                if outcome.times <= 0:
                    self.outcomes.remove(outcome)
                return copy.copy(outcome)
        return None

    # ---- GetEnrolledAccount / ListEnrolledAccounts ----------------------------------

    def get_enrolled_account(self, account_uid: int) -> dict[str, Any]:
        """The full GetEnrolledAccount body (without RequestId) for one account."""
        with self._lock:
            enrollment = self.enrollments.get(account_uid)
            if enrollment is None:
                if account_uid in self._known_uids():
                    raise blueprint_not_found()
                raise user_not_found()
            return self._view(enrollment, self._clock())

    def _view(self, e: Enrollment, now: float) -> dict[str, Any]:
        account = self.accounts[e.account_uid]
        phase, shown = _current(e, now)
        body: dict[str, Any] = {
            "AccountUid": e.account_uid,
            "BaselineId": e.baseline_id,
            "BaselineItems": [dict(it) for it in e.items],
            "CreateTime": format_time(e.created_at),
            "DisplayName": account.display_name,
            "FolderId": account.folder_id,
            "Initialized": phase.status == "Finished",
            "Inputs": copy.deepcopy(e.inputs),
            "MasterAccountUid": self.master_account_uid,
            "PayerAccountUid": account.payer_account_uid,
            "Progress": [{"Name": it["Name"], "Status": st}
                         for it, st in zip(e.items, phase.progress, strict=True)],
            "Status": phase.status,
            "UpdateTime": format_time(shown),
        }
        if phase.status in ("Failed", "ScheduleFailed") and e.outcome:
            body["ErrorInfo"] = {
                "Code": e.outcome["error_code"],
                "Message": e.outcome["error_message"],
                "Recommend": e.outcome["recommend"],
                "RequestId": e.error_request_id,
            }
        return dict(sorted(body.items()))

    def list_enrolled_accounts(
        self, max_results: int = DEFAULT_PAGE, next_token: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page, in enrollment order; the token is the position of the last item returned.

        An account shows up only once its listing lag has passed (GetEnrolledAccount sees it at once).
        """
        check_page_size(max_results)
        with self._lock:
            after = decode_token("ea", next_token) if next_token else 0
            now = self._clock()
            remaining = sorted((e for e in self.enrollments.values() if e.seq > after and e.listed_at <= now),
                               key=lambda e: e.seq)
            page = remaining[:max_results]
            rows = []
            for e in page:
                account = self.accounts[e.account_uid]
                phase, shown = _current(e, now)
                rows.append({
                    "AccountUid": e.account_uid,
                    "BaselineId": e.baseline_id,
                    "CreateTime": format_time(e.created_at),
                    "DisplayName": account.display_name,
                    "FolderId": account.folder_id,
                    "PayerAccountUid": account.payer_account_uid,
                    "Status": phase.status,
                    "UpdateTime": format_time(shown),
                })
            token = encode_token("ea", page[-1].seq) if len(remaining) > len(page) else None
            return rows, token

    # ---- outcomes (control API) -----------------------------------------------------

    def add_outcomes(self, specs: Iterable[Any]) -> list[dict[str, Any]]:
        """Queue outcomes (validated all-or-nothing); returns the whole queue."""
        parsed = [Outcome.from_spec(s, self.catalog) for s in specs]
        with self._lock:
            self.outcomes.extend(parsed)
            return [o.to_dict() for o in self.outcomes]

    def outcomes_view(self) -> list[dict[str, Any]]:
        with self._lock:
            return [o.to_dict() for o in self.outcomes]

    def clear_outcomes(self) -> None:
        """Drop every queued outcome (enrollments not yet started end as usual)."""
        with self._lock:
            self.outcomes.clear()

