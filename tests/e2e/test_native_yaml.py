"""The native plugin (`pulumi-resource-alicloud-account-factory`) from a Pulumi YAML program, through the
real CLI against the emulator: up, preview of an update and of a replace, refresh, destroy; the
secret key nowhere in state or output.

The engine starts the plugin from the program's Pulumi.yaml (`plugins: providers: [{name, path}]`,
the checkout's plugin/ directory); its configuration is its own namespace (`alicloud-account-factory:*`).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from account_factory_testing.accounts import (ACCESS_KEY_ID, OUTLASTING_ENROLL_SECONDS, SECRET, TIMEOUT_AFTER_SENDING,
                                             emulator_for_tests)
from account_factory_testing.sandbox import (PROGRAMS, PulumiSandbox, end_processes_left_by, processes_left_by,
                                             project_manifest, steps, stop_run)
from account_factory_testing.sdk import enroll, sdk_client
from alicloud_account_factory import __version__ as VERSION
from alicloud_account_factory.emulator import Emulator

#: Each test runs the CLI several times; loaded (the whole suite on 2 cores) one took 250 s.
pytestmark = pytest.mark.timeout(600)

PLUGIN_DIR = Path(__file__).resolve().parents[2] / "plugin"
NATIVE = "alicloud-account-factory"
#: A secret tag value (programs/native/yaml's `owner` config): the tags that hold it are a secret output.
OWNER = "owner-7f3a9c@example.com"
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
        sandbox.set_configs({f"{NATIVE}:region": "cn-hangzhou", f"{NATIVE}:endpoint": emulator.endpoint},
                            {f"{NATIVE}:accessKey": ACCESS_KEY_ID, f"{NATIVE}:secretKey": SECRET, "owner": OWNER})
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        end_processes_left_by(sandbox)


def _is_secret(value: object) -> bool:
    """A value `pulumi stack export` shows encrypted."""
    return isinstance(value, dict) and "ciphertext" in value


def plain_outputs(sandbox: PulumiSandbox, name: str = "team") -> dict[str, object]:
    """A resource's outputs with their secrets in plain text (`pulumi stack export --show-secrets`)."""
    shown = json.loads(sandbox.pulumi("stack", "export", "--show-secrets").stdout)
    [resource] = [r for r in shown["deployment"]["resources"] if r["urn"].endswith(f"::{name}")]
    return {key: json.loads(value["plaintext"]) if isinstance(value, dict) and "plaintext" in value else value
            for key, value in resource["outputs"].items()}


def start_up_and_wait_for_the_enrollment(sandbox: PulumiSandbox, emulator: Emulator, log: Path) -> subprocess.Popen[bytes]:
    """`pulumi up` in the background, returned once the emulator holds the enrollment it sent."""
    process = sandbox.start("up", "--yes", "--skip-preview", log=log)
    deadline = time.monotonic() + 60
    while not emulator.state()["accounts"]:
        if process.poll() is not None or time.monotonic() > deadline:
            stop_run(sandbox, process)
            raise AssertionError(f"the create never enrolled the account:\n{log.read_text()}")
        time.sleep(0.1)
    return process


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
    assert _is_secret(team["outputs"]["tags"]) and _is_secret(team["inputs"]["tags"]), team
    assert _is_secret(team["outputs"]["__inputs"]), "the record of the inputs is always a secret"
    assert plain_outputs(sandbox)["tags"] == {"env": "prod", "owner": OWNER}
    refreshed = sandbox.pulumi("refresh", "--yes")
    assert "error" not in refreshed.output.lower(), refreshed
    sandbox.up("--expect-no-changes")

    # The secret key and the secret tag are nowhere: not in the state, the history, the logs, nor the CLI's output.
    for secret in (SECRET, OWNER):
        assert secret not in sandbox.files_text()
        assert secret not in run.output and secret not in refreshed.output

    destroyed = sandbox.pulumi("destroy", "--yes")
    assert "stays enrolled in Account Factory" in one_line(destroyed.output), destroyed
    assert sandbox.resources() == []


def test_a_yaml_program_vends_a_baseline_and_two_accounts_one_feeding_the_other(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    sandbox = native_sandbox_for("fleet")
    sandbox.up()
    outputs = sandbox.outputs()
    accounts = {str(a["AccountUid"]): a for a in emulator.state()["accounts"]}
    assert set(accounts) == {outputs["first"], outputs["second"]}
    assert outputs["secondTags"] == {"follows": outputs["first"]}
    assert outputs["baselineId"].startswith("afb-")
    assert [item["name"] for item in outputs["baselineItems"]] == ["ACS-BP_ACCOUNT_FACTORY_VPC"]
    [baseline] = sandbox.resources(":AccountFactoryBaseline")
    assert baseline["id"] == outputs["baselineId"]
    # The look-ups as invokes, one fed by the baseline's output.
    assert {row["name"] for row in outputs["catalog"]} == {"ACS-BP_ACCOUNT_FACTORY_VPC"}
    assert all("dependsOn" in row for row in outputs["catalog"])
    assert outputs["readBackName"] == "native-network"
    # (getBaselines depends on nothing: it runs before the baseline is created, and lists the service's own)
    assert "System" in {row["type"] for row in outputs["baselines"]}, outputs["baselines"]

    # A changed item config updates the baseline in place; the accounts are left as they are.
    sandbox.set_config("vpcName", "other")
    planned = {step["urn"].rsplit("::", 1)[-1]: step["op"] for step in sandbox.preview_json()["steps"]}
    assert planned["network"] == "update" and "first" not in planned and "second" not in planned, planned
    sandbox.up()
    assert '"VpcName":"other"' in sandbox.outputs()["baselineItems"][0]["config"].replace(" ", "")
    assert sandbox.outputs()["baselineId"] == outputs["baselineId"]
    sandbox.up("--expect-no-changes")
    sandbox.pulumi("destroy", "--yes")
    assert sandbox.resources(":AccountFactoryBaseline") == [] and sandbox.resources() == []


def test_pulumi_import_adopts_an_enrolled_account_into_the_native_resource(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    """`pulumi import alicloud-account-factory:index:EnrolledAccount NAME UID`: the engine reads the
    account through the plugin (the dynamic provider cannot: see test_cli_import_and_fleet)."""
    sandbox = native_sandbox_for()
    sandbox.up()
    uid = sandbox.outputs()["accountUid"]
    other = native_sandbox_for()  # another stack, whose program has no such resource
    calls = sum(emulator.state()["calls"].get(action, 0) for action in ("EnrollAccount",))

    imported = other.pulumi("import", f"{NATIVE}:index:EnrolledAccount", "adopted", uid, "--yes")
    assert "imported" in one_line(imported.output), imported
    [adopted] = [r for r in other.resources() if r["urn"].endswith("::adopted")]
    assert adopted["id"] == uid and adopted["outputs"]["status"] == "Finished"
    assert adopted["inputs"]["accountNamePrefix"] == "native-team" and "accountUid" not in adopted["inputs"]
    assert "accountNamePrefix: native-team" in imported.output, "the generated code holds the read inputs"
    assert sum(emulator.state()["calls"].get(action, 0) for action in ("EnrollAccount",)) == calls
    assert len(emulator.state()["accounts"]) == 1
    refreshed = other.pulumi("refresh", "--yes")
    assert "adopted" in refreshed.output

    # The `import` option of a program, in a third stack: the program's inputs must match what Read found.
    third = native_sandbox_for()
    program = (PROGRAMS / "native" / "imported" / "Main.yaml").read_text().replace("IMPORT_UID", uid)
    (third.project_dir / "Main.yaml").write_text(program)
    option = third.up()
    assert "adopted imported" in one_line(option.output), option
    assert third.outputs() == {"accountUid": uid}
    assert emulator.state()["calls"].get("EnrollAccount", 0) == calls, option.output
    assert len(emulator.state()["accounts"]) == 1


@pytest.mark.enroll_seconds(OUTLASTING_ENROLL_SECONDS)
def test_a_create_that_times_out_while_enrolling_is_kept_and_the_next_up_continues_it(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    """The create answers a partially created resource (ErrorResourceInitFailed with its id and outputs):
    the engine keeps the account in the state, and the next `up` waits for it through Update, with no
    second EnrollAccount."""
    sandbox = native_sandbox_for("timeout")
    first = sandbox.up(check=False)
    assert first.returncode != 0 and f"timed out after {TIMEOUT_AFTER_SENDING} waiting" in one_line(first.output), first
    [slow] = sandbox.resources()
    [account] = emulator.state()["accounts"]
    assert slow["id"] == str(account["AccountUid"]) and slow["outputs"]["status"] != "Finished"
    assert slow.get("initErrors"), slow

    second = sandbox.up()
    assert "slow updated" in one_line(second.output) or "slow updating" in second.output, second
    assert emulator.state()["calls"]["EnrollAccount"] == 1, "the next up continued the enrollment"
    assert sandbox.outputs() == {"accountUid": str(account["AccountUid"]), "status": "Finished"}
    assert len(emulator.state()["accounts"]) == 1
    assert not sandbox.resources()[0].get("initErrors")


def test_two_explicit_provider_instances_use_their_own_endpoint_and_credentials(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    sandbox = native_sandbox_for("providers")
    with emulator_for_tests(enroll_seconds=1.0) as other:
        sandbox.set_config("endpointA", emulator.endpoint)
        sandbox.set_config("endpointB", other.endpoint)
        sandbox.set_config("accessKey", ACCESS_KEY_ID)
        sandbox.set_config("secretKey", SECRET, secret=True)
        run = sandbox.up()
        outputs = sandbox.outputs()
        assert [str(a["AccountUid"]) for a in emulator.state()["accounts"]] == [outputs["east"]]
        assert [str(a["AccountUid"]) for a in other.state()["accounts"]] == [outputs["west"]]
        assert outputs["westRegion"] == "cn-shanghai"
        assert SECRET not in sandbox.files_text() and SECRET not in run.output
        sandbox.pulumi("destroy", "--yes")


def test_the_plugin_archive_installs_with_pulumi_plugin_install_and_runs_a_program(
        tmp_path: Path, native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    """`make plugin`'s archive, installed into the plugin cache: the program's Pulumi.yaml names no path."""
    built = subprocess.run([str(PLUGIN_DIR.parent / "scripts" / "plugin-archive.sh"), str(tmp_path / "dist")],
                           capture_output=True, text=True, check=True)
    archive = Path(built.stdout.strip())
    sandbox = native_sandbox_for()
    (sandbox.project_dir / "Pulumi.yaml").write_text(project_manifest(sandbox.project, "yaml", {}))
    sandbox.pulumi("plugin", "install", "resource", NATIVE, VERSION, "--file", str(archive), stack_flag=False)
    listed = sandbox.pulumi("plugin", "ls", stack_flag=False).output
    assert re.search(rf"{NATIVE}\s+resource\s+{re.escape(VERSION)}", listed), listed
    sandbox.up()
    assert sandbox.outputs()["status"] == "Finished"
    sandbox.pulumi("destroy", "--yes")


@pytest.mark.enroll_seconds(6)
def test_a_killed_up_leaves_no_second_account_and_its_plugin_ends_by_itself(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator, tmp_path: Path) -> None:
    """kill -9 of `pulumi up` while the create waits (a cancelled CI job): the orphaned plugin ends once
    its engine is gone (lifeline), and the next `up` adopts the account by its enrollment key."""
    sandbox = native_sandbox_for()
    log = tmp_path / "up.log"
    process = start_up_and_wait_for_the_enrollment(sandbox, emulator, log)
    try:
        sandbox.signal_group(process, signal.SIGKILL)
        process.wait(timeout=30)
        plugins = processes_left_by(sandbox, b"alicloud_account_factory.native")
        assert plugins, "the plugin outlives the killed CLI (it runs in a process group of its own)"
        deadline = time.monotonic() + 120  # it ends within about 15 s (lifeline.py); this bound only catches a hang
        while plugins and time.monotonic() < deadline:
            time.sleep(0.5)
            plugins = processes_left_by(sandbox, b"alicloud_account_factory.native")
        assert plugins == [], "the plugin outlived its engine by more than 120 s"
    finally:
        stop_run(sandbox, process)
    [enrolled] = emulator.state()["accounts"]

    sandbox.pulumi("cancel", "--yes")
    sandbox.pulumi("refresh", "--yes", "--clear-pending-creates")
    resumed = sandbox.up()
    assert f"adopting account {enrolled['AccountUid']}" in resumed.output, resumed.output
    assert emulator.state()["calls"]["EnrollAccount"] == 1
    assert [str(a["AccountUid"]) for a in emulator.state()["accounts"]] == [sandbox.outputs()["accountUid"]]
    sandbox.pulumi("preview", "--expect-no-changes")


def test_refresh_finds_drift_and_the_next_preview_names_it(native_sandbox_for: NativeSandboxFactory,
                                                           emulator: Emulator) -> None:
    sandbox = native_sandbox_for()
    sandbox.up()
    uid = sandbox.outputs()["accountUid"]
    # Someone re-applies the account's baseline in the console with other tags.
    enroll(sdk_client(emulator.endpoint), account_uid=int(uid), tags={"env": "changed-by-hand"})
    sandbox.pulumi("refresh", "--yes")
    assert plain_outputs(sandbox)["tags"] == {"env": "changed-by-hand"}
    preview = sandbox.pulumi("preview", "--diff", "--show-secrets").output
    assert re.search(r'~ env\s*: "changed-by-hand" => "dev"', preview), preview
    sandbox.up()
    sandbox.pulumi("refresh", "--yes")
    sandbox.up("--expect-no-changes")
    assert len(emulator.state()["accounts"]) == 1


def test_a_failed_enrollment_fails_the_up_with_its_reason_and_the_next_up_retries_the_same_account(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    emulator.add_outcome({"display_name": "Native team", "status": "Failed", "error_code": "InternalError",
                          "error_message": "A system error occurred."})
    sandbox = native_sandbox_for()
    failed = sandbox.up(check=False)
    [enrolled] = emulator.state()["accounts"]
    assert failed.returncode != 0 and enrolled["Status"] == "Failed", failed.output
    assert re.search(r"enrollment of account \d+ ended with status Failed; error InternalError",
                     one_line(failed.output)), failed.output
    retried = sandbox.up()
    [account] = emulator.state()["accounts"]
    assert account["AccountUid"] == enrolled["AccountUid"] and account["Status"] == "Finished", retried.output
    assert sandbox.outputs()["accountUid"] == str(enrolled["AccountUid"])
    assert emulator.state()["calls"]["EnrollAccount"] == 2


def test_a_renamed_resource_keeps_its_account_and_replace_on_changes_is_applied_by_the_engine(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    """The plugin never hears of aliases: the URN the account's key was made from is kept in the state,
    so an update after a rename still finds its account. `replaceOnChanges: [tags]` then makes a tag
    change a replacement, planned by the engine."""
    sandbox = native_sandbox_for()
    sandbox.up()
    uid = sandbox.outputs()["accountUid"]
    [team] = sandbox.resources()
    program = (PROGRAMS / "native" / "renamed" / "Main.yaml").read_text().replace("ALIAS_URN", team["urn"])
    (sandbox.project_dir / "Main.yaml").write_text(program)

    renamed = sandbox.up()
    assert "2 unchanged" in renamed.output and "created" not in renamed.output, renamed
    sandbox.set_config("env", "prod")  # an update of the renamed resource: it re-enrolls the same account
    updated = sandbox.up()
    assert "squad updated" in one_line(updated.output), updated
    assert sandbox.outputs()["accountUid"] == uid and len(emulator.state()["accounts"]) == 1
    [squad] = sandbox.resources()
    assert squad["urn"].endswith("::squad") and squad["outputs"]["resource_urn"] == team["urn"]
    assert plain_outputs(sandbox, "squad")["tags"] == {"env": "prod", "owner": OWNER}

    (sandbox.project_dir / "Main.yaml").write_text(program.replace("# REPLACE_ON_CHANGES", "replaceOnChanges: [tags]"))
    sandbox.set_config("env", "staging")
    planned = steps(sandbox.preview_json())["squad"]
    assert planned["op"] == "replace" and "tags" in planned.get("replaceReasons", []), planned


def _provider_identity(sandbox: PulumiSandbox) -> object:
    """The stack identity the plugin keeps in its default provider's inputs."""
    [provider] = sandbox.resources(f"pulumi:providers:{NATIVE}")
    return provider["inputs"].get("stackIdentity")


def test_the_same_project_stack_and_names_in_another_backend_get_an_account_of_their_own(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator) -> None:
    """Personal stacks of one YAML program (another organisation's backend, the same names and
    settings): the native keys carry the stack's identity, kept in the provider's state, so neither
    stack adopts (and then manages) the other's account."""
    mine, theirs = native_sandbox_for(), native_sandbox_for()
    mine.up()
    other = theirs.up()
    first, second = mine.outputs()["accountUid"], theirs.outputs()["accountUid"]
    assert first != second and "adopting" not in other.output, other.output
    assert sorted(str(a["AccountUid"]) for a in emulator.state()["accounts"]) == sorted([first, second])
    identity = _provider_identity(mine)
    assert isinstance(identity, str) and identity and identity != _provider_identity(theirs)
    mine.pulumi("preview", "--expect-no-changes")  # the identity is kept, never a provider change
    assert _provider_identity(mine) == identity


def test_a_killed_up_then_a_stack_rename_resumes_the_same_account(
        native_sandbox_for: NativeSandboxFactory, emulator: Emulator, tmp_path: Path) -> None:
    """kill -9 while the create waits, then `pulumi stack rename` (the same state and provider, other
    URNs): the next `up` adopts the account the killed run enrolled, with no second EnrollAccount."""
    sandbox = native_sandbox_for()
    process = start_up_and_wait_for_the_enrollment(sandbox, emulator, tmp_path / "up.log")
    try:
        sandbox.signal_group(process, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        stop_run(sandbox, process)
    [enrolled] = emulator.state()["accounts"]
    sandbox.pulumi("cancel", "--yes")
    sandbox.pulumi("refresh", "--yes", "--clear-pending-creates")
    sandbox.rename_stack("prod")
    resumed = sandbox.up()
    assert f"adopting account {enrolled['AccountUid']}" in resumed.output, resumed.output
    assert emulator.state()["calls"]["EnrollAccount"] == 1
    assert [str(a["AccountUid"]) for a in emulator.state()["accounts"]] == [sandbox.outputs()["accountUid"]]


@pytest.mark.enroll_seconds(6)
def test_ctrl_c_lets_the_enrolling_create_finish_and_keeps_it(native_sandbox_for: NativeSandboxFactory,
                                                              emulator: Emulator, tmp_path: Path) -> None:
    """The first Ctrl-C makes the engine send Cancel: what has sent nothing stops, a create whose
    EnrollAccount was sent finishes (its outcome belongs in the state)."""
    sandbox = native_sandbox_for()
    log = tmp_path / "up.log"
    process = start_up_and_wait_for_the_enrollment(sandbox, emulator, log)
    try:
        sandbox.signal_group(process, signal.SIGINT)
        assert process.wait(timeout=120) != 0
    finally:
        stop_run(sandbox, process)
    output = one_line(log.read_text())
    assert "cancel" in output.lower() and "team created" in output, output
    [account] = emulator.state()["accounts"]
    [team] = sandbox.resources()  # (the stack's outputs were never registered: the program was cancelled)
    assert team["id"] == str(account["AccountUid"]) and team["outputs"]["status"] == "Finished"
    sandbox.up()
    assert sandbox.outputs()["accountUid"] == team["id"]
    assert emulator.state()["calls"]["EnrollAccount"] == 1 and len(emulator.state()["accounts"]) == 1
