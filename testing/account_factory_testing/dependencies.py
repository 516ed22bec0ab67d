"""The package's dependency ranges (from a built wheel) and the exact pins of constraints.txt.

Users install ranges; the suite runs with the pins. The packaging tests check both, and
`make test-bounds` installs the lowest versions the ranges allow:

    python -m account_factory_testing.dependencies lowest dist/alicloud_account_factory-X.Y.Z-py3-none-any.whl
"""

from __future__ import annotations

import sys
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def wheel_metadata(wheel: Path) -> Message:
    """The METADATA of a wheel: what pip reads to resolve it."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode())


def install_requirements(metadata: Message) -> list[Requirement]:
    """The requirements a plain `pip install` of the package brings in (no extras)."""
    found = [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]
    return [r for r in found if r.marker is None or r.marker.evaluate({"extra": ""})]


def lower_bound(requirement: Requirement) -> str | None:
    """The version of the requirement's `>=` specifier, if it has one."""
    bounds = [s.version for s in requirement.specifier if s.operator == ">="]
    return bounds[0] if len(bounds) == 1 else None


def lowest_pins(requirements: list[Requirement]) -> list[str]:
    """`name==version` for each requirement at the lower bound of its range."""
    return [f"{r.name}=={lower_bound(r)}" for r in requirements if lower_bound(r) is not None]


def constraint_pins(path: Path) -> dict[str, str]:
    """The exact versions of a constraints file, by canonical distribution name."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "lowest":
        print("usage: python -m account_factory_testing.dependencies lowest WHEEL", file=sys.stderr)
        return 2
    print("\n".join(lowest_pins(install_requirements(wheel_metadata(Path(argv[1]))))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
