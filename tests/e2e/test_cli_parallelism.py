"""The engine's parallelism, told to the user: more EnrolledAccounts than `--parallel` is warned about, once.

Why: the engine runs at most `--parallel` operations at once (4 per CPU by default) and each create
waits for its whole enrollment, so a fleet larger than that takes several enrollment times and the
CLI alone never says why. The program learns the engine's parallelism from its runtime settings.
"""

from __future__ import annotations

from typing import Any

from account_factory_testing.sandbox import PulumiSandbox, diagnostics_of

WARNING = "EnrolledAccounts, and the engine runs at most"


def fleet(size: int) -> dict[str, dict[str, str]]:
    return {f"acct{i}": {"account_name_prefix": f"par-{i}", "display_name": f"Par {i}"} for i in range(size)}


def parallelism_warnings(preview: dict[str, Any]) -> list[str]:
    return [d["message"] for d in preview.get("diagnostics") or [] if WARNING in d.get("message", "")]


def test_a_fleet_larger_than_the_engines_parallelism_is_warned_about_once_with_the_fix(sandbox: PulumiSandbox) -> None:
    sandbox.set_accounts(fleet(4))

    warned = parallelism_warnings(sandbox.preview_json("--parallel", "3"))
    assert len(warned) == 1, warned  # once for the program, not once per account
    message = warned[0]
    assert "declares 4 EnrolledAccounts" in message and "at most 3 resource operations" in message, message
    assert "`pulumi up --parallel 4`" in message and "PULUMI_PARALLEL=4" in message, message
    assert "takes 2 enrollment times" in message, message  # what the engine's parallelism costs

    # Told through the environment variable the warning names, the engine runs them all at once: silence.
    assert parallelism_warnings(sandbox.preview_json("--parallel", "4")) == []
    sandbox.env["PULUMI_PARALLEL"] = "4"
    assert parallelism_warnings(sandbox.preview_json()) == []
    sandbox.env["PULUMI_PARALLEL"] = "2"
    assert "takes 2 enrollment times" in parallelism_warnings(sandbox.preview_json())[0]


def test_pulumi_up_warns_too_and_its_accounts_enroll(sandbox: PulumiSandbox) -> None:
    sandbox.set_accounts(fleet(3))
    run = sandbox.up("--parallel", "2")
    stack = diagnostics_of(run.output, f"{sandbox.project}-{sandbox.stack}")
    warned = [line for line in stack if WARNING in line]
    assert len(warned) == 1 and "declares 3 EnrolledAccounts" in warned[0], run.output
    assert "`pulumi up --parallel 3`" in warned[0], run.output
    assert [r["outputs"]["status"] for r in sandbox.resources()] == ["Finished"] * 3
