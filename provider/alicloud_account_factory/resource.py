"""The user-facing resource: `EnrolledAccount`, its `EnrolledAccountArgs` and `BaselineItemArgs`.

Shaped as Pulumi's generated SDKs shape a resource (pulumi-alicloud's among them): the constructor
takes keyword arguments or an Args object, every argument and output is typed and documented, and
outputs hold the output types of `outputs.py`.
"""

from __future__ import annotations

import contextlib
import inspect
import weakref
from typing import Any, Mapping, Optional, Sequence, TypedDict, TypeVar, Union, cast, overload

import pulumi
import pulumi.dynamic
import pulumi.runtime.settings
from pulumi.runtime.resource import all_aliases

from .accounts import fields
from .accounts.model import uid_property
from .core import field_kit, replace_on_changes
from .core.field_kit import MAX_EXACT_INTEGER, canonical_json
from .dynamic.provider_blob import provider_pickling_contained
from .engine_parallelism import account_declared
from .outputs import (
    AccountFactoryBaselineItem,
    EnrolledAccountBaselineItem,
    EnrolledAccountErrorInfo,
    EnrolledAccountProgress,
)
from .provider import EnrolledAccountProvider, StackIdentityProvider

#: Type token of the resource; part of every URN in users' state, so it never changes.
RESOURCE_TYPE = "pulumi-python:dynamic/alicloud-account-factory:EnrolledAccount"


@pulumi.input_type
class BaselineItemArgs:
    """One baseline item override (merged with the baseline by name; these settings win)."""

    name: pulumi.Input[str]
    """The item, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC` (`get_baseline_items()` lists them)."""
    config: Optional[pulumi.Input[Union[Mapping[str, Any], str]]]
    """Its configuration: a dict or a JSON object string, e.g. `{"VpcName": "main", "CidrBlock":
    "10.0.0.0/16"}`; the baseline's if omitted."""
    skip: pulumi.Input[bool]
    """Leave the item out of this account (EnrolledAccount only)."""
    version: Optional[pulumi.Input[str]]
    """The item's version, e.g. `"1.0"`; the baseline's (or the newest) if omitted."""

    def __init__(self, name: pulumi.Input[str],
                 config: Optional[pulumi.Input[Union[Mapping[str, Any], str]]] = None,
                 skip: pulumi.Input[bool] = False, version: Optional[pulumi.Input[str]] = None) -> None:
        """
        :param name: The item, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC` (`get_baseline_items()` lists them).
        :param config: Its configuration: a dict or a JSON object string, e.g. `{"VpcName": "main", "CidrBlock":
               "10.0.0.0/16"}`; the baseline's if omitted.
        :param skip: Leave the item out of this account (EnrolledAccount only).
        :param version: The item's version, e.g. `"1.0"`; the baseline's (or the newest) if omitted.
        """
        set_arguments(self, locals())

    def to_property(self) -> dict[str, Any]:
        return {"name": self.name, "config": self.config, "skip": self.skip, "version": self.version}

    def __repr__(self) -> str:
        return f"BaselineItemArgs({', '.join(f'{k}={v!r}' for k, v in self.to_property().items())})"


class _BaselineItemName(TypedDict):
    name: pulumi.Input[str]


class BaselineItemArgsDict(_BaselineItemName, total=False):
    """A baseline item override written as a dict, with the keys of `BaselineItemArgs`."""

    config: Optional[pulumi.Input[Union[Mapping[str, Any], str]]]
    skip: pulumi.Input[bool]
    version: Optional[pulumi.Input[str]]


#: What a list of baseline items may hold: the Args, their dict form, or items another resource
#: outputs (an `AccountFactoryBaseline`'s, to roll a baseline out to accounts; an account's).
BaselineItemInput = Union[BaselineItemArgs, BaselineItemArgsDict, AccountFactoryBaselineItem, EnrolledAccountBaselineItem]
#: An AccountUid as Pulumi carries it exactly: an int below 2^53, a string of its digits from 2^53 on.
AccountUid = Union[int, str]
#: An AccountUid argument: an int of any size (one of 2^53 or more is passed as its digits) or a string of digits.
AccountUidInput = Union[int, str]


@pulumi.input_type
class EnrolledAccountArgs:
    """The arguments of an `EnrolledAccount` (each is described here, and on `EnrolledAccount`)."""

    account_name_prefix: Optional[pulumi.Input[str]]
    """The new account's name prefix (AccountNamePrefix): 2-50 of `A-Za-z0-9._-`, e.g. `team-a-prod`.
    Required for a new account; a change vends a new account."""
    display_name: Optional[pulumi.Input[str]]
    """The new account's display name (DisplayName), 1-50 characters. Required for a new account;
    a change vends a new account."""
    folder_id: Optional[pulumi.Input[str]]
    """The resource directory folder of the new account (FolderId), `fd-...` or the root `r-...`;
    Root if omitted. A change vends a new account."""
    payer_account_uid: Optional[pulumi.Input[AccountUidInput]]
    """The account that pays for the new one (PayerAccountUid), an int of any size or a string of
    digits; the new account pays for itself if omitted. A change vends a new account."""
    account_uid: Optional[pulumi.Input[AccountUidInput]]
    """An existing resource directory member to enroll instead of creating an account (AccountUid),
    an int of any size or a string of digits. A change enrolls another account."""
    baseline_id: Optional[pulumi.Input[str]]
    """The Account Factory baseline to apply (BaselineId), `afb-...`; the default baseline if
    omitted. A change updates in place (the account is enrolled again)."""
    baseline_items: Optional[pulumi.Input[Sequence[pulumi.Input[BaselineItemInput]]]]
    """Overrides of the baseline's items (BaselineItems), merged over them by name:
    `BaselineItemArgs(name, config=None, skip=False, version=None)` or dicts with those keys; none
    if omitted. A change updates in place."""
    tags: Optional[pulumi.Input[Mapping[str, pulumi.Input[str]]]]
    """The account's tags (Tag): up to 20, 19 for a new account (the provider keeps one); none if
    omitted. A change updates in place."""
    resell_account_type: Optional[pulumi.Input[str]]
    """`resell` or `non_resell` (ResellAccountType), for a new account. A change vends a new account."""
    region_id: Optional[pulumi.Input[str]]
    """The API region (RegionId); the stack's `alicloud:region` if omitted. A change replaces the
    resource (a new account)."""

    def __init__(self, *, account_name_prefix: Optional[pulumi.Input[str]] = None,
                 display_name: Optional[pulumi.Input[str]] = None, folder_id: Optional[pulumi.Input[str]] = None,
                 payer_account_uid: Optional[pulumi.Input[AccountUidInput]] = None,
                 account_uid: Optional[pulumi.Input[AccountUidInput]] = None,
                 baseline_id: Optional[pulumi.Input[str]] = None,
                 baseline_items: Optional[pulumi.Input[Sequence[pulumi.Input[BaselineItemInput]]]] = None,
                 tags: Optional[pulumi.Input[Mapping[str, pulumi.Input[str]]]] = None,
                 resell_account_type: Optional[pulumi.Input[str]] = None,
                 region_id: Optional[pulumi.Input[str]] = None) -> None:
        set_arguments(self, locals())


def set_arguments(args: object, values: Mapping[str, Any]) -> None:
    """An Args object's every argument (its annotations), as its __init__ was given them (`locals()`)."""
    for name in inspect.get_annotations(type(args)):
        pulumi.set(args, name, values[name])


ArgsType = TypeVar("ArgsType")


def resource_args_and_options(args_type: type[ArgsType], args: tuple[Any, ...],
                              kwargs: Mapping[str, Any]) -> tuple[ArgsType, pulumi.ResourceOptions]:
    """The Args object and the options of a constructor called either way generated SDKs allow:
    `(name, args, opts=None)`, or `(name, opts=None, **arguments)`; an Args object and arguments
    together are refused, so that no argument is silently dropped."""
    arguments = dict(kwargs)
    positional = list(args)
    given = positional.pop(0) if positional and isinstance(positional[0], args_type) else arguments.pop("args", None)
    opts = positional.pop(0) if positional else arguments.pop("opts", None)
    if positional:
        raise TypeError(f"too many positional arguments: pass a {args_type.__name__} and options, or keywords")
    if opts is not None and not isinstance(opts, pulumi.ResourceOptions):
        raise TypeError(f"opts must be a pulumi.ResourceOptions, not {type(opts).__name__}")
    if given is None:
        given = args_type(**arguments)
    elif not isinstance(given, args_type) or arguments:
        raise TypeError(f"pass either a {args_type.__name__} or keyword arguments, not both "
                        f"(also given: {', '.join(sorted(arguments)) or type(given).__name__})")
    return given, opts or pulumi.ResourceOptions()


def _output(resource: pulumi.Resource, name: str) -> pulumi.Output[Any]:
    """The Output a resource holds for a property (pulumi.get is untyped)."""
    return cast("pulumi.Output[Any]", pulumi.get(resource, name))


def _exact_uid(value: Any) -> Any:
    """An AccountUid output as state keeps it: an int below 2^53 (Pulumi hands the program a float),
    its digits from 2^53 on."""
    return None if value is None else uid_property(int(value))


def _exact_uid_text(value: Any) -> Any:
    """An AccountUid output as its decimal digits (None stays None)."""
    return None if value is None else str(int(value))


ItemType = TypeVar("ItemType", EnrolledAccountBaselineItem, AccountFactoryBaselineItem)


def baseline_items_output(resource: pulumi.Resource, name: str, item_type: type[ItemType]) -> pulumi.Output[list[ItemType]]:
    """A resource's baseline items as `item_type`s. Deliberately not a `pulumi.getter` output, which
    Pulumi would convert itself and refuse a dict config in: the provider reports configs as canonical
    JSON text, but a program's unit test whose mocks echo the inputs back hands out the dict the
    program gave, which is put in that form here."""
    keys = [key for key in inspect.signature(item_type).parameters]

    def typed(items: Any) -> Any:
        if items is None:
            return None
        return [item_type(**{key: _config_text(item.get(key)) if key == "config" else item.get(key) for key in keys})
                for item in items]

    return _output(resource, name).apply(typed)


def _config_text(config: Any) -> Any:
    """A config as the provider reports it: canonical JSON text (one it cannot encode stays as it is)."""
    if isinstance(config, Mapping):
        with contextlib.suppress(TypeError, ValueError):
            return canonical_json(dict(config))
    return config


def _exact_uid_input(value: Any) -> Any:
    """An AccountUid argument as Pulumi can carry it exactly: an int of 2^53 or more (which the
    float64 on the wire would round) as its digits, also inside an Output."""
    if isinstance(value, pulumi.Output) or inspect.isawaitable(value):
        return pulumi.Output.from_input(value).apply(_exact_uid_input)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_EXACT_INTEGER:
        return str(value)
    return value


class EnrolledAccount(pulumi.dynamic.Resource, module="alicloud-account-factory", name="EnrolledAccount"):
    """An Alibaba Cloud account enrolled in Cloud Governance Center's Account Factory.

    Without `account_uid` a new account is created (`account_name_prefix` and `display_name`
    required); with it, that existing resource directory member is enrolled. `pulumi up`
    blocks until the enrollment is Finished and fails with the service's reason otherwise.
    Baseline settings and tags update in place; the other arguments replace the resource, i.e.
    vend a new account. Replacements delete first unless `delete_before_replace=False` is given
    (the delete makes no API call). Deleting the resource leaves the account enrolled: there is
    no un-enroll API.
    """

    @overload
    def __init__(self, resource_name: str, args: EnrolledAccountArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None: ...

    @overload
    def __init__(self, resource_name: str, *, opts: Optional[pulumi.ResourceOptions] = None,
                 account_name_prefix: Optional[pulumi.Input[str]] = None,
                 display_name: Optional[pulumi.Input[str]] = None, folder_id: Optional[pulumi.Input[str]] = None,
                 payer_account_uid: Optional[pulumi.Input[AccountUidInput]] = None,
                 account_uid: Optional[pulumi.Input[AccountUidInput]] = None,
                 baseline_id: Optional[pulumi.Input[str]] = None,
                 baseline_items: Optional[pulumi.Input[Sequence[pulumi.Input[BaselineItemInput]]]] = None,
                 tags: Optional[pulumi.Input[Mapping[str, pulumi.Input[str]]]] = None,
                 resell_account_type: Optional[pulumi.Input[str]] = None,
                 region_id: Optional[pulumi.Input[str]] = None) -> None: ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        """
        An Alibaba Cloud account enrolled in Account Factory: a new account (`account_name_prefix`,
        `display_name`), or an existing member (`account_uid`). Pass keyword arguments, or an
        `EnrolledAccountArgs` as the second argument.

        :param resource_name: The resource's name in the stack.
        :param args: All the arguments below, as an `EnrolledAccountArgs` (instead of keywords).
        :param opts: Options of the resource, e.g. `custom_timeouts` (60 minutes by default).
        :param account_name_prefix: The new account's name prefix (AccountNamePrefix): 2-50 of `A-Za-z0-9._-`, e.g. `team-a-prod`.
               Required for a new account; a change vends a new account.
        :param display_name: The new account's display name (DisplayName), 1-50 characters. Required for a new account;
               a change vends a new account.
        :param folder_id: The resource directory folder of the new account (FolderId), `fd-...` or the root `r-...`;
               Root if omitted. A change vends a new account.
        :param payer_account_uid: The account that pays for the new one (PayerAccountUid), an int of any size or a string of
               digits; the new account pays for itself if omitted. A change vends a new account.
        :param account_uid: An existing resource directory member to enroll instead of creating an account (AccountUid),
               an int of any size or a string of digits. A change enrolls another account.
        :param baseline_id: The Account Factory baseline to apply (BaselineId), `afb-...`; the default baseline if
               omitted. A change updates in place (the account is enrolled again).
        :param baseline_items: Overrides of the baseline's items (BaselineItems), merged over them by name:
               `BaselineItemArgs(name, config=None, skip=False, version=None)` or dicts with those keys; none
               if omitted. A change updates in place.
        :param tags: The account's tags (Tag): up to 20, 19 for a new account (the provider keeps one); none if
               omitted. A change updates in place.
        :param resell_account_type: `resell` or `non_resell` (ResellAccountType), for a new account. A change vends a new account.
        :param region_id: The API region (RegionId); the stack's `alicloud:region` if omitted. A change replaces the
               resource (a new account).
        """
        arguments, opts = resource_args_and_options(EnrolledAccountArgs, args, kwargs)
        if opts.delete_before_replace is None:
            # Replacements delete first: the delete makes no API call (it only lets the stack's hold
            # of the account go), and once it has, the replacement's create cannot adopt that account.
            # `pulumi up --replace` tells the provider nothing else that tells a replacement from the
            # retry of an interrupted create.
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True))
        # The applied items hold the baseline's item configs as the service reports them: a baseline
        # made elsewhere (an AccountFactoryBaseline, the console) may carry secrets this resource
        # cannot see, so they are always secret; the account's own items when they may hold one.
        secret_outputs = (list(BASELINE_ECHOES) if _may_hold_secrets(arguments.baseline_items)
                          else ["applied_baseline_items"])
        secret_outputs.append(field_kit.INPUTS_RECORD)  # a copy of the inputs, secret ones included
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs))
        props: dict[str, Any] = {field.name: getattr(arguments, field.name) for field in fields.FIELDS}
        for uid in ("account_uid", "payer_account_uid"):
            props[uid] = _exact_uid_input(props[uid])
        props["baseline_items"] = baseline_items_property(props["baseline_items"])
        props.update({name: None for name in fields.COMPUTED_OUTPUTS})
        props.update(provider_inputs(resource_name, RESOURCE_TYPE, opts))
        if opts.id is None:  # a read (`get`) never waits for an enrollment
            account_declared()  # more than the engine's --parallel: warned once (engine_parallelism.py)
        with provider_pickling_contained():
            super().__init__(EnrolledAccountProvider(), resource_name, props, opts)

    @staticmethod
    def get(resource_name: str, account_uid: pulumi.Input[AccountUidInput],
            opts: Optional[pulumi.ResourceOptions] = None) -> "EnrolledAccount":
        """Read an existing enrollment into the program without managing it.

        :param resource_name: The resource's name in the program.
        :param account_uid: The enrolled account, an int of any size or a string of digits.
        :param opts: Options of the resource.
        """
        read_opts = pulumi.ResourceOptions(id=pulumi.Output.from_input(account_uid).apply(
            lambda uid: str(fields.parse_account_uid("account_uid", uid))))
        return EnrolledAccount(resource_name, opts=pulumi.ResourceOptions.merge(opts, read_opts))

    # --- outputs: every argument as the service reports it, and what only the service knows ------

    account_name_prefix: pulumi.Output[Optional[str]]
    """The new account's name prefix, as given (None for an existing account)."""
    display_name: pulumi.Output[str]
    """The account's display name, as the service reports it."""
    folder_id: pulumi.Output[str]
    """The resource directory folder the account is in."""
    baseline_id: pulumi.Output[str]
    """The baseline the account was enrolled with."""
    tags: pulumi.Output[dict[str, str]]
    """The account's tags (without the provider's own `pulumi:enrollment-key`)."""
    resell_account_type: pulumi.Output[Optional[str]]
    """`resell` or `non_resell`, as given (None if not given)."""
    region_id: pulumi.Output[str]
    """The API region the account was enrolled in."""
    status: pulumi.Output[str]
    """The enrollment's status: `Finished` after a successful `pulumi up` (`Pending`, `Running`,
    `Scheduling`, `Failed` or `ScheduleFailed` as a refresh may find it)."""
    progress: pulumi.Output[list[EnrolledAccountProgress]]
    """Each baseline item's status in the last enrollment."""
    error_info: pulumi.Output[Optional[EnrolledAccountErrorInfo]]
    """Why the last enrollment failed (None unless it did)."""
    initialized: pulumi.Output[bool]
    """Whether the account has been initialized by Account Factory."""
    create_time: pulumi.Output[str]
    """When the enrollment was created (UTC, ISO 8601)."""
    update_time: pulumi.Output[str]
    """When the enrollment last changed (UTC, ISO 8601)."""

    # (properties where the program's value is not what Pulumi would make of the state's)

    @property
    def account_uid(self) -> pulumi.Output[AccountUid]:
        """The AccountUid, exact: an int below 2^53, its string of digits from 2^53 on (Pulumi carries
        numbers as float64, which would lose digits). To export it or hand it to another stack, use
        `account_id`: a number output is read back as a float."""
        return _output(self, "account_uid").apply(_exact_uid)

    @property
    def account_id(self) -> pulumi.Output[str]:
        """The AccountUid as its string of decimal digits, exact at any size: the value to export, to
        read through a StackReference and to put into ARNs (`acs:ram::{account_id}:role/...`)."""
        return _output(self, "account_uid").apply(_exact_uid_text)

    @property
    def payer_account_uid(self) -> pulumi.Output[Optional[AccountUid]]:
        """The account that pays for this one, as exact as `account_uid` (None if the service reports none)."""
        return _output(self, "payer_account_uid").apply(_exact_uid)

    @property
    def master_account_uid(self) -> pulumi.Output[Optional[AccountUid]]:
        """The resource directory's management account, as exact as `account_uid`."""
        return _output(self, "master_account_uid").apply(_exact_uid)

    @property
    def baseline_items(self) -> pulumi.Output[list[EnrolledAccountBaselineItem]]:
        """The item overrides of the last enrollment, configs as canonical JSON text (secret when an
        item's config was built from an Output)."""
        return baseline_items_output(self, "baseline_items", EnrolledAccountBaselineItem)

    @property
    def applied_baseline_items(self) -> pulumi.Output[list[EnrolledAccountBaselineItem]]:
        """The items actually applied: the baseline's merged with the overrides. Always secret: a
        baseline made elsewhere may carry secrets in its configs."""
        return baseline_items_output(self, "applied_baseline_items", EnrolledAccountBaselineItem)


#: Outputs in which the service echoes baseline item configs back. The engine marks an output
#: secret only when an input of the same name held a secret (or when it is listed in
#: additional_secret_outputs), and `applied_baseline_items` is no input's name.
BASELINE_ECHOES = ("baseline_items", "applied_baseline_items")


def _may_hold_secrets(value: Any) -> bool:
    """Whether baseline items hold an Output anywhere: it may be secret, and whether it is is only
    known later, while the options must be given now. Plain values are never secret."""
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, BaselineItemArgs):
        value = value.to_property()
    if isinstance(value, Mapping):
        return any(_may_hold_secrets(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(_may_hold_secrets(item) for item in value)
    return False


class StackIdentity(pulumi.dynamic.Resource, module="alicloud-account-factory", name="StackIdentity"):
    """A random value created once per stack and kept in its state (one per program, made by the
    first EnrolledAccount or AccountFactoryBaseline). It is part of every enrollment key (and of a
    baseline's mark, see `baseline_fields.mark`), so that the same project, stack
    and resource name in another organization or backend never adopts this stack's accounts,
    while a create interrupted in this stack finds its account again: the value is in the state
    before any account's create starts."""

    value: pulumi.Output[str]

    def __init__(self, resource_name: str, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        with provider_pickling_contained():
            super().__init__(StackIdentityProvider(), resource_name, {field_kit.STACK_IDENTITY_VALUE: None}, opts)


#: The name of the one StackIdentity of a stack.
STACK_IDENTITY_NAME = "alicloud-account-factory-stack-identity"
_stack_identities: "weakref.WeakKeyDictionary[Any, StackIdentity]" = weakref.WeakKeyDictionary()


def _stack_identity() -> Optional[pulumi.Output[str]]:
    """The value of this program's StackIdentity, registered on first use (None outside a stack)."""
    root = pulumi.runtime.settings.get_root_resource()
    if root is None:
        return None
    if root not in _stack_identities:
        _stack_identities[root] = StackIdentity(STACK_IDENTITY_NAME)
    return _stack_identities[root].value


def provider_inputs(resource_name: str, type_: str, opts: pulumi.ResourceOptions) -> dict[str, Any]:
    """The inputs every resource of this package passes its provider besides its arguments: the
    options the engine keeps to itself for a dynamic provider (custom timeouts; replace_on_changes,
    which the engine applies only to a detailed diff, which a dynamic provider cannot send), and whose
    resource it is (URN, aliases, the stack's identity). In one place, so that no resource drops one."""
    return {
        field_kit.CUSTOM_TIMEOUTS: _custom_timeouts(opts.custom_timeouts),
        replace_on_changes.INPUT: list(opts.replace_on_changes) if opts.replace_on_changes else None,
        field_kit.RESOURCE_URN: pulumi.create_urn(resource_name, type_, parent=opts.parent),
        field_kit.RESOURCE_ALIASES: _alias_urns(resource_name, opts, type_),
        field_kit.STACK_IDENTITY: None if opts.id is not None else _stack_identity(),
    }


def _alias_urns(resource_name: str, opts: pulumi.ResourceOptions, type_: str) -> Optional[pulumi.Output[list[str]]]:
    """Every URN Pulumi takes for this resource's earlier ones (its aliases, and those inherited
    from its parent's aliases), computed as the SDK does for engines without alias specs."""
    aliases = all_aliases(opts.aliases, resource_name, type_, opts.parent)
    return pulumi.Output.all(*aliases).apply(lambda urns: sorted({u for u in urns if u})) if aliases else None


def baseline_items_property(items: Any) -> Any:
    """BaselineItemArgs as plain mappings (what Pulumi can serialize), also inside an Output."""
    if items is None:
        return None
    if isinstance(items, pulumi.Output):
        return items.apply(baseline_items_property)
    if not isinstance(items, (list, tuple)):
        return items  # not a list: check says what is wrong with it
    return [item.to_property() if isinstance(item, BaselineItemArgs) else item for item in items]


def _custom_timeouts(timeouts: Optional[pulumi.CustomTimeouts]) -> Optional[dict[str, str]]:
    """The engine keeps custom timeouts to itself for dynamic providers; pass them along."""
    if timeouts is None:
        return None
    values = {"create": timeouts.create, "update": timeouts.update, "delete": timeouts.delete}
    return {key: value for key, value in values.items() if value} or None
