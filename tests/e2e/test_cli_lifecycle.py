"""preview, up, refresh and destroy of EnrolledAccount through the real `pulumi` CLI."""

from __future__ import annotations

import re

import pytest

from account_factory_testing.accounts import OUTLASTING_ENROLL_SECONDS, TIMEOUT_AFTER_SENDING, emulator_for_tests
from account_factory_testing.sandbox import EXAMPLES, PulumiSandbox, SandboxFactory, steps
from account_factory_testing.sdk import enroll, sdk_client
from alicloud_account_factory.emulator import Emulator

NEW = {"account_name_prefix": "e2e-team", "display_name": "E2E team", "folder_id": "fd-Sandbox001",
       "tags": {"env": "dev"}}
SEEDED_ABOVE_2_53 = "9123456789012345"


def test_preview_of_a_new_stack_plans_a_create_and_calls_no_api(sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"team": NEW})
    planned = steps(sandbox.preview_json())
    assert planned["team"]["op"] == "create"
    assert sum(emulator.state()["calls"].values()) == 0, emulator.state()["calls"]


@pytest.mark.enroll_seconds(6)  # long enough for the CLI's display to show several progress lines
def test_up_enrolls_shows_progress_and_exports_exact_outputs(sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"team": NEW})
    run = sandbox.up()

    # The provider's progress reaches the CLI while create waits: "[i/n] ITEM: Status".
    assert re.search(r"team creating \(\d+s\) \[\d/\d\] ACS-BP_ACCOUNT_FACTORY_\w+: Running", run.output), run.output
    team = sandbox.outputs()["team"]
    accounts = {a["AccountUid"]: a for a in emulator.state()["accounts"]}
    assert isinstance(team["account_uid"], int) and team["account_uid"] in accounts
    assert team["status"] == "Finished" and accounts[team["account_uid"]]["Status"] == "Finished"
    assert [item["status"] for item in team["progress"]] == ["Finished"] * 4

    # An AccountUid beyond what a float64 holds stays exact: kept as its string of digits.
    sandbox.set_accounts({"team": NEW, "big": {"account_uid": SEEDED_ABOVE_2_53}})
    sandbox.up()
    big = sandbox.outputs()["big"]
    assert big["account_uid"] == SEEDED_ABOVE_2_53 and big["status"] == "Finished"
    assert [r["id"] for r in sandbox.resources() if r["urn"].endswith("::big")] == [SEEDED_ABOVE_2_53]

    # A third `up` has nothing to do.
    again = sandbox.up("--expect-no-changes").output
    assert "created" not in again and "updated" not in again, again


def test_preview_plans_an_update_for_tags_and_a_replace_naming_display_name(sandbox: PulumiSandbox) -> None:
    sandbox.set_accounts({"team": NEW})
    sandbox.up()

    sandbox.set_accounts({"team": {**NEW, "tags": {"env": "prod"}}})
    assert steps(sandbox.preview_json())["team"]["op"] == "update"
    # A dynamic provider cannot send a detailed diff; the engine names the inputs that changed.
    preview = sandbox.pulumi("preview").output
    assert re.search(r"EnrolledAccount team update \[diff: ~tags\]", preview), preview

    sandbox.set_accounts({"team": {**NEW, "display_name": "Renamed"}})
    replace = steps(sandbox.preview_json())["team"]
    assert replace["op"] == "replace" and replace.get("replaceReasons") == ["display_name"], replace


def test_preview_with_an_input_unknown_until_another_account_exists(sandbox: PulumiSandbox,
                                                                     emulator: Emulator) -> None:
    sandbox.set_accounts({
        "shared": NEW,
        "workload": {**NEW, "display_name": "Workload", "tag_with_uid_of": "shared"},
    })
    planned = steps(sandbox.preview_json())
    assert planned["workload"]["op"] == "create" and planned["shared"]["op"] == "create"
    sandbox.up()
    outputs = sandbox.outputs()
    assert outputs["workload"]["tags"]["peer"] == str(outputs["shared"]["account_uid"])
    assert len(emulator.state()["accounts"]) == 2


def test_the_downstream_example_feeds_outputs_to_other_accounts(sandbox_for: SandboxFactory,
                                                                  emulator: Emulator) -> None:
    sandbox = sandbox_for(EXAMPLES / "downstream")
    sandbox.up()
    outputs = sandbox.outputs()
    shared = int(outputs["accounts"]["shared"])  # account ids: strings of digits
    assert outputs["all_finished"] is True
    assert set(outputs["accounts"]) == {"shared", "orders", "search"}
    by_uid = {a["AccountUid"]: a for a in emulator.state()["accounts"]}
    for team in ("orders", "search"):
        account = by_uid[int(outputs["accounts"][team])]
        assert account["PayerAccountUid"] == shared  # billed to the shared account, from its output


def test_the_baseline_and_accounts_example_creates_the_baseline_then_its_accounts(sandbox_for: SandboxFactory,
                                                                                 emulator: Emulator) -> None:
    sandbox = sandbox_for(EXAMPLES / "baseline-and-accounts")
    sandbox.up()
    outputs = sandbox.outputs()
    assert outputs["statuses"] == {"orders": "Finished", "search": "Finished", "billing": "Finished"}
    by_uid = {a["AccountUid"]: a for a in emulator.state()["accounts"]}
    assert {by_uid[int(uid)]["BaselineId"] for uid in outputs["accounts"].values()} == {outputs["baseline_id"]}
    assert outputs["vpc_item_versions"] == ["1.0", "1.1"]


def test_a_failed_enrollment_fails_up_with_its_reason_and_the_next_up_reenrolls_the_same_account(
        sandbox: PulumiSandbox, emulator: Emulator) -> None:
    emulator.add_outcome({"display_name": NEW["display_name"], "status": "Failed",
                          "error_code": "InternalError", "error_message": "The request processing has failed."})
    sandbox.set_accounts({"team": NEW})
    failed = sandbox.up(check=False)
    assert failed.returncode != 0
    assert "InternalError" in failed.output and "The request processing has failed." in failed.output
    [account] = emulator.state()["accounts"]
    assert account["Status"] == "Failed"

    sandbox.up()
    assert sandbox.outputs()["team"]["account_uid"] == account["AccountUid"]
    assert [a["Status"] for a in emulator.state()["accounts"]] == ["Finished"]  # the same one, no second


@pytest.mark.enroll_seconds(OUTLASTING_ENROLL_SECONDS)
def test_custom_timeouts_reach_the_provider_and_the_next_up_resumes_the_same_account(
        sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"team": {**NEW, "custom_timeouts": {"create": TIMEOUT_AFTER_SENDING}}})
    timed_out = sandbox.up(check=False)
    assert timed_out.returncode != 0
    assert f"timed out after {TIMEOUT_AFTER_SENDING} waiting" in timed_out.output, timed_out.output
    [account] = emulator.state()["accounts"]

    sandbox.set_accounts({"team": NEW})
    sandbox.up()
    assert sandbox.outputs()["team"]["account_uid"] == account["AccountUid"]
    assert len(emulator.state()["accounts"]) == 1


def test_refresh_shows_drift(sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"team": NEW})
    sandbox.up()
    uid = sandbox.outputs()["team"]["account_uid"]

    # Someone re-applies the baseline by hand with other tags: refresh brings it into the state.
    enroll(sdk_client(emulator.endpoint), account_uid=uid, tags={"env": "changed-by-hand"})
    refreshed = sandbox.pulumi("refresh", "--yes")
    assert "changed-by-hand" in refreshed.output or "~" in refreshed.output
    [resource] = sandbox.resources()
    assert resource["outputs"]["tags"] == {"env": "changed-by-hand"}
    assert steps(sandbox.preview_json())["team"]["op"] == "update"  # the program's tags go back on
    # (An account that reads as not enrolled is kept: tests/e2e/test_cli_refresh.py.)


def test_refresh_uses_the_endpoint_of_the_last_up_until_an_up_applies_the_changed_one(
        sandbox: PulumiSandbox, emulator: Emulator) -> None:
    """docs/configuration.md: refresh does not run the program, so the engine configures the provider
    with the config the last `up` stored in the state; a changed endpoint applies from the next `up`."""
    existing = 1207465839102347
    sandbox.set_accounts({"team": {"account_uid": existing}})
    sandbox.up()
    with emulator_for_tests(enroll_seconds=0) as elsewhere:
        enroll(sdk_client(elsewhere.endpoint), account_uid=existing)  # enrolled there too: refresh keeps it
        sandbox.set_config("alicloud-account-factory:endpoint", elsewhere.endpoint)

        def reads() -> tuple[int, int]:
            return (emulator.state()["calls"].get("GetEnrolledAccount", 0),
                    elsewhere.state()["calls"].get("GetEnrolledAccount", 0))

        before = reads()
        sandbox.pulumi("refresh", "--yes")
        after_refresh = reads()
        assert after_refresh[0] > before[0] and after_refresh[1] == 0, (before, after_refresh)
        sandbox.pulumi("preview", "--refresh")
        after_preview = reads()
        assert after_preview[0] > after_refresh[0] and after_preview[1] == 0, (after_refresh, after_preview)

        sandbox.up()  # stores the changed config with the provider
        sandbox.pulumi("refresh", "--yes")
        after_up = reads()
        assert after_up[1] > 0 and after_up[0] == after_preview[0], (after_preview, after_up)
        assert [r["outputs"]["account_uid"] for r in sandbox.resources()] == [existing]


def test_get_reads_an_existing_enrollment(sandbox: PulumiSandbox, emulator: Emulator) -> None:
    uid = enroll(sdk_client(emulator.endpoint), account_uid=1207465839102347, tags={"owner": "elsewhere"})
    sandbox.set_accounts({"existing": {"get": str(uid)}})
    sandbox.up()
    existing = sandbox.outputs()["existing"]
    assert existing["account_uid"] == uid and existing["tags"] == {"owner": "elsewhere"}
    [resource] = sandbox.resources()
    assert resource.get("external") is True  # read, not managed
    calls = emulator.state()["calls"]
    assert calls.get("EnrollAccount") == 1  # only the one made above


def test_destroy_warns_that_the_account_stays_and_calls_no_api(sandbox: PulumiSandbox, emulator: Emulator) -> None:
    sandbox.set_accounts({"team": NEW})
    sandbox.up()
    uid = sandbox.outputs()["team"]["account_uid"]
    before = dict(emulator.state()["calls"])

    destroyed = sandbox.pulumi("destroy", "--yes")
    assert f"account {uid} stays enrolled" in destroyed.output
    assert sandbox.resources() == []
    assert emulator.state()["calls"] == before
