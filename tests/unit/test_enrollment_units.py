"""The enroller's exactly-once decisions, against an in-memory Account Factory.

The provider tests run the same code against the emulator through the real provider server;
these reach the cases the emulator cannot produce on demand: a listing that fails for longer
than a sweep may take right after an unanswered EnrollAccount, two accounts already carrying a
resource's key, a stale read.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any

import pytest

from alicloud_account_factory.accounts.client import GovernanceClient
from alicloud_account_factory.core.transport import Backoff
from alicloud_account_factory.accounts.enrollment import Enroller, EnrollmentKey
from alicloud_account_factory.core.exactly_once import AMBIGUOUS_LOOKUP_PAUSES
from alicloud_account_factory.accounts.errors import EnrollmentUnconfirmed
from alicloud_account_factory.core.errors import AmbiguousCallError, ApiError
from alicloud_account_factory.accounts.model import ENROLLMENT_KEY_TAG, Enrollment, EnrolledSummary, EnrollRequest
from alicloud_account_factory.core.settings import Credentials, Endpoint, ProviderSettings
from alicloud_account_factory.core.timeouts import Deadline

KEY = EnrollmentKey.derive("urn:pulumi:dev::p::t::acct", "stack-identity", {"display_name": "Team A"})
REQUEST = EnrollRequest(account_name_prefix="team-a", display_name="Team A", tags={ENROLLMENT_KEY_TAG: str(KEY)})
UID = 1431653632361234
OUTAGE = ApiError("ListEnrolledAccounts", "ServiceUnavailable", "try later", status_code=503, retryable=True)


def enrollment(uid: int, status: str = "Running", key: EnrollmentKey = KEY, created: str = "2026-11-24T10:00:00Z") -> Enrollment:
    return Enrollment.from_api({"AccountUid": uid, "Status": status, "DisplayName": "Team A", "CreateTime": created,
                                "Inputs": {"Tag": [{"Key": ENROLLMENT_KEY_TAG, "Value": str(key)}]}})


@dataclass
class FakeFactory:
    """EnrollAccount that creates the account and then loses the answer; a listing that may fail."""

    accounts: dict[int, Enrollment] = field(default_factory=dict)
    listing_failures: int = 0
    enroll_calls: int = 0
    warnings: list[str] = field(default_factory=list)

    def enroll(self, request: EnrollRequest, deadline: Deadline, observer: object = None) -> int:
        self.enroll_calls += 1
        self.accounts[UID] = enrollment(UID)
        raise AmbiguousCallError("EnrollAccount", "ConnectionFailure", "the answer was lost", retryable=True)

    def get(self, account_uid: int, deadline: Deadline) -> Enrollment | None:
        return self.accounts.get(account_uid)

    def list_enrolled(self, deadline: Deadline, *, max_age: float | None = None) -> list[EnrolledSummary]:
        if self.listing_failures:
            self.listing_failures -= 1
            raise OUTAGE
        return [EnrolledSummary(uid, "Team A", None, e.status, None) for uid, e in self.accounts.items()]

    # the waiter and the progress reporter
    def wait(self, account_uid: int, deadline: Deadline, on_change: Any) -> Enrollment:
        return enrollment(account_uid, "Finished")

    def status(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@dataclass
class NothingEnrolled(FakeFactory):
    """EnrollAccount whose answer is lost before it took effect: no account ever turns up."""

    def enroll(self, request: EnrollRequest, deadline: Deadline, observer: object = None) -> int:
        self.enroll_calls += 1
        raise AmbiguousCallError("EnrollAccount", "ConnectionFailure", "lost", retryable=True)


@dataclass(frozen=True)
class Steady(Backoff):
    """The same pause before every retry, so that a test can tell the enroller's backoff was used."""

    def delay(self, attempt: int) -> float:
        return 7.0


def enroller(factory: FakeFactory) -> Enroller:
    return Enroller(factory, factory, factory.list_enrolled, sleep=lambda seconds: None)


def test_a_listing_outage_after_an_unanswered_enroll_is_ridden_out_not_a_failure() -> None:
    factory = FakeFactory(listing_failures=0)
    first_look = factory.list_enrolled
    looks = iter([False, True, True, True])  # the look before enrolling works; the next three fail

    def listing(deadline: Deadline, *, max_age: float | None = None) -> list[EnrolledSummary]:
        if next(looks, False):
            raise OUTAGE
        return first_look(deadline)

    pauses: list[float] = []
    result = Enroller(factory, factory, listing, sleep=pauses.append, backoff=Steady()).create_new(
        REQUEST, Deadline.after(60), factory)
    assert result.account_uid == UID and factory.enroll_calls == 1
    assert pauses == [AMBIGUOUS_LOOKUP_PAUSES[0], 7.0, 7.0, 7.0]  # the look after the unanswered call, its outage


def test_an_unanswered_enroll_with_the_deadline_gone_says_the_next_up_looks_first() -> None:
    factory = NothingEnrolled()
    with pytest.raises(EnrollmentUnconfirmed, match="looks for the account first"):
        Enroller(factory, factory, factory.list_enrolled).create_new(REQUEST, Deadline.after(2.0), factory)
    assert factory.enroll_calls == 1


def test_a_second_account_with_the_same_key_is_named_and_the_running_one_resumed() -> None:
    factory = FakeFactory()
    factory.accounts = {UID: enrollment(UID, "Finished"), UID + 1: enrollment(UID + 1, "Running")}
    result = enroller(factory).create_new(REQUEST, Deadline.after(60), factory)
    assert result.account_uid == UID + 1 and factory.enroll_calls == 0  # the running one is resumed
    assert any(f"account {UID} (Finished) also carries this resource's enrollment key" in w for w in factory.warnings)


def test_an_account_of_the_same_resource_with_other_settings_is_named_not_adopted() -> None:
    factory = FakeFactory()
    other = EnrollmentKey(KEY.resource, KEY.stack, "0" * 16)
    factory.accounts = {UID + 5: enrollment(UID + 5, "Failed", key=other)}
    enroller(factory).create_new(REQUEST, Deadline.after(60), factory)
    assert factory.enroll_calls == 1  # a new account: the settings changed
    assert any(f"account_uid={UID + 5}" in w for w in factory.warnings)


def test_the_key_separates_the_resource_from_its_settings() -> None:
    same = EnrollmentKey.derive("urn:pulumi:dev::p::t::acct", "stack-identity", {"display_name": "Team B"})
    assert same.resource == KEY.resource and same.stack == KEY.stack and same.settings != KEY.settings
    elsewhere = EnrollmentKey.derive("urn:pulumi:dev::p::t::acct", "another-stack", {"display_name": "Team A"})
    assert elsewhere.resource == KEY.resource and elsewhere.stack != KEY.stack
    replaced = EnrollmentKey.derive("urn:pulumi:dev::p::t::acct", "stack-identity", {"display_name": "Team A"}, 3)
    assert replaced.settings != KEY.settings
    assert EnrollmentKey.parse(str(KEY)) == KEY
    assert EnrollmentKey.parse("0123456789abcdef.0123456789abcdef") == EnrollmentKey("0123456789abcdef", None,
                                                                                      "0123456789abcdef")  # before 0.2
    assert EnrollmentKey.parse("0123456789abcdef0123456789abcdef") is None  # not a key of this format


# --- the client's reading of failures ------------------------------------------------------


def client_for(endpoint: str) -> GovernanceClient:
    settings = ProviderSettings("cn-hangzhou", Endpoint.parse(endpoint), Credentials("LTAI5tUnitTestKey", "unit-secret"))
    return GovernanceClient(settings, "cn-hangzhou")


def test_a_connection_that_was_never_made_is_a_refusal_not_an_unknown_outcome() -> None:
    """Connection refused: EnrollAccount never left, so it may be sent again at once (no look-up)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens there
    client = client_for(f"http://127.0.0.1:{port}")
    with pytest.raises(ApiError) as refused:
        client.enroll(REQUEST, Deadline.after(0.3))
    assert not isinstance(refused.value, AmbiguousCallError) and refused.value.retryable
    assert "could not connect" in str(refused.value)


def test_a_connection_dropped_after_sending_is_an_unknown_outcome() -> None:
    """The server took the request and closed the connection: it may have been carried out."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = client_for(f"http://127.0.0.1:{server.getsockname()[1]}")
        import threading

        def drop_one() -> None:
            conn, _ = server.accept()
            conn.recv(65536)
            conn.close()

        dropper = threading.Thread(target=drop_one, daemon=True)
        dropper.start()
        with pytest.raises(AmbiguousCallError):
            client.enroll(REQUEST, Deadline.after(5))
        dropper.join(5)


def _items(*phase: tuple[str, str, bool]) -> Enrollment:
    """An enrollment Running through these (item, status, skipped) rows."""
    return Enrollment.from_api({"AccountUid": UID, "Status": "Running",
                                "Progress": [{"Name": name, "Status": status} for name, status, _skip in phase],
                                "BaselineItems": [{"Name": name, "Skip": skip} for name, _status, skip in phase]})


@pytest.mark.parametrize(("phase", "line"), [
    # The last item skipped: the count reaches 3 of 3, never stops at 3 of 4 before Finished.
    ([("A", "Finished", False), ("B", "Finished", False), ("C", "Running", False), ("D", "Pending", True)],
     "[3/3] C: Running, 1 skipped"),
    # A skipped item in the middle is passed over, not jumped across ([1/4] then [3/4]).
    ([("A", "Finished", False), ("B", "Finished", True), ("C", "Running", False), ("D", "Pending", False)],
     "[2/3] C: Running, 1 skipped"),
    ([("A", "Running", False), ("B", "Pending", False)], "[1/2] A: Running"),
])
def test_the_progress_line_counts_only_the_items_that_run(phase: list[tuple[str, str, bool]], line: str) -> None:
    assert _items(*phase).progress_line() == line
    assert _items(*phase).status_line() == f"{line} (account {UID})"
