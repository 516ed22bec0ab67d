"""The pool widening reaches into private internals: it is pinned to the versions it was verified with."""

from __future__ import annotations

from importlib import metadata

from alicloud_account_factory.pool_widening import VERIFIED_WITH


def test_grpcio_and_pulumi_are_the_versions_the_widening_was_verified_with() -> None:
    installed = {name: metadata.version(name) for name in VERIFIED_WITH}
    assert installed == VERIFIED_WITH, (
        f"pool_widening.py writes grpc's private ThreadPoolExecutor._max_workers, found through "
        f"grpc._server._ServerState; it was verified with {VERIFIED_WITH}, and {installed} is installed. "
        f"Run tests/unit/test_fleet_units.py (the real provider server) and tests/e2e (the real CLI: no "
        f"'could not widen' warning, all creates at once), then update VERIFIED_WITH."
    )
