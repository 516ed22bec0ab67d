"""The user-facing resource: `EnrolledAccount` and its `BaselineItemArgs`."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Union

import pulumi
import pulumi.dynamic
import pulumi.runtime.settings
from pulumi.runtime.resource import all_aliases

from . import fields, replace_on_changes
from .provider import EnrolledAccountProvider, StackIdentityProvider

#: Type token of the resource; part of every URN in users' state, so it never changes.
RESOURCE_TYPE = "pulumi-python:dynamic/alicloud-account-factory:EnrolledAccount"


@dataclass
class BaselineItemArgs:
    """One baseline item override (merged with the baseline; these settings win).

    `config` is a dict or a JSON object string, e.g. {"VpcName": "main", "CidrBlock": "10.0.0.0/16"}.
    """

    name: pulumi.Input[str]
    config: Optional[pulumi.Input[Union[Mapping[str, Any], str]]] = None
    skip: pulumi.Input[bool] = False
    version: Optional[pulumi.Input[str]] = None

    def to_property(self) -> dict[str, Any]:
        return {"name": self.name, "config": self.config, "skip": self.skip, "version": self.version}


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

    #: An int (declared so, Pulumi turns the float64 it carries back into one); an AccountUid
    #: above 2^53 arrives as its decimal string instead, since a float64 cannot hold it exactly.
    account_uid: pulumi.Output[int]
    account_name_prefix: pulumi.Output[Optional[str]]
    display_name: pulumi.Output[str]
    folder_id: pulumi.Output[str]
    payer_account_uid: pulumi.Output[int]
    master_account_uid: pulumi.Output[int]
    baseline_id: pulumi.Output[str]
    baseline_items: pulumi.Output[list]
    applied_baseline_items: pulumi.Output[list]
    tags: pulumi.Output[dict]
    resell_account_type: pulumi.Output[Optional[str]]
    region_id: pulumi.Output[str]
    status: pulumi.Output[str]
    progress: pulumi.Output[list]
    error_info: pulumi.Output[Optional[dict]]
    initialized: pulumi.Output[bool]
    create_time: pulumi.Output[str]
    update_time: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        account_name_prefix: Optional[pulumi.Input[str]] = None,
        display_name: Optional[pulumi.Input[str]] = None,
        folder_id: Optional[pulumi.Input[str]] = None,
        payer_account_uid: Optional[pulumi.Input[Union[int, str]]] = None,
        account_uid: Optional[pulumi.Input[Union[int, str]]] = None,
        baseline_id: Optional[pulumi.Input[str]] = None,
        baseline_items: Optional[pulumi.Input[Sequence[Union[BaselineItemArgs, Mapping[str, Any]]]]] = None,
        tags: Optional[pulumi.Input[Mapping[str, pulumi.Input[str]]]] = None,
        resell_account_type: Optional[pulumi.Input[str]] = None,
        region_id: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        if opts.delete_before_replace is None:
            # Replacements delete first: the delete makes no API call (it only lets the stack's hold
            # of the account go), and once it has, the replacement's create cannot adopt that account.
            # `pulumi up --replace` tells the provider nothing else that tells a replacement from the
            # retry of an interrupted create.
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(delete_before_replace=True))
        # The applied items hold the baseline's item configs as the service reports them: a baseline
        # made elsewhere (an AccountFactoryBaseline, the console) may carry secrets this resource
        # cannot see, so they are always secret; the account's own items when they may hold one.
        secret_outputs = list(BASELINE_ECHOES) if _may_hold_secrets(baseline_items) else ["applied_baseline_items"]
        secret_outputs.append(fields.INPUTS_RECORD)  # a copy of the inputs, secret ones included
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs))
        props: dict[str, Any] = {
            "account_name_prefix": account_name_prefix,
            "display_name": display_name,
            "folder_id": folder_id,
            "payer_account_uid": payer_account_uid,
            "account_uid": account_uid,
            "baseline_id": baseline_id,
            "baseline_items": _baseline_items_property(baseline_items),
            "tags": tags,
            "resell_account_type": resell_account_type,
            "region_id": region_id,
        }
        props.update({name: None for name in fields.COMPUTED_OUTPUTS})
        props.update(provider_inputs(resource_name, RESOURCE_TYPE, opts))
        super().__init__(EnrolledAccountProvider(), resource_name, props, opts)

    @staticmethod
    def get(resource_name: str, account_uid: pulumi.Input[Union[int, str]],
            opts: Optional[pulumi.ResourceOptions] = None) -> "EnrolledAccount":
        """Read an existing enrollment into the program without managing it."""
        read_opts = pulumi.ResourceOptions(id=pulumi.Output.from_input(account_uid).apply(
            lambda uid: str(fields.parse_account_uid("account_uid", uid))))
        return EnrolledAccount(resource_name, opts=pulumi.ResourceOptions.merge(opts, read_opts))


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
        super().__init__(StackIdentityProvider(), resource_name, {fields.STACK_IDENTITY_VALUE: None}, opts)


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
        fields.CUSTOM_TIMEOUTS: _custom_timeouts(opts.custom_timeouts),
        replace_on_changes.INPUT: list(opts.replace_on_changes) if opts.replace_on_changes else None,
        fields.RESOURCE_URN: pulumi.create_urn(resource_name, type_, parent=opts.parent),
        fields.RESOURCE_ALIASES: _alias_urns(resource_name, opts, type_),
        fields.STACK_IDENTITY: None if opts.id is not None else _stack_identity(),
    }


def _alias_urns(resource_name: str, opts: pulumi.ResourceOptions, type_: str) -> Optional[pulumi.Output[list[str]]]:
    """Every URN Pulumi takes for this resource's earlier ones (its aliases, and those inherited
    from its parent's aliases), computed as the SDK does for engines without alias specs."""
    aliases = all_aliases(opts.aliases, resource_name, type_, opts.parent)
    return pulumi.Output.all(*aliases).apply(lambda urns: sorted({u for u in urns if u})) if aliases else None


def _baseline_items_property(items: Any) -> Any:
    """BaselineItemArgs as plain mappings (what Pulumi can serialize), also inside an Output."""
    if items is None:
        return None
    if isinstance(items, pulumi.Output):
        return items.apply(_baseline_items_property)
    if not isinstance(items, (list, tuple)):
        return items  # not a list: check says what is wrong with it
    return [item.to_property() if isinstance(item, BaselineItemArgs) else item for item in items]


def _custom_timeouts(timeouts: Optional[pulumi.CustomTimeouts]) -> Optional[dict[str, str]]:
    """The engine keeps custom timeouts to itself for dynamic providers; pass them along."""
    if timeouts is None:
        return None
    values = {"create": timeouts.create, "update": timeouts.update, "delete": timeouts.delete}
    return {key: value for key, value in values.items() if value} or None
