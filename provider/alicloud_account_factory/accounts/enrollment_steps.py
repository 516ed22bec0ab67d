"""What the enroller does next, decided apart from doing it.

As botocore's waiter is a model plus one loop that applies it, the exactly-once rules are pure
functions here: each takes what the service shows (the accounts earlier attempts of a resource
left, an account's current enrollment), what this machine's journal recorded, what this run has
done so far and the time it has left, and returns the next step as data. `enrollment.Enroller`
carries the steps out (API calls, the journal, waiting, messages) in one loop for a new account
and one for an existing or adopted account, so the rules read in one place and are tested
without threads, HTTP or a clock.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from typing import AbstractSet, Callable, Iterable, Literal, Mapping, Sequence, Union

from ..core.errors import AmbiguousCallError
from ..core.exactly_once import AMBIGUOUS_LOOKUP_PAUSES, Windows
from ..core.field_kit import urn_path
from ..core.journal import ANSWERED, Attempt
from .errors import EnrollmentFailed, EnrollmentNotStarted, EnrollmentTimeout, EnrollmentUnconfirmed
from .model import ENROLLMENT_KEY_TAG, FAILURE_STATUSES, FINISHED, Enrollment, EnrolledSummary, EnrollRequest


#: The resource operation an enrollment runs for, as `CustomTimeouts` names its timeout.
Operation = Literal["create", "update"]


# --- whose account it is -------------------------------------------------------------------


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class EnrollmentKey:
    """The value of the `pulumi:enrollment-key` tag: whose account it is, and with what settings.

    `resource` names the resource within its stack and `stack` hashes the stack's identity (a random
    value kept in the stack's state, see `resource.StackIdentity`): the same project, stack and
    resource name in another organization or backend is another resource, while `pulumi stack
    rename` and a renamed project (the same state, the same identity) change neither part
    (`resource_digest`). `settings` hashes the settings that vend a new account and the resource's
    generation (bumped when Pulumi replaces it), so it changes exactly when a new account is asked
    for. Keys written by releases before 0.2 have no `stack` part (None).
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
        return EnrollmentKey(resource_digest(resource_urn, stack_identity), _digest(stack_identity or ""),
                             _digest(material))

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


#: The `resource` part of a key that names a resource within its stack starts with this letter,
#: never a hex digit: it tells such keys from those whose `resource` hashes the whole URN.
WITHIN_STACK = "r"
_WHOLE_URN_DIGEST = re.compile(r"[0-9a-f]{16}")


def resource_digest(resource_urn: str | None, stack_identity: str | None) -> str:
    """The `resource` part of a key for a URN (also computed for a resource's aliases).

    With a stack identity, which tells stacks apart (the key's `stack` part), a hash of the URN's
    type and name only (`urn_path`), marked `WITHIN_STACK`: a renamed stack or project keeps it.
    Without one, nothing else tells stacks apart: the whole URN's (`whole_urn_digest`)."""
    if stack_identity:
        return WITHIN_STACK + _digest(urn_path(resource_urn or ""))
    return whole_urn_digest(resource_urn)


def whole_urn_digest(resource_urn: str | None) -> str:
    """A hash of the whole URN, stack and project names included: the `resource` part of every key
    written before keys outlived renames (builds up to 2c1bf42), and of keys without a stack identity."""
    return _digest(resource_urn or "")


def resource_names(urns: Iterable[str], stack_identity: str | None) -> frozenset[str]:
    """Every `resource` part a key of the resource known by these URNs (its URN and its aliases') may
    carry: as keys are written now, and as builds before rename-proof keys wrote them."""
    return frozenset(name for urn in urns for name in (resource_digest(urn, stack_identity), whole_urn_digest(urn)))


@dataclass(frozen=True)
class Target:
    """Whose accounts a create looks for: its key, and the `resource` parts of its aliases' keys
    (and of its own and its aliases' keys as earlier builds wrote them, `resource_names`)."""

    key: EnrollmentKey
    text: str  # the key as the tag carries it, also the journal's key
    aliases: frozenset[str]

    @staticmethod
    def of(request: EnrollRequest, aliases: frozenset[str]) -> "Target":
        text = request.tags.get(ENROLLMENT_KEY_TAG)
        key = EnrollmentKey.parse(text)
        if not request.is_new_account or key is None or text is None:
            raise ValueError("a new account is always enrolled with its enrollment key")
        return Target(key, text, aliases)

    def with_key(self, key: EnrollmentKey) -> "Target":
        return Target(key, str(key), self.aliases)

    def names(self, other: EnrollmentKey) -> bool:
        return other.resource == self.key.resource or other.resource in self.aliases

    def renamed_since(self, other: EnrollmentKey) -> bool:
        """Whether `other` may be this resource's key from before its stack or project was renamed:
        a key of this stack (its identity) whose `resource` part hashes a whole URN this resource is
        not known by. Builds before rename-proof keys wrote such keys, and the names they hashed are
        gone from the state; the key's settings then say whether it is this resource's."""
        return (self.key.resource.startswith(WITHIN_STACK) and other.stack == self.key.stack
                and _WHOLE_URN_DIGEST.fullmatch(other.resource) is not None and not self.names(other))

    def owns(self, other: EnrollmentKey) -> bool:
        """Whether `other` is a key of this resource in this stack: named, or from before a rename."""
        return (self.names(other) and other.stack == self.key.stack) or self.renamed_since(other)

    @property
    def journal_keys(self) -> tuple[str, ...]:
        """The journal's keys of this key's attempts: its own, and those under the resource's other
        names (its aliases; its keys as earlier builds wrote them)."""
        others = sorted(self.aliases - {self.key.resource})
        return (self.text, *(str(EnrollmentKey(name, self.key.stack, self.key.settings)) for name in others))


@dataclass(frozen=True)
class Found:
    """What a look for earlier attempts of a resource found."""

    own: tuple[Enrollment, ...]  # enrolled with these settings, the one to resume first
    left_behind: tuple[Enrollment, ...]  # enrolled with other new-account settings
    released: tuple[Enrollment, ...]  # own key, but its resource left the stack (destroyed or replaced) on this machine
    older_release: tuple[Enrollment, ...]  # a key of a release before 0.2 for this resource name: which stack is unknown
    chain_warnings: tuple[str, ...] = ()  # about accounts of the resource's chain no stack manages (`ChainEnd`)
    renamed: frozenset[int] = frozenset()  # of `own`, those found by a key from before a rename (`renamed_since`)


def candidates(attempts: Iterable[Attempt], rows: Iterable[EnrolledSummary], display_name: str | None) -> list[int]:
    """The accounts a look reads in full (GetEnrolledAccount), in AccountUid order.

    The listing's rows with this display name and those without one yet (a new account may be
    listed before it is named), and every account an attempt recorded on this machine answered
    with (GetEnrolledAccount shows it before the listing does). Reading more (every account
    still enrolling, say) would make a fleet of creates read each other's accounts: N² reads.
    """
    recorded = {a.account_uid for a in attempts if a.state == ANSWERED and a.account_uid is not None}
    listed = {row.account_uid for row in rows if row.display_name in (display_name, None, "")}
    return sorted(listed | recorded)


def _preference(enrollment: Enrollment) -> tuple[bool, bool, str]:
    """Which of several accounts to take first: the one in progress, then the finished one, then the newest."""
    return enrollment.in_progress, enrollment.status == FINISHED, str(enrollment.raw.get("CreateTime") or "")


def sort_found(target: Target, request: EnrollRequest, enrollments: Iterable[Enrollment],
               released: AbstractSet[int], chain: "ChainEnd | None" = None) -> Found:
    """The accounts a look read, sorted by what to do with them; those of other resources and
    other stacks, and those moved to another folder by hand, are left out. With the `chain` a
    create followed, the resource's earlier accounts of that chain are not left behind: the
    released head it replaces is named as released, the accounts it superseded (replaced) not at all.
    A key from before a stack or project rename (`Target.renamed_since`) counts only with this
    resource's settings, or those of its chain: with others it may be another resource's."""
    own: list[Enrollment] = []
    left_behind: list[Enrollment] = []
    gone: list[Enrollment] = []
    older_release: list[Enrollment] = []
    renamed: set[int] = set()
    for enrollment in enrollments:
        key = EnrollmentKey.parse(enrollment.input_tags.get(ENROLLMENT_KEY_TAG))
        if key is None or not (target.names(key) or target.renamed_since(key)):
            continue
        if key.stack is None:
            older_release.append(enrollment)
        elif key.stack != target.key.stack:
            continue  # the same resource name in another stack (organization, backend): not ours
        elif key.settings != target.key.settings:
            if chain is None or key.settings not in chain.lineage:
                if not target.renamed_since(key):
                    left_behind.append(enrollment)
            elif chain.head is not None and enrollment.account_uid == chain.head.account_uid == chain.replaces:
                gone.append(enrollment)
            # else: an account the chain superseded, or another head (`ChainEnd.warnings` names it)
        elif request.folder_id and enrollment.raw.get("FolderId") not in (None, request.folder_id):
            continue  # moved to another folder by hand since: not what these settings describe
        elif enrollment.account_uid in released:
            gone.append(enrollment)
        else:
            own.append(enrollment)
            if target.renamed_since(key):
                renamed.add(enrollment.account_uid)
    # (an account this resource is named by comes before one found by a key from before a rename)
    own.sort(key=lambda e: (e.account_uid not in renamed, *_preference(e)), reverse=True)
    return Found(tuple(own), tuple(left_behind), tuple(gone), tuple(older_release), renamed=frozenset(renamed))


# --- the replacement chain -------------------------------------------------------------------


#: The settings digests of a resource's accounts under its current new-account settings, each with
#: the AccountUid of the account the one carrying it replaced (None: the base key, generation 0).
Lineage = Mapping[str, Union[int, None]]


def lineage(key_replacing: Callable[[int | None], EnrollmentKey], seen: Iterable[int]) -> dict[str, int | None]:
    """The `Lineage` for every account a look saw (listed or read): a replacement's key records the
    account it replaced, so whichever of them a found account replaced is known without the journal."""
    chain: dict[str, int | None] = {key_replacing(uid).settings: uid for uid in sorted(set(seen))}
    chain[key_replacing(None).settings] = None
    return chain


@dataclass(frozen=True)
class ChainEnd:
    """Where a create with no replaced account known in its run stands in its resource's chain.

    `head`: the account of the chain no other replaced (the resource's current account), the one to
    take first if several; `replaces`: the account whose replacement this create is, so its key
    (None: the base key). A head not released on this machine is resumed (`replaces` is what the head
    replaced); a released one (its resource was deleted here: an interrupted delete-first
    replacement, or a resource removed and added again) is replaced (`replaces` is the head)."""

    lineage: Lineage
    head: Enrollment | None
    replaces: int | None
    superseded: frozenset[int]
    warnings: tuple[str, ...]  # about the other heads: accounts no stack manages


def follow_chain(target: Target, enrollments: Iterable[Enrollment], chain: Lineage,
                 released: AbstractSet[int]) -> ChainEnd:
    """The head of this resource's chain (same resource or alias, or a key from before a rename, in
    this stack; a settings digest of the `chain`) among the accounts a look read, and what a create
    does with it."""
    members: list[tuple[Enrollment, EnrollmentKey]] = []
    for enrollment in enrollments:
        key = EnrollmentKey.parse(enrollment.input_tags.get(ENROLLMENT_KEY_TAG))
        if key is not None and target.owns(key) and key.settings in chain:
            members.append((enrollment, key))
    # (an account never replaces itself: a replacement generation is that of another account)
    superseded = frozenset(uid for e, key in members if (uid := chain[key.settings]) not in (None, e.account_uid))
    heads = sorted(((e, k) for e, k in members if e.account_uid not in superseded),
                   key=lambda member: _preference(member[0]), reverse=True)
    if not heads:
        return ChainEnd(chain, None, None, superseded, ())
    head, head_key = heads[0]
    replaces = head.account_uid if head.account_uid in released else chain[head_key.settings]
    if replaces == head.account_uid:
        warnings = [_stray_head_warning(e, head.account_uid) for e, _k in heads[1:]]
    else:  # others with the head's key are its duplicates, which adopting it names (`duplicate_warnings`)
        warnings = duplicate_warnings([e for e, k in heads[1:] if k.settings != head_key.settings], head.account_uid)
    return ChainEnd(chain, head, replaces, superseded, tuple(warnings))


def _stray_head_warning(enrollment: Enrollment, replaced: int) -> str:
    return (f"account {enrollment.account_uid} ({enrollment.status}) was also enrolled for this resource (by an "
            f"EnrollAccount that took effect after the provider had stopped waiting for it), and no stack manages "
            f"it. This `up` replaces account {replaced}, which this resource held before it was destroyed or "
            f"replaced; close account {enrollment.account_uid} in the Resource Directory console.")


def key_to_keep(wanted: EnrollmentKey, current: Enrollment | None, aliases: AbstractSet[str]) -> EnrollmentKey:
    """The key an update re-enrolls its account with: the settings part the account's key has when
    that key is this resource's in this stack (under an alias, or from before a rename of the stack
    or project: `Target.owns`), under the current `resource` part, since a replacement's generation
    links the account to the one it replaced and an update must not cut the chain (keyed settings
    never change in an update); otherwise `wanted`."""
    key = EnrollmentKey.parse(current.input_tags.get(ENROLLMENT_KEY_TAG)) if current is not None else None
    if key is None or not Target(wanted, str(wanted), frozenset(aliases)).owns(key):
        return wanted
    return EnrollmentKey(wanted.resource, wanted.stack, key.settings)


# --- what the journal says -----------------------------------------------------------------


def unsettled_until(attempts: Iterable[Attempt], now: float, windows: Windows) -> float | None:
    """When the latest unanswered EnrollAccount of a key can no longer turn up (wall clock), if
    that is still to come. An attempt whose process died before it saw the failure has no
    `until`: the longest is assumed."""
    until = max((a.until if a.until is not None else a.at + windows.unsettled
                 for a in attempts if a.unanswered), default=None)
    return until if until is not None and until > now else None


def last_look_needed(checked: bool, attempts: Iterable[Attempt]) -> bool:
    """Whether a create that has its account looks once more, to name any other account carrying
    its key: when an attempt of the key ever went unanswered (one may have taken effect after the
    provider stopped looking for it), or this run's account was not found by a look."""
    return not checked or any(a.unanswered for a in attempts)


# --- words -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wording:
    """What one create or update tells the user to do when it stops short: which custom timeout to
    lengthen, after how long it gave up, and which settings keep the next run on the same account."""

    operation: Operation
    waited: str  # the deadline, as the user spelt it (`Deadline.describe`)
    keyed_settings: str  # the settings that make up the settings half of the enrollment key

    def not_started(self, cause: BaseException | None = None, *,
                    waiting_for: str | None = None) -> EnrollmentNotStarted:
        """The deadline came before EnrollAccount was sent."""
        return EnrollmentNotStarted(self.waited, self.operation, cause, waiting_for=waiting_for)

    def timed_out(self, account_uid: int, last: Enrollment | None, cause: BaseException | None) -> EnrollmentTimeout:
        """The deadline came while the enrollment of `account_uid` was still running."""
        return EnrollmentTimeout(account_uid, self.waited, last, cause=cause, resume_hint=(
            f"Run `pulumi up` again to resume waiting on account {account_uid} (no second account is "
            f"created as long as {self.keyed_settings} stay as they are), or allow more time with "
            f"ResourceOptions(custom_timeouts=CustomTimeouts({self.operation}='120m'))."))

    def failed(self, account_uid: int, final: Enrollment) -> EnrollmentFailed:
        """The enrollment of `account_uid` ended in a failure status."""
        return EnrollmentFailed(final, retry_hint=(
            f"Run `pulumi up` again to retry: the provider resumes on account {account_uid} "
            f"(it enrolls that same account again, or keeps waiting) and never creates a second account, "
            f"as long as {self.keyed_settings} stay as they are."))


def _left_behind_warning(enrollment: Enrollment) -> str:
    return (
        f"account {enrollment.account_uid} ({enrollment.raw.get('DisplayName')!r}, {enrollment.status}) was "
        f"enrolled earlier for this resource with other new-account settings, so this `up` enrolls a new "
        f"account as the changed settings require. If this `up` replaces the resource, that is the account "
        f"being replaced. Otherwise it was left by an interrupted or failed run and no stack manages it: "
        f"adopt it with account_uid={enrollment.account_uid} (and the old settings removed), or close it "
        f"in the Resource Directory console."
    )


def _released_warning(enrollment: Enrollment) -> str:
    return (f"account {enrollment.account_uid} ({enrollment.status}) was enrolled for this resource before it "
            f"was destroyed or replaced, so this `up` enrolls a new account instead of adopting it. It "
            f"stays enrolled: adopt it with account_uid={enrollment.account_uid}, or close it in the "
            f"Resource Directory console if no stack needs it.")


def _older_release_warning(enrollment: Enrollment) -> str:
    return (f"account {enrollment.account_uid} ({enrollment.status}, {enrollment.raw.get('DisplayName')!r}) was "
            f"enrolled for a resource of this name by a release of this provider before 0.2, whose key does not "
            f"say which stack it belongs to, so it is not adopted. If it is this stack's (a `pulumi up` "
            f"interrupted before the upgrade), adopt it with account_uid={enrollment.account_uid}; otherwise "
            f"leave it to the stack that manages it.")


def adoption_warnings(found: Found, adopted: Enrollment) -> list[str]:
    """What a create says when the account it adopts was found by a key from before a stack or project
    rename, which cannot say which resource of the stack it was for."""
    if adopted.account_uid not in found.renamed:
        return []
    return [f"account {adopted.account_uid} carries this stack's identity and these new-account settings, under an "
            f"enrollment key written before keys outlived stack and project renames, which names the resource by "
            f"the stack and project names of that time: it is taken for this resource's (a `pulumi up` interrupted "
            f"before the stack or project was renamed) instead of enrolling a second account. If another resource "
            f"of this stack manages account {adopted.account_uid} (the same account_name_prefix, display_name and "
            f"folder_id), change this resource's account_name_prefix so that it gets an account of its own."]


def others_to_name(found: Found, replacement: bool) -> list[str]:
    """Warnings about the accounts of this resource a create does not adopt, so that none is left
    behind unnoticed. A replacement is asked for a new account while its stack still holds the one
    it replaces (its delete comes next, and says what becomes of it): it calls none left behind."""
    return [*([] if replacement else map(_left_behind_warning, found.left_behind)),
            *([] if replacement else map(_released_warning, found.released)),
            *map(_older_release_warning, found.older_release), *found.chain_warnings]


def duplicate_warnings(own: Iterable[Enrollment], kept: int) -> list[str]:
    """Warnings about the accounts other than `kept` that carry the resource's key and settings."""
    return [f"account {duplicate.account_uid} ({duplicate.status}) also carries this resource's enrollment key: it is "
            f"a second account enrolled for it (by an EnrollAccount that took effect after the provider had stopped "
            f"waiting for it), and no stack manages it. This resource keeps account {kept}; close account "
            f"{duplicate.account_uid} in the Resource Directory console."
            for duplicate in own if duplicate.account_uid != kept]


def _pending_text(until: float) -> str:
    return (f"an earlier EnrollAccount of this resource went unanswered and may still take effect or show up in the "
            f"listing until {time.strftime('%H:%M:%S', time.localtime(until))}")


# --- steps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adopt:
    """Resume on an account an earlier attempt of this resource enrolled, instead of enrolling another."""

    account: Enrollment
    warnings: tuple[str, ...]  # said before resuming on it


@dataclass(frozen=True)
class Look:
    """Look again for what an EnrollAccount may have enrolled, after a pause."""

    after: float
    give_up: Exception  # raised when the deadline comes before a look succeeds


@dataclass(frozen=True)
class Enroll:
    """Send EnrollAccount, after a pause (an unanswered one of an existing account is sent again)."""

    after: float = 0.0


@dataclass(frozen=True)
class Join:
    """Wait for the account's enrollment with these settings (running, or just sent) to finish."""

    status: str


@dataclass(frozen=True)
class WaitOut:
    """Wait for the account's running enrollment with other settings to end, then decide again."""

    status: str


@dataclass(frozen=True)
class Accept:
    """The account's enrollment already is what was asked for."""

    enrollment: Enrollment
    status: str


@dataclass(frozen=True)
class Fail:
    error: Exception


@dataclass(frozen=True)
class TooLate(Fail):
    """EnrollAccount would be next, but the deadline has passed: the run could not wait for it
    anyway, and a later run would have to find what it did. Nothing is sent."""


NewAccountStep = Union[Adopt, Look, Enroll, Fail]
AccountStep = Union[Join, WaitOut, Accept, Enroll, Fail]


def _enroll_in_time(remaining: float, wording: Wording) -> Enroll | TooLate:
    return Enroll() if remaining > 0 else TooLate(wording.not_started())


def next_for_new_account(own: Sequence[Enrollment], attempts: Iterable[Attempt], *, now: float,
                         unsure: AmbiguousCallError | None, looks: int, remaining: float,
                         wording: Wording, windows: Windows) -> NewAccountStep:
    """The next step of a create, once it has looked for what earlier attempts of its key enrolled.

    `own`: the accounts of this resource and settings the last look found, the one to resume
    first; `attempts`: the journal's EnrollAccount attempts of the key, at wall-clock time `now`;
    `unsure`: this run's last EnrollAccount went unanswered; `looks`: how often this run has
    looked again since; `remaining`: the seconds left before the deadline; `windows`: how long an
    unanswered attempt may still turn up.
    """
    if own:
        account = own[0]
        adopting = [] if unsure is not None else [
            f"adopting account {account.account_uid} ({account.status}), enrolled earlier for this resource with "
            f"these settings by a `pulumi up` that did not record it (interrupted, failed or timed out), "
            f"instead of enrolling a second account"]
        # A second one: only an attempt that took effect after the look-ups can have made it.
        return Adopt(account, (*adopting, *duplicate_warnings(own, account.account_uid)))
    pending = unsettled_until(attempts, now, windows)
    if pending is not None:
        # An attempt may still take effect, or be missing from the listing: look, never enroll.
        stop = EnrollmentUnconfirmed(unsure) if unsure is not None else wording.not_started(
            waiting_for=_pending_text(pending))
        pause = AMBIGUOUS_LOOKUP_PAUSES[min(looks, len(AMBIGUOUS_LOOKUP_PAUSES) - 1)]
        return Fail(stop) if remaining <= pause else Look(pause, stop)
    return _enroll_in_time(remaining, wording)


def next_for_account(request: EnrollRequest, current: Enrollment | None, *, answered: bool,
                     unsure: AmbiguousCallError | None, remaining: float, wording: Wording) -> AccountStep:
    """The next step in bringing an existing (or adopted) account to a Finished enrollment with
    `request`'s baseline settings.

    `current`: its enrollment as last read (None: not enrolled); `answered`: this run's
    EnrollAccount was answered; `unsure`: this run's last EnrollAccount went unanswered, and
    `current` was read after it; `remaining`: the seconds left before the deadline.
    """
    account_uid = request.account_uid
    if account_uid is None:
        raise ValueError("an existing account's request names the account")
    if answered:
        return Join(f"enrolling account {account_uid}")
    if unsure is not None:
        if current is not None and current.status not in FAILURE_STATUSES and current.applies(request):
            return Join(f"enrolling account {account_uid}")  # it took effect (running, or already done)
        # Not (yet) seen to take effect; a Failed one may be the last attempt. Sending it again
        # enrolls this same account, never a second one.
        pause = AMBIGUOUS_LOOKUP_PAUSES[0]
        return Fail(unsure) if remaining <= pause else Enroll(after=pause)
    if current is not None and current.in_progress:
        if current.applies(request):
            return Join(f"account {account_uid} is already enrolling with these settings; waiting for it")
        return WaitOut(f"account {account_uid} has another enrollment running; waiting for it before enrolling again")
    if current is not None and current.status == FINISHED and current.applies(request):
        return Accept(current, f"account {account_uid} is already enrolled with these settings")
    return _enroll_in_time(remaining, wording)
