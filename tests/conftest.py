"""Fixtures every suite shares: no proxies, the engine stand-in, provider processes, the emulator
they talk to, and the real Pulumi CLI.

A directory's conftest overrides what it needs otherwise (`enroll_seconds`, or `engine` to watch
what the engine receives); the harness itself is the package `account_factory_testing`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from account_factory_testing.accounts import emulator_for_tests
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import PROXY_VARIABLES, ProviderServer
from account_factory_testing.sandbox import locate_cli
from account_factory_testing.toolchain import ToolchainUnavailable, locate_toolchain, node_modules, sdkgen
from alicloud_account_factory.emulator import Emulator

#: The reliability suite's run summary, merged across xdist workers: the controller process only
#: loads this conftest.
pytest_plugins = ["tests.reliability.run_summary"]


@pytest.fixture(scope="session", autouse=True)
def _no_proxy() -> Iterator[None]:
    """The SDK honours HTTP_PROXY and ignores NO_PROXY: loopback calls would go to a proxy."""
    saved = {k: os.environ.pop(k) for k in PROXY_VARIABLES if k in os.environ}
    yield
    os.environ.update(saved)


@pytest.fixture(scope="module")
def engine() -> Iterator[FakeEngine]:
    """The engine's Log service, whose address every provider process gets."""
    with FakeEngine() as fake:
        yield fake


@pytest.fixture
def start_provider(engine: FakeEngine) -> Iterator[Callable[..., ProviderServer]]:
    """start_provider(**ProviderServer options) → a provider process of this test's own, as each
    `pulumi up` starts one; every one is stopped when the test ends."""
    servers: list[ProviderServer] = []

    def start(**options: Any) -> ProviderServer:
        server = ProviderServer(engine.address, **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def enroll_seconds() -> float:
    """How long the `emulator` takes to enroll an account: short, yet through every status."""
    return 1.5


@pytest.fixture(scope="module")
def emulator(enroll_seconds: float) -> Iterator[Emulator]:
    """An in-process emulator accepting only the test key pair (so every call is signed with SECRET)."""
    with emulator_for_tests(enroll_seconds=enroll_seconds) as emu:
        yield emu


def _unavailable(message: str) -> NoReturn:
    """Skip, or in CI (CI=true) fail: there a missing part of the toolchain is a broken build."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def pulumi_cli() -> Path:
    """The real CLI; in CI (CI=true) a missing CLI fails the suite instead of skipping it."""
    cli_dir, why_not = locate_cli()
    if cli_dir is None:
        _unavailable(f"the Pulumi CLI is not available (run `make pulumi`): {why_not}")
    return cli_dir


@pytest.fixture(scope="session")
def pulumi_toolchain(pulumi_cli: Path) -> Path:
    """A directory with the real CLI and the YAML, Node.js and Go language hosts (`make hosts`),
    built on first use when missing; skipped, or failed in CI, when they cannot be had."""
    toolchain_dir, why_not = locate_toolchain(pulumi_cli)
    if toolchain_dir is None:
        _unavailable(f"the language hosts are not available (run `make hosts`): {why_not}")
    return toolchain_dir


@pytest.fixture(scope="session")
def node_packages() -> Path:
    """The node_modules TypeScript programs and generated Node.js SDKs use (scripts/node-packages.sh)."""
    try:
        return node_modules()
    except ToolchainUnavailable as error:
        _unavailable(f"the Node.js packages are not available: {error}")


@pytest.fixture(scope="session")
def sdkgen_program() -> Path:
    """tools/sdkgen (what `make sdks` runs), built on first use; account_factory_testing.toolchain.generate_sdks runs it."""
    try:
        return sdkgen()
    except ToolchainUnavailable as error:
        _unavailable(f"tools/sdkgen could not be built: {error}")
