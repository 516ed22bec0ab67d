"""The native plugin (`pulumi-resource-alicloud-account-factory`) from a Pulumi YAML program, through the
real CLI against the emulator: up, preview of an update and of a replace, refresh, destroy; the
secret key nowhere in state or output.

The engine starts the plugin from the program's Pulumi.yaml (`plugins: providers: [{name, path}]`,
the checkout's plugin/ directory); its configuration is its own namespace (`alicloud-account-factory:*`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
from account_factory_testing.sandbox import PROGRAMS, PulumiSandbox, end_processes_left_by, steps
from alicloud_account_factory.emulator import Emulator

PLUGIN_DIR = Path(__file__).resolve().parents[2] / "plugin"
NATIVE = "alicloud-account-factory"
NativeSandboxFactory = Callable[..., PulumiSandbox]


@pytest.fixture
def native_sandbox_for(tmp_path: Path, pulumi_toolchain: Path, emulator: Emulator) -> Iterator[NativeSandboxFactory]:
    """native_sandbox_for(program="yaml") -> a sandbox of programs/native/<program>, configured for the
    emulator in the plugin's own namespace, with the key pair as secrets (as a user would)."""
    made: list[PulumiSandbox] = []

    def make(program: str = "yaml") -> PulumiSandbox:
        sandbox = PulumiSandbox(tmp_path / f"{program}{len(made)}", pulumi_toolchain, PROGRAMS / "native" / program,
                                project=f"native-{program}", runtime="yaml", plugins={NATIVE: PLUGIN_DIR},
                                provider_state=tmp_path / "provider-state")
        sandbox.set_config(f"{NATIVE}:region", "cn-hangzhou")
        sandbox.set_config(f"{NATIVE}:endpoint", emulator.endpoint)
        sandbox.set_config(f"{NATIVE}:accessKey", ACCESS_KEY_ID, secret=True)
        sandbox.set_config(f"{NATIVE}:secretKey", SECRET, secret=True)
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        end_processes_left_by(sandbox)


def one_line(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.enroll_seconds(4)
def test_a_yaml_program_enrolls_previews_refreshes_and_destroys_through_the_native_plugin(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    sandbox = native_sandbox_for()

    assert steps(sandbox.preview_json())["team"]["op"] == "create"
    assert sum(emulator.state()["calls"].values()) == 0, "a preview of a new stack calls no API"

    run = sandbox.up()
    assert f"{NATIVE}:index:EnrolledAccount team created" in one_line(run.output), run
    # The provider's progress reaches the CLI while create waits: "[i/n] ITEM: Status".
    assert re.search(r"team creating \(\d+s\) \[\d/\d\] ACS-BP_ACCOUNT_FACTORY_\w+: Running", run.output), run.output
    outputs = sandbox.outputs()
    accounts = {str(a["AccountUid"]): a for a in emulator.state()["accounts"]}
    assert outputs["status"] == "Finished" and set(accounts) == {outputs["accountUid"]}
    assert [item["status"] for item in outputs["progress"]] == ["Finished"] * len(outputs["progress"])
    [team] = sandbox.resources()
    assert team["type"] == f"{NATIVE}:index:EnrolledAccount" and team["id"] == outputs["accountUid"]

    # Nothing to do the second time; a changed tag is an update, a changed display name a replace.
    sandbox.up("--expect-no-changes")
    sandbox.set_config("env", "prod")
    assert steps(sandbox.preview_json())["team"]["op"] == "update"
    assert re.search(r"EnrolledAccount team update \[diff: ~tags\]", sandbox.pulumi("preview").output)
    sandbox.set_config("displayName", "Renamed team")
    planned = steps(sandbox.preview_json())["team"]
    assert planned["op"] == "replace" and "displayName" in planned.get("replaceReasons", []), planned
    sandbox.set_config("displayName", "Native team")

    sandbox.up()
    assert len(emulator.state()["accounts"]) == 1, "an update enrolls no second account"
    [team] = sandbox.resources()
    assert team["outputs"]["tags"] == {"env": "prod"} and team["inputs"]["tags"] == {"env": "prod"}
    refreshed = sandbox.pulumi("refresh", "--yes")
    assert "error" not in refreshed.output.lower(), refreshed
    sandbox.up("--expect-no-changes")

    # The secret key is nowhere: not in the state, the history, the logs, nor the CLI's output.
    assert SECRET not in sandbox.files_text()
    assert SECRET not in run.output and SECRET not in refreshed.output

    destroyed = sandbox.pulumi("destroy", "--yes")
    assert "stays enrolled in Account Factory" in one_line(destroyed.output), destroyed
    assert sandbox.resources() == []
