"""Fixtures for the harness self-tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import PROXY_VARIABLES, ProviderServer

#: The provider processes unpickle the toy provider by reference (`tests.harness.toy_provider`).
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session", autouse=True)
def _no_proxy() -> Iterator[None]:
    """Loopback gRPC must not go through a proxy."""
    saved = {k: os.environ.pop(k) for k in PROXY_VARIABLES if k in os.environ}
    yield
    os.environ.update(saved)


@pytest.fixture(scope="module")
def fake_engine() -> Iterator[FakeEngine]:
    with FakeEngine() as engine:
        yield engine


@pytest.fixture(scope="module")
def provider_server(fake_engine: FakeEngine) -> Iterator[ProviderServer]:
    """One real provider process per test module (starting one costs about a second)."""
    with ProviderServer(fake_engine.address, extra_pythonpath=[REPO_ROOT]) as server:
        yield server
