"""HTTP-level rejections (bad framing, unsupported methods, unparsable request lines).

Why: a client must always get an answer it can parse, in the service's error shape, and an
operator must see the request in the log, instead of a bare close or the stdlib's HTML page.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from alicloud_account_factory.emulator import Emulator, EmulatorAdmin

ERROR_FIELDS = {"RequestId", "HostId", "Code", "Message", "Recommend"}


@pytest.fixture
def logged() -> Iterator[tuple[Emulator, io.StringIO]]:
    log = io.StringIO()
    with Emulator(log_stream=log) as emulator:
        yield emulator, log


def send(emu: Emulator, method: str, path: str = "/", headers: dict[str, str] | None = None,
         body: bytes = b"") -> tuple[http.client.HTTPResponse, bytes]:
    """One request with exactly these headers (http.client adds no Content-Length of its own)."""
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=60)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders(body or None)
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def service_error(response: http.client.HTTPResponse, payload: bytes) -> dict[str, Any]:
    """The JSON error body, checked for the service's shape and request id header."""
    assert response.getheader("Content-Type") == "application/json;charset=utf-8"
    error = json.loads(payload)
    assert set(error) == ERROR_FIELDS
    assert response.getheader("x-acs-request-id") == error["RequestId"]
    return error


def last_log_line(log: io.StringIO) -> str:
    return log.getvalue().splitlines()[-1].split(" ", 1)[1]  # without the timestamp


@pytest.mark.parametrize("headers", [
    {"Content-Length": "abc"},
    {"Content-Length": "-5"},
    {"Content-Length": "0x10"},
    {"Transfer-Encoding": "chunked", "X-Chunk": "zz"},
    {"Transfer-Encoding": "chunked", "X-Chunk": "-5"},
], ids=["letters", "negative", "hex", "chunk-letters", "chunk-negative"])
def test_malformed_framing_is_a_json_bad_request(logged: tuple[Emulator, io.StringIO], headers: dict[str, str]) -> None:
    emu, log = logged
    chunk = headers.get("X-Chunk", "")
    response, payload = send(emu, "POST", "/?AccountUid=1", headers, f"{chunk}\r\nabcde\r\n0\r\n\r\n".encode() if chunk else b"")
    assert response.status == 400
    error = service_error(response, payload)
    assert error["Code"] == "BadRequest"
    assert ("chunk" if "Transfer-Encoding" in headers else "Content-Length") in error["Message"]
    assert response.getheader("Connection") == "close"  # the rest of the stream cannot be trusted
    assert last_log_line(log).startswith("POST / - 400 ") and last_log_line(log).endswith(" BadRequest")
    assert emu.state()["calls"] == {}  # never reached the API


def test_conflicting_content_lengths_are_a_bad_request(logged: tuple[Emulator, io.StringIO]) -> None:
    emu, _ = logged
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=60)
    conn.putrequest("POST", "/")
    conn.putheader("Content-Length", "0")
    conn.putheader("Content-Length", "2")
    conn.endheaders(b"{}")
    response = conn.getresponse()
    assert response.status == 400 and service_error(response, response.read())["Code"] == "BadRequest"
    conn.close()


@pytest.mark.parametrize("method", ["PATCH", "OPTIONS", "PUT", "DELETE"])
def test_unsupported_methods_on_the_api_are_a_json_405(logged: tuple[Emulator, io.StringIO], method: str) -> None:
    emu, log = logged
    response, payload = send(emu, method, "/", {"x-acs-action": "GetEnrolledAccount", "Content-Length": "0"})
    assert (response.status, response.getheader("Allow")) == (405, "GET, POST")
    error = service_error(response, payload)
    assert error["Code"] == "MethodNotAllowed" and method in error["Message"]
    assert last_log_line(log).startswith(f"{method} / GetEnrolledAccount 405 ")
    assert emu.state()["calls"] == {"GetEnrolledAccount": 1} and emu.state()["calls_ok"] == {}


def test_head_gets_the_status_and_headers_without_a_body(logged: tuple[Emulator, io.StringIO]) -> None:
    emu, log = logged
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=60)
    try:
        for _ in range(2):  # the connection stays usable: no stray body was sent
            conn.request("HEAD", "/")
            response = conn.getresponse()
            assert (response.status, response.read()) == (405, b"")
            assert int(response.getheader("Content-Length")) > 0 and response.getheader("x-acs-request-id")
    finally:
        conn.close()
    assert last_log_line(log).startswith("HEAD / - 405 ")


def test_control_api_keeps_its_own_shape_for_a_wrong_method(logged: tuple[Emulator, io.StringIO]) -> None:
    emu, log = logged
    response, payload = send(emu, "PATCH", "/_emulator/faults", {"Content-Length": "2"}, b"[]")
    assert response.status == 405
    assert json.loads(payload) == {"error": "PATCH is not allowed on /_emulator/faults"}
    assert last_log_line(log).startswith("PATCH /_emulator/faults _emulator/faults 405 ")


@pytest.mark.parametrize(("request_line", "status", "code"), [
    (b"BREW / HTTP/1.1", 501, "NotImplemented"),
    (b"GET /a b HTTP/1.1", 400, "BadRequest"),
    (b"GET / HTTP/2.0", 505, "HTTPVersionNotSupported"),
    (b"GET / FTP/1.1", 400, "BadRequest"),  # no readable version: still a status line
    (b"GET /?Tag=" + b"a" * 70_000 + b" HTTP/1.1", 414, "RequestURITooLong"),  # the same code on any Python
])
def test_what_the_stdlib_refuses_is_answered_in_the_service_shape(
    logged: tuple[Emulator, io.StringIO], request_line: bytes, status: int, code: str
) -> None:
    emu, log = logged
    with socket.create_connection(("127.0.0.1", emu.port), timeout=60) as sock:
        sock.sendall(request_line + b"\r\nHost: x\r\n\r\n")
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == status
        assert service_error(response, response.read())["Code"] == code
    assert f" {status} 0.0ms {code}" in last_log_line(log)


def test_well_formed_chunked_and_sized_bodies_are_read(logged: tuple[Emulator, io.StringIO]) -> None:
    emu, _ = logged
    rule = b'[{"kind":"drop","times":1}]'
    chunked = b"%x;ext=1\r\n%s\r\n0\r\n\r\n" % (len(rule), rule)
    response, payload = send(emu, "POST", "/_emulator/faults", {"Transfer-Encoding": "chunked"}, chunked)
    assert (response.status, json.loads(payload)[0]["kind"]) == (200, "drop")
    response, payload = send(emu, "POST", "/_emulator/faults", {"Content-Length": f" {len(rule)} "}, rule)
    assert (response.status, json.loads(payload)[0]["times"]) == (200, 1)


@pytest.mark.parametrize("headers", [{"Content-Length": str(10**12)}, {"Transfer-Encoding": "chunked"}],
                         ids=["content-length", "chunked"])
def test_a_body_larger_than_the_emulator_takes_is_a_json_413(logged: tuple[Emulator, io.StringIO],
                                                             headers: dict[str, str]) -> None:
    """10^12 bytes announced (as the length, or as one chunk's size): answered at once, never read
    into memory, and the connection closed (the rest of the stream is not read)."""
    emu, log = logged
    body = b"%x\r\n%s\r\n" % (10**12, b"a" * 16) if "Transfer-Encoding" in headers else b""
    response, payload = send(emu, "POST", "/?Action=EnrollAccount", headers, body)
    assert response.status == 413
    error = service_error(response, payload)
    assert error["Code"] == "RequestEntityTooLarge" and "bytes" in error["Message"]
    assert response.getheader("Connection") == "close"
    assert last_log_line(log).startswith("POST / - 413 ") and last_log_line(log).endswith(" RequestEntityTooLarge")
    assert emu.state()["calls"] == {}
    assert EmulatorAdmin(emu.endpoint).health()["ok"]  # the emulator serves on
