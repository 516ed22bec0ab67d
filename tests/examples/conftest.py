"""Each example program, played by the offline engine harness against the emulator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from account_factory_testing.accounts import provider_config
from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.stack import StackHarness
from alicloud_account_factory.emulator import Emulator

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def enroll_seconds() -> float:
    return 1.0


@pytest.fixture
def harness_for(emulator: Emulator, start_provider: Callable[..., ProviderServer]) -> Callable[..., StackHarness]:
    """harness_for("quickstart", project=...) → a StackHarness with its own provider process."""

    def make(example: str, project: str, **config: str) -> StackHarness:
        emulator.reset()
        return StackHarness(EXAMPLES / example, start_provider(), project=project, stack="dev",
                            config={**provider_config(emulator.endpoint), **config})

    return make
