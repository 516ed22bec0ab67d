"""The pool widening reaches into private internals of grpc: checked with the versions installed.

pool_widening.py verifies at run time everything it touches and, when anything differs, leaves the
stock server alone with a warning, so another grpcio or pulumi is never a crash. These tests make a
lost widening visible where it matters: it must apply with the versions this suite runs with
(constraints.txt under `make test`; both ends of the supported ranges under `make test-bounds`), and
VERIFIED_WITH must name the pinned versions and the lowest the ranges allow. The positive proof (more
than 4 blocking creates at once) is tests/fleet/test_fleet.py, which `make test-bounds` runs too.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from account_factory_testing.accounts import provider_config, register
from account_factory_testing.dependencies import constraint_pins, lower_bound
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.sandbox import REPO
from alicloud_account_factory.dynamic.pool_widening import VERIFIED_WITH


def _installed() -> dict[str, str]:
    return {name: metadata.version(name) for name in VERIFIED_WITH}


def test_the_provider_server_of_the_installed_grpcio_and_pulumi_is_widened(
        start_provider: Callable[..., ProviderServer], engine: FakeEngine) -> None:
    server = start_provider()
    server.configure(provider_config("http://127.0.0.1:9"))
    registration = register("widened", account_name_prefix="widened", display_name="Widened")
    # The provider is configured (and, in fleet mode, the default, widens the pool) at its first call.
    assert server.check(registration.urn, {}, registration.inputs).failures == []
    warnings = [m.message for m in engine.messages if "could not widen" in m.message]
    assert not warnings, (
        f"with {_installed()} installed the provider server keeps its 4 workers: {warnings}. pool_widening.py "
        f"finds grpc's private grpc._server._ServerState and writes ThreadPoolExecutor._max_workers; adapt it "
        f"to this version (or narrow the supported range in pyproject.toml), then run tests/fleet/test_fleet.py "
        f"and tests/e2e/test_cli_import_and_fleet.py and add the version to VERIFIED_WITH."
    )


def _versions(distribution: str) -> set[Version]:
    return {Version(v) for v in VERIFIED_WITH[distribution]}


def test_verified_with_names_the_pinned_versions() -> None:
    pins = constraint_pins(REPO / "constraints.txt")
    unverified = {name: pins[name] for name in VERIFIED_WITH if Version(pins[name]) not in _versions(name)}
    assert not unverified, (
        f"constraints.txt pins {unverified}, which VERIFIED_WITH {VERIFIED_WITH} does not name: run `make test` "
        f"(tests/fleet and tests/e2e prove the widening with the pins), then add them to VERIFIED_WITH."
    )


def test_verified_with_names_the_lowest_versions_the_package_accepts() -> None:
    declared = map(Requirement, metadata.requires("alicloud-account-factory") or [])
    requirements = {canonicalize_name(r.name): r for r in declared}
    lowest = {name: lower_bound(requirements[name]) for name in VERIFIED_WITH}
    unverified = {name: low for name, low in lowest.items() if low is None or Version(low) not in _versions(name)}
    assert not unverified, (
        f"pyproject.toml accepts {unverified} as the lowest versions, which VERIFIED_WITH {VERIFIED_WITH} does not "
        f"name: run `make test-bounds BOUNDS=lowest`, then add them to VERIFIED_WITH."
    )
