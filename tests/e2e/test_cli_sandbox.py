"""The e2e sandbox's shortcuts leave what the CLI's own commands leave.

A new sandbox's stack is a copy of what `pulumi stack init` wrote for the same project and stack
(PulumiSandbox._copy_a_new_stack), plain config values are written into the stack's config file, and
`export()` reads the state the engine wrote instead of starting `pulumi stack export`: each saves a CLI
start (half a second of CPU) hundreds of times a run; `outputs()` reads the stack's outputs from the
checkpoint too while none of them is a secret. Here each is compared with the command it
replaces, through the real CLI, so that a shortcut that drifts from Pulumi fails here first.
"""

from __future__ import annotations

import json
from pathlib import Path

from account_factory_testing.sandbox import PROGRAMS, PulumiSandbox, SandboxFactory

#: Values PyYAML would write plain but YAML 1.2 reads as numbers or dates (`1e3`, `0o17`, `2024-1-2`), a
#: multi-line one, non-ASCII, leading blanks, JSON text, and a key the CLI checks for secrets.
VALUES = {"env": "prod", "count": 3, "flag": "true", "accounts": {"team": {"display_name": "Team: a \"quoted\" name"}},
          "alicloud-account-factory:readTimeout": "10s", "exponent": "1e3", "octal": "0o17", "date": "2024-1-2",
          "lines": "first\nsecond", "accented": "équipe", "padded": "  lead", "tokenName": "orders"}
SECRETS = {"token": "s3cr3t value", "alicloud:secretKey": "another secret"}


def shown_config(sandbox: PulumiSandbox) -> dict[str, object]:
    return dict(json.loads(sandbox.pulumi("config", "--json", "--show-secrets").stdout))


def test_a_copied_stack_takes_config_and_shows_it_as_one_the_cli_made_and_set(
        tmp_path: Path, pulumi_cli: Path) -> None:
    copied = PulumiSandbox(tmp_path / "copied", pulumi_cli, PROGRAMS / "accounts")
    copied.set_configs(VALUES, SECRETS)
    copied.set_config("later", "added after a secret")  # a plain value beside the CLI's encrypted ones

    by_the_cli = PulumiSandbox(tmp_path / "by-the-cli", pulumi_cli, PROGRAMS / "accounts",
                               backend=tmp_path / "cli-backend")  # a backend of its own, given: `pulumi stack init`
    assert not (tmp_path / "by-the-cli" / "backend").exists()
    for key, value in {**VALUES, "later": "added after a secret"}.items():
        text = value if isinstance(value, str) else json.dumps(value)
        by_the_cli.pulumi("config", "set", key, "--", text)
    for key, value in SECRETS.items():
        by_the_cli.pulumi("config", "set", key, "--secret", "--", value)

    assert shown_config(copied) == shown_config(by_the_cli)
    assert all(shown_config(copied)[f"e2e-accounts:{key}" if ":" not in key else key]["secret"]
               for key in SECRETS)
    listed = json.loads(copied.pulumi("stack", "ls", "--json", stack_flag=False).stdout)
    assert [stack["name"] for stack in listed] == ["e2e"]


def test_export_reads_what_pulumi_stack_export_prints(sandbox_for: SandboxFactory) -> None:
    sandbox = sandbox_for(accounts=json.dumps({"team": {"account_name_prefix": "team-export", "display_name": "Team"}}))
    # The shortcut's precondition: the checkpoint is where export() reads it (else it asks the CLI, slowly).
    assert (sandbox.backend / ".pulumi" / "stacks" / sandbox.project / f"{sandbox.stack}.json").is_file()
    assert sandbox.export() == json.loads(sandbox.pulumi("stack", "export").stdout)
    sandbox.up()
    sandbox.rename_stack("renamed")
    read = sandbox.export()
    exported = json.loads(sandbox.pulumi("stack", "export").stdout)
    assert read == exported
    # The outputs come from the checkpoint while none is a secret: the same as the CLI prints.
    assert sandbox.outputs() == json.loads(sandbox.pulumi("stack", "output", "--json", "--show-secrets").stdout)
    assert sandbox.outputs()["team"]["account_uid"] > 0
    assert [r["type"] for r in read["deployment"]["resources"]].count(
        "pulumi-python:dynamic/alicloud-account-factory:EnrolledAccount") == 1
