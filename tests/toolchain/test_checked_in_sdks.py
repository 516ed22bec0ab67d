"""The SDKs checked in under sdk/ are what `make sdks` writes from the checked-in schema.json: regenerated
into a temporary directory by tools/sdkgen (Pulumi's generators at the pinned version) and compared file
by file. A change to the schema (or to sdkgen's version of the generators) without `make sdks` fails here.

The names and the version are the schema's, set once there (its `language` blocks and `version`, written
by `make schema` from provider/alicloud_account_factory/native/schema.py): every SDK carries them.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from account_factory_testing.sandbox import REPO
from account_factory_testing.toolchain import generate_sdks

SCHEMA = REPO / "schema.json"
CHECKED_IN = REPO / "sdk"
#: What sdkgen does not write: a build of the Node.js SDK (bin/, node_modules) or of the Python one.
BUILD_OUTPUTS = ("bin", "node_modules", "build", "__pycache__", ".egg-info")


def _tree(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*"))
            if path.is_file() and not any(part in BUILD_OUTPUTS or part.endswith(".egg-info")
                                          for part in path.relative_to(root).parts)}


@pytest.fixture(scope="module")
def regenerated(sdkgen_program: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_sdks(sdkgen_program, SCHEMA, tmp_path_factory.mktemp("sdks") / "sdk")


@pytest.mark.parametrize("language", ["nodejs", "python", "go"])
def test_the_checked_in_sdk_is_what_make_sdks_writes_from_schema_json(regenerated: Path, language: str) -> None:
    expected, checked_in = _tree(regenerated / language), _tree(CHECKED_IN / language)
    missing = sorted(set(expected) - set(checked_in))
    extra = sorted(set(checked_in) - set(expected))
    changed = sorted(name for name in set(expected) & set(checked_in) if expected[name] != checked_in[name])
    assert not (missing or extra or changed), (
        f"sdk/{language} is stale: run `make sdks` and commit sdk/ "
        f"(missing {missing[:5]}, not generated {extra[:5]}, different {changed[:5]})")


def test_the_sdks_carry_the_names_and_version_the_schema_sets_once() -> None:
    schema = json.loads(SCHEMA.read_text())
    version, language = schema["version"], schema["language"]
    plugin = {"resource": True, "name": schema["name"], "version": version}

    package = json.loads((CHECKED_IN / "nodejs" / "package.json").read_text())
    assert (package["name"], package["version"]) == (language["nodejs"]["packageName"], version)
    assert package["pulumi"] == plugin

    python_package = language["python"]["packageName"]
    project = tomllib.loads((CHECKED_IN / "python" / "pyproject.toml").read_text())["project"]
    assert (project["name"], project["version"]) == (python_package, version)
    assert json.loads((CHECKED_IN / "python" / python_package / "pulumi-plugin.json").read_text()) == plugin

    import_path = language["go"]["importBasePath"]
    module = import_path.rsplit("/", 1)[0]
    assert (CHECKED_IN / "go" / "go.mod").read_text().startswith(f"module {module}\n")
    go_package = import_path.rsplit("/", 1)[1]
    go_plugin = json.loads((CHECKED_IN / "go" / go_package / "pulumi-plugin.json").read_text())
    assert go_plugin == plugin
