"""The types of the values outputs and look-ups hold, as Pulumi's generated SDKs shape them.

Each is a `@pulumi.output_type`, whose annotations become typed properties: Pulumi builds it from
the provider's answer (so an IDE and mypy know `progress[0].status` is a `str`), and it is a dict
too, so `progress[0]["status"]` keeps working. Every key is present, None when the service
reported nothing.
"""

from __future__ import annotations

from typing import Any, Optional

import pulumi

__all__ = [
    "AccountFactoryBaselineItem",
    "BaselineCatalogItem",
    "BaselineItemDependency",
    "BaselineSummary",
    "EnrolledAccountBaselineItem",
    "EnrolledAccountErrorInfo",
    "EnrolledAccountProgress",
    "GetBaselineResult",
]


@pulumi.output_type
class EnrolledAccountProgress(dict[str, Any]):
    """How far one baseline item of an enrollment got."""

    name: str
    """The baseline item, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC`."""
    status: str
    """`Pending`, `Running`, `Finished`, `Failed` or `Skipped`."""

    def __init__(self, *, name: str, status: str) -> None:
        super().__init__(name=name, status=status)


@pulumi.output_type
class EnrolledAccountErrorInfo(dict[str, Any]):
    """Why an enrollment failed, as the service says it (GetEnrolledAccount's ErrorInfo)."""

    code: Optional[str]
    """The error code, e.g. `DeployConflict.Blueprint`."""
    message: Optional[str]
    """The service's message."""
    recommend: Optional[str]
    """What the service recommends doing (often a link)."""
    request_id: Optional[str]
    """The RequestId of the failed step, for Alibaba Cloud support."""

    def __init__(self, *, code: Optional[str] = None, message: Optional[str] = None,
                 recommend: Optional[str] = None, request_id: Optional[str] = None) -> None:
        super().__init__(code=code, message=message, recommend=recommend, request_id=request_id)


@pulumi.output_type
class AccountFactoryBaselineItem(dict[str, Any]):
    """An item of an Account Factory baseline (an `AccountFactoryBaseline`'s, or `get_baseline`'s)."""

    name: str
    """The item's name, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC`."""
    config: Optional[str]
    """The item's configuration as canonical JSON text."""
    version: Optional[str]
    """The item's version, e.g. `1.0`."""

    def __init__(self, *, name: str, config: Optional[str] = None, version: Optional[str] = None) -> None:
        super().__init__(name=name, config=config, version=version)


@pulumi.output_type
class EnrolledAccountBaselineItem(dict[str, Any]):
    """A baseline item of an enrollment: an override as given (`baseline_items`) or as applied
    (`applied_baseline_items`)."""

    name: str
    """The item's name, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC`."""
    config: Optional[str]
    """Its configuration as canonical JSON text (None: the baseline's own)."""
    skip: bool
    """Whether the item is left out of this account."""
    version: Optional[str]
    """Its version, e.g. `1.0` (None: the baseline's, or the newest)."""

    def __init__(self, *, name: str, config: Optional[str] = None, skip: bool = False,
                 version: Optional[str] = None) -> None:
        super().__init__(name=name, config=config, skip=bool(skip), version=version)


@pulumi.output_type
class BaselineItemDependency(dict[str, Any]):
    """An item a catalog item needs in the same baseline."""

    name: str
    """The item needed."""
    type: Optional[str]
    """Its type, e.g. `Network`."""
    version: Optional[str]
    """Its version."""

    def __init__(self, *, name: str, type: Optional[str] = None, version: Optional[str] = None) -> None:  # noqa: A002
        super().__init__(name=name, type=type, version=version)


@pulumi.output_type
class BaselineCatalogItem(dict[str, Any]):
    """One version of one item of the catalog (a row of `get_baseline_items`)."""

    name: str
    """The item's name, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC`."""
    version: Optional[str]
    """This row's version of the item."""
    type: Optional[str]
    """The item's type, e.g. `Network`, `Security`."""
    description: Optional[str]
    """What the item sets up."""
    depends_on: list[BaselineItemDependency]
    """The items it needs in the same baseline."""

    def __init__(self, *, name: str, version: Optional[str] = None, type: Optional[str] = None,  # noqa: A002
                 description: Optional[str] = None, depends_on: Optional[list[BaselineItemDependency]] = None) -> None:
        super().__init__(name=name, version=version, type=type, description=description,
                         depends_on=list(depends_on or []))


@pulumi.output_type
class BaselineSummary(dict[str, Any]):
    """One baseline (a row of `get_baselines`)."""

    baseline_id: str
    """The baseline's id, `afb-...`."""
    baseline_name: Optional[str]
    """Its name."""
    description: Optional[str]
    """Its description."""
    type: Optional[str]
    """`System` for the default baseline, `Custom` for the others."""
    create_time: Optional[str]
    """When it was created (UTC, ISO 8601)."""
    update_time: Optional[str]
    """When it last changed (UTC, ISO 8601)."""

    def __init__(self, *, baseline_id: str, baseline_name: Optional[str] = None, description: Optional[str] = None,
                 type: Optional[str] = None, create_time: Optional[str] = None,  # noqa: A002
                 update_time: Optional[str] = None) -> None:
        super().__init__(baseline_id=baseline_id, baseline_name=baseline_name, description=description, type=type,
                         create_time=create_time, update_time=update_time)


@pulumi.output_type
class GetBaselineResult(dict[str, Any]):
    """One baseline with its items (`get_baseline`): the outputs an `AccountFactoryBaseline` has."""

    baseline_id: str
    """The baseline's id, `afb-...`."""
    baseline_name: Optional[str]
    """Its name."""
    description: Optional[str]
    """Its description."""
    type: Optional[str]
    """`System` for the default baseline, `Custom` for the others."""
    baseline_items: list[AccountFactoryBaselineItem]
    """Its items, configs as canonical JSON text."""
    region_id: Optional[str]
    """The API region it was read in."""
    create_time: Optional[str]
    """When it was created (UTC, ISO 8601)."""
    update_time: Optional[str]
    """When it last changed (UTC, ISO 8601)."""

    def __init__(self, *, baseline_id: str, baseline_name: Optional[str] = None, description: Optional[str] = None,
                 type: Optional[str] = None, baseline_items: Optional[list[AccountFactoryBaselineItem]] = None,  # noqa: A002
                 region_id: Optional[str] = None, create_time: Optional[str] = None,
                 update_time: Optional[str] = None) -> None:
        super().__init__(baseline_id=baseline_id, baseline_name=baseline_name, description=description, type=type,
                         baseline_items=list(baseline_items or []), region_id=region_id, create_time=create_time,
                         update_time=update_time)
