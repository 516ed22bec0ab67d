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

from .client import Backoff, GovernanceCalls, SendObserver
from .errors import (
    AmbiguousCallError,
    ApiError,
    EnrollmentUnconfirmed,
    UnansweredCallError,
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
from .journal import ANSWERED, REFUSED, SENT, STATE_DIR_ENV, Attempt, AttemptJournal
from .enrollment_steps import Operation, Wording
from .timeouts import Deadline
from .waiter import Waiter, WaitTimedOut, changed

#: After an unanswered EnrollAccount, look for the account it may have created after each of
#: these pauses (seconds) before sending EnrollAccount again: the listing may show a new
#: account only after a while, and a resent call would enroll a second one.
AMBIGUOUS_LOOKUP_PAUSES = (1.0, 2.0, 4.0, 8.0)
#: How long after it was sent an EnrollAccount may still take effect: the SDK stops reading
#: after 30 s, but a gateway may hold the request and pass it on later (twice the read timeout
#: is allowed). Chosen, not documented
#: by the service (see RELIABILITY.md).
IN_FLIGHT_SECONDS = 60.0
#: How long ListEnrolledAccounts may take to show an account once EnrollAccount took effect.
LISTING_LAG_SECONDS = 15.0
#: An unanswered EnrollAccount keeps a create of its key from enrolling (it looks instead) for this long.
UNSETTLED_SECONDS = IN_FLIGHT_SECONDS + LISTING_LAG_SECONDS


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

    `resource` hashes the resource's URN and `stack` the stack's identity (a random value kept
    in the stack's state, see `resource.StackIdentity`): the same project, stack and resource
    name in another organization or backend is another resource. `settings` hashes the
    settings that vend a new account and the resource's generation (bumped when Pulumi
    replaces it), so it changes exactly when a new account is asked for. Keys written by
    releases before 0.2 have no `stack` part (None).
    """

    resource: str
    stack: str | None
    settings: str

    @staticmethod
    def derive(resource_urn: str | None, stack_identity: str | None, settings: Mapping[str, object],
               generation: int = 0) -> "EnrollmentKey":
        material = "\n".join(f"{k}={settings.get(k)!r}" for k in sorted(settings))
        if generation:
            material += f"\ngeneration={generation}"
        return EnrollmentKey(resource_digest(resource_urn), _digest(stack_identity or ""), _digest(material))

    @staticmethod
    def parse(text: str | None) -> "EnrollmentKey | None":
        parts = (text or "").split(".")
        if len(parts) == 2 and all(parts):
            return EnrollmentKey(parts[0], None, parts[1])
        if len(parts) == 3 and all(parts):
            return EnrollmentKey(*parts)
        return None

    def __str__(self) -> str:
        return ".".join(part for part in (self.resource, self.stack, self.settings) if part is not None)


def resource_digest(resource_urn: str | None) -> str:
    """The `resource` part of a key for a URN (also computed for a resource's aliases)."""
    return _digest(resource_urn or "")


def _left_behind_warning(enrollment: Enrollment) -> str:
    return (
        f"account {enrollment.account_uid} ({enrollment.raw.get('DisplayName')!r}, {enrollment.status}) was "
        f"enrolled earlier for this resource with other new-account settings, so this `up` enrolls a new "
        f"account as the changed settings require. If this `up` replaces the resource, that is the account "
        f"being replaced. Otherwise it was left by an interrupted or failed run and no stack manages it: "
        f"adopt it with account_uid={enrollment.account_uid} (and the old settings removed), or close it "
        f"in the Resource Directory console."
    )


def _duplicate_warning(duplicate: Enrollment, kept: int) -> str:
    return (f"account {duplicate.account_uid} ({duplicate.status}) also carries this resource's enrollment key: it is a "
            f"second account enrolled for it (by an EnrollAccount that took effect after the provider had stopped "
            f"waiting for it), and no stack manages it. This resource keeps account {kept}; close account "
            f"{duplicate.account_uid} in the Resource Directory console.")


def _pending_text(until: float) -> str:
    return (f"an earlier EnrollAccount of this resource went unanswered and may still take effect or show up in the "
            f"listing until {time.strftime('%H:%M:%S', time.localtime(until))}")


class _Recorder:
    """Writes each EnrollAccount request of a new account to the journal before it leaves, and
    what became of it: a kill -9 at any point leaves at most the last request unsettled."""

    def __init__(self, journal: AttemptJournal, key: str) -> None:
        self._journal = journal
        self._key = key
        self._attempt: Attempt | None = None

    def sending(self) -> None:
        self._attempt = self._journal.sending(self._key)

    def refused(self) -> None:
        if self._attempt is not None and self._attempt.unanswered:
            self._journal.settle(self._key, self._attempt, REFUSED)
            self._attempt = None

    def answered(self, account_uid: int) -> None:
        if self._attempt is not None:
            self._journal.settle(self._key, self._attempt, ANSWERED, account_uid)

    def unanswered(self, error: AmbiguousCallError, now: float) -> None:
        """No usable answer. Without one at all (a timeout) the service may still carry the request
        out until IN_FLIGHT_SECONDS after it left; otherwise whatever it did is done. Either way the
        listing may take LISTING_LAG_SECONDS more to show it."""
        if self._attempt is None:  # the client did not report the send: it left just now at the latest
            self.sending()
        assert self._attempt is not None
        done_by = self._attempt.at + IN_FLIGHT_SECONDS if isinstance(error, UnansweredCallError) else now
        self._journal.settle(self._key, self._attempt, SENT, until=max(done_by, now) + LISTING_LAG_SECONDS)


@dataclass(frozen=True)
class _Found:
    """What a look for earlier attempts of a resource found."""

    own: list[Enrollment]  # enrolled with these settings, the one to resume first
    left_behind: list[Enrollment]  # enrolled with other new-account settings
    released: list[Enrollment]  # own key, but its resource left the stack (destroyed or replaced) on this machine
    older_release: list[Enrollment]  # a key of a release before 0.2 for this resource name: which stack is unknown


@dataclass(frozen=True)
class _Target:
    """Whose accounts a create looks for: its key, and the `resource` parts of its aliases' keys."""

    key: EnrollmentKey
    text: str  # the key as the tag carries it, also the journal's key
    aliases: frozenset[str]

    def names(self, other: EnrollmentKey) -> bool:
        return other.resource == self.key.resource or other.resource in self.aliases


class Enroller:
    """`keyed_settings` names, for the user, the settings that make up the settings half of the key.
    `backoff` spaces the looks that ride out an outage of the listing."""

    def __init__(self, client: GovernanceCalls, waiter: Waiter, listing: Listing | None = None, *,
                 keyed_settings: str = "the new-account settings", journal: AttemptJournal | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
                 backoff: Backoff = Backoff()) -> None:
        self._client = client
        self._waiter = waiter
        self._listing: Listing = listing or client.list_enrolled
        self._keyed_settings = keyed_settings
        self._journal = journal or AttemptJournal(None)
        self._journal_warned = False
        self._sleep = sleep
        self._clock = clock
        self._backoff = backoff

    # --- entry points ----------------------------------------------------------------------

    def create_new(self, request: EnrollRequest, deadline: Deadline, progress: Progress, *,
                   aliases: frozenset[str] = frozenset(), replacement: bool = False) -> Enrollment:
        """Enroll a new account, or adopt the one an earlier attempt of this resource made.

        `aliases` are the `resource` parts of the keys of the resource's aliases (its earlier
        URNs): Pulumi takes them for the same resource, so their accounts are this resource's.
        A `replacement` create is asked for a new account while the stack still holds the one it
        replaces (its delete comes next, and says what becomes of it), so it calls no account of
        this resource left behind.
        """
        text = request.tags.get(ENROLLMENT_KEY_TAG)
        key = EnrollmentKey.parse(text)
        if not request.is_new_account or key is None or text is None:
            raise ValueError("a new account is always enrolled with its enrollment key")
        target = _Target(key, text, aliases)
        wording = Wording("create", deadline.describe(), self._keyed_settings)
        found = self._look(request, target, deadline, give_up=wording.not_started)
        self._warn_about_others(found, progress, replacement)
        unsure: AmbiguousCallError | None = None
        retries = 0
        while not found.own:
            pending = self._unsettled_until(target)
            if pending is not None:
                # An attempt may still take effect, or be missing from the listing: look, never enroll.
                stop: Exception = EnrollmentUnconfirmed(unsure) if unsure is not None else wording.not_started(
                    waiting_for=_pending_text(pending))
                retries += 1
                self._pause(AMBIGUOUS_LOOKUP_PAUSES[min(retries, len(AMBIGUOUS_LOOKUP_PAUSES)) - 1], deadline, stop)
                found = self._look(request, target, deadline, give_up=lambda _error: stop)
                continue
            recorder = _Recorder(self._journal, target.text)
            try:
                account_uid = self._enroll(request, deadline, wording, recorder)
            except AmbiguousCallError as error:
                unsure = error  # the attempt stays unsettled: looked for until it can no longer appear
                recorder.unanswered(error, self._clock())
                progress.status(f"EnrollAccount went unanswered ({error.code}); checking whether it took effect")
                continue
            except ApiError:
                recorder.refused()  # the service said no: it did not take effect
                raise
            finally:
                self._warn_if_unrecorded(progress)
            recorder.answered(account_uid)
            progress.status(f"enrolling new account {account_uid}")
            final = self._wait(account_uid, deadline, progress, wording)
            return self._after(final, request, target, deadline, progress, checked=unsure is None)
        own = found.own[0]
        if unsure is None:
            progress.warn(f"adopting account {own.account_uid} ({own.status}), enrolled earlier for this resource with "
                          f"these settings by a `pulumi up` that did not record it (interrupted, failed or timed out), "
                          f"instead of enrolling a second account")
        final = self._resume(found, request, deadline, progress, wording)
        return self._after(final, request, target, deadline, progress, checked=True)

    def converge(self, account_uid: int, request: EnrollRequest, deadline: Deadline, progress: Progress, *,
                 current: Enrollment | None = None, operation: Operation) -> Enrollment:
        """Bring an account to a Finished enrollment with `request`'s baseline settings.

        Adopts a finished enrollment with the same settings, joins a running one, waits out a
        running one with other settings, and only then enrolls (again). `operation` is the
        resource operation it runs for, whose custom timeout its errors name.
        """
        wording = Wording(operation, deadline.describe(), self._keyed_settings)
        request = replace(request, account_uid=account_uid)
        if current is None:
            current = self._client.get(account_uid, deadline)
        while current is not None and current.in_progress:
            if current.applies(request):
                progress.status(f"account {account_uid} is already enrolling with these settings; waiting for it")
                return self._wait(account_uid, deadline, progress, wording)
            progress.status(f"account {account_uid} has another enrollment running; waiting for it before enrolling again")
            current = self._wait_terminal(account_uid, deadline, progress, wording)
        if current is not None and current.status == FINISHED and current.applies(request):
            progress.status(f"account {account_uid} is already enrolled with these settings")
            return current
        while True:
            try:
                self._enroll(request, deadline, wording)
                break
            except AmbiguousCallError as unsure:
                progress.status(f"EnrollAccount went unanswered ({unsure.code}); checking whether it took effect")
                current = self._client.get(account_uid, deadline)
                if current is not None and current.status not in FAILURE_STATUSES and current.applies(request):
                    break  # it took effect (running, or already done); a Failed one may be the last attempt
                self._pause(AMBIGUOUS_LOOKUP_PAUSES[0], deadline, unsure)
        progress.status(f"enrolling account {account_uid}")
        return self._wait(account_uid, deadline, progress, wording)

    # --- helpers ---------------------------------------------------------------------------

    def _unsettled_until(self, target: _Target) -> float | None:
        """When the latest unanswered EnrollAccount of this key can no longer turn up (wall clock),
        if that is still to come."""
        now = self._clock()
        until = max((a.until if a.until is not None else a.at + UNSETTLED_SECONDS
                     for a in self._journal.attempts(target.text) if a.unanswered), default=None)
        return until if until is not None and until > now else None

    def _after(self, final: Enrollment, request: EnrollRequest, target: _Target, deadline: Deadline,
               progress: Progress, *, checked: bool) -> Enrollment:
        """Once a create has its account: if an attempt of this key ever went unanswered, look once
        more, and name every other account carrying the key (one that took effect after the
        provider stopped looking for it)."""
        if checked and not any(a.unanswered for a in self._journal.attempts(target.text)):
            return final
        try:
            found = self._earlier_attempts(request, target, deadline)
        except Exception:  # noqa: BLE001 - the account is done; a failed extra look must not fail the create
            return final
        for other in found.own:
            if other.account_uid != final.account_uid:
                progress.warn(_duplicate_warning(other, final.account_uid))
        return final

    def _warn_about_others(self, found: "_Found", progress: Progress, replacement: bool = False) -> None:
        for other in [] if replacement else found.left_behind:
            progress.warn(_left_behind_warning(other))
        for other in [] if replacement else found.released:
            progress.warn(f"account {other.account_uid} ({other.status}) was enrolled for this resource before it "
                          f"was destroyed or replaced, so this `up` enrolls a new account instead of adopting it. It "
                          f"stays enrolled: adopt it with account_uid={other.account_uid}, or close it in the "
                          f"Resource Directory console if no stack needs it.")
        for other in found.older_release:
            progress.warn(f"account {other.account_uid} ({other.status}, {other.raw.get('DisplayName')!r}) was enrolled "
                          f"for a resource of this name by a release of this provider before 0.2, whose key does not "
                          f"say which stack it belongs to, so it is not adopted. If it is this stack's (a `pulumi up` "
                          f"interrupted before the upgrade), adopt it with account_uid={other.account_uid}; otherwise "
                          f"leave it to the stack that manages it.")

    def _warn_if_unrecorded(self, progress: Progress) -> None:
        if self._journal.problem is not None and not self._journal_warned:
            self._journal_warned = True
            progress.warn(f"EnrollAccount attempts cannot be recorded on this machine ({self._journal.problem}); set "
                          f"{STATE_DIR_ENV} to a writable directory. Until then a `pulumi up` run right after an "
                          f"interrupted one relies on the listing alone, which may show a new account only after a while.")

    def _enroll(self, request: EnrollRequest, deadline: Deadline, wording: Wording,
                observer: SendObserver | None = None) -> int:
        """EnrollAccount, never once the deadline has passed: the run could not wait for it anyway,
        and a later run would have to find what it did."""
        if deadline.expired:
            raise wording.not_started()
        return self._client.enroll(request, deadline, observer)

    def _look(self, request: EnrollRequest, target: _Target, deadline: Deadline, *,
              give_up: Callable[[Exception], Exception]) -> "_Found":
        """`_earlier_attempts`, riding out transient failures (an outage of the listing) until the
        deadline; then what `give_up` makes of the last failure is raised."""
        attempt = 0
        while True:
            try:
                return self._earlier_attempts(request, target, deadline)
            except Exception as error:  # noqa: BLE001 - only transient ones are retried
                if not is_transient(error):
                    raise
                attempt += 1
                self._pause(self._backoff.delay(attempt), deadline, give_up(error))

    def _earlier_attempts(self, request: EnrollRequest, target: _Target, deadline: Deadline) -> "_Found":
        """The accounts earlier attempts of this resource enrolled, sorted by what to do with them.

        Read in full: the listing's rows with this display name and those without one yet (a
        new account may be listed before it is named), and every account an attempt recorded
        on this machine answered with (GetEnrolledAccount shows it before the listing does).
        Reading more (every account still enrolling, say) would make a fleet of creates read
        each other's accounts: N² reads.
        """
        recorded = {a.account_uid for a in self._journal.attempts(target.text)
                    if a.state == ANSWERED and a.account_uid is not None}
        listed = {row.account_uid for row in self._listing(deadline) if row.display_name in (request.display_name, None, "")}
        released = self._journal.released()
        found = _Found([], [], [], [])
        for account_uid in sorted(listed | recorded):
            enrollment = self._client.get(account_uid, deadline)
            key = EnrollmentKey.parse(enrollment.input_tags.get(ENROLLMENT_KEY_TAG)) if enrollment else None
            if enrollment is None or key is None or not target.names(key):
                continue
            if key.stack is None:
                found.older_release.append(enrollment)
            elif key.stack != target.key.stack:
                continue  # the same resource name in another stack (organization, backend): not ours
            elif key.settings != target.key.settings:
                found.left_behind.append(enrollment)
            elif request.folder_id and enrollment.raw.get("FolderId") not in (None, request.folder_id):
                continue  # moved to another folder by hand since: not what these settings describe
            elif account_uid in released:
                found.released.append(enrollment)
            else:
                found.own.append(enrollment)
        # Prefer the one in progress, then the finished one, then the most recent.
        found.own.sort(key=lambda e: (e.in_progress, e.status == FINISHED, str(e.raw.get("CreateTime") or "")),
                       reverse=True)
        return found

    def _resume(self, found: "_Found", request: EnrollRequest, deadline: Deadline, progress: Progress,
                wording: Wording) -> Enrollment:
        own, *duplicates = found.own
        for duplicate in duplicates:  # only an attempt that took effect after the look-ups can have made one
            progress.warn(_duplicate_warning(duplicate, own.account_uid))
        return self.converge(own.account_uid, self._as_existing(request, own.account_uid), deadline, progress,
                             current=own, operation=wording.operation)

    @staticmethod
    def _as_existing(request: EnrollRequest, account_uid: int) -> EnrollRequest:
        return EnrollRequest(
            account_uid=account_uid,
            baseline_id=request.baseline_id,
            baseline_items=request.baseline_items,
            tags=request.tags,
            region_id=request.region_id,
        )

    def _wait_terminal(self, account_uid: int, deadline: Deadline, progress: Progress, wording: Wording) -> Enrollment:
        last: list[Enrollment] = []

        def on_change(enrollment: Enrollment) -> None:
            if not last or changed(last[-1], enrollment):
                progress.status(f"{enrollment.progress_line()} (account {account_uid})")
            last[:] = [enrollment]

        try:
            return self._waiter.wait(account_uid, deadline, on_change)
        except WaitTimedOut as timed_out:
            raise wording.timed_out(account_uid, timed_out.last, timed_out.cause) from None

    def _wait(self, account_uid: int, deadline: Deadline, progress: Progress, wording: Wording) -> Enrollment:
        final = self._wait_terminal(account_uid, deadline, progress, wording)
        if final.status != FINISHED:
            raise wording.failed(account_uid, final)
        return final

    def _pause(self, seconds: float, deadline: Deadline, cause: Exception) -> None:
        if deadline.remaining() <= seconds:
            raise cause
        self._sleep(seconds)
