"""A real baseline item the emulator does not model, added from a `--catalog` file: `pulumi up` takes it.

What a user's CI does: start the emulator (its CLI) with the items its programs name, point the
stack at it, run the real `pulumi up`. A typo of an item name still gets the catalog's closest name.
"""

from __future__ import annotations

import json
from pathlib import Path

from account_factory_testing.emulator_process import EmulatorProcess
from account_factory_testing.sandbox import SandboxFactory

#: A name for an item the console lists (guardrails) whose API name is not published: the user's to give.
GUARDRAILS = "ACS-BP_ACCOUNT_FACTORY_GUARDRAILS"
NEW = {"account_name_prefix": "e2e-catalog", "display_name": "E2E catalog", "folder_id": "fd-Sandbox001"}


def test_an_item_added_by_a_catalog_file_enrolls_and_a_typo_of_it_gets_did_you_mean(
        tmp_path: Path, sandbox_for: SandboxFactory) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([{
        "name": GUARDRAILS, "versions": ["1.0"], "config": {"Rules": ["rd-deny-leave"]},
        "config_schema": {"type": "object", "properties": {"Rules": {"type": "array", "items": {"type": "string"}}}},
    }]))
    with EmulatorProcess(enroll_seconds=1, catalog_file=str(catalog)) as emulator:
        sandbox = sandbox_for(**{"alicloud-account-factory:endpoint": emulator.endpoint})
        sandbox.set_accounts({"team": {**NEW, "baseline_items": [{"name": GUARDRAILS,
                                                                  "config": {"Rules": ["rd-deny-leave", "x"]}}]}})
        sandbox.up()
        team = sandbox.outputs()["team"]
        assert team["status"] == "Finished"
        assert {"name": GUARDRAILS, "status": "Finished"} in team["progress"]
        [account] = emulator.admin.state()["accounts"]
        assert [(i["Name"], json.loads(i["Config"])) for i in account["BaselineItems"] if i["Name"] == GUARDRAILS] \
            == [(GUARDRAILS, {"Rules": ["rd-deny-leave", "x"]})]

        typo = GUARDRAILS[:-1]  # ..._GUARDRAIL
        sandbox.set_accounts({"team": {**NEW, "baseline_items": [{"name": typo}]}})
        refused = sandbox.up(check=False)
        assert refused.returncode != 0
        assert f"baseline item '{typo}' is not in the catalog: did you mean '{GUARDRAILS}'?" in refused.output, \
            refused.output
        assert emulator.admin.state()["directory"]["member_accounts"][-1]["enrollments"] == 1  # nothing re-enrolled
