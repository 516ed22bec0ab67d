"""Fixtures: the real provider server configured for the emulator, and one resource at a time through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from account_factory_testing.accounts import AccountStack, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.registration import TEST_STACK_IDENTITY_ENV
from alicloud_account_factory.emulator import Emulator


@pytest.fixture(autouse=True)
def _fresh_emulator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reset emulator is another world: each test also plays another stack, so that what the
    provider process recorded of an earlier test's attempts (same URN) is not taken for its own."""
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").reset()
    monkeypatch.setenv(TEST_STACK_IDENTITY_ENV, f"stack-of-{request.node.nodeid}")


@pytest.fixture(scope="module")
def server(engine: FakeEngine, emulator: Emulator) -> Iterator[ProviderServer]:
    with ProviderServer(engine.address) as provider_server:
        provider_server.configure(provider_config(emulator.endpoint))
        yield provider_server


@pytest.fixture
def stack(server: ProviderServer, emulator: Emulator, engine: FakeEngine) -> AccountStack:
    engine.clear()
    return AccountStack(server, emulator)
