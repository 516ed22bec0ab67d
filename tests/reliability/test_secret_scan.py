"""The secret key never shows up anywhere a user, a log or a state file could expose it.

Runs after every other reliability test of its test process (the conftest moves it last) and
scans everything that process collected (the conftest scans it all once more at the end, in
every xdist worker): every `__provider` blob (as sent and decoded), every Check result and output,
every error a provider call returned, every message the engine's Log service received, the
stderr of every provider process and of the emulator's command line. It first adds failures
of its own where a careless provider would print credentials: a signature the service rejects,
a half-configured key pair, an endpoint that does not answer.
"""

from __future__ import annotations

from collections import Counter

import pulumi

from account_factory_testing.accounts import ACCESS_KEY_ID, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderError, ProviderServer
from alicloud_account_factory.emulator import Emulator
from tests.reliability.reliability_support import (
    EVIDENCE,
    check_and_create,
    free_port,
    register_raw,
    start_server,
)

#: Ample time for a fresh provider process's first call to the unreachable endpoint to fail on a
#: loaded machine (the error then names the failure): 2 s was not always enough.
SHORT = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="15s"))


def _failing_creates(engine: FakeEngine, emulator: Emulator) -> list[str]:
    """Creates that fail where credentials are at hand; returns their error texts."""
    errors: list[str] = []
    ok = register_raw("secret-ok", account_name_prefix="secret-ok", display_name="Secret ok")
    server = start_server(engine, emulator.endpoint, warm_with=ok)
    try:
        done = check_and_create(server, ok)  # a success too: outputs, progress messages
        assert done.error is None and done.outputs["status"] == "Finished"
    finally:
        server.stop()

    # The service rejects the signature (it holds another secret for this key id).
    with Emulator(access_key_id=ACCESS_KEY_ID, access_key_secret="another-secret-0000000000") as other:
        server = start_server(engine, other.endpoint)
        try:
            bad = check_and_create(server, register_raw("secret-sig", account_name_prefix="secret-sig",
                                                        display_name="Secret sig"))
        finally:
            server.stop()
    assert bad.error is not None and "SignatureDoesNotMatch" in bad.error.details
    errors.append(bad.error.details)

    # Nothing listens on the endpoint: the error names the endpoint, never the key.
    nowhere = register_raw("secret-down", SHORT, account_name_prefix="secret-down", display_name="Secret down")
    server = start_server(engine, f"http://127.0.0.1:{free_port()}")
    try:
        down = check_and_create(server, nowhere)
    finally:
        server.stop()
    assert down.error is not None and "ConnectionFailure" in down.error.details
    errors.append(down.error.details)

    # Only half a key pair in the stack config.
    half = ProviderServer(engine.address)
    half.start()
    EVIDENCE.watch_server(half)
    try:
        config = {k: v for k, v in provider_config(emulator.endpoint).items() if k != "alicloud:accessKey"}
        half.configure(config)
        registration = register_raw("secret-half", account_name_prefix="secret-half", display_name="Secret half")
        try:
            half.create(registration.urn, half.check(registration.urn, {}, registration.inputs).inputs)
            raise AssertionError("a create without alicloud:accessKey succeeded")
        except ProviderError as error:
            EVIDENCE.error(error)
            assert "alicloud:accessKey" in error.details
            errors.append(error.details)
    finally:
        half.stop()
    return errors


def test_the_secret_key_is_nowhere(engine: FakeEngine, emulator: Emulator) -> None:
    errors = _failing_creates(engine, emulator)
    everything = EVIDENCE.everything()
    kinds = Counter(kind for kind, _ in everything)
    # Every kind of place was really looked at (a scan of nothing proves nothing).
    for kind in ("blob", "blob-decoded", "check", "outputs", "error", "engine-log", "provider-stderr"):
        assert kinds[kind] > 0, f"nothing of kind {kind!r} was collected: {dict(kinds)}"
    assert len(errors) == 3
    leaks = EVIDENCE.leaks(everything)
    assert not leaks, f"the secret key leaked into: {leaks}"
