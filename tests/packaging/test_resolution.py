"""The wheel installs beside the newest Pulumi SDK the package index serves, and beside the lowest
versions its ranges accept: what pip would install into an empty environment (--dry-run --report).
That the provider also works there is `make test-bounds`' job."""

from __future__ import annotations

from packaging.utils import canonicalize_name
from packaging.version import Version

from account_factory_testing.dependencies import install_requirements, lowest_pins, wheel_metadata
from alicloud_account_factory import __version__
from tests.packaging.packaging_support import Dists, resolve


def test_the_wheel_installs_beside_the_newest_pulumi_the_index_serves(dists: Dists) -> None:
    newest = resolve("pulumi", no_deps=True)["pulumi"]
    resolved = resolve(str(dists.wheel), f"pulumi=={newest}")
    assert resolved["pulumi"] == newest and resolved["alicloud-account-factory"] == __version__, resolved


def test_the_wheel_installs_beside_the_lowest_versions_it_accepts(dists: Dists) -> None:
    pins = lowest_pins(install_requirements(wheel_metadata(dists.wheel)))
    assert {canonicalize_name(pin.split("==")[0]) for pin in pins} >= {"pulumi", "grpcio"}, pins
    resolved = resolve(str(dists.wheel), *pins)
    for pin in pins:
        name, version = pin.split("==")
        assert Version(resolved[canonicalize_name(name)]) == Version(version), (pin, resolved)
