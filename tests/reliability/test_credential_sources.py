"""Credentials from the SDK's default chain never reach an error, a log line or state.

With no keys in the stack config the SDK's credential library fetches them itself: from
`ALIBABA_CLOUD_CREDENTIALS_URI`, OIDC, the ECS RAM role. When such a source answers with
something the library cannot use (here: no `Expiration`), the library's exception quotes the
whole answer, keys included. A local HTTP server plays the credentials URI; the provider
server (a real `python -m pulumi.dynamic`) creates through the emulator and fails, and neither
the key secret nor the security token may appear in the error, the engine log or stderr.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pulumi
import pytest

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
from alicloud_account_factory.emulator import Emulator
from tests.reliability.reliability_support import EVIDENCE, CALL_DEADLINE, check_and_create, register_raw

URI_SECRET = "uri-AccessKeySecret-MUST-NOT-LEAK-9Zt"
URI_TOKEN = "uri-SecurityToken-MUST-NOT-LEAK-CAIS8k"


class _CredentialsUri(BaseHTTPRequestHandler):
    """Answers like a credentials endpoint that forgot `Expiration`."""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        body = json.dumps({"Code": "Success", "AccessKeyId": "STS.NUgYrLnoC37mZZCNnAbez",
                           "AccessKeySecret": URI_SECRET, "SecurityToken": URI_TOKEN}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture()
def credentials_uri() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CredentialsUri)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/credentials"
    finally:
        server.shutdown()
        server.server_close()


def test_a_credentials_uri_answer_never_reaches_errors_or_logs(engine: FakeEngine, emulator: Emulator,
                                                                credentials_uri: str) -> None:
    server = ProviderServer(engine.address, default_deadline=CALL_DEADLINE,
                            env={"ALIBABA_CLOUD_CREDENTIALS_URI": credentials_uri,
                                 "ALIBABA_CLOUD_ECS_METADATA_DISABLED": "true"})
    server.start()
    EVIDENCE.watch_server(server)
    try:
        # No keys in the stack config: the SDK's default chain is used.
        server.configure({"alicloud:region": "cn-hangzhou", "alicloud-account-factory:endpoint": emulator.endpoint})
        registration = register_raw("uri-creds", pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="60s")),
                                    account_name_prefix="uri-creds", display_name="Uri creds")
        outcome = check_and_create(server, registration)
    finally:
        server.stop()
    assert outcome.error is not None, "a create without usable credentials succeeded"
    assert "InvalidCredentials" in outcome.error.details
    assert "ALIBABA_CLOUD_CREDENTIALS_URI" in outcome.error.details, outcome.error.details[-800:]
    seen = [("error", outcome.error.details), ("provider-stderr", server.stderr_text())]
    seen += [("engine-log", message.message) for message in engine.messages]
    for secret in (URI_SECRET, URI_TOKEN):
        leaks = EVIDENCE.leaks(seen, secret)
        assert not leaks, f"a credential from the credentials URI leaked into: {leaks}"
