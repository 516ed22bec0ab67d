"""What the packaging tests share: building the sdist and the wheel, asking the index, release rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from account_factory_testing.sandbox import REPO

#: What a build never needs, and must never see (state, virtualenvs, earlier builds).
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".demo", ".pulumi-state", "build", "dist", "*.egg-info",
                                    "__pycache__", "*.pyc", ".pytest_cache", ".hypothesis")
#: A CHANGELOG.md release heading: `## [0.2.0] - 2026-12-01` or `## [0.2.0] - Unreleased`.
RELEASE_HEADING = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\S+)\s*$", re.M)
#: The owner in the project URLs until the repository is published.
URL_PLACEHOLDER = "/OWNER/"
#: What pip says when it cannot reach the index at all (as opposed to finding no fitting version).
NO_INDEX = re.compile(r"Failed to establish a new connection|Network is unreachable|Temporary failure in name")


@dataclass(frozen=True)
class Dists:
    """The sdist and the wheel `python -m build` made, and their file lists."""

    sdist: Path
    wheel: Path

    def sdist_names(self) -> list[str]:
        with tarfile.open(self.sdist) as archive:
            top = archive.getnames()[0].split("/")[0]
            return [name.removeprefix(f"{top}/") for name in archive.getnames() if name != top]

    def wheel_names(self) -> list[str]:
        with zipfile.ZipFile(self.wheel) as archive:
            return archive.namelist()

    def contents(self) -> dict[str, bytes]:
        """Every file of both, by `sdist:NAME` / `wheel:NAME`."""
        found: dict[str, bytes] = {}
        with tarfile.open(self.sdist) as archive:
            for member in archive.getmembers():
                data = archive.extractfile(member) if member.isfile() else None
                if data is not None:
                    found[f"sdist:{member.name}"] = data.read()
        with zipfile.ZipFile(self.wheel) as archive:
            for name in archive.namelist():
                found[f"wheel:{name}"] = archive.read(name)
        return found


def index_unreachable(why: str) -> None:
    """Skip when the package index cannot be reached, except in CI (CI=true), where it fails."""
    message = f"the package index is needed: {why}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def build_dists(out: Path) -> Dists:
    """`python -m build` of a copy of the checkout (as `make dist` does, with constraints.txt's setuptools):
    the sdist, then the wheel built from that sdist, so the sdist is proven complete enough to build it."""
    with tempfile.TemporaryDirectory(prefix="dist-source-") as source:
        tree = Path(source) / "alicloud-account-factory"
        shutil.copytree(REPO, tree, ignore=NOT_COPIED)
        env = {**os.environ, "PIP_CONSTRAINT": str(REPO / "constraints.txt")}
        run = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(tree)],
                             capture_output=True, text=True, env=env)
    if run.returncode != 0:
        output = run.stdout + run.stderr
        if NO_INDEX.search(output):
            index_unreachable(output[-2000:])
        raise AssertionError(f"python -m build failed:\n{output[-4000:]}")
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return Dists(sdist, wheel)


def resolve(*requirements: str, no_deps: bool = False) -> dict[str, str]:
    """What `pip install REQUIREMENTS` would install into an empty environment (pip's --dry-run
    --report against the index), as {name: version}; fails with pip's own words when it cannot."""
    with tempfile.TemporaryDirectory(prefix="resolve-") as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                   "--report", str(report), *(["--no-deps"] if no_deps else []), *requirements]
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            if NO_INDEX.search(run.stderr):
                index_unreachable(run.stderr[-2000:])
            raise AssertionError(f"{' '.join(requirements)} cannot be installed together:\n{run.stderr[-4000:]}")
        installed = json.loads(report.read_text())["install"]
    return {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"] for item in installed}


def release_problems(version: str, changelog: str, head_tags: list[str], project_urls: list[str]) -> list[str]:
    """Why the code's version, CHANGELOG.md's top entry, a `v*` tag on HEAD and the project URLs disagree."""
    problems: list[str] = []
    top = RELEASE_HEADING.search(changelog)
    if top is None:
        return ["CHANGELOG.md has no entry `## [X.Y.Z] - YYYY-MM-DD` (or `- Unreleased`)"]
    if top["version"] != version:
        problems.append(f"CHANGELOG.md's top entry is {top['version']}, the code says {version} "
                        f"(alicloud_account_factory.__version__)")
    dated = re.fullmatch(r"\d{4}-\d{2}-\d{2}", top["date"]) is not None
    if not dated and top["date"] != "Unreleased":
        problems.append(f"CHANGELOG.md's top entry is dated {top['date']!r}: YYYY-MM-DD or Unreleased")
    for tag in (t for t in head_tags if t.startswith("v")):
        if tag != f"v{version}":
            problems.append(f"HEAD is tagged {tag}, the code says {version}")
        if not dated:
            problems.append(f"HEAD is tagged {tag} but CHANGELOG.md's entry still says {top['date']}")
        placeholders = [url for url in project_urls if URL_PLACEHOLDER in url]
        if placeholders:
            problems.append(f"HEAD is tagged {tag} but the project URLs still hold the placeholder: {placeholders}")
    return problems


def head_tags() -> list[str]:
    """The tags on HEAD ([] outside a git checkout, as in an unpacked sdist)."""
    run = subprocess.run(["git", "-C", str(REPO), "tag", "--points-at", "HEAD"], capture_output=True, text=True)
    return run.stdout.split() if run.returncode == 0 else []
