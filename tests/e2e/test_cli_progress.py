"""Progress on the resource's line, through the real CLI: the count runs over the items that are applied
(a skipped item never runs), and a finished create's line ends on its finished status.

The CLI shows a resource's last status message on its line, also after the step completed: a status
that reaches the engine after the create returned, or a create whose last status was not the final
one, leaves `created (4s) Running (account ...)` behind.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from account_factory_testing.sandbox import PulumiSandbox
from alicloud_account_factory.emulator import Emulator

NEW = {"account_name_prefix": "e2e-progress", "display_name": "E2E progress", "folder_id": "fd-Sandbox001"}
#: The default baseline applies CONTACT, NOTIFICATION, RAM_SECURITY_PREFERENCE and RAM_DEFAULT_DOMAIN, in that order.
SKIP_LAST = [{"name": "ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN", "skip": True}]
FLEET = 8


@pytest.mark.enroll_seconds(6)  # long enough for the CLI to show several progress lines (each item runs 2 s)
def test_the_progress_count_leaves_out_a_skipped_item_and_says_it_is_skipped(sandbox: PulumiSandbox) -> None:
    sandbox.set_accounts({"team": {**NEW, "baseline_items": SKIP_LAST}})
    run = sandbox.up()
    counted = re.findall(r"team creating \(\d+s\) \[(\d)/(\d)\] (ACS-BP_\w+): Running(.*)$", run.output, re.MULTILINE)
    assert counted, run.output
    assert {total for _index, total, _item, _rest in counted} == {"3"}, run.output  # 3 of the 4 items run
    assert all("1 skipped" in rest for *_counted, rest in counted), run.output
    assert "RAM_DEFAULT_DOMAIN: Running" not in run.output
    assert re.search(r"team created \(\d+s\) Finished \(account \d+\)", run.output), run.output


@pytest.mark.enroll_seconds(4)
def test_every_finished_create_ends_on_its_finished_status(sandbox: PulumiSandbox, emulator: Emulator,
                                                           tmp_path: Path) -> None:
    """A fleet finishing together: every create's last status reaches the engine before the create
    returns (the engine's event log has it before the resource's outputs, and nothing after them)."""
    sandbox.env["PULUMI_DEBUG_COMMANDS"] = "true"  # (the CLI offers --event-log only then)
    sandbox.set_accounts({f"team-{n}": {**NEW, "display_name": f"E2E progress {n}"} for n in range(FLEET)})
    log = tmp_path / "events.jsonl"
    run = sandbox.up("--event-log", str(log))

    uids = {name: spec["account_uid"] for name, spec in sandbox.outputs().items()}
    statuses: dict[str, list[str]] = {}
    finished: dict[str, int] = {}  # resource name -> how many statuses it had when its outputs came
    for line in log.read_text().splitlines():
        event = json.loads(line)
        diagnostic, outputs = event.get("diagnosticEvent"), event.get("resOutputsEvent")
        if diagnostic and diagnostic.get("ephemeral") and "EnrolledAccount" in diagnostic.get("urn", ""):
            statuses.setdefault(diagnostic["urn"].rsplit("::", 1)[1], []).append(diagnostic["message"].strip())
        if outputs and "EnrolledAccount" in outputs["metadata"]["urn"]:
            name = outputs["metadata"]["urn"].rsplit("::", 1)[1]
            finished[name] = len(statuses.get(name, []))
    assert sorted(finished) == sorted(uids), (finished, uids)
    for name, uid in uids.items():
        told = statuses[name]
        assert finished[name] == len(told), f"{name}: statuses after its create returned: {told[finished[name]:]}"
        assert told[-1] == f"Finished (account {uid})", (name, told)
        assert re.search(rf"{name} created \(\d+s\) Finished \(account {uid}\)", run.output), run.output
    assert not re.search(r"EnrolledAccount \S+ created \(\d+s\) (?!Finished)", run.output), run.output
