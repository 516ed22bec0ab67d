"""docs/installing.md's "Supported versions" table says what pyproject.toml accepts and what
constraints.txt pins for the suite.

Why: the table is what a user reads before installing beside their own Pulumi SDK; a range widened
or a pin moved in the files, and not in the table, tells them something false.
"""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from account_factory_testing.dependencies import constraint_pins
from account_factory_testing.sandbox import REPO

PAGE = REPO / "docs" / "installing.md"


def table() -> dict[str, list[str]]:
    """The table's rows by their first cell (backticks dropped): the cells after it."""
    section = PAGE.read_text(encoding="utf-8").split("## Supported versions", 1)[1].lstrip("\n")
    lines = section.split("\n\n", 1)[0].splitlines()  # the table: the section's first paragraph
    assert lines and all(line.startswith("|") for line in lines), lines[:3]
    rows = {}
    for line in lines[2:]:  # after the header and its separator
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        rows[cells[0].split("`")[0].strip()] = cells[1:]  # "`pulumi` (SDK)" is pulumi's row
    return rows


def test_the_accepted_ranges_are_pyprojects() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    rows = table()
    assert SpecifierSet(rows["Python"][0]) == SpecifierSet(project["requires-python"]), rows["Python"]
    for requirement in map(Requirement, project["dependencies"]):
        assert requirement.name in rows, f"docs/installing.md's table has no row for {requirement.name}"
        assert SpecifierSet(rows[requirement.name][0]) == requirement.specifier, (requirement, rows[requirement.name])


def test_the_versions_the_suite_runs_with_are_the_constraints() -> None:
    pins = constraint_pins(REPO / "constraints.txt")
    rows = table()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for name in (Requirement(line).name for line in project["dependencies"]):
        assert rows[name][-1] == pins[canonicalize_name(name)], (name, rows[name], pins[canonicalize_name(name)])
    cli = re.search(r"^PULUMI_VERSION=(\S+)$", (REPO / "scripts" / "pulumi-cli.sh").read_text(), re.M)
    assert cli and rows["Pulumi CLI"][-1].startswith(f"v{cli.group(1)} "), rows["Pulumi CLI"]
