"""Exactly-once enrollment: create, adopt, resume, re-enroll.

EnrollAccount has no idempotency token and creates a real, billed account. The enroller
therefore never calls it without first looking for what an earlier attempt left behind:

* a new account carries the tag `pulumi:enrollment-key`, whose value names the resource (a
  hash of its type and name), its stack (a hash of the stack's identity) and the settings that
  vend a new account when they change (a hash of them; `enrollment_steps.EnrollmentKey`).
  Before enrolling, create looks for an enrolled account with that key (ListEnrolledAccounts,
  then GetEnrolledAccount on the few candidates: same display name, or no display name yet)
  and adopts it: waits if it is still running,
  returns it if it finished, enrolls that same AccountUid again if it failed. An account of
  the same resource with other settings is not adopted (the settings say "a new account"),
  but named in a warning, so that it is never left behind unnoticed;
* an existing account (or an adopted one) is enrolled again only when its last enrollment
  did not already apply the same baseline settings;
* when EnrollAccount's outcome is unknown (connection lost, server error) it keeps looking
  for a while (the listing may lag) before it sends EnrollAccount again.

These rules are the pure functions of `enrollment_steps`, which return the next step as data;
this module carries the steps out: the calls, the journal, the waiting and the messages.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Protocol

from ..core.transport import Backoff, SendObserver
from .client import GovernanceCalls
from .enrollment_steps import (  # EnrollmentKey and resource_names are also the provider's, from here
    Accept,
    Adopt,
    Enroll,
    EnrollmentKey,
    Found,
    Join,
    Look,
    Operation,
    Target,
    WaitOut,
    Wording,
    adoption_warnings,
    candidates,
    duplicate_warnings,
    follow_chain,
    key_to_keep,
    last_look_needed,
    lineage,
    next_for_account,
    next_for_new_account,
    others_to_name,
    resource_names,
    sort_found,
)
from ..core.errors import AmbiguousCallError, ApiError, is_transient
from ..core.exactly_once import AttemptRecorder, Windows
from .fields import for_existing_account
from ..core.journal import Attempt, AttemptJournal
from .model import ENROLLMENT_KEY_TAG, FINISHED, Enrollment, EnrolledSummary, EnrollRequest
from ..core.operation import pause
from ..core.timeouts import Deadline
from .waiter import Waiter, WaitTimedOut, changed

__all__ = ["Enroller", "EnrollmentKey", "Listing", "Progress", "resource_names"]


class Listing(Protocol):
    """ListEnrolledAccounts in full. `max_age`: a listing that started at most that many seconds
    before the call will do (a shared one); None: one that starts after the call."""

    def __call__(self, deadline: Deadline, *, max_age: float | None = None) -> list[EnrolledSummary]: ...


#: A create's first look may use a listing that started this long before it: a burst of creates
#: (a fleet's `pulumi up`) then shares one. What it looks for, the attempts of earlier runs, took
#: effect before this process started, or are in the journal (this machine) and looked for again
#: with listings that start after each look.
FIRST_LOOK_MAX_AGE = 2.0


class Progress(Protocol):
    def status(self, message: str) -> None: ...

    def warn(self, message: str) -> None: ...


def _unanswered_status(error: AmbiguousCallError) -> str:
    return f"EnrollAccount went unanswered ({error.code}); checking whether it took effect"


def _tagged(request: EnrollRequest, target: Target) -> EnrollRequest:
    """The request of a new account carrying `target`'s key."""
    return replace(request, tags={**request.tags, ENROLLMENT_KEY_TAG: target.text})


def _unshared(client: GovernanceCalls) -> Listing:
    """The client's own listing: every call lists anew."""

    def listing(deadline: Deadline, *, max_age: float | None = None) -> list[EnrolledSummary]:
        return client.list_enrolled(deadline)

    return listing


class Enroller:
    """Carries out the steps `enrollment_steps` decides, one loop for a new account and one for an
    existing (or adopted) one.

    `keyed_settings` names, for the user, the settings that make up the settings half of the key.
    `backoff` spaces the looks that ride out an outage of the listing; `windows` says how long an
    unanswered EnrollAccount may still turn up (from the client's read timeout). `sleep` (by default
    the current operation's pause) ends the waits before EnrollAccount early when the operation must stop."""

    def __init__(self, client: GovernanceCalls, waiter: Waiter, listing: Listing | None = None, *,
                 keyed_settings: str = "the new-account settings", journal: AttemptJournal | None = None,
                 sleep: Callable[[float], None] = pause, clock: Callable[[], float] = time.time,
                 backoff: Backoff = Backoff(), windows: Windows = Windows()) -> None:
        self._client = client
        self._waiter = waiter
        self._listing: Listing = listing or _unshared(client)
        self._keyed_settings = keyed_settings
        self._journal = journal or AttemptJournal(None)
        self._sleep = sleep
        self._clock = clock
        self._backoff = backoff
        self._windows = windows

    # --- entry points ----------------------------------------------------------------------

    def create_new(self, request: EnrollRequest, deadline: Deadline, progress: Progress, *,
                   aliases: frozenset[str] = frozenset(), replacement: bool = False,
                   key_replacing: Callable[[int | None], EnrollmentKey] | None = None) -> Enrollment:
        """Enroll a new account, or adopt the one an earlier attempt of this resource made.

        `aliases` are the `resource` parts of the keys of the resource's aliases (its earlier
        URNs) and of its keys as earlier builds wrote them (`resource_names`): Pulumi takes them
        for the same resource, so their accounts are this resource's.
        A `replacement` create is asked for a new account while the stack still holds the one it
        replaces (its delete comes next, and says what becomes of it), so it calls no account of
        this resource left behind.

        `key_replacing` (a create that knows of no account it replaces: a retry after a failed or
        interrupted replacement, a create-first `--replace`, an interrupted create) gives the
        resource's key when it replaces an account (None: the base key); the create then follows
        the chain of replacements the keys record to the resource's current account
        (`follow_chain`) and takes that account's key, or the key that replaces it when this
        machine released it.
        """
        target = Target.of(request, aliases)
        wording = Wording("create", deadline.describe(), self._keyed_settings)
        found, target = self._look(request, target, deadline, give_up=wording.not_started, max_age=FIRST_LOOK_MAX_AGE,
                                   key_replacing=key_replacing)
        self._journal.warn_of_problems(progress.warn)  # (what the look found wrong with the record, once)
        request = _tagged(request, target)
        for warning in others_to_name(found, replacement):
            progress.warn(warning)
        unsure: AmbiguousCallError | None = None
        looks = 0
        while True:
            step = next_for_new_account(found.own, self._attempts(target), now=self._clock(),
                                        unsure=unsure, looks=looks, remaining=deadline.remaining(), wording=wording,
                                        windows=self._windows)
            if isinstance(step, Adopt):
                for warning in (*step.warnings, *adoption_warnings(found, step.account)):
                    progress.warn(warning)
                final = self._converge(for_existing_account(request, step.account.account_uid), step.account, deadline,
                                       progress, wording)
                return self._after(final, request, target, deadline, progress, checked=True)
            if isinstance(step, Look):
                self._sleep(step.after)
                looks += 1
                give_up = step.give_up
                found, target = self._look(request, target, deadline, give_up=lambda _error: give_up,
                                           key_replacing=key_replacing)
                self._journal.warn_of_problems(progress.warn)
                request = _tagged(request, target)
                continue
            if not isinstance(step, Enroll):
                raise step.error
            recorder = AttemptRecorder(self._journal, target.text, self._windows, clock=self._clock)
            try:
                account_uid = self._enroll(request, deadline, wording, recorder)
            except AmbiguousCallError as error:
                unsure = error  # the attempt stays unsettled: looked for until it can no longer appear
                recorder.unanswered(error, self._clock())
                progress.status(_unanswered_status(error))
                continue
            except ApiError:
                recorder.refused()  # the service said no: it did not take effect
                raise
            finally:
                self._journal.warn_of_problems(progress.warn)  # a record that failed as the request left
            recorder.answered(account_uid=account_uid)
            progress.status(f"enrolling new account {account_uid}")
            final = self._wait(account_uid, deadline, progress, wording)
            return self._after(final, request, target, deadline, progress, checked=unsure is None)

    def converge(self, account_uid: int, request: EnrollRequest, deadline: Deadline, progress: Progress, *,
                 operation: Operation, aliases: frozenset[str] = frozenset()) -> Enrollment:
        """Bring an account to a Finished enrollment with `request`'s baseline settings.

        Adopts a finished enrollment with the same settings, joins a running one, waits out a
        running one with other settings, and only then enrolls (again). `operation` is the
        resource operation it runs for, whose custom timeout its errors name. An enrollment key in
        `request` keeps the generation the account's key has (`key_to_keep`; `aliases`: the
        `resource` parts of the resource's aliases' keys).
        """
        wording = Wording(operation, deadline.describe(), self._keyed_settings)
        request = replace(request, account_uid=account_uid)
        current = self._client.get(account_uid, deadline)
        wanted = EnrollmentKey.parse(request.tags.get(ENROLLMENT_KEY_TAG))
        if wanted is not None:
            kept = key_to_keep(wanted, current, aliases)
            request = replace(request, tags={**request.tags, ENROLLMENT_KEY_TAG: str(kept)})
        return self._converge(request, current, deadline, progress, wording)

    # --- helpers ---------------------------------------------------------------------------

    def _converge(self, request: EnrollRequest, current: Enrollment | None, deadline: Deadline, progress: Progress,
                  wording: Wording) -> Enrollment:
        """The loop of `converge`, from the account's enrollment as last read (also an adopted account's)."""
        assert request.account_uid is not None
        account_uid = request.account_uid
        answered = False
        unsure: AmbiguousCallError | None = None
        while True:
            step = next_for_account(request, current, answered=answered, unsure=unsure,
                                    remaining=deadline.remaining(), wording=wording)
            if isinstance(step, (Accept, Join, WaitOut)):
                progress.status(step.status)
            if isinstance(step, Accept):
                return step.enrollment
            if isinstance(step, Join):
                return self._wait(account_uid, deadline, progress, wording)
            if isinstance(step, WaitOut):
                current = self._wait_terminal(account_uid, deadline, progress, wording)
                continue
            if not isinstance(step, Enroll):
                raise step.error
            if step.after:
                self._sleep(step.after)
            try:
                self._enroll(request, deadline, wording)
                answered = True
            except AmbiguousCallError as error:
                unsure = error
                progress.status(_unanswered_status(error))
                current = self._client.get(account_uid, deadline)

    def _after(self, final: Enrollment, request: EnrollRequest, target: Target, deadline: Deadline,
               progress: Progress, *, checked: bool) -> Enrollment:
        """Once a create has its account, the last look `last_look_needed` asks for: it names every
        other account carrying the key (one that took effect after the provider stopped looking)."""
        if not last_look_needed(checked, self._attempts(target)):
            return final
        try:
            found, _target = self._earlier_attempts(request, target, deadline)
        except Exception:  # noqa: BLE001 - the account is done; a failed extra look must not fail the create
            return final
        for warning in duplicate_warnings(found.own, final.account_uid):
            progress.warn(warning)
        return final

    def _attempts(self, target: Target) -> list[Attempt]:
        """The journal's attempts of `target`'s key, also under the resource's other names."""
        return [attempt for key in target.journal_keys for attempt in self._journal.attempts(key)]

    def _enroll(self, request: EnrollRequest, deadline: Deadline, wording: Wording,
                observer: SendObserver | None = None) -> int:
        """EnrollAccount, still never once the deadline has passed (a pause since the decision may
        have used up the time it saw)."""
        if deadline.expired:
            raise wording.not_started()
        return self._client.enroll(request, deadline, observer)

    def _look(self, request: EnrollRequest, target: Target, deadline: Deadline, *,
              give_up: Callable[[Exception], Exception], max_age: float | None = None,
              key_replacing: Callable[[int | None], EnrollmentKey] | None = None) -> tuple[Found, Target]:
        """`_earlier_attempts`, riding out transient failures (an outage of the listing) until the
        deadline; then what `give_up` makes of the last failure is raised."""
        attempt = 0
        while True:
            try:
                return self._earlier_attempts(request, target, deadline, max_age=max_age, key_replacing=key_replacing)
            except Exception as error:  # noqa: BLE001 - only transient ones are retried
                if not is_transient(error):
                    raise
                attempt += 1
                self._pause(self._backoff.delay(attempt), deadline, give_up(error))

    def _earlier_attempts(self, request: EnrollRequest, target: Target, deadline: Deadline, *,
                          max_age: float | None = None,
                          key_replacing: Callable[[int | None], EnrollmentKey] | None = None) -> tuple[Found, Target]:
        """The accounts earlier attempts of this resource enrolled (`candidates`, read in full),
        sorted by what to do with them (`sort_found`), and whose key to look for: `target`'s, or
        with `key_replacing`, the key the chain of replacements leads to (`follow_chain`), whose
        attempts on this machine are read too."""
        rows = self._listing(deadline, max_age=max_age)
        released = self._journal.released()
        read: dict[int, Enrollment | None] = {}
        targets = [target]
        while True:
            attempts = [attempt for followed in targets for attempt in self._attempts(followed)]
            for account_uid in candidates(attempts, rows, request.display_name):
                if account_uid not in read:
                    read[account_uid] = self._client.get(account_uid, deadline)
            enrollments = [e for e in read.values() if e is not None]
            if key_replacing is None:
                return sort_found(target, request, enrollments, released), target
            # Any account listed, read or released here may be one a replacement replaced (released: also
            # once it left the directory)
            seen = {row.account_uid for row in rows} | set(read) | released
            chain = follow_chain(target, enrollments, lineage(key_replacing, seen), released)
            target = target.with_key(key_replacing(chain.replaces))
            if target in targets or len(targets) > 3:  # (each round reads what a new key's attempts answered)
                found = sort_found(target, request, enrollments, released, chain)
                return replace(found, chain_warnings=chain.warnings), target
            targets.append(target)

    def _wait_terminal(self, account_uid: int, deadline: Deadline, progress: Progress, wording: Wording) -> Enrollment:
        last: list[Enrollment] = []

        def on_change(enrollment: Enrollment) -> None:
            if not last or changed(last[-1], enrollment):
                progress.status(enrollment.status_line())
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
