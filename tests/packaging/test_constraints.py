"""constraints.txt is a complete lock: every distribution `make venv` installs is pinned there, at the
version installed (a changed pin needs `make venv`, a new dependency a pin)."""

from __future__ import annotations

from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from account_factory_testing.dependencies import constraint_pins
from account_factory_testing.sandbox import REPO

#: What `make venv` installs: the package with its dev extra, and the harness (both editable, unpinned).
ROOTS = {"alicloud-account-factory": {"dev"}, "alicloud-account-factory-testing": set()}


def _installed_closure() -> dict[str, str]:
    """Every distribution the roots require, transitively (extras and markers applied): {name: version}."""
    found: dict[str, set[str]] = {}
    todo = [(name, extras) for name, extras in ROOTS.items()]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in found and extras <= found[key]:
            continue
        found[key] = found.get(key, set()) | extras
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            environments = [{"extra": extra} for extra in ("", *extras)]
            if requirement.marker is None or any(requirement.marker.evaluate(env) for env in environments):
                todo.append((requirement.name, set(requirement.extras)))
    return {name: metadata.version(name) for name in found if name not in ROOTS}


def test_every_distribution_make_venv_installs_is_pinned_at_the_installed_version() -> None:
    pins = constraint_pins(REPO / "constraints.txt")
    installed = _installed_closure()
    unpinned = sorted(f"{name}=={version}" for name, version in installed.items() if name not in pins)
    assert not unpinned, f"add to constraints.txt: {unpinned}"
    stale = {name: (pins[name], version) for name, version in installed.items() if pins[name] != version}
    assert not stale, f"constraints.txt pins differ from what is installed (pin, installed): {stale}; run make venv"
