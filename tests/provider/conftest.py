"""Fixtures: the emulator, a fake engine, and the real provider server configured for both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET, AccountStack, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import PROXY_VARIABLES, ProviderServer
from account_factory_testing.registration import TEST_STACK_IDENTITY_ENV
from alicloud_account_factory.emulator import Emulator

ENROLL_SECONDS = 1.5


@pytest.fixture(scope="session", autouse=True)
def _no_proxy() -> Iterator[None]:
    saved = {k: os.environ.pop(k) for k in PROXY_VARIABLES if k in os.environ}
    yield
    os.environ.update(saved)


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, enroll_seconds=ENROLL_SECONDS) as emu:
        yield emu


@pytest.fixture(autouse=True)
def _fresh_emulator(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reset emulator is another world: each test also plays another stack, so that what the
    provider process recorded of an earlier test's attempts (same URN) is not taken for its own."""
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").reset()
    monkeypatch.setenv(TEST_STACK_IDENTITY_ENV, f"stack-of-{request.node.nodeid}")


@pytest.fixture(scope="module")
def engine() -> Iterator[FakeEngine]:
    with FakeEngine() as fake:
        yield fake


@pytest.fixture(scope="module")
def server(engine: FakeEngine, emulator: Emulator) -> Iterator[ProviderServer]:
    with ProviderServer(engine.address) as provider_server:
        provider_server.configure(provider_config(emulator.endpoint))
        yield provider_server


@pytest.fixture
def stack(server: ProviderServer, emulator: Emulator, engine: FakeEngine) -> AccountStack:
    engine.clear()
    return AccountStack(server, emulator)


def secret_free(value: Any) -> bool:
    return SECRET not in repr(value)
