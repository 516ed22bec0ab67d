"""The enroller's exactly-once decisions, as the pure functions of `enrollment_steps`.

No threads, HTTP or clock: each test states what the service shows, what the journal recorded,
what the run did so far and the time left, and checks the step that comes next. The enroller
that carries the steps out is covered by test_enrollment_units.py and the provider and
reliability suites.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alicloud_account_factory.core.exactly_once import AMBIGUOUS_LOOKUP_PAUSES, LISTING_LAG_SECONDS, Windows
from alicloud_account_factory.accounts.enrollment_steps import (
    WITHIN_STACK,
    Accept,
    AccountStep,
    Adopt,
    ChainEnd,
    Enroll,
    EnrollmentKey,
    Fail,
    Found,
    Join,
    Look,
    NewAccountStep,
    Target,
    TooLate,
    WaitOut,
    Wording,
    adoption_warnings,
    candidates,
    follow_chain,
    key_to_keep,
    last_look_needed,
    lineage,
    next_for_account,
    next_for_new_account,
    others_to_name,
    resource_digest,
    resource_names,
    sort_found,
    unsettled_until,
    urn_path,
    whole_urn_digest,
)
from alicloud_account_factory.accounts.errors import (
    EnrollmentFailed,
    EnrollmentNotStarted,
    EnrollmentTimeout,
    EnrollmentUnconfirmed,
)
from alicloud_account_factory.core.errors import AmbiguousCallError, UnansweredCallError
from alicloud_account_factory.accounts.fields import replacement_generation
from alicloud_account_factory.core.journal import ANSWERED, REFUSED, SENT, Attempt
from alicloud_account_factory.accounts.model import (
    ENROLLMENT_KEY_TAG,
    BaselineItem,
    Enrollment,
    EnrolledSummary,
    EnrollRequest,
    canonical_json,
)

URN = "urn:pulumi:dev::p::t::acct"
KEY = EnrollmentKey.derive(URN, "stack-identity", {"display_name": "Team A"})
OTHER_SETTINGS = EnrollmentKey(KEY.resource, KEY.stack, "0" * 16)
OTHER_STACK = EnrollmentKey(KEY.resource, "1" * 16, KEY.settings)
OLDER_RELEASE = EnrollmentKey(KEY.resource, None, KEY.settings)
ALIAS = EnrollmentKey(WITHIN_STACK + "2" * 16, KEY.stack, KEY.settings)
OTHER_RESOURCE = EnrollmentKey(WITHIN_STACK + "3" * 16, KEY.stack, KEY.settings)
#: This stack's key of a resource as builds before rename-proof keys wrote it: the `resource` part
#: hashes a whole URN, whose stack and project names may be gone since.
WHOLE_URN = EnrollmentKey("4" * 16, KEY.stack, KEY.settings)
NEW = EnrollRequest(account_name_prefix="team-a", display_name="Team A", tags={ENROLLMENT_KEY_TAG: str(KEY)})
TARGET = Target.of(NEW, frozenset({ALIAS.resource}))
VPC = BaselineItem("ACS-BP_ACCOUNT_FACTORY_VPC", canonical_json({"cidr": "10.0.0.0/8"}), False, "1.0")
UID = 1431653632361234
EXISTING = EnrollRequest(account_uid=UID, baseline_items=(VPC,))
WORDING = Wording("update", "90m", "display_name and folder_id")
NOW = 1_800_000_000.0
WINDOWS = Windows()  # the default read timeout, 30 s
LOST = AmbiguousCallError("EnrollAccount", "ServiceUnavailable", "try later", status_code=503, retryable=True)
TIMED_OUT = UnansweredCallError("EnrollAccount", "ConnectionFailure", "read timed out", retryable=True)
STATUSES = ("Pending", "Running", "Scheduling", "Finished", "Failed", "ScheduleFailed")


def account(uid: int = UID, status: str = "Running", key: EnrollmentKey | None = KEY, *, created: str = "2026-11-24T10:00Z",
            items: tuple[BaselineItem, ...] = (), folder: str | None = None) -> Enrollment:
    tags = [{"Key": ENROLLMENT_KEY_TAG, "Value": str(key)}] if key is not None else []
    return Enrollment.from_api({
        "AccountUid": uid, "Status": status, "DisplayName": "Team A", "CreateTime": created, "FolderId": folder,
        "Inputs": {"Tag": tags, "BaselineItems": [{"Name": i.name, "Config": i.config, "Skip": i.skip,
                                                   "Version": i.version} for i in items]}})


def unanswered(at: float = NOW - 1, until: float | None = NOW + 30) -> Attempt:
    return Attempt(id="a1", at=at, state=SENT, until=until)


def new_account_step(own: tuple[Enrollment, ...] = (), attempts: tuple[Attempt, ...] = (), *,
                     unsure: AmbiguousCallError | None = None, looks: int = 0,
                     remaining: float = 600.0) -> NewAccountStep:
    return next_for_new_account(own, attempts, now=NOW, unsure=unsure, looks=looks, remaining=remaining,
                                wording=WORDING, windows=WINDOWS)


def account_step(current: Enrollment | None, *, answered: bool = False, unsure: AmbiguousCallError | None = None,
                 remaining: float = 600.0, request: EnrollRequest = EXISTING) -> AccountStep:
    return next_for_account(request, current, answered=answered, unsure=unsure, remaining=remaining,
                            wording=WORDING)


# --- a create: never enroll while an earlier attempt may still turn up -----------------------


def test_an_unsettled_unanswered_attempt_means_look_again_not_enroll() -> None:
    step = new_account_step(attempts=(unanswered(),))
    assert isinstance(step, Look) and step.after == AMBIGUOUS_LOOKUP_PAUSES[0]
    assert isinstance(step.give_up, EnrollmentNotStarted)
    assert "may still take effect or show up in the listing until" in str(step.give_up)


def test_an_attempt_whose_process_died_before_its_answer_is_unsettled_for_the_longest_time() -> None:
    died = Attempt(id="a1", at=NOW - WINDOWS.unsettled + 5, state=SENT)  # no `until`: never saw its failure
    assert isinstance(new_account_step(attempts=(died,)), Look)
    assert unsettled_until([died], NOW, WINDOWS) == died.at + WINDOWS.unsettled
    long_gone = Attempt(id="a1", at=NOW - WINDOWS.unsettled - 5, state=SENT)
    assert isinstance(new_account_step(attempts=(long_gone,)), Enroll)


def test_settled_attempts_and_past_ones_do_not_hold_a_create_back() -> None:
    settled = (Attempt("a1", NOW - 5, ANSWERED, account_uid=UID), Attempt("a2", NOW - 3, REFUSED),
               unanswered(until=NOW - 1))
    assert unsettled_until(settled, NOW, WINDOWS) is None
    assert new_account_step(attempts=settled) == Enroll()


def test_the_look_after_an_unanswered_enroll_gives_up_as_unconfirmed_and_pauses_longer_each_time() -> None:
    pauses = []
    for looks in range(6):
        step = new_account_step(attempts=(unanswered(),), unsure=LOST, looks=looks)
        assert isinstance(step, Look) and isinstance(step.give_up, EnrollmentUnconfirmed)
        pauses.append(step.after)
    assert pauses == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_no_time_for_the_pause_before_a_look_fails_instead_of_enrolling() -> None:
    step = new_account_step(attempts=(unanswered(),), unsure=LOST, looks=1, remaining=AMBIGUOUS_LOOKUP_PAUSES[1])
    assert isinstance(step, Fail) and not isinstance(step, TooLate)
    assert isinstance(step.error, EnrollmentUnconfirmed) and step.error.cause is LOST


def test_an_expired_deadline_never_enrolls_a_new_account() -> None:
    for remaining in (0.0, -3.0):
        step = new_account_step(remaining=remaining)
        assert isinstance(step, TooLate) and isinstance(step.error, EnrollmentNotStarted)
        assert "no time was left" in str(step.error) and "CustomTimeouts(update='120m')" in str(step.error)
    assert new_account_step(remaining=0.01) == Enroll()


@given(st.lists(st.tuples(st.floats(-200, 200), st.one_of(st.none(), st.floats(-200, 200)),
                          st.sampled_from([SENT, ANSWERED, REFUSED])), max_size=5),
       st.booleans(), st.integers(0, 10), st.floats(-10, 4000))
def test_a_create_enrolls_only_when_nothing_was_found_and_no_attempt_is_unsettled(
        recorded: list[tuple[float, float | None, str]], was_unsure: bool, looks: int, remaining: float) -> None:
    attempts = tuple(Attempt(f"a{i}", NOW + at, state, until=None if until is None else NOW + until)
                     for i, (at, until, state) in enumerate(recorded))
    step = new_account_step(attempts=attempts, unsure=LOST if was_unsure else None, looks=looks, remaining=remaining)
    if isinstance(step, Enroll):
        assert remaining > 0 and step.after == 0
        assert all(not a.unanswered or (a.until if a.until is not None else a.at + WINDOWS.unsettled) <= NOW
                   for a in attempts)
    elif isinstance(step, Look):
        assert step.after < remaining


# --- a create: which accounts are its own ------------------------------------------------


def test_a_found_own_account_is_adopted_running_first_then_finished_then_newest() -> None:
    older_failed = account(1, "Failed", created="2026-11-20T10:00Z")
    newer_failed = account(2, "Failed", created="2026-11-24T10:00Z")
    finished = account(3, "Finished", created="2026-11-01T10:00Z")
    running = account(4, "Running", created="2026-10-01T10:00Z")
    assert sort_found(TARGET, NEW, [older_failed, newer_failed], set()).own == (newer_failed, older_failed)
    assert sort_found(TARGET, NEW, [older_failed, finished, newer_failed], set()).own[0] == finished
    found = sort_found(TARGET, NEW, [older_failed, finished, running, newer_failed], set())
    assert found.own == (running, finished, newer_failed, older_failed)
    step = new_account_step(found.own)
    assert isinstance(step, Adopt) and step.account == running
    assert step.warnings[0].startswith(f"adopting account {running.account_uid} (Running), enrolled earlier")
    assert [w.split(" (")[0] for w in step.warnings[1:]] == ["account 3", "account 2", "account 1"]
    assert all(f"This resource keeps account {running.account_uid}" in w for w in step.warnings[1:])


def test_an_account_found_after_this_runs_unanswered_enroll_is_adopted_without_calling_it_unrecorded() -> None:
    step = new_account_step((account(),), (unanswered(),), unsure=LOST, remaining=0)
    assert step == Adopt(account(), ())  # found: adopted even with the deadline gone (it only waits)


def test_released_left_behind_other_stack_and_older_release_accounts_are_never_adopted() -> None:
    left_behind = account(1, key=OTHER_SETTINGS)
    other_stack = account(2, key=OTHER_STACK)
    older = account(3, key=OLDER_RELEASE)
    released = account(4)
    other_resource = account(5, key=OTHER_RESOURCE)
    untagged = account(6, key=None)
    found = sort_found(TARGET, NEW, [left_behind, other_stack, older, released, other_resource, untagged], {4})
    assert found == Found(own=(), left_behind=(left_behind,), released=(released,), older_release=(older,))
    assert isinstance(new_account_step(found.own), Enroll)


def test_an_alias_names_the_same_resource_and_a_moved_folder_is_not_what_the_settings_describe() -> None:
    by_alias = account(1, key=ALIAS)
    assert sort_found(TARGET, NEW, [by_alias], set()).own == (by_alias,)
    in_folder = EnrollRequest(display_name="Team A", folder_id="fd-1", tags=NEW.tags)
    moved, kept, unknown = account(2, folder="fd-2"), account(3, folder="fd-1"), account(4)
    assert sort_found(TARGET, in_folder, [moved, kept, unknown], set()).own == (kept, unknown)


def test_the_resource_part_survives_a_stack_or_project_rename_and_tells_resources_apart() -> None:
    renamed = "urn:pulumi:prod::other-project::t::acct"
    assert urn_path(URN) == urn_path(renamed) == "t::acct"
    assert resource_digest(URN, "stack-identity") == resource_digest(renamed, "stack-identity") == KEY.resource
    assert KEY.resource.startswith(WITHIN_STACK) and KEY == EnrollmentKey.derive(renamed, "stack-identity",
                                                                                 {"display_name": "Team A"})
    assert resource_digest("urn:pulumi:dev::p::t::other", "stack-identity") != KEY.resource  # another name
    assert resource_digest("urn:pulumi:dev::p::t$u::acct", "stack-identity") != KEY.resource  # another parent type
    # Without a stack identity nothing else tells stacks apart: the whole URN, as earlier builds hashed it.
    assert resource_digest(URN, None) == whole_urn_digest(URN) != whole_urn_digest(renamed)
    assert resource_names([URN], "stack-identity") == {KEY.resource, whole_urn_digest(URN)}


def test_a_key_from_before_a_rename_counts_only_in_this_stack_with_these_settings_after_named_ones() -> None:
    before_rename = account(1, "Finished", WHOLE_URN)
    named = account(2, "Failed")
    found = sort_found(TARGET, NEW, [before_rename, named], set())
    assert found.own == (named, before_rename) and found.renamed == {1}  # the one the resource is named by first
    alone = sort_found(TARGET, NEW, [before_rename], set())
    assert alone.own == (before_rename,) and adoption_warnings(alone, before_rename)[0].startswith(
        "account 1 carries this stack's identity and these new-account settings")
    assert adoption_warnings(found, named) == []
    # With other settings it may be another resource's: neither adopted nor named as left behind.
    other_settings = account(3, key=EnrollmentKey(WHOLE_URN.resource, KEY.stack, "0" * 16))
    other_stack = account(4, key=EnrollmentKey(WHOLE_URN.resource, "1" * 16, KEY.settings))
    assert sort_found(TARGET, NEW, [other_settings, other_stack], set()) == Found((), (), (), ())
    # A key written now (another resource's, whatever its settings) never counts, nor does any key
    # when the target itself has no stack identity (its `resource` part then hashes the whole URN).
    assert sort_found(TARGET, NEW, [account(5, key=OTHER_RESOURCE)], set()).own == ()
    no_identity = EnrollmentKey.derive(URN, None, {"display_name": "Team A"})
    stackless = Target(no_identity, str(no_identity), frozenset())
    assert sort_found(stackless, NEW, [account(6, key=EnrollmentKey("4" * 16, no_identity.stack, no_identity.settings))],
                      set()).own == ()


def test_the_journal_is_read_under_every_name_of_the_resource() -> None:
    target = Target(KEY, str(KEY), resource_names([URN], "stack-identity"))
    assert target.journal_keys == (str(KEY), str(EnrollmentKey(whole_urn_digest(URN), KEY.stack, KEY.settings)))


def test_a_replacement_create_never_calls_accounts_left_behind() -> None:
    found = Found(own=(), left_behind=(account(1, key=OTHER_SETTINGS),), released=(account(2),),
                  older_release=(account(3, key=OLDER_RELEASE),))
    named = others_to_name(found, replacement=False)
    assert [w.split(" (")[0] for w in named] == ["account 1", "account 2", "account 3"]
    assert "enrolled earlier for this resource with other new-account settings" in named[0]
    assert "before it was destroyed or replaced" in named[1]
    replacing = others_to_name(found, replacement=True)
    assert replacing == [named[2]]  # the older release's is no claim about this stack's accounts: still named


def test_a_look_reads_the_accounts_named_like_the_resource_or_not_yet_named_and_those_answered() -> None:
    rows = [EnrolledSummary(30, "Team A", None, "Running", None), EnrolledSummary(10, None, None, "Running", None),
            EnrolledSummary(20, "", None, "Running", None), EnrolledSummary(40, "Team B", None, "Running", None)]
    attempts = [Attempt("a1", NOW, ANSWERED, account_uid=50), Attempt("a2", NOW, SENT), Attempt("a3", NOW, REFUSED)]
    assert candidates(attempts, rows, "Team A") == [10, 20, 30, 50]


# --- a create with no replaced account known: the chain of replacements in the keys ----------


def key_replacing(replaced: int | None) -> EnrollmentKey:
    """This resource's key when it replaces `replaced` (None: the base key, KEY)."""
    return EnrollmentKey.derive(URN, "stack-identity", {"display_name": "Team A"},
                                0 if replaced is None else replacement_generation(replaced))


def chain_of(*accounts: Enrollment, released: frozenset[int] = frozenset(), listed: tuple[int, ...] = ()) -> ChainEnd:
    """Where a create stands among these accounts, which its look read (and `listed`: only listed)."""
    seen = {a.account_uid for a in accounts} | set(listed)
    return follow_chain(TARGET, accounts, lineage(key_replacing, seen), released)


def test_an_account_with_the_base_key_and_no_chain_is_its_own_head() -> None:
    a = account(1, "Finished")
    end = chain_of(a)
    assert (end.head, end.replaces, end.superseded, end.warnings) == (a, None, frozenset(), ())
    assert chain_of().head is None and chain_of().replaces is None  # nothing yet: the base key


def test_the_head_is_the_account_no_other_replaced_and_a_create_resumes_it() -> None:
    a = account(1, "Finished", created="2026-01-01")
    b = account(2, "Finished", key_replacing(1), created="2026-02-01")
    c = account(3, "Failed", key_replacing(2), created="2026-03-01")  # a failed replacement of b, retried
    end = chain_of(a, b, c)
    assert end.head == c and end.superseded == {1, 2} and end.replaces == 2
    assert key_replacing(end.replaces) == key_replacing(2)  # the head's own key: adopted as an own account
    # The superseded ones are neither own nor left behind: they were replaced, their deletes said so.
    target = Target(key_replacing(2), str(key_replacing(2)), TARGET.aliases)
    found = sort_found(target, NEW, [a, b, c], set(), end)
    assert found == Found(own=(c,), left_behind=(), released=(), older_release=())


def test_a_head_that_replaced_an_account_of_other_settings_is_found_by_that_accounts_listing_row() -> None:
    # Retained X (other settings, another display name: not read, only listed) was replaced by c, which failed.
    c = account(3, "Failed", key_replacing(9))
    end = chain_of(c, listed=(9,))
    assert end.head == c and end.replaces == 9 and end.superseded == {9}
    assert chain_of(c).head is None  # without the row the chain is not seen


def test_a_head_released_on_this_machine_is_replaced_by_the_create() -> None:
    a = account(1, "Finished")
    b = account(2, "Finished", key_replacing(1))
    end = chain_of(a, b, released=frozenset({1, 2}))
    assert end.head == b and end.replaces == 2  # key: replacement_generation(b)
    target = Target(key_replacing(2), str(key_replacing(2)), TARGET.aliases)
    found = sort_found(target, NEW, [a, b], {1, 2}, end)
    assert found == Found(own=(), left_behind=(), released=(b,), older_release=())
    assert chain_of(a, released=frozenset({1})).replaces == 1  # removed and added again


def test_several_heads_prefer_running_then_finished_then_newest_and_the_others_are_named() -> None:
    a = account(1, "Finished")
    b = account(2, "Finished", key_replacing(1), created="2026-02-01")
    stray = account(3, "Failed", key_replacing(1), created="2026-03-01")  # its duplicate: same key as b
    other_branch = account(4, "Finished", created="2026-01-15")  # a second base account, replaced by nothing
    end = chain_of(a, b, stray, other_branch)
    assert end.head == b and end.superseded == {1}
    assert [w.split(" (")[0] for w in end.warnings] == ["account 4"]  # b's duplicate 3: named when b is adopted
    running = account(5, "Running", key_replacing(2), created="2026-01-01")
    assert chain_of(a, b, running, other_branch).head == running
    released = chain_of(a, b, stray, other_branch, released=frozenset({2}))
    assert released.replaces == 2 and [w.split(" (")[0] for w in released.warnings] == ["account 4", "account 3"]
    assert all("replaces account 2" in w for w in released.warnings)


def test_the_chain_is_this_resources_in_this_stack_under_its_current_settings() -> None:
    other_stack = account(1, key=OTHER_STACK)
    other_settings = account(2, key=OTHER_SETTINGS)
    by_alias = account(3, key=EnrollmentKey(ALIAS.resource, KEY.stack, key_replacing(None).settings))
    end = chain_of(other_stack, other_settings, by_alias)
    assert end.head == by_alias and end.replaces is None


def test_an_update_keeps_the_generation_its_account_carries_under_the_current_urn() -> None:
    replaced_one = key_replacing(7)
    carried = EnrollmentKey(ALIAS.resource, KEY.stack, replaced_one.settings)  # written before a rename
    assert key_to_keep(KEY, account(1, key=carried), {ALIAS.resource}) == replaced_one
    assert key_to_keep(KEY, account(1, key=OTHER_STACK), set()) == KEY
    before_rename = EnrollmentKey(WHOLE_URN.resource, KEY.stack, replaced_one.settings)  # the stack renamed since
    assert key_to_keep(KEY, account(1, key=before_rename), set()) == replaced_one
    assert key_to_keep(KEY, account(1, key=OLDER_RELEASE), set()) == KEY
    assert key_to_keep(KEY, account(1, key=None), set()) == KEY
    assert key_to_keep(KEY, None, set()) == KEY


# --- a create: what the journal keeps and when to look last ----------------------------------


def test_an_unanswered_enroll_stays_unsettled_while_it_may_still_take_effect_and_be_listed() -> None:
    sent_at = NOW - 10
    assert WINDOWS.unanswered_until(TIMED_OUT, sent_at, NOW) == sent_at + WINDOWS.in_flight + LISTING_LAG_SECONDS
    assert WINDOWS.unanswered_until(LOST, sent_at, NOW) == NOW + LISTING_LAG_SECONDS  # answered with a 503: done by now
    long_ago = NOW - 10 * WINDOWS.in_flight
    assert WINDOWS.unanswered_until(TIMED_OUT, long_ago, NOW) == NOW + LISTING_LAG_SECONDS


def test_the_windows_follow_the_read_timeout() -> None:
    """In flight for twice the read timeout, then the listing's lag: 60 + 15 s by default; a shorter
    read timeout (a gateway known to give up sooner) shortens the in-flight part in proportion."""
    assert (WINDOWS.read_timeout, WINDOWS.in_flight, WINDOWS.unsettled) == (30.0, 60.0, 75.0)
    short = Windows(read_timeout=6.0)
    assert (short.in_flight, short.unsettled) == (12.0, 12.0 + LISTING_LAG_SECONDS)
    sent_at = NOW - 10
    assert short.unanswered_until(TIMED_OUT, sent_at, NOW) == sent_at + 12.0 + LISTING_LAG_SECONDS
    assert short.unanswered_until(LOST, sent_at, NOW) == NOW + LISTING_LAG_SECONDS
    died = (Attempt(id="a1", at=NOW - 20, state=SENT),)  # its process never saw the failure
    assert isinstance(next_for_new_account((), died, now=NOW, unsure=None, looks=0, remaining=600.0,
                                           wording=WORDING, windows=short), Look)
    gone = (Attempt(id="a1", at=NOW - 28, state=SENT),)
    assert next_for_new_account((), gone, now=NOW, unsure=None, looks=0, remaining=600.0, wording=WORDING,
                                windows=short) == Enroll()


def test_a_create_looks_last_when_its_account_was_not_found_or_an_attempt_went_unanswered() -> None:
    assert not last_look_needed(True, [Attempt("a1", NOW, ANSWERED, account_uid=UID)])
    assert last_look_needed(False, [])
    assert last_look_needed(True, [unanswered()])


def test_a_create_needs_its_enrollment_key() -> None:
    with pytest.raises(ValueError, match="enrollment key"):
        Target.of(EnrollRequest(display_name="Team A"), frozenset())
    with pytest.raises(ValueError, match="enrollment key"):
        Target.of(EnrollRequest(account_uid=UID, tags=NEW.tags), frozenset())


# --- an existing (or adopted) account ------------------------------------------------------


def test_converge_waits_for_a_running_enrollment_with_other_settings_before_enrolling() -> None:
    for status in ("Pending", "Running", "Scheduling"):
        step = account_step(account(status=status, items=()))
        assert step == WaitOut(f"account {UID} has another enrollment running; waiting for it before enrolling again")


def test_converge_joins_a_running_enrollment_with_the_same_settings() -> None:
    step = account_step(account(status="Running", items=(VPC,)))
    assert step == Join(f"account {UID} is already enrolling with these settings; waiting for it")


def test_converge_accepts_a_finished_enrollment_with_the_same_settings() -> None:
    finished = account(status="Finished", items=(VPC,))
    assert account_step(finished) == Accept(finished, f"account {UID} is already enrolled with these settings")
    assert account_step(finished, remaining=-1) == Accept(finished, f"account {UID} is already enrolled with these settings")


def test_converge_enrolls_an_account_not_enrolled_failed_or_finished_with_other_settings() -> None:
    for current in (None, account(status="Failed", items=(VPC,)), account(status="ScheduleFailed", items=(VPC,)),
                    account(status="Finished", items=())):
        assert account_step(current) == Enroll()


def test_an_expired_deadline_never_enrolls_an_existing_account() -> None:
    step = account_step(None, remaining=0)
    assert isinstance(step, TooLate) and isinstance(step.error, EnrollmentNotStarted)
    assert "CustomTimeouts(update='120m')" in str(step.error)


def test_after_its_enroll_was_answered_converge_waits_for_it() -> None:
    assert account_step(None, answered=True) == Join(f"enrolling account {UID}")


def test_after_an_unanswered_enroll_converge_joins_it_if_it_took_effect_else_sends_it_again_after_a_pause() -> None:
    took_effect = [account(status=s, items=(VPC,)) for s in ("Running", "Finished", "Pending")]
    for current in took_effect:
        assert account_step(current, unsure=LOST) == Join(f"enrolling account {UID}")
    for not_yet in (None, account(status="Failed", items=(VPC,)), account(status="Running", items=())):
        assert account_step(not_yet, unsure=LOST) == Enroll(after=AMBIGUOUS_LOOKUP_PAUSES[0])
    step = account_step(None, unsure=LOST, remaining=AMBIGUOUS_LOOKUP_PAUSES[0])
    assert step == Fail(LOST)


def test_an_existing_accounts_request_names_it() -> None:
    with pytest.raises(ValueError, match="names the account"):
        account_step(None, request=NEW)


@given(st.one_of(st.none(), st.sampled_from(STATUSES)), st.booleans(), st.booleans(), st.floats(-100, 0))
def test_no_time_left_never_sends_enroll_account_for_an_existing_account(
        status: str | None, same_settings: bool, was_unsure: bool, remaining: float) -> None:
    current = None if status is None else account(status=status, items=(VPC,) if same_settings else ())
    assert not isinstance(account_step(current, unsure=LOST if was_unsure else None, remaining=remaining), Enroll)


# --- what the errors say -------------------------------------------------------------------


def test_the_wording_names_the_operations_timeout_and_the_settings_that_keep_the_account() -> None:
    create = Wording("create", "0.5s", "display_name and folder_id")
    not_started = create.not_started(waiting_for="an earlier EnrollAccount went unanswered")
    assert str(not_started).startswith("timed out after 0.5s before EnrollAccount was sent: the provider was still "
                                       "looking for what an earlier attempt of this resource may have enrolled.")
    assert "CustomTimeouts(create='120m')" in str(not_started)
    timed_out = WORDING.timed_out(UID, account(), None)
    assert isinstance(timed_out, EnrollmentTimeout) and str(timed_out).endswith(
        f"Run `pulumi up` again to resume waiting on account {UID} (no second account is created as long as "
        f"display_name and folder_id stay as they are), or allow more time with "
        f"ResourceOptions(custom_timeouts=CustomTimeouts(update='120m')).")
    failed = WORDING.failed(UID, account(status="Failed"))
    assert isinstance(failed, EnrollmentFailed) and str(failed).endswith(
        f"Run `pulumi up` again to retry: the provider resumes on account {UID} (it enrolls that same account "
        f"again, or keeps waiting) and never creates a second account, as long as display_name and folder_id "
        f"stay as they are.")


def test_a_look_that_waits_for_an_earlier_attempt_says_until_when() -> None:
    until = NOW + 42
    step = new_account_step(attempts=(unanswered(until=until),))
    assert isinstance(step, Look)
    assert time.strftime("%H:%M:%S", time.localtime(until)) in str(step.give_up)
