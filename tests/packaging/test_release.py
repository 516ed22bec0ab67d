"""A version that a tag marks: the code's `__version__` (which pyproject.toml reads), CHANGELOG.md's
top entry and a `vX.Y.Z` tag on HEAD say the same, and a tagged release is dated and has real URLs."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

from account_factory_testing.sandbox import REPO
from alicloud_account_factory import __version__
from tests.packaging.packaging_support import head_tags, release_problems

URLS = ["https://github.com/OWNER/alicloud-account-factory"]
PUBLISHED = ["https://github.com/someone/alicloud-account-factory"]
UNRELEASED = "# Changelog\n\n## [0.3.0] - Unreleased\n\n### Added\n- x\n\n## [0.2.0] - 2026-12-01\n"
DATED = "# Changelog\n\n## [0.3.0] - 2026-12-24\n\n## [0.2.0] - 2026-12-01\n"


def test_the_code_the_changelog_and_a_tag_on_head_agree() -> None:
    entries = metadata.metadata("alicloud-account-factory").get_all("Project-URL") or []
    urls = [entry.split(", ", 1)[1] for entry in entries]
    problems = release_problems(__version__, (REPO / "CHANGELOG.md").read_text(), head_tags(), urls)
    assert not problems, problems


def install_lines_versions(text: str) -> set[str]:
    """The versions a page's install lines name: the git URL's tag and the wheel's file name."""
    return {*re.findall(r"alicloud-account-factory@v(\d+\.\d+\.\d+)", text),
            *re.findall(r"alicloud_account_factory-(\d+\.\d+\.\d+)", text)}


def test_the_readmes_install_lines_name_this_version() -> None:
    named = install_lines_versions((REPO / "README.md").read_text())
    assert named == {__version__}, f"README.md's install lines name {sorted(named)}, the code says {__version__}"


def test_no_page_of_the_docs_names_another_version() -> None:
    """docs/ may name the version (installing, releasing) or not, but never an old one."""
    named = {page.relative_to(REPO).as_posix(): versions for page in sorted((REPO / "docs").glob("*.md"))
             if (versions := install_lines_versions(page.read_text())) - {__version__}}
    assert not named, f"these pages name other versions than {__version__}: {named}"


@pytest.mark.parametrize("version, changelog, tags, urls, expected", [
    ("0.3.0", UNRELEASED, [], URLS, []),  # development towards 0.3.0
    ("0.3.0", DATED, ["v0.3.0"], PUBLISHED, []),  # the release
    ("0.3.1", UNRELEASED, [], URLS, ["top entry is 0.3.0, the code says 0.3.1"]),
    ("0.3.0", UNRELEASED, ["v0.3.0"], PUBLISHED, ["still says Unreleased"]),
    ("0.3.0", DATED, ["v0.2.9"], PUBLISHED, ["HEAD is tagged v0.2.9, the code says 0.3.0"]),
    ("0.3.0", DATED, ["v0.3.0"], URLS, ["still hold the placeholder"]),
    ("0.3.0", DATED.replace("2026-12-24", "soon"), [], URLS, ["dated 'soon'"]),
    ("0.3.0", "# Changelog\n", [], URLS, ["has no entry"]),
])
def test_the_release_rules_refuse_what_disagrees(version: str, changelog: str, tags: list[str], urls: list[str],
                                                 expected: list[str]) -> None:
    problems = release_problems(version, changelog, tags, urls)
    assert len(problems) == len(expected) and all(e in p for e, p in zip(expected, problems)), problems
