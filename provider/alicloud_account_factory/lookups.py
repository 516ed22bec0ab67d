"""Look-ups for programs: the item catalog and the baselines, as Outputs.

    items = get_baseline_items(names=["ACS-BP_ACCOUNT_FACTORY_VPC"])
    default_id = get_baselines().apply(lambda bs: next(b.baseline_id for b in bs if b.type == "System"))

They read the API from the program's own process, in `pulumi preview` as in `pulumi up` (they
only read, as a provider's invoke would), with the provider's settings: the stack config keys
(`alicloud:region`, `alicloud:accessKey`, `alicloud:secretKey`, `alicloud:securityToken`,
`alicloud:profile`, `alicloud-account-factory:endpoint`), the default credential chain and the
ALIBABA_CLOUD_GOVERNANCE_ENDPOINT override. The credentials stay in this process's memory; the
Outputs hold only what the API answers. An unknown argument (e.g. a baseline id in the preview
of a new stack) makes the answer unknown instead of calling the API.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Optional, Sequence, TypeVar

import pulumi

from .baselines import fields as baseline_fields
from .baselines.catalog import shared_client
from .baselines.client import BaselineClient
from .core.errors import ApiError
from .core.settings import ProviderSettings
from .core.timeouts import Deadline
from .outputs import AccountFactoryBaselineItem, BaselineCatalogItem, BaselineItemDependency, BaselineSummary, GetBaselineResult

T = TypeVar("T")
#: Gives the client and region for a `region_id` argument (None: the stack's region).
ClientFor = Callable[[Optional[str]], "tuple[BaselineClient, str]"]

LOOKUP_SECONDS = 300.0


def program_settings() -> ProviderSettings:
    """The settings the provider would get, read from this stack's config by the program."""

    def get(key: str) -> Optional[str]:
        namespace, _, name = key.partition(":")
        return pulumi.Config(namespace).get(name)

    return ProviderSettings.from_config(get)


def _looked_up(fetch: Callable[..., T], *inputs: Any, secret: bool = False) -> pulumi.Output[T]:
    """`fetch(client_for, *values)` once every input is known, on a worker thread so that the
    program's other registrations go on meanwhile; unknown when an input is unknown (preview);
    secret if an input is, or if `secret`.

    The settings are read here, in the program's context (pulumi keeps config in contextvars,
    which a worker thread does not see), so a configuration mistake is reported at the call.
    """
    settings = program_settings()

    def client_for(region_id: Optional[str]) -> tuple[BaselineClient, str]:
        region = region_id or settings.region
        return shared_client(settings, region), region

    async def run(values: list[Any]) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, fetch, client_for, *values)

    # The answer keeps its types: apply awaits what run returns as it is, whereas Output.from_input and
    # Output.secret would turn the rows back into plain dicts; so the secret mark goes on the inputs.
    values = pulumi.Output.all(*inputs)
    return (values.apply(pulumi.Output.secret) if secret else values).apply(run)


def item_row(row: dict[str, Any]) -> BaselineCatalogItem:
    return BaselineCatalogItem(
        name=str(row.get("Name") or ""),
        version=row.get("Version"),
        type=row.get("Type"),
        description=row.get("Description"),
        depends_on=[BaselineItemDependency(name=str(d.get("Name") or ""), type=d.get("Type"), version=d.get("Version"))
                    for d in row.get("DependsOn") or ()],
    )


def baseline_row(row: dict[str, Any]) -> BaselineSummary:
    return BaselineSummary(baseline_id=str(row.get("BaselineId") or ""), baseline_name=row.get("BaselineName"),
                           description=baseline_fields.unmarked(row.get("Description")), type=row.get("Type"),
                           create_time=row.get("CreateTime"), update_time=row.get("UpdateTime"))


def get_baseline_items(*, type: Optional[pulumi.Input[str]] = None,  # noqa: A002 - the API's name
                       names: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
                       versions: Optional[pulumi.Input[Sequence[pulumi.Input[str]]]] = None,
                       region_id: Optional[pulumi.Input[str]] = None) -> pulumi.Output[list[BaselineCatalogItem]]:
    """The item catalog (ListAccountFactoryBaselineItems, every page), filtered by the service.

    One row per item and version: `name`, `version`, `type`, `description`, `depends_on`
    (`[{name, type, version}]`). Use it to find an item's newest version or its dependencies.

    :param type: Only items of this type, e.g. `Network`.
    :param names: Only these items.
    :param versions: Only these versions.
    :param region_id: The API region; the stack's `alicloud:region` if omitted.
    """

    def fetch(client_for: ClientFor, type_: Optional[str], names_: Optional[list[str]],
              versions_: Optional[list[str]], region: Optional[str]) -> list[BaselineCatalogItem]:
        rows = client_for(region)[0].list_baseline_items(Deadline.after(LOOKUP_SECONDS), type_=type_,
                                                   names=names_, versions=versions_)
        return [item_row(row) for row in rows]

    return _looked_up(fetch, type, names, versions, region_id)


def get_baselines(*, region_id: Optional[pulumi.Input[str]] = None) -> pulumi.Output[list[BaselineSummary]]:
    """Every baseline (ListAccountFactoryBaselines, every page): `baseline_id`, `baseline_name`,
    `description`, `type` ("System" for the default one, "Custom"), `create_time`, `update_time`.

    :param region_id: The API region; the stack's `alicloud:region` if omitted.
    """

    def fetch(client_for: ClientFor, region: Optional[str]) -> list[BaselineSummary]:
        return [baseline_row(row) for row in client_for(region)[0].list_baselines(Deadline.after(LOOKUP_SECONDS))]

    return _looked_up(fetch, region_id)


def get_baseline(baseline_id: pulumi.Input[str], *,
                 region_id: Optional[pulumi.Input[str]] = None) -> pulumi.Output[GetBaselineResult]:
    """One baseline (GetAccountFactoryBaseline) with the outputs an `AccountFactoryBaseline` has:
    `baseline_id`, `baseline_name`, `description`, `type`, `baseline_items` (configs as canonical
    JSON), `region_id`, `create_time`, `update_time`. A baseline that does not exist is an error.
    The answer is secret: item configs may hold secrets (webhook tokens) that nothing here marks.

    :param baseline_id: The baseline, `afb-...` (an `AccountFactoryBaseline`'s output works too).
    :param region_id: The API region; the stack's `alicloud:region` if omitted.
    """

    def fetch(client_for: ClientFor, id_: str, region_id: Optional[str]) -> GetBaselineResult:
        client, region = client_for(region_id)
        raw = client.get_baseline(str(id_), Deadline.after(LOOKUP_SECONDS))
        if raw is None:
            raise ApiError("GetAccountFactoryBaseline", "InvalidBlueprint.NotFound",
                           f"there is no baseline {id_!r} in region {region}: get_baselines() lists the baselines")
        outputs = baseline_fields.outputs(raw, {"region_id": region})
        items = [AccountFactoryBaselineItem(**item) for item in outputs.pop("baseline_items") or ()]
        return GetBaselineResult(baseline_items=items, **outputs)

    return _looked_up(fetch, baseline_id, region_id, secret=True)
