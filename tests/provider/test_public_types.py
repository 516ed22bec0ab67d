"""What a program gets from the package's types at run time: the Args classes register exactly what
the keywords do, outputs arrive as their output types (still readable as dicts), and an AccountUid
is never rounded, in or out."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from typing import Any, Callable, Optional

import pulumi
import pytest
from pulumi.runtime import mocks as pulumi_mocks

from account_factory_testing.provider_server import ProviderServer
from account_factory_testing.registration import (
    EngineMockMonitor,
    Registration,
    capture_registrations,
    run_with_mocks,
    unwrap_secrets,
)

#: Above 2**53: a float64, the only number Pulumi carries, cannot hold it.
BIG_UID = 9123456789012345
MEMBER_UID = 1207465839102347
VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"


def registered(program: Callable[[], Any], type_suffix: str) -> Registration:
    return next(r for r in capture_registrations(program) if r.type_.endswith(type_suffix))


def test_enrolled_account_args_register_exactly_what_the_keywords_register() -> None:
    from alicloud_account_factory import BaselineItemArgs, EnrolledAccount, EnrolledAccountArgs

    def arguments() -> dict[str, Any]:
        return dict(account_name_prefix="team-a", display_name="Team A", folder_id="fd-Sandbox001",
                    payer_account_uid=MEMBER_UID, baseline_id="afb-bp1n7hx3vq9lm2ty0a5c",
                    baseline_items=[BaselineItemArgs(VPC, config={"VpcName": "main"}, version="1.0")],
                    tags={"team": "a"}, resell_account_type="non_resell", region_id="cn-hangzhou")

    timeouts = pulumi.ResourceOptions(custom_timeouts=pulumi.CustomTimeouts(create="90m"))
    by_keywords = registered(lambda: EnrolledAccount("acct", opts=timeouts, **arguments()), ":EnrolledAccount")
    by_args = registered(lambda: EnrolledAccount("acct", EnrolledAccountArgs(**arguments()), timeouts), ":EnrolledAccount")
    by_named_args = registered(lambda: EnrolledAccount("acct", args=EnrolledAccountArgs(**arguments()), opts=timeouts),
                               ":EnrolledAccount")
    assert by_args.inputs == by_keywords.inputs == by_named_args.inputs
    assert by_args.inputs["custom_timeouts"] == {"create": "90m"}  # the options given beside the args count
    assert by_args.inputs["display_name"] == "Team A" and by_args.inputs["tags"] == {"team": "a"}


def test_account_factory_baseline_args_register_exactly_what_the_keywords_register() -> None:
    from alicloud_account_factory import AccountFactoryBaseline, AccountFactoryBaselineArgs, BaselineItemArgs

    def arguments() -> dict[str, Any]:
        return dict(baseline_name="network", description="Network accounts",
                    baseline_items=[BaselineItemArgs(VPC, config={"VpcName": "main"})], region_id="cn-hangzhou")

    by_keywords = registered(lambda: AccountFactoryBaseline("net", **arguments()), ":AccountFactoryBaseline")
    by_args = registered(lambda: AccountFactoryBaseline("net", AccountFactoryBaselineArgs(**arguments())),
                         ":AccountFactoryBaseline")
    assert by_args.inputs == by_keywords.inputs
    assert by_args.inputs["baseline_name"] == "network"


def test_args_and_keywords_together_are_refused() -> None:
    from alicloud_account_factory import EnrolledAccount, EnrolledAccountArgs

    with pytest.raises(TypeError, match="folder_id"):
        capture_registrations(lambda: EnrolledAccount("acct", EnrolledAccountArgs(account_uid=MEMBER_UID),
                                                      folder_id="fd-Sandbox001"))


class _ProviderAnswers(pulumi_mocks.Mocks):
    """Outputs as our providers write them into state (an AccountUid above 2**53 as its digits)."""

    def __init__(self) -> None:
        self.monitor = EngineMockMonitor(self)

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[Optional[str], dict[str, Any]]:
        if args.typ.endswith(":StackIdentity"):
            return "identity", {"value": "test-stack"}
        if args.typ.endswith(":AccountFactoryBaseline"):
            return "afb-bp1x", {**args.inputs, "baseline_id": "afb-bp1x", "type": "Custom",
                                "baseline_items": [{"name": VPC, "config": '{"VpcName":"main"}', "version": "1.0"}]}
        return str(BIG_UID), {
            **args.inputs, "account_uid": str(BIG_UID), "payer_account_uid": MEMBER_UID, "master_account_uid": None,
            "status": "Failed", "progress": [{"name": VPC, "status": "Failed"}],
            "error_info": {"code": "Vpc.Failed", "message": "no room", "recommend": None, "request_id": "R-1"},
            "applied_baseline_items": [{"name": VPC, "config": '{"VpcName":"main"}', "skip": False, "version": "1.0"}],
        }

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], Optional[list[tuple[str, str]]]]:
        return {}, None


def test_outputs_arrive_as_their_output_types_and_stay_readable_as_dicts() -> None:
    from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount

    def program() -> None:
        account = EnrolledAccount("acct", account_uid=BIG_UID)
        baseline = AccountFactoryBaseline("net", baseline_name="network", baseline_items=[BaselineItemArgs(VPC)])
        pulumi.export("uid", account.account_uid.apply(lambda uid: [type(uid).__name__, uid]))
        pulumi.export("account_id", account.account_id)
        pulumi.export("payer", account.payer_account_uid.apply(lambda uid: [type(uid).__name__, uid]))
        pulumi.export("progress", account.progress.apply(
            lambda entries: [(type(e).__name__, e.name, e.status, e["status"]) for e in entries]))
        pulumi.export("error", account.error_info.apply(
            lambda info: info and (type(info).__name__, info.code, info.message, info.recommend, info["request_id"])))
        pulumi.export("applied", account.applied_baseline_items.apply(
            lambda items: [(type(i).__name__, i.name, i.config, i.skip, i.version) for i in items]))
        pulumi.export("baseline_items", baseline.baseline_items.apply(
            lambda items: [(type(i).__name__, i.name, i.config, i.version, i["name"]) for i in items]))

    mocks = _ProviderAnswers()
    outputs = unwrap_secrets(run_with_mocks(program, mocks, mocks.monitor))
    assert outputs["uid"] == ["str", str(BIG_UID)]  # its digits, as state holds them: a float64 would round it
    assert outputs["account_id"] == str(BIG_UID)
    assert outputs["payer"] == ["int", MEMBER_UID]
    assert outputs["progress"] == [["EnrolledAccountProgress", VPC, "Failed", "Failed"]]
    assert outputs["error"] == ["EnrolledAccountErrorInfo", "Vpc.Failed", "no room", None, "R-1"]
    assert outputs["applied"] == [["EnrolledAccountBaselineItem", VPC, '{"VpcName":"main"}', False, "1.0"]]
    assert outputs["baseline_items"] == [["AccountFactoryBaselineItem", VPC, '{"VpcName":"main"}', "1.0", VPC]]


@pytest.mark.parametrize("as_output", [False, True], ids=["int", "Output[int]"])
@pytest.mark.parametrize("field", ["account_uid", "payer_account_uid"])
def test_a_python_int_of_2_53_or_more_is_an_exact_account_uid(server: ProviderServer, field: str,
                                                                as_output: bool) -> None:
    """Pulumi would carry the int as a float64 and round it; the resource passes its digits instead."""
    from alicloud_account_factory import EnrolledAccount

    new_account = {} if field == "account_uid" else {"account_name_prefix": "big-payer", "display_name": "Big payer"}

    def program() -> None:
        # The Output is made inside the program, as a user's is: under the program's event loop.
        value: Any = pulumi.Output.from_input(BIG_UID) if as_output else BIG_UID
        EnrolledAccount("acct", **{field: value, **new_account})

    registration = registered(program, ":EnrolledAccount")
    assert registration.inputs[field] == str(BIG_UID)
    checked = server.check(registration.urn, {}, registration.inputs)
    assert checked.failures == []
    assert checked.inputs[field] == str(BIG_UID)


def _param_docs(docstring: str) -> dict[str, str]:
    """{name: text} of a docstring's `:param name: text` entries (continuation lines joined)."""
    docs: dict[str, str] = {}
    current = None
    for line in docstring.splitlines():
        found = re.match(r"\s*:param (\w+):(.*)", line)
        if found:
            current = found[1]
            docs[current] = found[2]
        elif current and line.strip() and not line.strip().startswith(":"):
            docs[current] += " " + line.strip()
        else:
            current = None
    return {name: " ".join(text.split()) for name, text in docs.items()}


def _attribute_docs(cls: type) -> dict[str, str]:
    """{name: text} of a class's annotated attributes and the docstring under each (what IDEs show)."""
    [node] = ast.parse(textwrap.dedent(inspect.getsource(cls))).body
    assert isinstance(node, ast.ClassDef)
    docs = {}
    for statement, following in zip(node.body, node.body[1:]):
        if (isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
                and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)):
            docs[statement.target.id] = " ".join(str(following.value.value).split())
    return docs


@pytest.mark.parametrize("names", [("EnrolledAccount", "EnrolledAccountArgs"),
                                   ("AccountFactoryBaseline", "AccountFactoryBaselineArgs"),
                                   ("BaselineItemArgs", "BaselineItemArgs")], ids=lambda n: n[1])
def test_every_argument_is_documented_and_alike_on_the_constructor_and_its_args(names: tuple[str, str]) -> None:
    """An IDE shows the constructor's `:param` text, or the Args attribute's docstring: the same words."""
    import alicloud_account_factory as package

    constructor, args_type = (getattr(package, name) for name in names)
    on_constructor = _param_docs(constructor.__init__.__doc__ or "")
    on_args = _attribute_docs(args_type)
    arguments = set(inspect.signature(args_type).parameters)
    assert set(on_args) == arguments
    assert set(on_constructor) - {"resource_name", "args", "opts"} == arguments
    for name in arguments:
        assert on_args[name] and on_constructor[name] == on_args[name], name


def test_mocks_that_echo_the_inputs_back_get_typed_items_as_the_provider_would_report_them() -> None:
    """A program's unit tests commonly answer `new_resource` with the inputs: a dict config then comes
    back where the provider reports canonical JSON text, and must not break the program."""
    from account_factory_testing.registration import program_outputs
    from alicloud_account_factory import AccountFactoryBaseline, BaselineItemArgs, EnrolledAccount

    def program() -> None:
        item = BaselineItemArgs(VPC, config={"VpcName": "main", "CidrBlock": "10.0.0.0/16"})
        account = EnrolledAccount("acct", account_uid=MEMBER_UID, baseline_items=[item])
        baseline = AccountFactoryBaseline("net", baseline_name="network", baseline_items=[item])
        pulumi.export("account", account.baseline_items.apply(lambda items: [(i.name, i.config, i.skip) for i in items]))
        pulumi.export("baseline", baseline.baseline_items.apply(lambda items: [(i.name, i.config) for i in items]))

    outputs = unwrap_secrets(program_outputs(program))
    text = '{"CidrBlock":"10.0.0.0/16","VpcName":"main"}'
    assert outputs == {"account": [[VPC, text, False]], "baseline": [[VPC, text]]}
