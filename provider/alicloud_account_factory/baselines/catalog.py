"""The item catalog's answer to items the service refuses, for baselines and enrollments alike.

The service's `InvalidBaselineItem.NotFound` does not say what the user meant. When it (or a
missing dependency) refuses a create or update, the provider asks the catalog
(ListAccountFactoryBaselineItems) and names the closest item name, the versions it lists and
the missing dependencies. The catalog is only read after a refusal: a valid program pays nothing.
"""

from __future__ import annotations

import difflib
import functools
from typing import Any, Callable, Mapping, Sequence, TypeVar

from ..core.context import connection
from ..core.errors import ApiError
from ..core.settings import ProviderSettings
from ..core.timeouts import Deadline
from .client import BaselineClient

CATALOG_CODES = frozenset({"InvalidBaselineItem.NotFound", "DependencyViolation.BaselineItem"})
#: How long the catalog may take to answer, after the service refused an item.
CATALOG_SECONDS = 60.0

F = TypeVar("F", bound=Callable[..., Any])


def shared_client(settings: ProviderSettings, region: str) -> BaselineClient:
    """A client over the process's one connection (so one pace, the accounts' too) for this endpoint,
    credentials and region."""
    return BaselineClient(settings, region, connection=connection(settings, region))


def catalog_problems(client: BaselineClient, items: Sequence[Mapping[str, Any]], deadline: Deadline, *,
                     dependencies: bool = True) -> list[str]:
    """What the item catalog says about the items asked for: unknown names (with the closest
    match), versions it does not list (with those it does) and, if asked, missing dependencies
    (not for an enrollment: its baseline may bring them)."""
    catalog = client.list_baseline_items(deadline)
    versions: dict[str, list[str]] = {}
    depends: dict[str, set[str]] = {}
    for row in catalog:
        versions.setdefault(row["Name"], []).append(row["Version"])
        depends.setdefault(row["Name"], set()).update(d["Name"] for d in row.get("DependsOn") or ())
    wanted = {item["name"] for item in items}
    problems = []
    for item in items:
        name, version = item["name"], item.get("version")
        if name not in versions:
            close = difflib.get_close_matches(name, list(versions), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "get_baseline_items() lists the catalog"
            problems.append(f"baseline item {name!r} is not in the catalog: {hint}")
        elif version and version not in versions[name]:
            problems.append(f"baseline item {name!r} has no version {version!r}: the catalog lists "
                            f"{', '.join(versions[name])}")
        elif dependencies and not item.get("skip"):
            problems += [f"baseline item {name!r} depends on {dep!r}: add it to baseline_items"
                         for dep in sorted(depends.get(name, set()) - wanted)]
    return problems


def answered_from_catalog(error: ApiError, client: BaselineClient, items: Sequence[Mapping[str, Any]],
                          deadline: Deadline, *, dependencies: bool = True) -> ApiError:
    """`error` (a refused item) with the catalog's answer as its message, about `baseline_items`."""
    problems = catalog_problems(client, items, deadline, dependencies=dependencies)
    return ApiError(error.action, error.code, "; ".join(problems) or error.message,
                    request_id=error.request_id, status_code=error.status_code, arguments=("baseline_items",))


def items_answered_from_catalog(method: F) -> F:
    """For `EnrolledAccountProvider.create`/`update` (whose last argument is the inputs): an item
    name the service does not know is answered with the catalog's closest match."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any) -> Any:
        try:
            return method(self, *args)
        except ApiError as error:
            items = list(args[-1].get("baseline_items") or ())
            if error.code not in CATALOG_CODES or not items:
                raise
            settings = self._settings()
            client = shared_client(settings, args[-1].get("region_id") or settings.region)
            try:
                answer = answered_from_catalog(error, client, items, Deadline.after(CATALOG_SECONDS),
                                               dependencies=False)
            except ApiError:
                raise error from None  # the catalog could not be read: the service's own answer stands
            raise answer from None

    return wrapper  # type: ignore[return-value]
