"""The dynamic provider of `AccountFactoryBaseline`.

`AccountFactoryBaselineProvider` is pickled BY REFERENCE into every stack's state, so this
module path and the class name must never change. It inherits configuration (stack config,
credential chain, endpoint override) and the empty pickle from `EnrolledAccountProvider`.

Exactly once: the service lets two baselines share a name, so create first looks for a Custom
baseline of that name (an earlier, interrupted attempt) and adopts it; a create whose answer was
lost is looked up by name before it is tried again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Mapping

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from . import baseline_fields
from .baseline_client import BaselineClient
from .catalog import CATALOG_CODES, answered_from_catalog, shared_client
from .errors import AccountFactoryError, AmbiguousCallError, ApiError
from .provider import EnrolledAccountProvider
from .timeouts import Deadline, timeout_seconds

READ_TIMEOUT_SECONDS = 300.0
IN_USE_CODE = "DependencyViolation.Blueprint"


@contextmanager
def _catalog_named(client: BaselineClient, props: Mapping[str, Any], deadline: Deadline) -> Iterator[None]:
    """The service's item errors carry the catalog's answer, and errors name the argument."""
    try:
        yield
    except ApiError as error:
        if error.code in CATALOG_CODES:
            raise answered_from_catalog(error, client, list(props.get("baseline_items") or ()), deadline) from None
        arguments = baseline_fields.arguments_named_in(error.message)
        if not arguments or error.arguments:
            raise
        raise error.about(arguments) from None


class BaselineInUse(AccountFactoryError):
    """Delete refused by the service because enrolled accounts still use the baseline."""


class AccountFactoryBaselineProvider(EnrolledAccountProvider):
    """Creates, reads, updates and deletes Account Factory baselines."""

    def _client(self, props: Mapping[str, Any]) -> tuple[BaselineClient, str]:
        settings = self._settings()
        region = props.get("region_id") or settings.region
        return shared_client(settings, region), region

    # --- the Pulumi protocol -------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = baseline_fields.check(news)
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in failures])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = baseline_fields.diff(olds, news)
        return DiffResult(changes=bool(changes), replaces=[name for name, replaces in changes if replaces],
                          stables=[], delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = baseline_fields.normalized(props)
        client, region = self._client(props)
        deadline = Deadline.after(timeout_seconds(props.get("custom_timeouts"), "create"))
        values = baseline_fields.request_values(props)
        with _catalog_named(client, props, deadline):
            baseline_id = self._earlier_attempt(client, props, deadline)
            while baseline_id is None:
                try:
                    baseline_id = client.create_baseline(values, deadline)
                except AmbiguousCallError:
                    if deadline.expired:
                        raise
                    baseline_id = self._earlier_attempt(client, props, deadline)
                else:
                    break
            else:  # adopted: make it what the program asks for
                client.update_baseline(baseline_id, values, deadline)
        return CreateResult(baseline_id, self._outputs(client, baseline_id, props, region, deadline))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client, region = self._client(props)
        raw = client.get_baseline(id_, Deadline.after(READ_TIMEOUT_SECONDS))
        if raw is None:
            return ReadResult("", {})
        return ReadResult(id_, baseline_fields.outputs(raw, {**props, "region_id": props.get("region_id") or region}))

    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        news = baseline_fields.normalized(news)
        client, region = self._client(news)
        deadline = Deadline.after(timeout_seconds(news.get("custom_timeouts"), "update"))
        with _catalog_named(client, news, deadline):
            client.update_baseline(id_, baseline_fields.request_values(news), deadline)
        return UpdateResult(self._outputs(client, id_, news, region, deadline))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client, _region = self._client(props)
        deadline = Deadline.after(timeout_seconds(props.get("custom_timeouts"), "delete"))
        try:
            client.delete_baseline(id_, deadline)
        except ApiError as error:
            if error.code != IN_USE_CODE:
                raise
            users = [row for row in client.enrolled_rows(deadline) if row.get("BaselineId") == id_]
            named = ", ".join(f"{row.get('DisplayName') or '?'} ({row.get('AccountUid')})" for row in users)
            raise BaselineInUse(
                f"baseline {id_} ({props.get('baseline_name')}) was not deleted: {len(users) or 'some'} enrolled "
                f"account(s) still use it{': ' + named if named else ''}. Move them to another baseline first "
                f"(set their baseline_id and run `pulumi up`), or keep the baseline with "
                f"`retain_on_delete=True`. ({error.code}, RequestId {error.request_id})") from None

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _earlier_attempt(client: BaselineClient, props: Mapping[str, Any], deadline: Deadline) -> str | None:
        """The id of a Custom baseline with this name, if one exists (the oldest, if several)."""
        same = sorted((b for b in client.list_baselines(deadline)
                       if b.get("BaselineName") == props["baseline_name"] and b.get("Type") == "Custom"),
                      key=lambda b: str(b.get("CreateTime") or ""))
        return str(same[0]["BaselineId"]) if same else None

    @staticmethod
    def _outputs(client: BaselineClient, baseline_id: str, props: Mapping[str, Any], region: str,
                 deadline: Deadline) -> dict[str, Any]:
        raw = client.get_baseline(baseline_id, deadline)
        if raw is None:
            raise ApiError("GetAccountFactoryBaseline", "InvalidBlueprint.NotFound",
                           f"baseline {baseline_id} disappeared right after it was written; run `pulumi up` again")
        return baseline_fields.outputs(raw, {**props, "region_id": props.get("region_id") or region})
