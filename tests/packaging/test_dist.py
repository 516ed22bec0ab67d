"""What `make dist` ships: the wheel users install and the sdist it is built from, complete, and
nothing else (no tests, no harness, no state, no secret)."""

from __future__ import annotations

import re
import sys
import tarfile

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
from account_factory_testing.dependencies import install_requirements, lower_bound, wheel_metadata
from account_factory_testing.sandbox import REPO
from alicloud_account_factory import __version__
from tests.packaging.packaging_support import Dists

PACKAGE = REPO / "provider" / "alicloud_account_factory"
#: Relative links of a Markdown file: [text](target), without anchors and web addresses.
LINK = re.compile(r"\]\((?!https?:|#|mailto:)([^)#\s]+)")


def test_the_wheel_holds_every_module_its_type_marker_and_the_license(dists: Dists) -> None:
    names = set(dists.wheel_names())
    modules = {f"alicloud_account_factory/{path.relative_to(PACKAGE).as_posix()}" for path in PACKAGE.rglob("*.py")}
    assert modules <= names, f"missing from the wheel: {sorted(modules - names)}"
    assert "alicloud_account_factory/py.typed" in names  # mypy reads the package's annotations
    licenses = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
    assert licenses and dists.contents()[f"wheel:{licenses[0]}"] == (REPO / "LICENSE").read_bytes()


def test_the_wheel_holds_nothing_but_the_package(dists: Dists) -> None:
    tops = {name.split("/")[0] for name in dists.wheel_names()}
    assert tops == {"alicloud_account_factory", f"alicloud_account_factory-{__version__}.dist-info"}, tops


def test_the_language_host_never_takes_the_package_for_a_plugin(dists: Dists) -> None:
    """Pulumi's Python language host looks for a resource plugin (a download, fatal offline) for every
    installed distribution named pulumi-* or pulumi_*, or shipping a pulumi-plugin.json that says
    `resource: true`. Ours is neither, so it needs no pulumi-plugin.json until a native plugin exists."""
    name = canonicalize_name(wheel_metadata(dists.wheel)["Name"])
    assert not name.startswith("pulumi"), name
    assert not [n for n in dists.sdist_names() + dists.wheel_names() if n.endswith("pulumi-plugin.json")]


def test_the_sdist_holds_what_the_readme_links_to_and_the_release_documents(dists: Dists) -> None:
    names = set(dists.sdist_names())
    documents = ["README.md", "RELIABILITY.md", "CHANGELOG.md",
                 *sorted(path.relative_to(REPO).as_posix() for path in (REPO / "docs").glob("*.md"))]
    assert {"docs/enrolled-account.md", "docs/account-factory-baseline.md", "docs/configuration.md"} <= set(documents)
    for document in documents:
        for target in LINK.findall((REPO / document).read_text()):
            resolved = (REPO / document).parent.joinpath(target).resolve()
            if not resolved.exists():
                continue  # a link to nothing is tests/docs/test_doc_links.py's to report
            path = resolved.relative_to(REPO).as_posix()
            assert path in names or any(n.startswith(f"{path}/") for n in names), f"{document} links to {target}"
    shipped = {path.relative_to(REPO).as_posix() for folder in ("docs", "examples")
               for path in (REPO / folder).rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    assert shipped <= names, f"missing from the sdist: {sorted(shipped - names)}"
    assert {"LICENSE", "CHANGELOG.md", "README.md", "RELIABILITY.md", "pyproject.toml",
            "provider/alicloud_account_factory/py.typed"} <= names


def test_the_sdist_leaves_out_tests_the_harness_and_stack_state(dists: Dists) -> None:
    tops = {name.split("/")[0] for name in dists.sdist_names()}
    left_out = {"tests", "testing", "benchmarks", "scripts", ".ci", ".venv", ".demo", ".git", "build", "dist"}
    assert not tops & left_out, tops
    assert not [t for t in tops if t.startswith("Pulumi.")], tops  # the dev stack's config and encryption salt


def test_neither_holds_a_secret(dists: Dists) -> None:
    """The test suite's key pair, private keys, and Pulumi stack secrets never ship. (The emulator's
    own default key pair does, on purpose: it is what the emulator accepts out of the box.)"""
    secrets = (SECRET.encode(), ACCESS_KEY_ID.encode(), b"-----BEGIN", b"encryptionsalt: v1:", b"secure: v1:")
    found = [(name, s.decode()) for name, data in dists.contents().items() for s in secrets if s in data]
    assert not found, found


def test_the_metadata_names_the_version_license_urls_and_pythons(dists: Dists) -> None:
    metadata = wheel_metadata(dists.wheel)
    assert metadata["Version"] == __version__
    with tarfile.open(dists.sdist) as archive:
        assert f"alicloud_account_factory-{__version__}/PKG-INFO" in archive.getnames()
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.10"
    urls = dict(entry.split(", ", 1) for entry in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Repository", "Issues", "Changelog"} <= set(urls), urls
    classifiers = metadata.get_all("Classifier") or []
    tested = f"Programming Language :: Python :: {sys.version_info.major}.{sys.version_info.minor}"
    assert {"Typing :: Typed", tested} <= set(classifiers), classifiers


def test_requirements_are_ranges_never_exact_pins(dists: Dists) -> None:
    """Users install ranges (exact pins are constraints.txt's, for the tests): a pin would refuse every
    other Pulumi SDK beside the package, or downgrade the one a user has."""
    metadata = wheel_metadata(dists.wheel)
    pinned = [line for line in metadata.get_all("Requires-Dist") or []
              if {s.operator for s in Requirement(line).specifier} & {"==", "==="}]
    assert not pinned, pinned
    unbounded = [str(r) for r in install_requirements(metadata) if lower_bound(r) is None]
    assert not unbounded, f"every install requirement names the lowest version it was tested with: {unbounded}"
