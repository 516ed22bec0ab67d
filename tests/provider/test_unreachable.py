"""A dead endpoint, the engine's Cancel and what a failure shows first, through the real provider server.

The e2e suite proves these through the `pulumi` CLI; here the engine is the recording stand-in, so
that every message the provider sends it (status lines, warnings, debug lines) can be read.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from google.protobuf import empty_pb2

from account_factory_testing.accounts import provider_config, register
from account_factory_testing.engine import DEBUG, WARNING, FakeEngine, LogMessage
from account_factory_testing.provider_server import ProviderError, ProviderServer
from alicloud_account_factory.emulator import Emulator

NEW = dict(account_name_prefix="dead-test", display_name="Dead endpoint", folder_id="fd-Platform01")
UNREACHABLE_TIMEOUT = "alicloud-account-factory:unreachableTimeout"


@pytest.fixture
def dead_endpoint() -> Iterator[str]:
    """A port held by a socket that never listens: every connection is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


def _create_in_background(server: ProviderServer, name: str) -> tuple[str, Future[Any]]:
    """Check and create one new account on a thread of its own: (URN, the create's outcome)."""
    registration = register(name, **NEW)
    checked = server.check(registration.urn, {}, registration.inputs)
    outcome: Future[Any] = Future()

    def run() -> None:
        try:
            outcome.set_result(server.create(registration.urn, checked.inputs, deadline=600))
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome.set_exception(error)

    threading.Thread(target=run, daemon=True).start()
    return registration.urn, outcome


def _status_naming(endpoint: str, urn: str) -> Callable[[LogMessage], bool]:
    return lambda m: (m.urn == urn and m.ephemeral and m.message.startswith(f"cannot reach {endpoint} (connection "
                                                                            f"refused) since "))


@pytest.mark.parametrize("fleet_mode", ["true", "false"])
def test_a_dead_endpoint_is_told_and_ends_the_create_after_the_unreachable_timeout(
        start_provider: Callable[..., ProviderServer], engine: FakeEngine, dead_endpoint: str, fleet_mode: str) -> None:
    server = start_provider()
    server.configure({**provider_config(dead_endpoint), UNREACHABLE_TIMEOUT: "3s",
                      "alicloud-account-factory:fleetMode": fleet_mode})
    urn, outcome = _create_in_background(server, f"dead-{fleet_mode}")
    with pytest.raises(ProviderError) as failure:
        outcome.result(timeout=120)  # a bound for a create that never ends, far above its 3 s
    reason = failure.value.details.splitlines()[0]
    assert reason.startswith("alicloud_account_factory.core.errors.EndpointUnreachable: "), failure.value.details
    assert (f"{dead_endpoint} could not be reached for 3s" in reason and "connection refused" in reason
            and f"stack config alicloud-account-factory:endpoint" in reason and UNREACHABLE_TIMEOUT in reason), reason
    assert "it had sent nothing" in reason

    told = engine.messages_for(urn)
    assert any(_status_naming(dead_endpoint, urn)(m) and "next try in" in m.message for m in told), told
    [warning] = [m.message for m in told if m.severity == WARNING]
    assert f"cannot reach {dead_endpoint} (it comes from stack config alicloud-account-factory:endpoint)" in warning
    host = dead_endpoint.split("://", 1)[1]
    tries = [m.message for m in engine.messages if m.severity == DEBUG and f" to {host} (attempt " in m.message]
    assert tries and all(t.startswith("API call ") and ": no answer (connection refused), " in t for t in tries), tries


def test_cancel_ends_a_create_that_has_sent_nothing_at_once(start_provider: Callable[..., ProviderServer],
                                                            engine: FakeEngine, dead_endpoint: str) -> None:
    server = start_provider()
    server.configure({**provider_config(dead_endpoint), UNREACHABLE_TIMEOUT: "30m"})
    urn, outcome = _create_in_background(server, "dead-cancelled")
    engine.wait_for(_status_naming(dead_endpoint, urn), timeout=60)
    assert not outcome.done()
    server.stub.Cancel(empty_pb2.Empty(), timeout=30)  # what the engine sends at the first Ctrl-C
    with pytest.raises(ProviderError) as failure:
        outcome.result(timeout=60)  # a generous bound, far below the 30 min it would retry
    reason = failure.value.details.splitlines()[0]
    assert "cancelled" in reason and "nothing was sent" in reason and dead_endpoint in reason, reason


def test_cancel_lets_a_create_that_has_enrolled_wait_for_its_account(start_provider: Callable[..., ProviderServer],
                                                                     engine: FakeEngine, emulator: Emulator) -> None:
    server = start_provider()
    server.configure(provider_config(emulator.endpoint))
    urn, outcome = _create_in_background(server, "enrolled-then-cancelled")
    engine.wait_for(lambda m: m.urn == urn and m.message.startswith("enrolling new account"), timeout=60)
    server.stub.Cancel(empty_pb2.Empty(), timeout=30)
    account_uid, outputs = outcome.result(timeout=120)
    assert outputs["status"] == "Finished" and [a["AccountUid"] for a in emulator.state()["accounts"]] == [
        int(account_uid)]
    assert any(m.urn == urn and m.message.startswith("cancel requested: a request of this create was already sent")
               for m in engine.messages), engine.messages_for(urn)


def test_a_failure_reaches_the_engine_reason_first_and_its_traceback_at_debug_severity(
        start_provider: Callable[..., ProviderServer], engine: FakeEngine, emulator: Emulator) -> None:
    server = start_provider()
    server.configure({"alicloud:accessKey": "LTAI5tOnlyHalf", "alicloud-account-factory:endpoint": emulator.endpoint})
    urn, outcome = _create_in_background(server, "half-a-key-pair")
    with pytest.raises(ProviderError) as failure:
        outcome.result(timeout=60)
    lines = failure.value.details.splitlines()
    assert lines[0].startswith("alicloud_account_factory.core.errors.ConfigurationError: stack config sets only one of "
                               "alicloud:accessKey and alicloud:secretKey"), failure.value.details
    assert lines[-1].startswith("alicloud_account_factory.core.errors.ProviderCallFailed: the create of "
                                "'half-a-key-pair' failed for the reason above"), failure.value.details
    assert "provider.py" not in failure.value.details  # the long traceback is not in the error
    [traceback] = [m.message for m in engine.messages_for(urn) if m.severity == DEBUG and "Traceback" in m.message]
    assert traceback.startswith("the create failed: Traceback (most recent call last):") and "provider.py" in traceback
