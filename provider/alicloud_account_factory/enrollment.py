"""Exactly-once enrollment: create, adopt, resume, re-enroll.

EnrollAccount has no idempotency token and creates a real, billed account. The enroller
therefore never calls it without first looking for what an earlier attempt left behind:

* a new account carries the tag `pulumi:enrollment-key` whose value is derived from the
  resource's URN and its new-account settings. Before enrolling, create looks for an
  enrolled account with that key (ListEnrolledAccounts, then GetEnrolledAccount on the few
  with the same display name) and adopts it: waits if it is still running, returns it if
  it finished, enrolls that same AccountUid again if it failed;
* an existing account (or an adopted one) is enrolled again only when its last enrollment
  did not already apply the same baseline settings;
* when EnrollAccount's outcome is unknown (connection lost, server error) it looks again
  before it retries.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from typing import Callable, Mapping, Protocol

from .client import Backoff, GovernanceClient
from .errors import AmbiguousCallError, EnrollmentFailed, EnrollmentTimeout
from .model import (
    ENROLLMENT_KEY_TAG,
    FINISHED,
    Enrollment,
    EnrolledSummary,
    EnrollRequest,
)
from .timeouts import Deadline
from .waiter import Waiter, WaitTimedOut, changed

#: Look this many times (spaced by LOOKUP_SPACING seconds) for the account an unanswered
#: EnrollAccount may have created before calling it again.
AMBIGUOUS_LOOKUPS = 3
LOOKUP_SPACING = 2.0


class Listing(Protocol):
    def __call__(self, deadline: Deadline) -> list[EnrolledSummary]: ...


class Progress(Protocol):
    def status(self, message: str) -> None: ...


def enrollment_key(resource_urn: str | None, settings: Mapping[str, object]) -> str:
    """Stable across runs of the same resource, different after a replacement."""
    material = "\n".join([resource_urn or ""] + [f"{k}={settings.get(k)!r}" for k in sorted(settings)])
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _resume_hint(account_uid: int) -> str:
    return (
        f"Run `pulumi up` again to retry: the provider resumes on account {account_uid} "
        f"(it enrolls that same account again, or keeps waiting) and never creates a second account."
    )


def _timeout_hint(account_uid: int, operation: str) -> str:
    return (
        f"Run `pulumi up` again to resume waiting on account {account_uid} (no second account is "
        f"created), or allow more time with ResourceOptions(custom_timeouts=CustomTimeouts({operation}='120m'))."
    )


class Enroller:
    def __init__(self, client: GovernanceClient, waiter: Waiter, listing: Listing | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._waiter = waiter
        self._listing: Listing = listing or client.list_enrolled
        self._sleep = sleep

    # --- entry points ----------------------------------------------------------------------

    def create_new(self, request: EnrollRequest, deadline: Deadline, progress: Progress) -> Enrollment:
        """Enroll a new account, or adopt the one an earlier attempt of this resource made."""
        key = request.tags.get(ENROLLMENT_KEY_TAG)
        assert request.is_new_account and key, "a new account is always enrolled with its enrollment key"
        own = self._find_own(request, key, deadline)
        if own is not None:
            progress.status(f"found account {own.account_uid} enrolled earlier for this resource ({own.status}); resuming it")
            return self.converge(own.account_uid, self._as_existing(request, own.account_uid), deadline, progress,
                                 current=own, operation="create")
        lookups = 0
        backoff = Backoff()
        while True:
            try:
                account_uid = self._client.enroll(request, deadline)
                break
            except AmbiguousCallError as unsure:
                progress.status(f"EnrollAccount went unanswered ({unsure.code}); checking whether it took effect")
                for lookup in range(AMBIGUOUS_LOOKUPS):
                    own = self._find_own(request, key, deadline)
                    if own is not None:
                        return self.converge(own.account_uid, self._as_existing(request, own.account_uid), deadline,
                                             progress, current=own, operation="create")
                    if lookup + 1 < AMBIGUOUS_LOOKUPS:
                        self._pause(LOOKUP_SPACING, deadline, unsure)
                lookups += 1
                self._pause(backoff.delay(lookups), deadline, unsure)
        progress.status(f"enrolling new account {account_uid}")
        return self._wait(account_uid, deadline, progress, operation="create")

    def converge(self, account_uid: int, request: EnrollRequest, deadline: Deadline, progress: Progress, *,
                 current: Enrollment | None = None, operation: str) -> Enrollment:
        """Bring an account to a Finished enrollment with `request`'s baseline settings.

        Adopts a finished enrollment with the same settings, joins a running one, waits out a
        running one with other settings, and only then enrolls (again).
        """
        request = replace(request, account_uid=account_uid)
        if current is None:
            current = self._client.get(account_uid, deadline)
        while current is not None and current.in_progress:
            if current.applies(request):
                progress.status(f"account {account_uid} is already enrolling with these settings; waiting for it")
                return self._wait(account_uid, deadline, progress, operation=operation)
            progress.status(f"account {account_uid} has another enrollment running; waiting for it before enrolling again")
            current = self._wait_terminal(account_uid, deadline, progress, operation)
        if current is not None and current.status == FINISHED and current.applies(request):
            progress.status(f"account {account_uid} is already enrolled with these settings")
            return current
        while True:
            try:
                self._client.enroll(request, deadline)
                break
            except AmbiguousCallError as unsure:
                progress.status(f"EnrollAccount went unanswered ({unsure.code}); checking whether it took effect")
                current = self._client.get(account_uid, deadline)
                if current is not None and current.in_progress and current.applies(request):
                    break
                self._pause(LOOKUP_SPACING, deadline, unsure)
        progress.status(f"enrolling account {account_uid}")
        return self._wait(account_uid, deadline, progress, operation=operation)

    # --- helpers ---------------------------------------------------------------------------

    def _find_own(self, request: EnrollRequest, key: str, deadline: Deadline) -> Enrollment | None:
        """The account an earlier attempt of this resource enrolled, if any."""
        candidates = [row for row in self._listing(deadline) if row.display_name == request.display_name]
        own: list[Enrollment] = []
        for row in candidates:
            enrollment = self._client.get(row.account_uid, deadline)
            if enrollment is None or enrollment.input_tags.get(ENROLLMENT_KEY_TAG) != key:
                continue
            if request.folder_id and enrollment.raw.get("FolderId") not in (None, request.folder_id):
                continue  # moved elsewhere since: that one is being replaced, not resumed
            own.append(enrollment)
        if not own:
            return None
        # Prefer the one in progress, then the finished one, then the most recent.
        return max(own, key=lambda e: (e.in_progress, e.status == FINISHED, str(e.raw.get("CreateTime") or "")))

    @staticmethod
    def _as_existing(request: EnrollRequest, account_uid: int) -> EnrollRequest:
        return EnrollRequest(
            account_uid=account_uid,
            baseline_id=request.baseline_id,
            baseline_items=request.baseline_items,
            tags=request.tags,
            region_id=request.region_id,
        )

    def _wait_terminal(self, account_uid: int, deadline: Deadline, progress: Progress, operation: str) -> Enrollment:
        last: list[Enrollment] = []

        def on_change(enrollment: Enrollment) -> None:
            if not last or changed(last[-1], enrollment):
                progress.status(f"account {account_uid}: {enrollment.progress_line()}")
            last[:] = [enrollment]

        try:
            return self._waiter.wait(account_uid, deadline, on_change)
        except WaitTimedOut as timed_out:
            raise EnrollmentTimeout(account_uid, deadline.describe(), timed_out.last,
                                    resume_hint=_timeout_hint(account_uid, operation)) from None

    def _wait(self, account_uid: int, deadline: Deadline, progress: Progress, *, operation: str) -> Enrollment:
        final = self._wait_terminal(account_uid, deadline, progress, operation)
        if final.status != FINISHED:
            raise EnrollmentFailed(final, retry_hint=_resume_hint(account_uid))
        return final

    def _pause(self, seconds: float, deadline: Deadline, cause: Exception) -> None:
        if deadline.remaining() <= seconds:
            raise cause
        self._sleep(seconds)
