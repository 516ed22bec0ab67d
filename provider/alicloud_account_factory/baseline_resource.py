"""The user-facing `AccountFactoryBaseline` resource."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

import pulumi
import pulumi.dynamic

from . import baseline_fields
from .baseline_provider import AccountFactoryBaselineProvider
from .resource import BaselineItemArgs, _baseline_items_property, provider_inputs

#: Type token of the resource; part of every URN in users' state, so it never changes.
RESOURCE_TYPE = "pulumi-python:dynamic/alicloud-account-factory:AccountFactoryBaseline"


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

    baseline_id: pulumi.Output[str]
    baseline_name: pulumi.Output[str]
    description: pulumi.Output[str]
    baseline_items: pulumi.Output[list]
    type: pulumi.Output[str]
    region_id: pulumi.Output[str]
    create_time: pulumi.Output[str]
    update_time: pulumi.Output[str]

    #: Both are required; they are optional here so that check, not Python, names what is missing.
    def __init__(
        self,
        resource_name: str,
        *,
        baseline_name: Optional[pulumi.Input[str]] = None,
        baseline_items: Optional[pulumi.Input[Sequence[Union[BaselineItemArgs, Mapping[str, Any]]]]] = None,
        description: Optional[pulumi.Input[str]] = None,
        region_id: Optional[pulumi.Input[str]] = None,
        baseline_id: Optional[pulumi.Input[str]] = None,
        opts: Optional[pulumi.ResourceOptions] = None,
    ) -> None:
        opts = opts or pulumi.ResourceOptions()
        props: dict[str, Any] = {
            "baseline_name": baseline_name,
            "description": description,
            "baseline_items": _baseline_items_property(baseline_items),
            "region_id": region_id,
            "baseline_id": baseline_id,
        }
        props.update({name: None for name in baseline_fields.COMPUTED_OUTPUTS})
        # (whose baseline it is, URN, aliases and the stack's identity, makes the mark create writes)
        props.update(provider_inputs(resource_name, RESOURCE_TYPE, opts))
        # Always secret: a baseline read from the service (made in the console, or adopted) may carry
        # secrets in its item configs (webhook tokens) that no input of this program marks.
        # (and the record of its inputs, which may hold any secret input: `fields.INPUTS_RECORD`)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
            additional_secret_outputs=["baseline_items", baseline_fields.INPUTS_RECORD]))
        super().__init__(AccountFactoryBaselineProvider(), resource_name, props, opts)
