"""Fixtures for the emulator tests: the real SDK against an in-process emulator over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import Emulator
from emulator_support import PROXY_VARIABLES, SEED, make_client

# The SDK honours HTTP_PROXY and ignores NO_PROXY: strip proxies as soon as this file loads.
for _name in PROXY_VARIABLES:
    os.environ.pop(_name, None)


@pytest.fixture(scope="session", autouse=True)
def _no_proxy() -> Iterator[None]:
    """The SDK would send loopback requests to a proxy otherwise."""
    saved = {k: os.environ.pop(k) for k in PROXY_VARIABLES if k in os.environ}
    yield
    os.environ.update(saved)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator per test; enrollments take one second."""
    with Emulator(enroll_seconds=1.0, seed=SEED) as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Client:
    return make_client(emu)
