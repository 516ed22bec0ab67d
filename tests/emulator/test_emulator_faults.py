"""Fault rules and the QPS limit, seen from the real SDK."""

from __future__ import annotations

import threading
import time

import pytest
from alibabacloud_governance20210120 import models as m
from alibabacloud_governance20210120.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException, ServerException, ThrottlingException
from alicloud_account_factory.emulator import MEMBER_ACCOUNT_UIDS, Emulator, EmulatorAdmin, EmulatorAdminError
from alicloud_account_factory.emulator.faults import KNOWN_ERRORS
from darabonba.exceptions import UnretryableException
from emulator_support import SEED, Clock, make_client, sdk_error, wait_until

LIST = m.ListAccountFactoryBaselinesRequest


def enroll_new(client: Client, name: str = "Faulty") -> int:
    request = m.EnrollAccountRequest(account_name_prefix="faulty", display_name=name)
    return client.enroll_account(request).body.account_uid


def test_error_rule_with_times_then_spent(emu: Emulator, client: Client) -> None:
    EmulatorAdmin(emu.endpoint).set_faults([{"action": "EnrollAccount", "code": "Throttling.User",
                                             "http_status": 400, "times": 2}])
    for _ in range(2):
        err = sdk_error(lambda: enroll_new(client))
        assert isinstance(err, ClientException)
        assert (err.code, err.status_code) == ("Throttling.User", 400)
        assert err.data["Message"] == "Request was denied due to user flow control."
    assert emu.state()["accounts"] == []  # an injected error changes nothing
    assert client.list_account_factory_baselines(LIST()).body.baselines  # other actions untouched
    uid = enroll_new(client)
    assert [a["AccountUid"] for a in emu.state()["accounts"]] == [uid]
    assert emu.get_faults()[0]["injected"] == 2
    state = emu.state()
    assert state["calls"]["EnrollAccount"] == 3 and state["calls_ok"]["EnrollAccount"] == 1


def test_server_error_rule_and_custom_message(emu: Emulator, client: Client) -> None:
    emu.set_faults([{"action": "*", "code": "ServiceUnavailable", "message": "Try later."}])
    err = sdk_error(lambda: client.list_account_factory_baselines(LIST()))
    assert isinstance(err, ServerException)
    assert (err.code, err.status_code, err.data["Message"]) == ("ServiceUnavailable", 503, "Try later.")
    emu.set_faults([])
    assert client.list_account_factory_baselines(LIST()).body.baselines


def test_retry_after_makes_a_throttling_exception(emu: Emulator, client: Client) -> None:
    emu.set_faults([{"code": "Throttling.User", "retry_after": 1500, "times": 1}])
    err = sdk_error(lambda: client.list_account_factory_baselines(LIST()))
    assert isinstance(err, ThrottlingException) and err.retry_after == 1500


def injected_sequence(emu: Emulator) -> list[bool]:
    """Which of 40 calls a fault rule of probability 0.5 hit, in order."""
    emu.set_faults([{"action": "ListAccountFactoryBaselines", "code": "InternalError", "probability": 0.5}])
    client = make_client(emu)
    hits = []
    for _ in range(40):
        try:
            client.list_account_factory_baselines(LIST())
            hits.append(False)
        except ServerException:
            hits.append(True)
    return hits


def test_probability_is_seeded_and_counted(emu: Emulator) -> None:
    hits = injected_sequence(emu)
    assert 5 < sum(hits) < 35
    assert emu.get_faults()[0]["injected"] == sum(hits)
    with Emulator(seed=SEED) as twin:
        assert injected_sequence(twin) == hits  # the same seed replays the same faults
    with Emulator(seed=SEED + 1) as other:
        assert injected_sequence(other) != hits


def test_drop_before_processing_changes_nothing(emu: Emulator, client: Client) -> None:
    emu.set_faults([{"action": "EnrollAccount", "kind": "drop", "times": 1}])
    with pytest.raises(UnretryableException):
        enroll_new(client)
    assert emu.state()["accounts"] == []
    enroll_new(client)  # the rule is spent; a new connection works
    assert len(emu.state()["accounts"]) == 1


def test_drop_after_processing_takes_effect_although_the_client_saw_an_error(emu: Emulator, client: Client) -> None:
    emu.set_faults([{"action": "EnrollAccount", "kind": "drop", "after_processing": True, "times": 1}])
    with pytest.raises(UnretryableException):
        enroll_new(client, "Ghost")
    accounts = emu.state()["accounts"]
    assert [a["DisplayName"] for a in accounts] == ["Ghost"]  # it exists: a blind retry would duplicate it
    rows = client.list_enrolled_accounts(m.ListEnrolledAccountsRequest()).body.enrolled_accounts
    assert [r.display_name for r in rows] == ["Ghost"]
    wait_until(lambda: [r["status"] for r in emu.requests() if r["action"] == "EnrollAccount"] == ["drop"])


def _causes(error: BaseException) -> list[BaseException]:
    """The error and every exception it wraps (the SDK's inner_exception, causes, contexts)."""
    found: list[BaseException] = []
    pending: list[object] = [error]
    while pending:
        current = pending.pop()
        if isinstance(current, BaseException) and all(current is not seen for seen in found):
            found.append(current)
            pending += [getattr(current, "inner_exception", None), current.__cause__, current.__context__]
    return found


def test_an_outage_after_answering_refuses_the_next_call(emu: Emulator, client: Client) -> None:
    """The service goes away between two calls: the first is answered, the next cannot connect,
    whichever kept-alive connection the client holds."""
    port = emu.port
    assert client.list_account_factory_baselines(LIST()).body.baselines  # a kept-alive connection
    emu.set_faults([{"action": "ListEnrolledAccounts", "kind": "outage", "after_processing": True, "times": 1}])
    assert client.list_enrolled_accounts(m.ListEnrolledAccountsRequest()).body.enrolled_accounts == []
    with pytest.raises(UnretryableException) as refused:
        enroll_new(client)
    assert any(isinstance(cause, ConnectionRefusedError) for cause in _causes(refused.value))
    assert [r["action"] for r in emu.requests()] == ["ListAccountFactoryBaselines", "ListEnrolledAccounts"]
    assert emu.requests()[-1]["code"] == "<outage after answering>" and emu.state()["accounts"] == []

    emu.start()  # back, on the same port: the same client carries on
    assert emu.port == port
    enroll_new(client)
    assert len(emu.state()["accounts"]) == 1


def test_an_outage_before_processing_drops_the_call_and_refuses_the_next(emu: Emulator, client: Client) -> None:
    emu.set_faults([{"action": "EnrollAccount", "kind": "outage"}])
    with pytest.raises(UnretryableException) as dropped:
        enroll_new(client)
    assert not any(isinstance(cause, ConnectionRefusedError) for cause in _causes(dropped.value))  # it was sent
    with pytest.raises(UnretryableException) as refused:
        enroll_new(client)
    assert any(isinstance(cause, ConnectionRefusedError) for cause in _causes(refused.value))
    assert emu.state()["accounts"] == [] and emu.state()["calls"] == {"EnrollAccount": 1}
    assert [(r["status"], r["code"]) for r in emu.requests()] == [("drop", "<outage>")]


def test_error_after_processing(emu: Emulator, client: Client) -> None:
    emu.set_faults([{"action": "EnrollAccount", "code": "InternalError", "after_processing": True, "times": 1}])
    err = sdk_error(lambda: client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])))
    assert (err.code, err.status_code) == ("InternalError", 500)
    assert [a["AccountUid"] for a in emu.state()["accounts"]] == [MEMBER_ACCOUNT_UIDS[0]]


def test_delay_rule(emu: Emulator, client: Client) -> None:
    emu.set_faults([{"action": "GetAccountFactoryBaseline", "kind": "delay", "delay_seconds": 0.6}])
    started = time.monotonic()
    assert client.get_account_factory_baseline(m.GetAccountFactoryBaselineRequest()).body.baseline_id
    assert time.monotonic() - started >= 0.6
    client.list_account_factory_baselines(LIST())
    assert emu.get_faults()[0]["injected"] == 1  # another action is not delayed


def test_delay_longer_than_the_client_timeout(emu: Emulator) -> None:
    impatient = make_client(emu, read_timeout_ms=300)
    emu.set_faults([{"action": "EnrollAccount", "kind": "delay", "delay_seconds": 0.8, "times": 1}])
    with pytest.raises(UnretryableException):
        impatient.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0]))
    # The server carries on after the client gave up: the account turns up.
    wait_until(lambda: [a["AccountUid"] for a in emu.state()["accounts"]] == [MEMBER_ACCOUNT_UIDS[0]])


def test_a_held_request_waits_for_its_release_then_takes_effect(emu: Emulator, client: Client) -> None:
    """`until_released`: the gateway holds the request (its bound: an hour) until the control API
    lets go; the request is then carried out and answered."""
    admin = EmulatorAdmin(emu.endpoint)
    admin.set_faults([{"action": "EnrollAccount", "kind": "delay", "delay_seconds": 3600, "until_released": True}])
    answers: list[object] = []
    sending = threading.Thread(target=lambda: answers.append(
        client.enroll_account(m.EnrollAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])).body.account_uid))
    sending.start()
    wait_until(lambda: admin.faults()[0]["injected"] == 1)  # it arrived, and is held
    assert emu.state()["accounts"] == [] and answers == []
    assert admin.release_held() == 1
    sending.join(60)
    assert answers == [MEMBER_ACCOUNT_UIDS[0]], "the released request never answered"
    assert [a["AccountUid"] for a in emu.state()["accounts"]] == [MEMBER_ACCOUNT_UIDS[0]]
    with pytest.raises(EmulatorAdminError):
        admin.set_faults([{"kind": "drop", "until_released": True}])  # only a delay can be held


def test_signature_is_checked_before_faults(emu: Emulator) -> None:
    emu.set_faults([{"code": "InternalError"}])
    err = sdk_error(lambda: make_client(emu, access_key_secret="bad").list_account_factory_baselines(LIST()))
    assert err.code == "SignatureDoesNotMatch"
    assert emu.get_faults()[0]["injected"] == 0


def test_control_api_is_never_faulted(emu: Emulator) -> None:
    admin = EmulatorAdmin(emu.endpoint)
    admin.set_faults([{"kind": "drop"}])
    assert admin.state()["calls"] == {}
    assert admin.faults()[0]["kind"] == "drop"


def test_invalid_rules_are_refused_and_keep_the_old_ones(emu: Emulator) -> None:
    admin = EmulatorAdmin(emu.endpoint)
    admin.set_faults([{"code": "InternalError", "times": 3}])
    for bad in ([{"kind": "explode"}], [{"probability": 2}], [{"kind": "delay"}], [{"times": 0}], {"a": 1}, "x",
                [{"action": "GetEnrolledAccount"}, {"action": "EnrolAccount"}]):
        with pytest.raises(EmulatorAdminError) as info:
            admin.set_faults(bad)  # type: ignore[arg-type]
        assert info.value.status == 400
    assert [r["times"] for r in admin.faults()] == [3]


def test_a_misspelt_action_is_refused_with_the_real_ones_listed(emu: Emulator) -> None:
    with pytest.raises(EmulatorAdminError) as info:
        EmulatorAdmin(emu.endpoint).set_faults([{"action": "EnrolAccount", "kind": "drop"}])
    assert info.value.status == 400
    assert info.value.message == (
        "unknown action 'EnrolAccount': use '*' or one of CreateAccountFactoryBaseline, "
        "DeleteAccountFactoryBaseline, EnrollAccount, GetAccountFactoryBaseline, GetEnrolledAccount, "
        "ListAccountFactoryBaselineItems, ListAccountFactoryBaselines, ListEnrolledAccounts, "
        "UpdateAccountFactoryBaseline")


@pytest.mark.parametrize(("code", "status", "exception"), [
    ("InvalidUser.NotResourceDirectoryMaster", 403, ClientException),
    ("InvalidBlueprint.NotFound", 404, ClientException),
    ("DeployConflict.Blueprint", 400, ClientException),
    ("InternalError", 500, ServerException),
    ("SomethingNobodyKnows", 500, ServerException),
])
def test_a_rule_naming_only_a_code_answers_with_its_real_status(
    emu: Emulator, client: Client, code: str, status: int, exception: type[Exception]
) -> None:
    emu.set_faults([{"action": "GetEnrolledAccount", "code": code}])
    err = sdk_error(lambda: client.get_enrolled_account(m.GetEnrolledAccountRequest(account_uid=MEMBER_ACCOUNT_UIDS[0])))
    assert isinstance(err, exception)
    assert (err.code, err.status_code) == (code, status)
    assert err.data["Message"] == KNOWN_ERRORS.get(code, (0, f"Injected fault {code}."))[1]


def test_qps_limit(clock: Clock) -> None:
    with Emulator(qps=5, enroll_seconds=0, clock=clock) as emu:  # the window follows `clock`: 12 calls in one instant
        client = make_client(emu)
        outcomes = []
        for _ in range(12):
            try:
                client.list_account_factory_baselines(LIST())
                outcomes.append("ok")
            except ClientException as exc:  # not ThrottlingException: no x-acs-retry-after header
                assert not isinstance(exc, ThrottlingException)
                assert (exc.code, exc.status_code) == ("Throttling.User", 400)
                assert exc.data["Message"] == "Request was denied due to user flow control."
                outcomes.append("throttled")
        assert outcomes == ["ok"] * 5 + ["throttled"] * 7
        clock.now += 1.05
        assert client.list_account_factory_baselines(LIST()).body.baselines
        state = emu.state()
        assert state["calls"]["ListAccountFactoryBaselines"] == 13
        assert state["calls_ok"]["ListAccountFactoryBaselines"] == 13 - outcomes.count("throttled")
