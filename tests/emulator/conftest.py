"""Fixtures for the emulator tests: the real SDK against an in-process emulator over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from alibabacloud_governance20210120.client import Client
from alicloud_account_factory.emulator import Emulator
from emulator_support import SEED, Clock, make_client


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """A fresh emulator per test; enrollments take one second."""
    with Emulator(enroll_seconds=1.0, seed=SEED) as emulator:
        yield emulator


@pytest.fixture
def frozen(clock: Clock) -> Iterator[Emulator]:
    """An emulator on `clock`, which stands still unless the test moves it: an enrollment stays
    Pending however long the test takes to look."""
    with Emulator(enroll_seconds=1.0, clock=clock) as emulator:
        yield emulator


@pytest.fixture
def client(emu: Emulator) -> Client:
    return make_client(emu)


@pytest.fixture
def clock() -> Clock:
    """For an emulator built with ``clock=clock``: moved by hand, kept near real time for the
    signature's date check."""
    return Clock(time.time())
