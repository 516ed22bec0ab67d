"""Exactly-once enrollment: create, adopt, resume, re-enroll.

EnrollAccount has no idempotency token and creates a real, billed account. The enroller
therefore never calls it without first looking for what an earlier attempt left behind:

* a new account carries the tag `pulumi:enrollment-key`, whose value names the resource (a
  hash of its URN) and the settings that vend a new account when they change (a hash of
  them). Before enrolling, create looks for an enrolled account with that key
  (ListEnrolledAccounts, then GetEnrolledAccount on the few candidates: same display name,
  or no display name yet) and adopts it: waits if it is still running,
  returns it if it finished, enrolls that same AccountUid again if it failed. An account of
  the same resource with other settings is not adopted (the settings say "a new account"),
  but named in a warning, so that it is never left behind unnoticed;
* an existing account (or an adopted one) is enrolled again only when its last enrollment
  did not already apply the same baseline settings;
* when EnrollAccount's outcome is unknown (connection lost, server error) it keeps looking
  for a while (the listing may lag) before it sends EnrollAccount again.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Protocol

from .client import Backoff, GovernanceClient
from .errors import (
    AmbiguousCallError,
    EnrollmentFailed,
    EnrollmentNotStarted,
    EnrollmentTimeout,
    EnrollmentUnconfirmed,
    is_transient,
)
from .model import (
    ENROLLMENT_KEY_TAG,
    FAILURE_STATUSES,
    FINISHED,
    Enrollment,
    EnrolledSummary,
    EnrollRequest,
)
from .timeouts import Deadline
from .waiter import Waiter, WaitTimedOut, changed

#: After an unanswered EnrollAccount, look for the account it may have created after each of
#: these pauses (seconds) before sending EnrollAccount again: the listing may show a new
#: account only after a while, and a resent call would enroll a second one.
AMBIGUOUS_LOOKUP_PAUSES = (1.0, 2.0, 4.0, 8.0)


class Listing(Protocol):
    def __call__(self, deadline: Deadline) -> list[EnrolledSummary]: ...


class Progress(Protocol):
    def status(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class EnrollmentKey:
    """The value of the `pulumi:enrollment-key` tag: whose account it is, and with what settings.

    `resource` is stable for the life of a resource (its URN); `settings` changes exactly
    when the resource is replaced by a new account.
    """

    resource: str
    settings: str

    @staticmethod
    def derive(resource_urn: str | None, settings: Mapping[str, object]) -> "EnrollmentKey":
        material = "\n".join(f"{k}={settings.get(k)!r}" for k in sorted(settings))
        return EnrollmentKey(_digest(resource_urn or ""), _digest(material))

    @staticmethod
    def parse(text: str | None) -> "EnrollmentKey | None":
        resource, dot, settings = (text or "").partition(".")
        return EnrollmentKey(resource, settings) if dot and resource and settings else None

    def __str__(self) -> str:
        return f"{self.resource}.{self.settings}"


def _resume_hint(account_uid: int, keyed_settings: str) -> str:
    return (
        f"Run `pulumi up` again to retry: the provider resumes on account {account_uid} "
        f"(it enrolls that same account again, or keeps waiting) and never creates a second account, "
        f"as long as {keyed_settings} stay as they are."
    )


def _timeout_hint(account_uid: int, operation: str, keyed_settings: str) -> str:
    return (
        f"Run `pulumi up` again to resume waiting on account {account_uid} (no second account is "
        f"created as long as {keyed_settings} stay as they are), or allow more time with "
        f"ResourceOptions(custom_timeouts=CustomTimeouts({operation}='120m'))."
    )


def _left_behind_warning(enrollment: Enrollment) -> str:
    return (
        f"account {enrollment.account_uid} ({enrollment.raw.get('DisplayName')!r}, {enrollment.status}) was "
        f"enrolled earlier for this resource with other new-account settings, so this `up` enrolls a new "
        f"account as the changed settings require. If this `up` replaces the resource, that is the account "
        f"being replaced. Otherwise it was left by an interrupted or failed run and no stack manages it: "
        f"adopt it with account_uid={enrollment.account_uid} (and the old settings removed), or close it "
        f"in the Resource Directory console."
    )


@dataclass(frozen=True)
class _Found:
    """What a look for earlier attempts of a resource found."""

    own: list[Enrollment]  # enrolled with these settings, the one to resume first
    left_behind: list[Enrollment]  # enrolled with other new-account settings


class Enroller:
    """`keyed_settings` names, for the user, the settings that make up the settings half of the key."""

    def __init__(self, client: GovernanceClient, waiter: Waiter, listing: Listing | None = None, *,
                 keyed_settings: str = "the new-account settings",
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = client
        self._waiter = waiter
        self._listing: Listing = listing or client.list_enrolled
        self._keyed_settings = keyed_settings
        self._sleep = sleep

    # --- entry points ----------------------------------------------------------------------

    def create_new(self, request: EnrollRequest, deadline: Deadline, progress: Progress) -> Enrollment:
        """Enroll a new account, or adopt the one an earlier attempt of this resource made."""
        key = EnrollmentKey.parse(request.tags.get(ENROLLMENT_KEY_TAG))
        if not request.is_new_account or key is None:
            raise ValueError("a new account is always enrolled with its enrollment key")
        found = self._look(request, key, deadline,
                           give_up=lambda error: EnrollmentNotStarted(deadline.describe(), "create", error))
        for other in found.left_behind:
            progress.warn(_left_behind_warning(other))
        if found.own:
            own = found.own[0]
            progress.warn(f"adopting account {own.account_uid} ({own.status}), enrolled earlier for this resource with "
                          f"these settings (by a `pulumi up` that did not record it, or left enrolled when the "
                          f"resource was destroyed or replaced), instead of enrolling a second account")
            return self._resume(found, request, deadline, progress)
        retries = 0
        while True:
            try:
                account_uid = self._enroll(request, deadline, "create")
                break
            except AmbiguousCallError as unsure:
                progress.status(f"EnrollAccount went unanswered ({unsure.code}); checking whether it took effect")
                unconfirmed = EnrollmentUnconfirmed(unsure)
                for pause in AMBIGUOUS_LOOKUP_PAUSES:
                    self._pause(pause, deadline, unconfirmed)
                    found = self._look(request, key, deadline, give_up=lambda _error: unconfirmed)
                    if found.own:
                        return self._resume(found, request, deadline, progress)
                retries += 1
                self._pause(Backoff().delay(retries), deadline, unconfirmed)
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
                self._enroll(request, deadline, operation)
                break
            except AmbiguousCallError as unsure:
                progress.status(f"EnrollAccount went unanswered ({unsure.code}); checking whether it took effect")
                current = self._client.get(account_uid, deadline)
                if current is not None and current.status not in FAILURE_STATUSES and current.applies(request):
                    break  # it took effect (running, or already done); a Failed one may be the last attempt
                self._pause(AMBIGUOUS_LOOKUP_PAUSES[0], deadline, unsure)
        progress.status(f"enrolling account {account_uid}")
        return self._wait(account_uid, deadline, progress, operation=operation)

    # --- helpers ---------------------------------------------------------------------------

    def _enroll(self, request: EnrollRequest, deadline: Deadline, operation: str) -> int:
        """EnrollAccount, never once the deadline has passed: the run could not wait for it anyway,
        and a later run would have to find what it did."""
        if deadline.expired:
            raise EnrollmentNotStarted(deadline.describe(), operation)
        return self._client.enroll(request, deadline)

    def _look(self, request: EnrollRequest, key: EnrollmentKey, deadline: Deadline, *,
              give_up: Callable[[Exception], Exception]) -> "_Found":
        """`_earlier_attempts`, riding out transient failures (an outage of the listing) until the
        deadline; then what `give_up` makes of the last failure is raised."""
        attempt = 0
        while True:
            try:
                return self._earlier_attempts(request, key, deadline)
            except Exception as error:  # noqa: BLE001 - only transient ones are retried
                if not is_transient(error):
                    raise
                attempt += 1
                self._pause(Backoff().delay(attempt), deadline, give_up(error))

    def _earlier_attempts(self, request: EnrollRequest, key: EnrollmentKey, deadline: Deadline) -> "_Found":
        """The accounts earlier attempts of this resource enrolled with these settings (the one to
        resume first) and with other settings.

        Only a few rows are read in full: those with this display name and those without one
        yet (a new account may be listed before it is named). Reading more (every account still
        enrolling, say) would make a fleet of creates read each other's accounts: N² reads.
        """
        candidates = [row for row in self._listing(deadline) if row.display_name in (request.display_name, None, "")]
        own: list[Enrollment] = []
        others: list[Enrollment] = []
        for row in candidates:
            enrollment = self._client.get(row.account_uid, deadline)
            found = EnrollmentKey.parse(enrollment.input_tags.get(ENROLLMENT_KEY_TAG)) if enrollment else None
            if enrollment is None or found is None or found.resource != key.resource:
                continue
            if found.settings != key.settings:
                others.append(enrollment)
            elif request.folder_id and enrollment.raw.get("FolderId") not in (None, request.folder_id):
                continue  # moved to another folder by hand since: not what these settings describe
            else:
                own.append(enrollment)
        # Prefer the one in progress, then the finished one, then the most recent.
        own.sort(key=lambda e: (e.in_progress, e.status == FINISHED, str(e.raw.get("CreateTime") or "")), reverse=True)
        return _Found(own, others)

    def _resume(self, found: "_Found", request: EnrollRequest, deadline: Deadline, progress: Progress) -> Enrollment:
        own, *duplicates = found.own
        for duplicate in duplicates:  # only a listing lagging beyond the look-ups can have made one
            progress.warn(f"account {duplicate.account_uid} ({duplicate.status}) also carries this resource's "
                          f"enrollment key: it is a second account enrolled for it, and no stack manages it. "
                          f"This resource keeps account {own.account_uid}; close the other one in the "
                          f"Resource Directory console.")
        return self.converge(own.account_uid, self._as_existing(request, own.account_uid), deadline, progress,
                             current=own, operation="create")

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
                progress.status(f"{enrollment.progress_line()} (account {account_uid})")
            last[:] = [enrollment]

        try:
            return self._waiter.wait(account_uid, deadline, on_change)
        except WaitTimedOut as timed_out:
            raise EnrollmentTimeout(account_uid, deadline.describe(), timed_out.last, cause=timed_out.cause,
                                    resume_hint=_timeout_hint(account_uid, operation, self._keyed_settings)) from None

    def _wait(self, account_uid: int, deadline: Deadline, progress: Progress, *, operation: str) -> Enrollment:
        final = self._wait_terminal(account_uid, deadline, progress, operation)
        if final.status != FINISHED:
            raise EnrollmentFailed(final, retry_hint=_resume_hint(account_uid, self._keyed_settings))
        return final

    def _pause(self, seconds: float, deadline: Deadline, cause: Exception) -> None:
        if deadline.remaining() <= seconds:
            raise cause
        self._sleep(seconds)
