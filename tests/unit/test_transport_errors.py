"""How the client words a failure on the way to the service: the call, the endpoint and the cause,
never the HTTP libraries' texts (they quote the request's URL, whose query string holds every
parameter, a secret item config among them). Real SDK, real sockets, no mocks."""

from __future__ import annotations

import json
import logging
import socket
import threading
import traceback
from collections.abc import Callable, Iterator

import pytest

from account_factory_testing.secrets import spellings_found
from alicloud_account_factory.accounts.client import GovernanceClient
from alicloud_account_factory.emulator import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, Emulator
from alicloud_account_factory.core.errors import AmbiguousCallError, ApiError, ClientFailure
from alicloud_account_factory.accounts.model import BaselineItem, EnrollRequest
from alicloud_account_factory.core.settings import Credentials, Endpoint, ProviderSettings
from alicloud_account_factory.core.timeouts import Deadline

ITEM_SECRET = 'item-Secret+not/LEAKED "q" &x=1 é'
REQUEST = EnrollRequest(account_name_prefix="wire", display_name="Wire",
                        baseline_items=(BaselineItem(name="ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION",
                                                     config=json.dumps({"WebhookToken": ITEM_SECRET})),))
#: What the texts of urllib3, requests and the SDK's retry wrapper look like.
LIBRARY_WORDS = ("HTTPConnectionPool", "Max retries", "RetryError", "urllib3", "requests.", "?", "BaselineItems",
                 "AccountNamePrefix", "Errno")


def client_for(endpoint: str) -> GovernanceClient:
    settings = ProviderSettings("cn-hangzhou", Endpoint.parse(endpoint),
                                Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET))
    return GovernanceClient(settings, "cn-hangzhou")


def enroll_error(endpoint: str, deadline: float = 0.3) -> ApiError:
    with pytest.raises(ApiError) as failed:
        client_for(endpoint).enroll(REQUEST, Deadline.after(deadline))
    return failed.value


def assert_worded_safely(error: BaseException, endpoint: str, cause: str) -> None:
    """The call, the endpoint and the cause; no library text, no secret, no chained SDK exception."""
    text = str(error)
    assert text.startswith("EnrollAccount failed: ConnectionFailure: ") and endpoint in text and cause in text, text
    assert [word for word in LIBRARY_WORDS if word in text.split(endpoint, 1)[1]] == [], text
    shown = "".join(traceback.format_exception(error))  # what the dynamic provider server prints
    assert spellings_found(shown, ITEM_SECRET) == [] and "During handling" not in shown, shown
    assert error.__cause__ is None and error.__context__ is None


@pytest.fixture
def one_shot_server() -> Iterator[Callable[[Callable[[socket.socket], None]], str]]:
    """serve(handle) -> endpoint: a socket server that hands its first connection to `handle`."""
    listeners: list[tuple[socket.socket, threading.Thread]] = []

    def serve(handle: Callable[[socket.socket], None]) -> str:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def accept() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                handle(conn)

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        listeners.append((listener, thread))
        return f"http://127.0.0.1:{listener.getsockname()[1]}"

    yield serve
    for listener, thread in listeners:
        thread.join(5)
        listener.close()


def test_a_refused_connection_names_the_call_endpoint_and_cause() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens once the block ends
    error = enroll_error(endpoint)
    assert not isinstance(error, AmbiguousCallError) and error.retryable  # never sent
    assert_worded_safely(error, endpoint, ": connection refused")


def test_the_service_going_away_after_the_look_is_a_refused_enrollment() -> None:
    with Emulator() as emu:
        endpoint = emu.endpoint
        client = client_for(endpoint)
        emu.set_faults([{"action": "ListEnrolledAccounts", "kind": "outage", "after_processing": True}])
        assert client.list_enrolled(Deadline.after(5)) == []
        with pytest.raises(ApiError) as refused:
            client.enroll(REQUEST, Deadline.after(0.3))
    assert_worded_safely(refused.value, endpoint, ": connection refused")


def test_a_connection_closed_without_an_answer_is_unsure_and_says_so(
        one_shot_server: Callable[[Callable[[socket.socket], None]], str]) -> None:
    endpoint = one_shot_server(lambda conn: None)
    error = enroll_error(endpoint, deadline=5)
    assert isinstance(error, AmbiguousCallError)
    assert_worded_safely(error, endpoint, "could not complete the call to " + endpoint + ": the service closed the connection")


def test_a_reset_connection_is_unsure_and_says_so(
        one_shot_server: Callable[[Callable[[socket.socket], None]], str]) -> None:
    def reset(conn: socket.socket) -> None:
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # close = RST

    error = enroll_error(one_shot_server(reset), deadline=5)
    assert isinstance(error, AmbiguousCallError)
    assert_worded_safely(error, "http://127.0.0.1:", "the connection was reset")


def test_an_answer_that_is_not_json_is_unsure_and_says_so(
        one_shot_server: Callable[[Callable[[socket.socket], None]], str]) -> None:
    def garbage(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n"
                     b"Connection: close\r\n\r\nnot json!")

    endpoint = one_shot_server(garbage)
    error = enroll_error(endpoint, deadline=5)
    assert isinstance(error, AmbiguousCallError)
    assert_worded_safely(error, endpoint, "the answer could not be read")


def test_tls_against_a_plain_http_service_says_the_handshake_failed() -> None:
    with Emulator() as emu:
        endpoint = f"https://{emu.host_port}"
        error = enroll_error(endpoint)
    assert_worded_safely(error, endpoint, "the TLS handshake failed")


def test_an_unknown_host_says_the_name_could_not_be_resolved() -> None:
    endpoint = "http://governance.invalid:8080"  # RFC 6761: never resolves
    error = enroll_error(endpoint)
    assert not isinstance(error, AmbiguousCallError)
    assert_worded_safely(error, endpoint, "the host name could not be resolved")


def test_any_other_sdk_failure_is_named_by_type_and_place_without_its_text() -> None:
    """What the SDK raises for a request it cannot build (a bug): not its text, nor chained to it."""
    from alibabacloud_governance20210120 import models

    with Emulator() as emu:
        endpoint = emu.endpoint
        client = client_for(endpoint)
        broken = models.EnrollAccountRequest(tag=[ITEM_SECRET])  # not Tag models: the SDK cannot map it
        with pytest.raises(ClientFailure) as failed:
            client._call("EnrollAccount", lambda sdk: sdk.enroll_account(broken), Deadline.after(5))
    text = str(failed.value)
    assert text.startswith(f"EnrollAccount to {endpoint} failed inside the Alibaba Cloud SDK: AttributeError in ")
    shown = "".join(traceback.format_exception(failed.value))
    assert spellings_found(shown, ITEM_SECRET) == [] and "During handling" not in shown, shown
    assert failed.value.__suppress_context__ and failed.value.__cause__ is None


def test_the_http_libraries_debug_logs_keep_the_call_and_lose_the_parameters_and_headers(
        caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`DEBUG=sdk` turns on the SDK's HTTP log (its own stderr handler), and a root logger at DEBUG
    urllib3's: both would print the request's target, query string included, and its headers."""
    monkeypatch.setenv("DEBUG", "sdk")
    with Emulator() as emu, caplog.at_level(logging.DEBUG):
        client_for(emu.endpoint).enroll(REQUEST, Deadline.after(10))
    lines: dict[str, str] = {}
    for record in caplog.records:
        if record.name in ("darabonba-core", "urllib3.connectionpool"):
            lines[record.name] = lines.get(record.name, "") + record.getMessage() + "\n"
    assert set(lines) == {"darabonba-core", "urllib3.connectionpool"}, caplog.records  # both were heard
    assert "x-acs-action : EnrollAccount" in lines["darabonba-core"] and "POST (target withheld)" in lines["darabonba-core"]
    shown = caplog.text + capsys.readouterr().err
    assert spellings_found(shown, ITEM_SECRET) == [] and spellings_found(shown, DEFAULT_ACCESS_KEY_SECRET) == []
    assert [word for word in ("AccountNamePrefix", "BaselineItems", "Signature=", "x-acs-signature-nonce")
            if word in shown] == [], shown
