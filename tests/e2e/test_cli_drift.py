"""Drift through the real CLI: after `pulumi refresh` found a change made behind Pulumi's back, the next
`pulumi preview` names what it will put back, and nothing else in the state moved.

A dynamic provider sends no detailed diff, so the CLI names the inputs whose stored value differs from
the program's: a refresh must store the inputs the service now reports (for the fields it reads back),
and keep every other input (the provider blob, URN, aliases, stack identity, timeouts, secrets) as it was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from alibabacloud_governance20210120 import models

from account_factory_testing.sandbox import PROGRAMS, SPECIAL_VALUE_SIGNATURE, PulumiSandbox, SandboxFactory
from account_factory_testing.sdk import enroll, sdk_client
from alicloud_account_factory.emulator import Emulator

NEW = {"account_name_prefix": "e2e-drift", "display_name": "E2E drift", "folder_id": "fd-Sandbox001",
       "tags": {"env": "dev", "team": "a"}, "custom_timeouts": {"create": "30m"}}
TOKEN = "drift-Token-MUST-NOT-LEAK-5Rw"


def _plain_inputs(sandbox: PulumiSandbox, type_suffix: str) -> dict[str, Any]:
    """The one resource's stored inputs, secrets decrypted (`__provider` included)."""
    deployment = json.loads(sandbox.pulumi("stack", "export", "--show-secrets").stdout)["deployment"]
    [resource] = [r for r in deployment["resources"] if r["type"].endswith(type_suffix)]
    return dict(resource["inputs"])


def test_preview_after_a_refresh_names_the_tags_it_puts_back(sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"team": NEW})
    sandbox.up()
    uid = sandbox.outputs()["team"]["account_uid"]
    before = _plain_inputs(sandbox, ":EnrolledAccount")

    # Someone re-applies the account's baseline in the console with other tags.
    enroll(sdk_client(emulator.endpoint), account_uid=uid, tags={"env": "changed-by-hand", "team": "a"})
    sandbox.pulumi("refresh", "--yes")

    preview = sandbox.pulumi("preview").output
    assert re.search(r"EnrolledAccount team update \[diff: ~tags\]", preview), preview
    detailed = sandbox.pulumi("preview", "--diff").output
    assert re.search(r'~ env\s*: "changed-by-hand" => "dev"', detailed), detailed
    # Only the drifted input moved: the blob, URN, stack identity and timeouts are as the last `up` left them.
    after = _plain_inputs(sandbox, ":EnrolledAccount")
    assert after["tags"] == {"env": "changed-by-hand", "team": "a"}
    assert {k: v for k, v in after.items() if k != "tags"} == {k: v for k, v in before.items() if k != "tags"}

    sandbox.up()  # puts the program's tags back; then nothing is left to do
    assert _plain_inputs(sandbox, ":EnrolledAccount") == before
    sandbox.pulumi("refresh", "--yes")
    assert _plain_inputs(sandbox, ":EnrolledAccount") == before  # a refresh without drift moves nothing
    sandbox.pulumi("preview", "--expect-no-changes")


def test_a_secret_input_read_back_stays_secret_and_the_preview_names_its_drift(
        sandbox_for: SandboxFactory, emulator: Emulator, tmp_path: Path) -> None:
    item_file = tmp_path / "signing-key"
    item_file.write_text("file-Key-MUST-NOT-LEAK-8Jd")
    sandbox = sandbox_for(PROGRAMS / "secret_items", resource="account", itemFile=str(item_file))
    sandbox.set_config("token", TOKEN, secret=True)
    sandbox.up()
    [account] = emulator.state()["accounts"]

    # Re-enrolled by hand with one item of another config: the secret items are no longer what it holds.
    enroll(sdk_client(emulator.endpoint), account_uid=account["AccountUid"],
           baseline_items=[{"Name": "ACS-BP_ACCOUNT_FACTORY_VPC", "Config": '{"VpcName": "by-hand"}'}])
    sandbox.pulumi("refresh", "--yes")

    [resource] = sandbox.resources()
    assert set(resource["inputs"]["baseline_items"]) == {SPECIAL_VALUE_SIGNATURE, "ciphertext"}
    # The CLI hides secrets before it compares inputs for display: a drifted secret input is named only
    # when secrets may be shown (a dynamic provider cannot send the detailed diff that would name it).
    shown = sandbox.pulumi("preview", "--show-secrets").output
    assert re.search(r"EnrolledAccount secret-account update \[diff: ~baseline_items\]", shown), shown
    preview = sandbox.pulumi("preview").output
    assert re.search(r"EnrolledAccount secret-account update", preview), preview
    assert TOKEN not in preview and TOKEN not in sandbox.pulumi("preview", "--diff").output


def test_preview_after_a_refresh_names_a_baselines_description_changed_in_the_console(
        sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    sandbox = sandbox_for(PROGRAMS / "baseline", accounts="0")
    sandbox.up()
    baseline_id = sandbox.outputs()["baseline_id"]
    before = _plain_inputs(sandbox, ":AccountFactoryBaseline")

    sdk_client(emulator.endpoint).update_account_factory_baseline(models.UpdateAccountFactoryBaselineRequest(
        baseline_id=baseline_id, description="edited in the console", region_id="cn-hangzhou"))
    sandbox.pulumi("refresh", "--yes")

    preview = sandbox.pulumi("preview").output
    assert re.search(r"AccountFactoryBaseline platform-baseline update \[diff: ~description\]", preview), preview
    after = _plain_inputs(sandbox, ":AccountFactoryBaseline")
    assert after["description"] == "edited in the console"
    assert {k: v for k, v in after.items() if k != "description"} == \
        {k: v for k, v in before.items() if k != "description"}
