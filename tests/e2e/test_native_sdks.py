"""The generated SDKs checked in under sdk/ (`make sdks`), used by programs in their languages, through the
real CLI and its language hosts against the emulator, with the native plugin started from the program's
Pulumi.yaml (the checkout's plugin/ directory): a TypeScript program (sdk/nodejs) and a Go program (sdk/go).

The SDKs are used as a user of an unpublished SDK would: the Node.js one compiled with `tsc` and linked into
the program's node_modules, the Go one by a `replace` line in the program's go.mod.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Optional

import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
from account_factory_testing.sandbox import PROGRAMS, REPO, PulumiSandbox, end_processes_left_by
from account_factory_testing.toolchain import (build_node_sdk, configure_native_plugin, link_node_modules,
                                               replace_go_module)
from alicloud_account_factory.emulator import Emulator

#: Each test runs the CLI several times; the TypeScript host compiles the program on each run.
pytestmark = pytest.mark.timeout(600)

PLUGIN_DIR = REPO / "plugin"
SDK = REPO / "sdk"
NATIVE = "alicloud-account-factory"
NODE_PACKAGE = "@alicloud-account-factory/pulumi"
GO_MODULE = "github.com/OWNER/alicloud-account-factory/sdk/go"
SdkSandboxFactory = Callable[..., PulumiSandbox]


@pytest.fixture(scope="session")
def node_sdk(node_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdk/nodejs compiled (in a copy: the checked-in tree stays as `make sdks` wrote it)."""
    copy = tmp_path_factory.mktemp("node-sdk") / "nodejs"
    shutil.copytree(SDK / "nodejs", copy, ignore=shutil.ignore_patterns("bin", "node_modules"))  # a local build's
    return build_node_sdk(copy, node_packages)


@pytest.fixture
def sdk_sandbox_for(tmp_path: Path, pulumi_toolchain: Path, emulator: Emulator) -> Iterator[SdkSandboxFactory]:
    """sdk_sandbox_for(program, runtime, env=None) -> a sandbox of programs/native/<program>, configured for
    the emulator in the plugin's own namespace, with the key pair as secrets."""
    made: list[PulumiSandbox] = []

    def make(program: str, runtime: str, env: Optional[Mapping[str, str]] = None) -> PulumiSandbox:
        sandbox = PulumiSandbox(tmp_path / program, pulumi_toolchain, PROGRAMS / "native" / program,
                                project=f"native-{program}", runtime=runtime, plugins={NATIVE: PLUGIN_DIR}, env=env)
        configure_native_plugin(sandbox, emulator.endpoint, access_key_id=ACCESS_KEY_ID, secret=SECRET)
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        end_processes_left_by(sandbox)


def one_line(text: str) -> str:
    return " ".join(text.split())


def planned_ops(sandbox: PulumiSandbox) -> dict[str, str]:
    """`pulumi preview --json`: each resource's planned operation by name (baselines included)."""
    return {step["urn"].rsplit("::", 1)[-1]: step["op"] for step in sandbox.preview_json()["steps"]}


def enrolled_uids(emulator: Emulator) -> dict[str, str]:
    """The emulator's accounts: AccountUid -> status."""
    return {str(account["AccountUid"]): account["Status"] for account in emulator.state()["accounts"]}


@pytest.mark.enroll_seconds(2)
def test_a_typescript_program_on_the_generated_sdk_vends_a_baseline_and_accounts(
        sdk_sandbox_for: SdkSandboxFactory, node_sdk: Path, node_packages: Path, emulator: Emulator) -> None:
    """preview, an up whose second account fails with the service's reason, the up that retries it (the
    first account's AccountUid feeding the second's tag), an update in place, refresh and destroy."""
    sandbox = sdk_sandbox_for("typescript", "nodejs")
    link_node_modules(sandbox.project_dir, node_packages, {NODE_PACKAGE: node_sdk})

    planned = planned_ops(sandbox)
    assert {planned[name] for name in ("network", "first", "second")} == {"create"}, planned
    assert sum(emulator.state()["calls"].values()) == 0, "a preview of a new stack calls no API"

    # The service fails the second enrollment: the up fails with its reason, the first account is kept.
    emulator.add_outcome({"display_name": "TS second", "status": "Failed", "error_code": "InternalError",
                          "error_message": "A system error occurred."})
    failed = sandbox.up(check=False)
    assert failed.returncode != 0, failed
    assert re.search(r"second.*enrollment of account \d+ ended with status Failed; error InternalError",
                     one_line(failed.output)), failed.output
    assert sorted(enrolled_uids(emulator).values()) == ["Failed", "Finished"]

    # The next up retries the same account; the second account's tag is the first one's AccountUid.
    sandbox.up()
    outputs = sandbox.outputs()
    uids = enrolled_uids(emulator)
    assert set(uids) == {outputs["firstUid"], outputs["secondUid"]} and set(uids.values()) == {"Finished"}, uids
    assert outputs["secondTags"] == {"follows": outputs["firstUid"]}
    assert outputs["firstStatus"] == "Finished"
    assert outputs["baselineId"].startswith("afb-") and outputs["readBackName"] == "ts-network"
    assert emulator.state()["calls"]["EnrollAccount"] == 3, "two accounts, one retried"
    types = {resource["type"] for resource in sandbox.resources("")}
    assert {f"{NATIVE}:index:EnrolledAccount", f"{NATIVE}:index:AccountFactoryBaseline"} <= types, types

    # A changed tag is an update in place of the first account only.
    sandbox.set_config("env", "prod")
    planned = planned_ops(sandbox)
    assert planned["first"] == "update" and "second" not in planned and "network" not in planned, planned
    sandbox.up()
    first = next(r for r in sandbox.resources() if r["urn"].endswith("::first"))
    assert first["outputs"]["tags"] == {"env": "prod"}
    assert set(enrolled_uids(emulator)) == set(uids), "an update enrolls no other account"

    refreshed = sandbox.pulumi("refresh", "--yes")
    assert "error" not in refreshed.output.lower(), refreshed
    sandbox.up("--expect-no-changes")
    assert SECRET not in sandbox.files_text() and SECRET not in failed.output

    destroyed = sandbox.pulumi("destroy", "--yes")
    assert "stays enrolled in Account Factory" in one_line(destroyed.output), destroyed
    assert sandbox.resources("") == []


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_go_program_on_the_generated_sdk_enrolls_two_accounts_and_destroys(
        sdk_sandbox_for: SdkSandboxFactory, emulator: Emulator) -> None:
    """The Go host compiles the program (minutes on a cold Go build cache): one test, marked slow like the
    toolchain's Go test (`-m 'not slow'` leaves it out; make test and CI run it)."""
    # -mod=readonly: the program's checked-in go.sum must cover what the generated SDK requires.
    sandbox = sdk_sandbox_for("go", "go", env={"GOFLAGS": "-mod=readonly"})
    replace_go_module(sandbox.project_dir, GO_MODULE, SDK / "go")
    run = sandbox.pulumi("up", "--yes", "--skip-preview", timeout=1080)
    assert f"{NATIVE}:index:EnrolledAccount second created" in one_line(run.output), run
    outputs = sandbox.outputs()
    uids = enrolled_uids(emulator)
    assert set(uids) == {outputs["firstUid"], outputs["secondUid"]} and set(uids.values()) == {"Finished"}, uids
    assert outputs["secondTags"] == {"follows": outputs["firstUid"]} and outputs["firstStatus"] == "Finished"
    assert SECRET not in sandbox.files_text()

    destroyed = sandbox.pulumi("destroy", "--yes", timeout=1080)
    assert "stays enrolled in Account Factory" in one_line(destroyed.output), destroyed
    assert sandbox.resources("") == []
