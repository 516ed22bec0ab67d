"""Account vending as a service: the Automation API runs `pulumi up` of an inline program.

    python vend.py NAME --display-name "Team A" [--prefix team-a] [--folder-id fd-...]
                   [--endpoint URL] [--region cn-hangzhou] [--destroy]

A platform team's service (a web handler, a queue worker) calls `vend()`; this script is the
smallest such caller. Each account is a stack of its own (NAME, in the project `account-vending`),
run in this process: no Pulumi.yaml, no project directory. Enrollments take minutes, so the engine's
events are printed as they arrive: the resource's steps, and the provider's progress (`[2/4]
ACS-BP_...: Running`), which reaches the Automation API as ephemeral diagnostic events (the lines
the CLI shows on the resource's row). Running it again for the same NAME changes nothing; changed
arguments update the account in place or vend a new one, as with the CLI.

The `pulumi` CLI must be on PATH. The stacks live in the CLI's backend (`pulumi login`), their
secrets under PULUMI_CONFIG_PASSPHRASE. Credentials: the Alibaba Cloud default chain
(ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET, a profile, a RAM role).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping

import pulumi
from pulumi import automation as auto

from alicloud_account_factory import EnrolledAccount

PROJECT = "account-vending"
#: How a finished step reads.
DONE = {"create": "created", "update": "updated", "delete": "deleted", "replace": "replaced", "same": "unchanged"}


def account_program(name: str, display_name: str, prefix: str, folder_id: str | None) -> Callable[[], None]:
    """The inline Pulumi program of one account."""

    def program() -> None:
        account = EnrolledAccount(name, account_name_prefix=prefix, display_name=display_name, folder_id=folder_id)
        pulumi.export("account_id", account.account_id)  # the AccountUid's digits: exact at any size
        pulumi.export("status", account.status)

    return program


def _resource(urn: str | None) -> str:
    """`EnrolledAccount team-a` from a URN."""
    if not urn:
        return "stack"
    type_, name = urn.split("::")[-2:]
    return f"{type_.rsplit(':', 1)[-1]} {name}"


def print_event(stack_name: str) -> Callable[[auto.EngineEvent], None]:
    """An `on_event` callback: a line per step of a resource, and per progress line or message, as they come."""

    def on_event(event: auto.EngineEvent) -> None:
        line = None
        started, finished = event.resource_pre_event, event.res_outputs_event
        step = started.metadata if started else finished.metadata if finished else None
        if step is not None:
            op, resource = step.op.value, _resource(step.urn)
            if op != "same" and "::pulumi:providers:" not in step.urn:  # not the engine's own providers
                line = f"{DONE.get(op, op)} {resource}" if finished else f"{op} {resource} ..."
        elif event.res_op_failed_event:
            line = f"failed {_resource(event.res_op_failed_event.metadata.urn)}"
        elif event.diagnostic_event and event.diagnostic_event.severity != "debug":
            diagnostic = event.diagnostic_event
            kind = "" if diagnostic.ephemeral else f"{diagnostic.severity}: "
            line = f"{_resource(diagnostic.urn)}: {kind}{diagnostic.message.strip()}"
        if line:
            print(f"[{stack_name}] {line}", flush=True)

    return on_event


def project_settings() -> auto.ProjectSettings:
    """An inline program's project; in a virtualenv, the provider process runs with its Python too
    (the engine starts it with the project's `virtualenv`), so that it finds this package."""
    in_virtualenv = sys.prefix != sys.base_prefix
    options = {"virtualenv": sys.prefix} if in_virtualenv else None
    return auto.ProjectSettings(name=PROJECT, runtime=auto.ProjectRuntimeInfo(name="python", options=options))


def vend(name: str, display_name: str, prefix: str, *, folder_id: str | None = None, endpoint: str | None = None,
         region: str = "cn-hangzhou", destroy: bool = False,
         on_event: Callable[[auto.EngineEvent], None] | None = None) -> Mapping[str, auto.OutputValue]:
    """`pulumi up` (or destroy) of account NAME's stack; its outputs. Fails with auto.CommandError."""
    stack = auto.create_or_select_stack(
        stack_name=name, project_name=PROJECT, program=account_program(name, display_name, prefix, folder_id),
        opts=auto.LocalWorkspaceOptions(project_settings=project_settings()))
    stack.set_config("alicloud:region", auto.ConfigValue(region))
    if endpoint:
        stack.set_config("alicloud-account-factory:endpoint", auto.ConfigValue(endpoint))
    if destroy:
        stack.destroy(on_event=on_event)
        return {}
    return stack.up(on_event=on_event).outputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Vend an Alibaba Cloud account with the Pulumi Automation API.")
    parser.add_argument("name", help="the account's stack and resource name, e.g. team-a")
    parser.add_argument("--display-name", required=True)
    parser.add_argument("--prefix", help="the account name prefix (default: NAME)")
    parser.add_argument("--folder-id", help="the resource directory folder (default: Root)")
    parser.add_argument("--endpoint", help="the Account Factory endpoint, e.g. the emulator's http://127.0.0.1:18790")
    parser.add_argument("--region", default="cn-hangzhou")
    parser.add_argument("--destroy", action="store_true",
                        help="remove the account from its stack (it stays enrolled: there is no un-enroll API)")
    args = parser.parse_args(argv)
    try:
        outputs = vend(args.name, args.display_name, args.prefix or args.name, folder_id=args.folder_id,
                       endpoint=args.endpoint, region=args.region, destroy=args.destroy,
                       on_event=print_event(args.name))
    except auto.CommandError as failure:
        print(f"[{args.name}] pulumi failed:\n{failure}", file=sys.stderr)
        return 1
    for key, output in outputs.items():
        print(f"{key}: {output.value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
