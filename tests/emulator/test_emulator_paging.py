"""ListEnrolledAccounts paging across more than 100 enrolled accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import MEMBER_ACCOUNT_UIDS, Emulator
from emulator_support import make_client

COUNT = 130


@pytest.fixture(scope="module")
def fleet() -> Iterator[tuple[Emulator, Client, list[int]]]:
    with Emulator(enroll_seconds=0.2) as emu:
        client = make_client(emu)
        uids = [client.enroll_account(m.EnrollAccountRequest(account_uid=u)).body.account_uid
                for u in MEMBER_ACCOUNT_UIDS]
        uids += [client.enroll_account(m.EnrollAccountRequest(account_name_prefix=f"acct-{i:03d}",
                                                              display_name=f"Account {i}")).body.account_uid
                 for i in range(COUNT - len(uids))]
        yield emu, client, uids


def pages(client: Client, size: int | None) -> list[list[int]]:
    out: list[list[int]] = []
    token = None
    while True:
        body = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=size, next_token=token)).body
        out.append([a.account_uid for a in body.enrolled_accounts])
        token = body.next_token
        if not token:
            return out
        assert len(out) <= COUNT + 1, "paging does not terminate"


def test_pages_of_100(fleet: tuple[Emulator, Client, list[int]]) -> None:
    _, client, uids = fleet
    got = pages(client, 100)
    assert [len(p) for p in got] == [100, COUNT - 100]
    assert [u for p in got for u in p] == uids


@pytest.mark.parametrize("size", [1, 7, 10, 65, 99])
def test_small_pages_have_no_duplicates_and_no_gaps(fleet: tuple[Emulator, Client, list[int]], size: int) -> None:
    _, client, uids = fleet
    got = pages(client, size)
    flat = [u for p in got for u in p]
    assert flat == uids
    assert all(len(p) == size for p in got[:-1]) and 0 < len(got[-1]) <= size


def test_default_page_size_is_10(fleet: tuple[Emulator, Client, list[int]]) -> None:
    _, client, uids = fleet
    body = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest()).body
    assert [a.account_uid for a in body.enrolled_accounts] == uids[:10] and body.next_token


def test_enrollments_during_paging_appear_once_at_the_end() -> None:
    with Emulator(enroll_seconds=0) as emu:
        client = make_client(emu)
        first = [client.enroll_account(m.EnrollAccountRequest(account_uid=u)).body.account_uid
                 for u in MEMBER_ACCOUNT_UIDS[:4]]
        page1 = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=2)).body
        late = client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[4])).body.account_uid
        client.enroll_account(m.EnrollAccountRequest(account_uid=first[0]))  # re-enroll keeps its place
        rest = pages_from(client, page1.next_token, 2)
        assert [a.account_uid for a in page1.enrolled_accounts] + rest == first + [late]


def pages_from(client: Client, token: str, size: int) -> list[int]:
    out: list[int] = []
    while token:
        body = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest(max_results=size, next_token=token)).body
        out += [a.account_uid for a in body.enrolled_accounts]
        token = body.next_token
    return out
