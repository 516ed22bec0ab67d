"""Fixtures for the harness self-tests (tests/conftest.py belongs to someone else)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# Programs and pickled providers refer to `tests.support...`: make that importable here
# (pytest's rootdir-relative import may only have put `tests/` on sys.path).
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.engine import FakeEngine  # noqa: E402
from tests.support.provider_server import PROXY_VARIABLES, ProviderServer  # noqa: E402


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
