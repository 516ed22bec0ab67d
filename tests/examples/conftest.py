"""Each example program, played by the offline engine harness against the emulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET, provider_config
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.stack import StackHarness
from alicloud_account_factory.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(access_key_id=ACCESS_KEY_ID, access_key_secret=SECRET, enroll_seconds=1.0) as emu:
        yield emu


@pytest.fixture(scope="module")
def engine() -> Iterator[FakeEngine]:
    with FakeEngine() as fake:
        yield fake


@pytest.fixture
def harness_for(emulator: Emulator, engine: FakeEngine) -> Iterator:
    """harness_for("quickstart", project=...) → a StackHarness with its own provider process."""
    servers: list[ProviderServer] = []

    def make(example: str, project: str, **config: str) -> StackHarness:
        emulator.reset()
        server = ProviderServer(engine.address).start()
        servers.append(server)
        return StackHarness(EXAMPLES / example, server, project=project, stack="dev",
                            config={**provider_config(emulator.endpoint), **config})

    yield make
    for server in servers:
        server.stop()
