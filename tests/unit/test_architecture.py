"""The package's layers, from its imports as written (ast): front doors -> wings -> core, no wing into
another, no private name of another module, nothing below the root importing it, the emulator apart;
and docs/development.md's drawing and module map current (account_factory_testing.architecture)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from account_factory_testing import architecture


def test_no_import_breaks_the_layers() -> None:
    edges = architecture.imports()
    assert len(edges) > 100  # the graph was read (a broken reader finds nothing to refuse)
    assert architecture.violations(edges) == []


def test_no_module_imports_another_modules_private_name() -> None:
    """The emulator included (its model's modules once shared `_compact`, `_encode_token`, ...)."""
    assert architecture.private_imports(architecture.imports()) == set()


def test_the_baseline_provider_does_not_subclass_the_account_provider() -> None:
    from alicloud_account_factory.baseline_provider import AccountFactoryBaselineProvider
    from alicloud_account_factory.provider import EnrolledAccountProvider

    assert not issubclass(AccountFactoryBaselineProvider, EnrolledAccountProvider)


def test_accounts_and_baselines_share_one_connection_so_one_pace() -> None:
    from alicloud_account_factory.baselines.catalog import shared_client
    from alicloud_account_factory.core.context import connection
    from alicloud_account_factory.core.settings import ProviderSettings
    from alicloud_account_factory.provider import _services

    settings = ProviderSettings.from_config(lambda key: None)
    accounts = _services(settings, "cn-hangzhou").client
    baselines = shared_client(settings, "cn-hangzhou")
    assert accounts._connection is baselines._connection is connection(settings, "cn-hangzhou")
    assert accounts._pace is baselines._pace
    assert shared_client(settings, "cn-shanghai")._pace is not baselines._pace


# --- the rules can fail: each violation, written into a copy of the package ------------------------


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / architecture.PACKAGE_NAME
    shutil.copytree(architecture.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _violations_with(package: Path, module: str, line: str) -> list[str]:
    path = package / module
    path.write_text(path.read_text() + f"\n\ndef _added() -> None:\n    {line}\n")  # (function level counts too)
    return architecture.violations(architecture.imports(package))


@pytest.mark.parametrize(("module", "line", "rule"), [
    ("core/errors.py", "from ..accounts.model import Enrollment", "an import back up (core -> wing)"),
    ("core/timeouts.py", "from alicloud_account_factory.provider import EnrolledAccountProvider",
     "an import back up (core -> front door)"),
    ("accounts/fields.py", "from ..baseline_resource import AccountFactoryBaseline", "an import back up (wing -> front door)"),
    ("baselines/fields.py", "from ..accounts import fields", "a wing imports another wing (baselines -> accounts)"),
    ("accounts/waiter.py", "from ..dynamic.lifeline import watch_engine", "a wing imports another wing (accounts -> dynamic)"),
    ("baseline_provider.py", "from .provider import _services", "private name(s) _services"),
    ("core/transport.py", "from .. import __version__", "nothing below the package root imports it"),
    ("emulator/server.py", "from ..core.errors import ApiError", "the emulator and the provider share nothing"),
    ("core/errors.py", "from ..emulator import Emulator", "the emulator and the provider share nothing"),
])
def test_each_rule_refuses_its_violation(package_copy: Path, module: str, line: str, rule: str) -> None:
    assert architecture.violations(architecture.imports(package_copy)) == []
    found = _violations_with(package_copy, module, line)
    assert len(found) == 1 and rule in found[0], found


def test_relative_and_absolute_imports_resolve_to_modules(package_copy: Path) -> None:
    edges = architecture.imports(package_copy)
    pairs = {(e.importer, e.imported) for e in edges}
    assert ("provider", "accounts.fields") in pairs  # `from .accounts import fields`: the module, not the package
    assert ("accounts.enrollment_steps", "core.exactly_once") in pairs  # `from ..core.exactly_once import ...`
    assert ("", "resource") in pairs  # the root's TYPE_CHECKING imports count


# --- docs/development.md ------------------------------------------------------------------------


def test_the_drawing_in_development_md_is_current() -> None:
    text = architecture.DEVELOPMENT_MD.read_text()
    assert architecture.with_drawing(text, architecture.imports()) == text, \
        "docs/development.md's drawing of the imports is stale: run `make drawing`"


def test_the_drawing_shows_every_module_of_the_provider_once() -> None:
    drawn = architecture.drawing(architecture.imports())
    for name in architecture.modules():
        if architecture.layer(name) != architecture.EMULATOR and name not in (*architecture.WINGS, "core"):
            assert drawn.count(f"{architecture._node(name)}[") == 1, name


def test_the_module_map_names_every_module_and_no_other() -> None:
    assert architecture.map_problems(architecture.DEVELOPMENT_MD.read_text()) == []


def test_the_module_map_check_fails_on_a_missing_or_stale_line(package_copy: Path) -> None:
    text = architecture.DEVELOPMENT_MD.read_text()
    (package_copy / "core" / "new_piece.py").write_text('"""A module nobody mapped."""\n')
    assert architecture.map_problems(text, package_copy) == ["the module map misses core/new_piece.py"]
    (package_copy / "core" / "new_piece.py").unlink()
    (package_copy / "core" / "pacing.py").unlink()
    assert architecture.map_problems(text, package_copy) == ["the module map names core/pacing.py, which does not exist"]
