"""Fleet tests: many EnrolledAccounts served by one provider process."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import PROXY_VARIABLES


@pytest.fixture(scope="session", autouse=True)
def _no_proxy() -> Iterator[None]:
    saved = {k: os.environ.pop(k) for k in PROXY_VARIABLES if k in os.environ}
    yield
    os.environ.update(saved)


@pytest.fixture(scope="module")
def engine() -> Iterator[FakeEngine]:
    with FakeEngine() as fake:
        yield fake
