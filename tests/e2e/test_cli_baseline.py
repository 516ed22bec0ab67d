"""AccountFactoryBaseline beside the accounts it vends, through the real CLI."""

from __future__ import annotations

import json
import re

from account_factory_testing.sandbox import PROGRAMS, SandboxFactory
from alicloud_account_factory.emulator import Emulator

TOKEN = "hook-Token-MUST-NOT-LEAK-93kq"


def test_preview_then_up_creates_the_baseline_first_and_the_accounts_use_it(sandbox_for: SandboxFactory,
                                                                            emulator: Emulator) -> None:
    sandbox = sandbox_for(PROGRAMS / "baseline")
    preview = sandbox.preview_json()
    planned = {step["urn"].rsplit("::", 1)[-1]: step["op"] for step in preview["steps"]}
    assert planned["platform-baseline"] == planned["team-0"] == planned["team-1"] == "create"
    assert sum(emulator.state()["calls"].values()) == 0  # baseline_id is unknown in preview: no API call

    sandbox.up()
    outputs = sandbox.outputs()
    baseline_id = outputs["baseline_id"]
    assert baseline_id.startswith("afb-")
    assert {a["baseline_id"] for a in outputs["accounts"].values()} == {baseline_id}
    enrolled = emulator.state()["accounts"]
    assert len(enrolled) == 2 and {a["BaselineId"] for a in enrolled} == {baseline_id}


def test_a_rollout_preview_names_the_baselines_items_and_each_accounts_baseline_id(
        sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    """docs/account-factory-baseline.md, "Rolling a changed baseline out": what the preview shows, then the
    accounts re-enrolled in place."""
    sandbox = sandbox_for(PROGRAMS / "baseline", followItems="true")
    sandbox.up()
    uids = {a["AccountUid"] for a in emulator.state()["accounts"]}
    sandbox.set_config("vpcName", "rolled")

    preview = sandbox.pulumi("preview").output
    assert re.search(r"AccountFactoryBaseline platform-baseline update \[diff: ~baseline_items\]", preview), preview
    for team in ("team-0", "team-1"):
        # The baseline's outputs are unknown until it is updated: the account's line names baseline_id.
        assert re.search(rf"EnrolledAccount {team} update \[diff: ~baseline_id\]", preview), preview
    assert "replace" not in preview
    detailed = sandbox.pulumi("preview", "--diff").output
    assert re.search(r'VpcName\s*: "main" => "rolled"', detailed), detailed  # under the baseline
    assert re.search(r"~ baseline_id\s*: \"afb-\w+\" => \[unknown\]", detailed), detailed  # under each account
    assert re.search(r"baseline_items\s*: \[secret\]", detailed), detailed

    sandbox.up()
    enrolled = emulator.state()["accounts"]
    assert {a["AccountUid"] for a in enrolled} == uids  # the same accounts, re-enrolled in place
    for account in enrolled:
        [vpc] = [i for i in account["BaselineItems"] if i["Name"] == "ACS-BP_ACCOUNT_FACTORY_VPC"]
        assert json.loads(vpc["Config"])["VpcName"] == "rolled" and account["Status"] == "Finished"


def test_a_secret_in_an_item_config_stays_secret(sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    sandbox = sandbox_for(PROGRAMS / "baseline", accounts="1")
    sandbox.set_config("webhookToken", TOKEN, secret=True)
    sandbox.up()
    assert TOKEN not in sandbox.pulumi("stack", "export").stdout
    assert TOKEN not in sandbox.files_text()
    plain = json.loads(sandbox.pulumi("stack", "output", "--json").stdout)
    assert plain["baseline_items"] == "[secret]"
    assert TOKEN in json.dumps(sandbox.outputs()["baseline_items"])  # --show-secrets: it is there, encrypted


def test_destroy_cannot_delete_a_baseline_its_accounts_still_use_unless_it_is_retained(
        sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    """Accounts stay enrolled after destroy (there is no un-enroll API), so their baseline stays in use."""
    sandbox = sandbox_for(PROGRAMS / "baseline", accounts="1")
    sandbox.up()
    baseline_id = sandbox.outputs()["baseline_id"]
    uid = sandbox.outputs()["accounts"]["team-0"]["account_uid"]

    refused = sandbox.pulumi("destroy", "--yes", check=False)
    assert refused.returncode != 0 and str(uid) in refused.output, refused.output
    assert any(b["BaselineId"] == baseline_id for b in emulator.state()["baselines"])  # nothing half-deleted

    sandbox.set_config("retainBaseline", "true")
    sandbox.up()
    sandbox.pulumi("destroy", "--yes")
    assert sandbox.resources(":AccountFactoryBaseline") == []
    assert any(b["BaselineId"] == baseline_id for b in emulator.state()["baselines"])  # retained


def test_a_protected_baseline_fails_destroy_without_an_api_call_until_it_is_unprotected(
        sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    sandbox = sandbox_for(PROGRAMS / "baseline", accounts="0", protectBaseline="true")
    sandbox.up()
    baseline_id = sandbox.outputs()["baseline_id"]
    [registered] = sandbox.resources(":AccountFactoryBaseline")
    assert registered.get("protect") is True
    calls = dict(emulator.state()["calls"])

    refused = sandbox.pulumi("destroy", "--yes", check=False)
    assert refused.returncode != 0
    said = " ".join(refused.output.split())  # the CLI wraps long lines
    assert "platform-baseline\" cannot be deleted because it is protected" in said, said  # the engine's own words
    assert "pulumi state unprotect" in said
    assert dict(emulator.state()["calls"]) == calls  # the provider was never asked: no API call at all
    assert [r["id"] for r in sandbox.resources(":AccountFactoryBaseline")] == [baseline_id]
    assert any(b["BaselineId"] == baseline_id for b in emulator.state()["baselines"])

    sandbox.set_config("protectBaseline", "false")  # unprotect as Pulumi says: in the program, then `pulumi up`
    sandbox.up()
    sandbox.pulumi("destroy", "--yes")
    assert sandbox.resources(":AccountFactoryBaseline") == []
    assert not any(b["BaselineId"] == baseline_id for b in emulator.state()["baselines"])
    assert emulator.state()["calls"]["DeleteAccountFactoryBaseline"] == 1


def _baseline_ops(preview: dict) -> list[str]:
    """What `pulumi preview --json` plans for the program's baseline (a replacement has several steps)."""
    return [step["op"] for step in preview.get("steps") or [] if step.get("urn", "").endswith("::platform-baseline")]


def _custom_baselines(emulator: Emulator) -> list[str]:
    return [b["BaselineId"] for b in emulator.state()["baselines"] if b.get("Type") == "Custom"]


def test_replace_on_changes_replaces_the_baseline_and_deletes_the_old_one(sandbox_for: SandboxFactory,
                                                                         emulator: Emulator) -> None:
    """replace_on_changes is the user's: the engine needs a detailed diff to apply it, which a dynamic
    provider cannot send, so the provider applies it, with Pulumi's paths (`*`, nested keys)."""
    sandbox = sandbox_for(PROGRAMS / "baseline", accounts="1", replaceOnChanges='["description"]')
    emulators_own = _custom_baselines(emulator)
    sandbox.up()
    old = sandbox.outputs()["baseline_id"]

    sandbox.set_config("description", "what every vended account gets, now")
    assert "replace" in _baseline_ops(sandbox.preview_json())
    replaced = sandbox.up()
    outputs = sandbox.outputs()
    new = outputs["baseline_id"]
    # A new baseline; the account moved to it (its baseline_id changed), and then the old one was deleted.
    assert new != old and _custom_baselines(emulator) == [*emulators_own, new], replaced.output
    assert outputs["accounts"]["team-0"]["baseline_id"] == new
    assert [a["BaselineId"] for a in emulator.state()["accounts"]] == [new]
    calls = emulator.state()["calls"]
    assert (calls["CreateAccountFactoryBaseline"], calls["DeleteAccountFactoryBaseline"]) == (2, 1)
    assert "adopting baseline" not in replaced.output and "kept by this resource's replacement" not in replaced.output
    assert sandbox.preview_json()["changeSummary"] == {"same": 4}  # the stack, its identity, the baseline, the account

    # Nested paths and `*`, as Pulumi reads them: only a change under the path replaces.
    sandbox.set_config("replaceOnChanges", '["baseline_items[*].config.VpcName"]')
    sandbox.set_config("description", "a third description")
    assert _baseline_ops(sandbox.preview_json()) == ["update"]
    sandbox.set_config("vpcName", "other")
    assert "replace" in _baseline_ops(sandbox.preview_json())


def test_a_baseline_renamed_with_an_alias_then_replaced_keeps_the_baseline_the_stack_holds(
        sandbox_for: SandboxFactory, emulator: Emulator) -> None:
    """Issue 18, item 4. Renamed with an alias, the resource keeps the outputs of its create, which name
    its old URN. `pulumi up --replace` (create-first, the baseline's default) then creates under the
    new URN, finding its own baseline by the alias's mark, and deletes the replaced resource under the
    old URN: that delete must see that the replacement holds the baseline and delete nothing."""
    sandbox = sandbox_for(PROGRAMS / "baseline", accounts="0")
    sandbox.up()
    baseline_id = sandbox.outputs()["baseline_id"]
    sandbox.set_config("baselineResource", "network-baseline")
    sandbox.set_config("baselineAliasOf", "platform-baseline")
    sandbox.up()
    [renamed] = sandbox.resources(":AccountFactoryBaseline")
    assert renamed["urn"].endswith("::network-baseline") and renamed["id"] == baseline_id

    replaced = sandbox.up("--replace", renamed["urn"])
    said = " ".join(replaced.output.split())  # the CLI wraps long lines
    assert [r["id"] for r in sandbox.resources(":AccountFactoryBaseline")] == [baseline_id], said
    assert any(b["BaselineId"] == baseline_id for b in emulator.state()["baselines"]), said
    assert "DeleteAccountFactoryBaseline" not in emulator.state()["calls"], said
    assert f"baseline {baseline_id} is held by" in said, said
    # Nothing was interrupted: the create must not say an earlier `up` failed to record the baseline.
    assert "created for this resource by an earlier `pulumi up` that did not record it" not in said, said
    sandbox.pulumi("preview", "--expect-no-changes")
