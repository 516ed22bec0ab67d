"""Value types of the Account Factory domain, independent of Pulumi and of the SDK.

The provider translates Pulumi properties into these types, the client translates them into
SDK requests and back, and the enroller reasons only in their terms.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from ..core.field_kit import MAX_EXACT_INTEGER, canonical_json

#: Enrollment statuses, as the API spells them.
PENDING = "Pending"
RUNNING = "Running"
SCHEDULING = "Scheduling"
FINISHED = "Finished"
FAILED = "Failed"
SCHEDULE_FAILED = "ScheduleFailed"

#: What a `Progress[]` entry (one baseline item) can report, as the API reference lists it. A
#: skipped item is reported Finished once the run reaches it (BaselineItems[].Skip says it was skipped).
PROGRESS_STATUSES = frozenset({PENDING, RUNNING, FINISHED, FAILED})

IN_PROGRESS_STATUSES = frozenset({PENDING, RUNNING, SCHEDULING})
FAILURE_STATUSES = frozenset({FAILED, SCHEDULE_FAILED})
TERMINAL_STATUSES = FAILURE_STATUSES | {FINISHED}

#: Tag the provider adds to every account it enrolls as a new account, so that a create
#: interrupted after EnrollAccount (or failed, or timed out) finds its account again instead
#: of enrolling a second one. Its value is derived from the resource's URN and settings.
ENROLLMENT_KEY_TAG = "pulumi:enrollment-key"


def uid_property(account_uid: int) -> int | str:
    """An AccountUid as Pulumi can carry it exactly: a number below 2^53, else its digits."""
    return account_uid if account_uid < MAX_EXACT_INTEGER else str(account_uid)


@dataclass(frozen=True)
class BaselineItem:
    """One baseline item override, as sent in EnrollAccount's BaselineItems.

    The emulator has a `BaselineItem` of its own (an item of a baseline it stores): it shares
    nothing with the provider but the API's vocabulary, so that it tests the provider against the API.
    """

    name: str
    config: str | None = None  # canonical JSON text of an object
    skip: bool = False
    version: str | None = None

    def to_property(self) -> dict[str, Any]:
        return {"name": self.name, "config": self.config, "skip": self.skip, "version": self.version}

    @staticmethod
    def from_api(item: Mapping[str, Any]) -> "BaselineItem":
        config = item.get("Config")
        if isinstance(config, str) and config.strip():
            try:
                config = canonical_json(json.loads(config))
            except ValueError:
                pass  # keep what the service said verbatim
        else:
            config = None
        version = item.get("Version")
        return BaselineItem(
            name=str(item.get("Name") or ""),
            config=config,
            skip=bool(item.get("Skip") or False),
            version=str(version) if version not in (None, "") else None,
        )


def _without_key(tags: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in tags.items() if key != ENROLLMENT_KEY_TAG}


def baseline_items_key(items: Sequence[BaselineItem]) -> tuple[BaselineItem, ...]:
    """Order-insensitive identity of a list of overrides (the API merges them by name)."""
    return tuple(sorted(items, key=lambda item: item.name))


@dataclass(frozen=True)
class EnrollRequest:
    """The arguments of one EnrollAccount call, as the enroller reasons with them: one attribute
    per row of the field table (`fields.FIELDS`), which says how each is made and sent."""

    account_uid: int | None = None
    account_name_prefix: str | None = None
    display_name: str | None = None
    folder_id: str | None = None
    payer_account_uid: int | None = None
    baseline_id: str | None = None
    baseline_items: tuple[BaselineItem, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    resell_account_type: str | None = None
    region_id: str | None = None

    @property
    def is_new_account(self) -> bool:
        return self.account_uid is None

    def with_tags(self, tags: Mapping[str, str]) -> "EnrollRequest":
        """The same call with these tags added (the provider's own, beside the program's)."""
        return replace(self, tags={**self.tags, **tags})


@dataclass(frozen=True)
class ProgressEntry:
    name: str
    status: str


@dataclass(frozen=True)
class ErrorInfo:
    code: str | None
    message: str | None
    recommend: str | None
    request_id: str | None


@dataclass(frozen=True)
class Enrollment:
    """What GetEnrolledAccount says about one account (the whole body is kept in `raw`).

    The emulator has an `Enrollment` of its own (the record behind that answer): it shares nothing
    with the provider but the API's vocabulary, so that it tests the provider against the API.
    """

    account_uid: int
    status: str
    progress: tuple[ProgressEntry, ...]
    error_info: ErrorInfo | None
    raw: Mapping[str, Any]

    @staticmethod
    def from_api(body: Mapping[str, Any]) -> "Enrollment":
        error = body.get("ErrorInfo") or None
        return Enrollment(
            account_uid=int(body["AccountUid"]),
            status=str(body.get("Status") or ""),
            progress=tuple(
                ProgressEntry(str(p.get("Name") or ""), str(p.get("Status") or ""))
                for p in body.get("Progress") or ()
            ),
            error_info=ErrorInfo(
                code=error.get("Code"),
                message=error.get("Message"),
                recommend=error.get("Recommend"),
                request_id=error.get("RequestId"),
            )
            if error
            else None,
            raw=body,
        )

    @property
    def inputs(self) -> Mapping[str, Any]:
        return self.raw.get("Inputs") or {}

    @property
    def input_tags(self) -> dict[str, str]:
        return {str(t.get("Key")): str(t.get("Value") or "") for t in self.inputs.get("Tag") or ()}

    @property
    def input_baseline_items(self) -> tuple[BaselineItem, ...]:
        return tuple(BaselineItem.from_api(item) for item in self.inputs.get("BaselineItems") or ())

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def in_progress(self) -> bool:
        return self.status in IN_PROGRESS_STATUSES

    def applies(self, request: EnrollRequest) -> bool:
        """Whether this enrollment was started with the baseline settings of `request`.

        An unset BaselineId means "whatever baseline is applied" (the API picks the default),
        so only an explicit one is compared.
        """
        if request.baseline_id is not None and self.raw.get("BaselineId") != request.baseline_id:
            return False
        if baseline_items_key(self.input_baseline_items) != baseline_items_key(request.baseline_items):
            return False
        # The key tag is the provider's own: its value changes with the resource's generation,
        # which is no reason to enroll an account again.
        return _without_key(self.input_tags) == _without_key(request.tags)

    @property
    def skipped_items(self) -> frozenset[str]:
        """The items this enrollment skips (`BaselineItems[].Skip`): they are listed in its progress but never run."""
        return frozenset(str(item.get("Name")) for item in self.raw.get("BaselineItems") or ()
                         if item.get("Skip") in (True, "true"))

    def progress_line(self) -> str:
        """Where the enrollment stands, e.g. `[2/4] ACS-BP_ACCOUNT_FACTORY_VPC: Running`. Skipped items
        are not counted (`[3/3] ...: Running, 1 skipped`): the count reaches its total before Finished."""
        status = self.status or "unknown status"
        applied = [entry for entry in self.progress if entry.name not in self.skipped_items]
        current = next(
            ((index, entry) for index, entry in enumerate(applied, start=1) if entry.status != FINISHED),
            None,
        )
        if current is None or status == FINISHED:
            return status
        index, entry = current
        skipped = len(self.progress) - len(applied)
        step = f"[{index}/{len(applied)}] {entry.name}: {entry.status}" + (f", {skipped} skipped" if skipped else "")
        return step if status == RUNNING else f"{status}, {step}"

    def status_line(self) -> str:
        """The progress line with its account, as a resource's row shows it: `[2/4] ...: Running (account 123...)`."""
        return f"{self.progress_line()} (account {self.account_uid})"

    def failed_items(self) -> list[str]:
        return [entry.name for entry in self.progress if entry.status == FAILED]


@dataclass(frozen=True)
class EnrolledSummary:
    """One row of ListEnrolledAccounts: enough to notice that something changed."""

    account_uid: int
    display_name: str | None
    folder_id: str | None
    status: str
    update_time: str | None

    @staticmethod
    def from_api(row: Mapping[str, Any]) -> "EnrolledSummary":
        return EnrolledSummary(
            account_uid=int(row["AccountUid"]),
            display_name=row.get("DisplayName"),
            folder_id=row.get("FolderId"),
            status=str(row.get("Status") or ""),
            update_time=row.get("UpdateTime"),
        )
