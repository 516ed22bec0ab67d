"""Fixtures of the end-to-end suite: the real Pulumi CLI, the emulator, a sandbox per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET, emulator_for_tests
from account_factory_testing.sandbox import PROGRAMS, PulumiSandbox, SandboxFactory, end_processes_left_by
from alicloud_account_factory.emulator import Emulator

#: Short enrollments keep the suite fast; long enough for a test to act while one waits.
ENROLL_SECONDS = 2.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "enroll_seconds(s): how long the test's emulator takes to enroll an account")


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    marker = request.node.get_closest_marker("enroll_seconds")
    seconds = marker.args[0] if marker else ENROLL_SECONDS
    with emulator_for_tests(enroll_seconds=seconds) as emu:
        yield emu


@pytest.fixture
def sandbox_for(tmp_path: Path, pulumi_cli: Path, emulator: Emulator) -> Iterator[SandboxFactory]:
    """sandbox_for(program_dir=PROGRAMS/"accounts", credentials=True) -> a configured PulumiSandbox.

    The stack config points the provider at the emulator, with the test key pair set as
    secrets (`pulumi config set --secret`), as a user would. What a killed `pulumi up` left
    running for a sandbox ends with the test.
    """
    count = 0
    made: list[PulumiSandbox] = []

    def make(program: Path = PROGRAMS / "accounts", *, credentials: bool = True, **config: str) -> PulumiSandbox:
        nonlocal count
        count += 1
        sandbox = PulumiSandbox(tmp_path / f"sandbox{count}", pulumi_cli, program,
                                provider_state=tmp_path / "provider-state")
        sandbox.set_configs({"alicloud:region": "cn-hangzhou", "alicloud-account-factory:endpoint": emulator.endpoint,
                             **config},
                            {"alicloud:accessKey": ACCESS_KEY_ID, "alicloud:secretKey": SECRET} if credentials else {})
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        end_processes_left_by(sandbox)


@pytest.fixture
def sandbox(sandbox_for: SandboxFactory) -> PulumiSandbox:
    return sandbox_for()
