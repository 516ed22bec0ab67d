"""The async client (``*_async`` methods, aiohttp underneath) meets the same rejections and faults.

Why: the async client encodes queries and surfaces connection failures differently from the
sync one, so a provider using it must be tested against every failure path too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alicloud_account_factory.emulator import MEMBER_ACCOUNT_UIDS, Emulator
from darabonba.exceptions import UnretryableException
from emulator_support import Clock, make_client, sdk_error, wait_until

UID = MEMBER_ACCOUNT_UIDS[0]


def enroll(client: Client) -> int:
    """One EnrollAccount through the async client, on a fresh event loop."""
    return asyncio.run(client.enroll_account_async(m.EnrollAccountRequest(account_uid=UID))).body.account_uid


def sts_client(emu: Emulator, clock: Clock, *, token: str | None = None, expire: bool = False,
               key_id: str | None = None) -> Client:
    """A client with issued STS credentials, optionally spoilt (wrong token or key, or expired)."""
    creds = emu.issue_sts(duration_seconds=60)
    if expire:
        clock.now += 61
    return make_client(emu, key_id or creds["AccessKeyId"], creds["AccessKeySecret"],
                       token or creds["SecurityToken"])


REJECTIONS: dict[str, tuple[Callable[[Emulator, Clock], Client], str, int]] = {
    "wrong secret": (lambda emu, clock: make_client(emu, access_key_secret="TotallyWrongSecret123"),
                     "SignatureDoesNotMatch", 400),
    "unknown key": (lambda emu, clock: make_client(emu, access_key_id="LTAI5tNobody"),
                    "InvalidAccessKeyId.NotFound", 404),
    "unknown STS key": (lambda emu, clock: sts_client(emu, clock, key_id="STS.NeverIssuedByThisEmulator"),
                        "InvalidAccessKeyId.NotFound", 404),
    "unknown STS token": (lambda emu, clock: sts_client(emu, clock, token="CAISnot-the-issued-token"),
                          "InvalidSecurityToken.Mismatch", 400),
    "expired STS token": (lambda emu, clock: sts_client(emu, clock, expire=True),
                          "InvalidSecurityToken.Expired", 400),
}


@pytest.mark.parametrize("case", list(REJECTIONS))
def test_async_rejections_change_nothing(frozen: Emulator, clock: Clock, case: str) -> None:
    make, code, status = REJECTIONS[case]
    err = sdk_error(lambda: enroll(make(frozen, clock)))
    assert isinstance(err, ClientException)
    assert (err.code, err.status_code) == (code, status)
    assert frozen.state()["accounts"] == []
    assert frozen.state()["calls"] == {"EnrollAccount": 1} and frozen.state()["calls_ok"] == {}


def test_async_sts_client_works_until_its_expiration(frozen: Emulator, clock: Clock) -> None:
    client = sts_client(frozen, clock)
    assert enroll(client) == UID
    clock.now += 61
    err = sdk_error(lambda: asyncio.run(client.get_enrolled_account_async(m.GetEnrolledAccountRequest(account_uid=UID))))
    assert (err.code, err.status_code) == ("InvalidSecurityToken.Expired", 400)


@pytest.mark.parametrize("after_processing", [False, True], ids=["before", "after"])
def test_async_drop(emu: Emulator, after_processing: bool) -> None:
    emu.set_faults([{"action": "EnrollAccount", "kind": "drop", "after_processing": after_processing, "times": 1}])
    client = make_client(emu)
    with pytest.raises(UnretryableException):
        enroll(client)
    enrolled = [a["AccountUid"] for a in emu.state()["accounts"]]
    assert enrolled == ([UID] if after_processing else [])  # after processing, it took effect unseen
    assert [r["status"] for r in emu.requests()] == ["drop"]
    if not after_processing:
        assert enroll(client) == UID  # the rule is spent; a new connection works


def test_async_delay(emu: Emulator) -> None:
    emu.set_faults([{"action": "EnrollAccount", "kind": "delay", "delay_seconds": 0.5, "times": 1}])
    started = time.monotonic()
    assert enroll(make_client(emu)) == UID
    assert time.monotonic() - started >= 0.5


def test_async_delay_longer_than_the_read_timeout(emu: Emulator) -> None:
    emu.set_faults([{"action": "EnrollAccount", "kind": "delay", "delay_seconds": 0.8, "times": 1}])
    with pytest.raises(UnretryableException):
        enroll(make_client(emu, read_timeout_ms=300))
    # The client gave up (a read timeout); the server carries on: the account turns up.
    wait_until(lambda: [a["AccountUid"] for a in emu.state()["accounts"]] == [UID])
