"""One pinned Pulumi version: the CLI that `make pulumi` builds, the Python SDK the tests run with
(constraints.txt), and the CLI in use. The package itself accepts a range of SDKs (pyproject.toml)."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata
from pathlib import Path

from account_factory_testing.sandbox import REPO


def _pinned_in_script() -> str:
    return re.search(r"^PULUMI_VERSION=(\S+)$", (REPO / "scripts" / "pulumi-cli.sh").read_text(), re.M).group(1)


def test_the_cli_script_and_the_constraints_pin_the_same_pulumi_version() -> None:
    constrained = re.search(r"^pulumi==([\d.]+)$", (REPO / "constraints.txt").read_text(), re.M).group(1)
    assert _pinned_in_script() == constrained == metadata.version("pulumi")


def test_the_cli_in_use_is_the_pinned_version_or_later(pulumi_cli: Path) -> None:
    printed = subprocess.run([str(pulumi_cli / "pulumi"), "version"], capture_output=True, text=True).stdout.strip()
    found = tuple(int(part) for part in printed.lstrip("v").split("-")[0].split("."))
    assert found >= tuple(int(part) for part in _pinned_in_script().split(".")) and found[0] == 3, printed
    for program in ("pulumi-language-python", "pulumi-language-python-exec", "pulumi-resource-pulumi-python"):
        assert (pulumi_cli / program).exists(), f"{program} is not beside pulumi in {pulumi_cli}"
