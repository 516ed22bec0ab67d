"""The user-facing `AccountFactoryBaseline` resource and its `AccountFactoryBaselineArgs`."""

from __future__ import annotations

from typing import Any, Optional, Sequence, overload

import pulumi
import pulumi.dynamic

from .baselines import fields as baseline_fields
from .core import field_kit
from .dynamic.provider_blob import provider_pickling_contained
from .baseline_provider import AccountFactoryBaselineProvider
from .outputs import AccountFactoryBaselineItem
from .resource import (
    BaselineItemInput,
    baseline_items_output,
    baseline_items_property,
    provider_inputs,
    resource_args_and_options,
    set_arguments,
)

#: Type token of the resource; part of every URN in users' state, so it never changes.
RESOURCE_TYPE = "pulumi-python:dynamic/alicloud-account-factory:AccountFactoryBaseline"


@pulumi.input_type
class AccountFactoryBaselineArgs:
    """The arguments of an `AccountFactoryBaseline` (each is described here, and on
    `AccountFactoryBaseline`). `baseline_name` and `baseline_items` are required; they are optional
    here so that check, not Python, names what is missing."""

    baseline_name: Optional[pulumi.Input[str]]
    """The baseline's name (BaselineName), required. A change updates in place."""
    baseline_items: Optional[pulumi.Input[Sequence[pulumi.Input[BaselineItemInput]]]]
    """The items the baseline applies (BaselineItems), at least one: `BaselineItemArgs(name,
    config=None, version=None)` or dicts with those keys (no `skip`: leave an item out instead).
    A change updates in place, for the next enrollments."""
    description: Optional[pulumi.Input[str]]
    """What the baseline is for (Description). A change updates in place."""
    region_id: Optional[pulumi.Input[str]]
    """The API region (RegionId); the stack's `alicloud:region` if omitted. A change replaces the
    resource."""
    baseline_id: Optional[pulumi.Input[str]]
    """An existing baseline to manage from this resource instead of creating one (`afb-...`; there
    is no `pulumi import` for a dynamic resource). A change replaces the resource."""

    def __init__(self, *, baseline_name: Optional[pulumi.Input[str]] = None,
                 baseline_items: Optional[pulumi.Input[Sequence[pulumi.Input[BaselineItemInput]]]] = None,
                 description: Optional[pulumi.Input[str]] = None, region_id: Optional[pulumi.Input[str]] = None,
                 baseline_id: Optional[pulumi.Input[str]] = None) -> None:
        set_arguments(self, locals())


class AccountFactoryBaseline(pulumi.dynamic.Resource, module="alicloud-account-factory",
                             name="AccountFactoryBaseline"):
    """A Custom baseline of Cloud Governance Center's Account Factory (the items a vended account gets).

    Its `baseline_id` feeds `EnrolledAccount(baseline_id=...)`. Name, description and items update
    in place; a changed baseline applies to the next enrollments only (as in the service): accounts
    follow it when their own `baseline_id`/`baseline_items` change and `pulumi up` re-enrolls them.
    An item config built from an Output (e.g. `pulumi.Output.secret(...)`) makes `baseline_items`
    a secret output.

    Create makes a new baseline, or adopts the one an interrupted create of this resource made; it
    fails on a same-named baseline made elsewhere. Pass that baseline's `baseline_id` to manage it
    from this resource instead (`pulumi import` cannot bring in a dynamic resource).
    """

    @overload
    def __init__(self, resource_name: str, args: AccountFactoryBaselineArgs,
                 opts: Optional[pulumi.ResourceOptions] = None) -> None: ...

    @overload
    def __init__(self, resource_name: str, *, opts: Optional[pulumi.ResourceOptions] = None,
                 baseline_name: Optional[pulumi.Input[str]] = None,
                 baseline_items: Optional[pulumi.Input[Sequence[pulumi.Input[BaselineItemInput]]]] = None,
                 description: Optional[pulumi.Input[str]] = None, region_id: Optional[pulumi.Input[str]] = None,
                 baseline_id: Optional[pulumi.Input[str]] = None) -> None: ...

    def __init__(self, resource_name: str, *args: Any, **kwargs: Any) -> None:
        """
        A Custom Account Factory baseline. Pass keyword arguments, or an `AccountFactoryBaselineArgs`
        as the second argument.

        :param resource_name: The resource's name in the stack.
        :param args: All the arguments below, as an `AccountFactoryBaselineArgs` (instead of keywords).
        :param opts: Options of the resource, e.g. `retain_on_delete`.
        :param baseline_name: The baseline's name (BaselineName), required. A change updates in place.
        :param baseline_items: The items the baseline applies (BaselineItems), at least one: `BaselineItemArgs(name,
               config=None, version=None)` or dicts with those keys (no `skip`: leave an item out instead).
               A change updates in place, for the next enrollments.
        :param description: What the baseline is for (Description). A change updates in place.
        :param region_id: The API region (RegionId); the stack's `alicloud:region` if omitted. A change replaces the
               resource.
        :param baseline_id: An existing baseline to manage from this resource instead of creating one (`afb-...`; there
               is no `pulumi import` for a dynamic resource). A change replaces the resource.
        """
        arguments, opts = resource_args_and_options(AccountFactoryBaselineArgs, args, kwargs)
        props: dict[str, Any] = {field.name: getattr(arguments, field.name) for field in baseline_fields.FIELDS}
        props["baseline_items"] = baseline_items_property(props["baseline_items"])
        props.update({name: None for name in baseline_fields.COMPUTED_OUTPUTS})
        # (whose baseline it is, URN, aliases and the stack's identity, makes the mark create writes)
        props.update(provider_inputs(resource_name, RESOURCE_TYPE, opts))
        # Always secret: a baseline read from the service (made in the console, or adopted) may carry
        # secrets in its item configs (webhook tokens) that no input of this program marks.
        # (and the record of its inputs, which may hold any secret input: `field_kit.INPUTS_RECORD`)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["baseline_items", field_kit.INPUTS_RECORD]))
        with provider_pickling_contained():
            super().__init__(AccountFactoryBaselineProvider(), resource_name, props, opts)

    baseline_id: pulumi.Output[str]
    """The baseline's id (`afb-...`), for `EnrolledAccount(baseline_id=...)`."""
    baseline_name: pulumi.Output[str]
    """The baseline's name."""
    description: pulumi.Output[Optional[str]]
    """Its description, as given."""
    type: pulumi.Output[str]
    """`Custom` (the default baseline, `System`, is not managed as a resource)."""
    region_id: pulumi.Output[str]
    """The API region the baseline is in."""
    create_time: pulumi.Output[str]
    """When the baseline was created (UTC, ISO 8601)."""
    update_time: pulumi.Output[str]
    """When it last changed (UTC, ISO 8601)."""

    @property
    def baseline_items(self) -> pulumi.Output[list[AccountFactoryBaselineItem]]:
        """Its items as the service holds them, configs as canonical JSON text (always secret). Pass
        them as accounts' `baseline_items` to roll a change of the baseline out to them."""
        return baseline_items_output(self, "baseline_items", AccountFactoryBaselineItem)
