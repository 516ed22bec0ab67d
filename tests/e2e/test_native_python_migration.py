"""A Python program moves from the dynamic provider's `EnrolledAccount` to the generated Python SDK's (sdk/python,
on the native plugin) without a new account, through the real CLI against the emulator.

The stack first enrolls an account with the dynamic provider (programs/accounts). The program is then
replaced by programs/native/python: the same resource name and inputs, on the native type, with an alias to
the dynamic type (`pulumi-python:dynamic/alicloud-account-factory:EnrolledAccount`). The engine then sees the
same resource: no create, no replace, no EnrollAccount, no delete, nothing but reads of the service. The
state carries the dynamic provider's pickled `__provider` input; the native Diff ignores it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
from account_factory_testing.sandbox import PROGRAMS, REPO, PulumiSandbox, end_processes_left_by
from account_factory_testing.toolchain import configure_native_plugin, install_python_sdk
from alicloud_account_factory.emulator import Emulator

pytestmark = pytest.mark.timeout(600)

NATIVE = "alicloud-account-factory"
DYNAMIC_TYPE = "pulumi-python:dynamic/alicloud-account-factory:EnrolledAccount"
NATIVE_TYPE = f"{NATIVE}:index:EnrolledAccount"
#: The emulator's API actions that change nothing.
READS = ("Get", "List", "Describe")


@pytest.fixture(scope="session")
def python_sdk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdk/python pip-installed into a directory for PYTHONPATH (built from a copy: pip builds in the tree)."""
    root = tmp_path_factory.mktemp("python-sdk")
    shutil.copytree(REPO / "sdk" / "python", root / "python",
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))  # a local build's
    return install_python_sdk(root / "python", root / "site-packages")


@pytest.fixture
def migrating_sandbox(tmp_path: Path, pulumi_cli: Path, python_sdk: Path, emulator: Emulator) -> Iterator[PulumiSandbox]:
    """A Python project configured for both front doors: the dynamic provider's keys (alicloud:*) and the
    native plugin's own namespace, the plugin found through Pulumi.yaml, the generated SDK on PYTHONPATH."""
    python_path = os.pathsep.join(filter(None, [str(python_sdk), os.environ.get("PYTHONPATH")]))
    sandbox = PulumiSandbox(tmp_path / "migration", pulumi_cli, PROGRAMS / "accounts", runtime="python",
                            plugins={NATIVE: REPO / "plugin"}, env={"PYTHONPATH": python_path})
    sandbox.set_config("alicloud:region", "cn-hangzhou")
    sandbox.set_config("alicloud:accessKey", ACCESS_KEY_ID, secret=True)
    sandbox.set_config("alicloud:secretKey", SECRET, secret=True)
    # alicloud-account-factory:endpoint is read by both.
    configure_native_plugin(sandbox, emulator.endpoint, access_key_id=ACCESS_KEY_ID, secret=SECRET)
    yield sandbox
    end_processes_left_by(sandbox)


def changing_calls(emulator: Emulator) -> dict[str, int]:
    return {action: n for action, n in emulator.state()["calls"].items() if not action.startswith(READS)}


def test_a_dynamic_enrolled_account_moves_to_the_native_python_sdk_by_an_alias_without_a_new_account(
        migrating_sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox = migrating_sandbox
    sandbox.set_config("accounts", json.dumps({"team": {
        "account_name_prefix": "py-team", "display_name": "Python team", "tags": {"env": "dev"}}}))
    sandbox.up()
    [dynamic] = sandbox.resources()
    assert dynamic["type"] == DYNAMIC_TYPE
    uid = dynamic["id"]
    assert changing_calls(emulator) == {"EnrollAccount": 1}

    # The program now uses the generated SDK, with an alias to the dynamic type.
    (sandbox.project_dir / "__main__.py").write_text((PROGRAMS / "native" / "python" / "__main__.py").read_text())
    # The preview plans nothing for the account (an unchanged resource has no step, or a "same" one); the
    # dynamic provider's StackIdentity, which the program no longer makes, is deleted (no API call).
    planned = [(step["op"], step["urn"].rsplit("::", 2)[-2]) for step in sandbox.preview_json()["steps"]]
    assert {op for op, type_ in planned if type_ != "pulumi:pulumi:Stack"} <= {"same", "delete"}, planned
    assert [type_ for op, type_ in planned if op == "delete"] == [
        "pulumi-python:dynamic/alicloud-account-factory:StackIdentity"], planned

    moved = sandbox.up()
    assert "created" not in moved.output and "replaced" not in moved.output, moved
    [native] = sandbox.resources()
    assert (native["type"], native["id"]) == (NATIVE_TYPE, uid), native
    assert [str(a["AccountUid"]) for a in emulator.state()["accounts"]] == [str(uid)]
    assert changing_calls(emulator) == {"EnrollAccount": 1}, "the move calls nothing but reads"

    # The engine kept the dynamic provider's outputs (snake_case, the pickled __provider, AccountUid a
    # number): one refresh reads the account back through the native plugin, in the schema's shape, and
    # keeps the URN the account's enrollment key was made from.
    assert "__provider" in native["outputs"] and "account_uid" in native["outputs"]
    sandbox.pulumi("refresh", "--yes")
    [native] = sandbox.resources()
    assert native["outputs"]["accountUid"] == str(uid) and "__provider" not in native["outputs"], native
    assert native["outputs"]["resource_urn"] == dynamic["urn"]
    assert sorted(native["inputs"]) == ["accountNamePrefix", "displayName", "tags"]
    assert changing_calls(emulator) == {"EnrollAccount": 1}

    # The moved resource is the native plugin's from now on: an update in place (which enrolls the same
    # account again with its new tags, as every update does), no second account.
    sandbox.up("--expect-no-changes")
    assert sandbox.outputs()["account_uid"] == str(uid)
    sandbox.set_config("env", "prod")
    sandbox.up()
    assert sandbox.outputs()["tags"] == {"env": "prod"}
    sandbox.up("--expect-no-changes")
    assert [str(a["AccountUid"]) for a in emulator.state()["accounts"]] == [str(uid)]
    assert SECRET not in sandbox.files_text()
