# mypy: disable-error-code="no-any-return"
# (pulumi.get is untyped: each getter's annotation is what it returns)
"""The types of the values outputs and look-ups hold, as Pulumi's generated SDKs shape them.

Each is a `@pulumi.output_type`: Pulumi builds it from the provider's answer (so an IDE and mypy
know `progress[0].status` is a `str`), and it is a dict too, so `progress[0]["status"]` keeps
working. Every key is present, None when the service reported nothing.
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

    def __init__(self, *, name: str, status: str) -> None:
        pulumi.set(self, "name", name)
        pulumi.set(self, "status", status)

    @property
    @pulumi.getter
    def name(self) -> str:
        """The baseline item, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC`."""
        return pulumi.get(self, "name")

    @property
    @pulumi.getter
    def status(self) -> str:
        """`Pending`, `Running`, `Finished`, `Failed` or `Skipped`."""
        return pulumi.get(self, "status")


@pulumi.output_type
class EnrolledAccountErrorInfo(dict[str, Any]):
    """Why an enrollment failed, as the service says it (GetEnrolledAccount's ErrorInfo)."""

    def __init__(self, *, code: Optional[str] = None, message: Optional[str] = None,
                 recommend: Optional[str] = None, request_id: Optional[str] = None) -> None:
        pulumi.set(self, "code", code)
        pulumi.set(self, "message", message)
        pulumi.set(self, "recommend", recommend)
        pulumi.set(self, "request_id", request_id)

    @property
    @pulumi.getter
    def code(self) -> Optional[str]:
        """The error code, e.g. `DeployConflict.Blueprint`."""
        return pulumi.get(self, "code")

    @property
    @pulumi.getter
    def message(self) -> Optional[str]:
        """The service's message."""
        return pulumi.get(self, "message")

    @property
    @pulumi.getter
    def recommend(self) -> Optional[str]:
        """What the service recommends doing (often a link)."""
        return pulumi.get(self, "recommend")

    @property
    @pulumi.getter
    def request_id(self) -> Optional[str]:
        """The RequestId of the failed step, for Alibaba Cloud support."""
        return pulumi.get(self, "request_id")


@pulumi.output_type
class EnrolledAccountBaselineItem(dict[str, Any]):
    """A baseline item of an enrollment: an override as given (`baseline_items`) or as applied
    (`applied_baseline_items`)."""

    def __init__(self, *, name: str, config: Optional[str] = None, skip: bool = False,
                 version: Optional[str] = None) -> None:
        pulumi.set(self, "name", name)
        pulumi.set(self, "config", config)
        pulumi.set(self, "skip", bool(skip))
        pulumi.set(self, "version", version)

    @property
    @pulumi.getter
    def name(self) -> str:
        """The item's name, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC`."""
        return pulumi.get(self, "name")

    @property
    @pulumi.getter
    def config(self) -> Optional[str]:
        """The item's configuration as canonical JSON text (None: the baseline's own)."""
        return pulumi.get(self, "config")

    @property
    @pulumi.getter
    def skip(self) -> bool:
        """Whether the item is left out of this account."""
        return pulumi.get(self, "skip")

    @property
    @pulumi.getter
    def version(self) -> Optional[str]:
        """The item's version, e.g. `1.0` (None: the baseline's, or the newest)."""
        return pulumi.get(self, "version")


@pulumi.output_type
class AccountFactoryBaselineItem(dict[str, Any]):
    """An item of an Account Factory baseline (an `AccountFactoryBaseline`, or `get_baseline`)."""

    def __init__(self, *, name: str, config: Optional[str] = None, version: Optional[str] = None) -> None:
        pulumi.set(self, "name", name)
        pulumi.set(self, "config", config)
        pulumi.set(self, "version", version)

    @property
    @pulumi.getter
    def name(self) -> str:
        """The item's name, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC`."""
        return pulumi.get(self, "name")

    @property
    @pulumi.getter
    def config(self) -> Optional[str]:
        """The item's configuration as canonical JSON text."""
        return pulumi.get(self, "config")

    @property
    @pulumi.getter
    def version(self) -> Optional[str]:
        """The item's version, e.g. `1.0`."""
        return pulumi.get(self, "version")


@pulumi.output_type
class BaselineItemDependency(dict[str, Any]):
    """An item a catalog item needs in the same baseline."""

    def __init__(self, *, name: str, type: Optional[str] = None, version: Optional[str] = None) -> None:  # noqa: A002
        pulumi.set(self, "name", name)
        pulumi.set(self, "type", type)
        pulumi.set(self, "version", version)

    @property
    @pulumi.getter
    def name(self) -> str:
        """The item needed."""
        return pulumi.get(self, "name")

    @property
    @pulumi.getter
    def type(self) -> Optional[str]:
        """Its type, e.g. `Network`."""
        return pulumi.get(self, "type")

    @property
    @pulumi.getter
    def version(self) -> Optional[str]:
        """Its version."""
        return pulumi.get(self, "version")


@pulumi.output_type
class BaselineCatalogItem(dict[str, Any]):
    """One version of one item of the catalog (a row of `get_baseline_items`)."""

    def __init__(self, *, name: str, version: Optional[str] = None, type: Optional[str] = None,  # noqa: A002
                 description: Optional[str] = None, depends_on: Optional[list[BaselineItemDependency]] = None) -> None:
        pulumi.set(self, "name", name)
        pulumi.set(self, "version", version)
        pulumi.set(self, "type", type)
        pulumi.set(self, "description", description)
        pulumi.set(self, "depends_on", list(depends_on or []))

    @property
    @pulumi.getter
    def name(self) -> str:
        """The item's name, e.g. `ACS-BP_ACCOUNT_FACTORY_VPC`."""
        return pulumi.get(self, "name")

    @property
    @pulumi.getter
    def version(self) -> Optional[str]:
        """This row's version of the item."""
        return pulumi.get(self, "version")

    @property
    @pulumi.getter
    def type(self) -> Optional[str]:
        """The item's type, e.g. `Network`, `Security`."""
        return pulumi.get(self, "type")

    @property
    @pulumi.getter
    def description(self) -> Optional[str]:
        """What the item sets up."""
        return pulumi.get(self, "description")

    @property
    @pulumi.getter
    def depends_on(self) -> list[BaselineItemDependency]:
        """The items it needs in the same baseline."""
        return pulumi.get(self, "depends_on")


@pulumi.output_type
class BaselineSummary(dict[str, Any]):
    """One baseline (a row of `get_baselines`)."""

    def __init__(self, *, baseline_id: str, baseline_name: Optional[str] = None, description: Optional[str] = None,
                 type: Optional[str] = None, create_time: Optional[str] = None,  # noqa: A002
                 update_time: Optional[str] = None) -> None:
        pulumi.set(self, "baseline_id", baseline_id)
        pulumi.set(self, "baseline_name", baseline_name)
        pulumi.set(self, "description", description)
        pulumi.set(self, "type", type)
        pulumi.set(self, "create_time", create_time)
        pulumi.set(self, "update_time", update_time)

    @property
    @pulumi.getter
    def baseline_id(self) -> str:
        """The baseline's id, `afb-...`."""
        return pulumi.get(self, "baseline_id")

    @property
    @pulumi.getter
    def baseline_name(self) -> Optional[str]:
        """Its name."""
        return pulumi.get(self, "baseline_name")

    @property
    @pulumi.getter
    def description(self) -> Optional[str]:
        """Its description."""
        return pulumi.get(self, "description")

    @property
    @pulumi.getter
    def type(self) -> Optional[str]:
        """`System` for the default baseline, `Custom` for the others."""
        return pulumi.get(self, "type")

    @property
    @pulumi.getter
    def create_time(self) -> Optional[str]:
        """When it was created (UTC, ISO 8601)."""
        return pulumi.get(self, "create_time")

    @property
    @pulumi.getter
    def update_time(self) -> Optional[str]:
        """When it last changed (UTC, ISO 8601)."""
        return pulumi.get(self, "update_time")


class GetBaselineResult(BaselineSummary):  # an output type by inheritance (the decorator refuses a second time)
    """One baseline with its items (`get_baseline`): what an `AccountFactoryBaseline` outputs."""

    def __init__(self, *, baseline_id: str, baseline_name: Optional[str] = None, description: Optional[str] = None,
                 type: Optional[str] = None, create_time: Optional[str] = None,  # noqa: A002
                 update_time: Optional[str] = None, baseline_items: Optional[list[AccountFactoryBaselineItem]] = None,
                 region_id: Optional[str] = None) -> None:
        super().__init__(baseline_id=baseline_id, baseline_name=baseline_name, description=description, type=type,
                         create_time=create_time, update_time=update_time)
        pulumi.set(self, "baseline_items", list(baseline_items or []))
        pulumi.set(self, "region_id", region_id)

    @property
    @pulumi.getter
    def baseline_items(self) -> list[AccountFactoryBaselineItem]:
        """Its items, configs as canonical JSON text."""
        return pulumi.get(self, "baseline_items")

    @property
    @pulumi.getter
    def region_id(self) -> Optional[str]:
        """The API region it was read in."""
        return pulumi.get(self, "region_id")
