"""Fixtures for the harness self-tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer

#: The provider processes unpickle the toy provider by reference (`tests.harness.toy_provider`).
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def provider_server(engine: FakeEngine) -> Iterator[ProviderServer]:
    """One real provider process per test module (starting one costs about a second)."""
    with ProviderServer(engine.address, extra_pythonpath=[REPO_ROOT]) as server:
        yield server
