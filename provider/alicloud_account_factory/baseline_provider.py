"""The dynamic provider of `AccountFactoryBaseline`.

`AccountFactoryBaselineProvider` is pickled BY REFERENCE into every stack's state, so this
module path and the class name must never change. Configuration (stack config, credential chain,
endpoint override) and the empty pickle are the dynamic front door's (`dynamic.serving.DynamicProvider`).

Exactly once (no second baseline, whatever fails when): the baselines wing's `creation_steps` decides
and `creation.create_once` executes; this module translates Pulumi's protocol to them, and remembers
within one `pulumi up` which baselines a replacement keeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Mapping

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from .baselines import creation
from .baselines import fields as baseline_fields
from .baselines.catalog import CATALOG_CODES, answered_from_catalog, shared_client
from .baselines.client import BaselineClient
from .core import replace_on_changes
from .core.context import process_journal
from .core.errors import ApiError
from .core.exactly_once import Windows
from .core.field_kit import INPUTS_RECORD, input_record
from .core.operation import provider_call
from .core.timeouts import Deadline, operation_deadline
from .dynamic.answers import read_answer
from .dynamic.serving import DynamicProvider

READ_TIMEOUT_SECONDS = 300.0

#: The baseline each create in this process (one `pulumi up`) returned by URN, when that baseline existed
#: before the create (adopted by its mark, or taken over with `baseline_id=`). The stack holds such a
#: baseline from then on, so a delete of it in the same run (the resource a create-first `pulumi up
#: --replace` replaces, or one the program dropped while another took its baseline over) deletes nothing.
#: The delete is matched by the baseline, not the URN: it names the URN its outputs hold, which is the
#: old one of a resource renamed with an alias (a rename changes no output), whether or not the program
#: still lists that alias.
_kept_by_replacement: dict[str, str] = {}
#: The baseline each resource held when this run's Diff decided to replace it (its own rules, or
#: replace_on_changes), or when this run deleted it (a delete-first replacement), by URN. Its
#: replacement's create asks for a new baseline: it must not adopt that one, although it carries the
#: same mark (the same resource's). The engine checks a replacement's inputs a second time without
#: old inputs, so the create learns it from here (the provider process lives for one operation).
_replaced_baselines: dict[str, str] = {}
_kept_lock = threading.Lock()


def _urn(props: Mapping[str, Any]) -> str:
    return str(props.get(baseline_fields.RESOURCE_URN) or "")


@contextmanager
def _catalog_named(client: BaselineClient, props: Mapping[str, Any], deadline: Deadline) -> Iterator[None]:
    """The service's item errors carry the catalog's answer, and errors name the argument."""
    try:
        yield
    except ApiError as error:
        if error.code in CATALOG_CODES:
            raise answered_from_catalog(error, client, list(props.get("baseline_items") or ()), deadline) from None
        named = error.naming_arguments(baseline_fields.arguments_named_in)
        if named is error:
            raise
        raise named from None














class AccountFactoryBaselineProvider(DynamicProvider):
    """Creates, reads, updates and deletes Account Factory baselines."""

    def _client(self, props: Mapping[str, Any]) -> tuple[BaselineClient, str]:
        settings = self._settings()
        region = props.get("region_id") or settings.region
        return shared_client(settings, region), region

    # --- the Pulumi protocol -------------------------------------------------------------

    @provider_call("check")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        with _kept_lock:  # a new step of this resource: what an earlier create of it returned is history
            _kept_by_replacement.pop(_urn(news), None)
        inputs, failures = baseline_fields.check(news, olds=olds)
        return CheckResult(inputs, [CheckFailure(prop, reason) for prop, reason in failures])

    @provider_call("diff")
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = baseline_fields.diff(olds, news)
        replaces = replace_on_changes.replacing(changes, olds, news, baseline_fields.FIELDS_BY_NAME)
        if replaces and id_:
            with _kept_lock:
                _replaced_baselines[_urn(news)] = id_
        return DiffResult(changes=bool(changes), replaces=replaces, stables=[], delete_before_replace=False)

    @provider_call("create")
    def create(self, props: dict[str, Any]) -> CreateResult:
        checked, props = props, baseline_fields.normalized(props)  # (the inputs as the state holds them, and as used)
        client, region = self._client(props)
        deadline = operation_deadline(props.get("custom_timeouts"), "create")
        with _catalog_named(client, props, deadline):
            if props.get("baseline_id") is not None:  # taken over: made what the program asks for (unset: kept)
                baseline_id = creation.taken_over(client, props, region, deadline)
                client.update_baseline(baseline_id, baseline_fields.request_values(props), deadline)
                made = False
            else:
                values = baseline_fields.request_values(props, creating=True)
                with _kept_lock:
                    replaced = _replaced_baselines.pop(_urn(props), None)
                baseline_id, made = creation.create_once(
                    client, props, region, values, deadline, replaced, journal=process_journal(),
                    reporter=self._reporter(props, self._settings().credentials.secrets()),
                    windows=Windows(self._settings().read_timeout))
                if not made:  # adopted: make it what the program asks for
                    client.update_baseline(baseline_id, values, deadline)
        if not made:  # it existed before: the resource this one replaces (or another) may hold it
            with _kept_lock:
                _kept_by_replacement[_urn(props)] = baseline_id
        return CreateResult(baseline_id, self._outputs(client, baseline_id, props, region, deadline, inputs=checked))

    @provider_call("read")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client, region = self._client(props)
        raw = client.get_baseline(id_, Deadline.after(READ_TIMEOUT_SECONDS))
        if raw is None:
            return ReadResult("", {})
        outs = baseline_fields.outputs(raw, {**props, "region_id": props.get("region_id") or region})
        return read_answer(id_, outs, props, lambda recorded: baseline_fields.inputs_after_read(recorded, raw))

    @provider_call("update")
    def update(self, id_: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        checked, news = news, baseline_fields.normalized(news)
        client, region = self._client(news)
        deadline = operation_deadline(news.get("custom_timeouts"), "update")
        with _catalog_named(client, news, deadline):
            client.update_baseline(id_, baseline_fields.request_values(news), deadline)
        return UpdateResult(self._outputs(client, id_, news, region, deadline, inputs=checked))

    @provider_call("delete")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with _kept_lock:
            kept = id_ in _kept_by_replacement.values()
        if kept:
            self._reporter(props, self._settings().credentials.secrets()).status(
                f"baseline {id_} is held by a resource this `pulumi up` created (this resource's replacement, or one "
                f"that took it over), which keeps it from now on; nothing is deleted")
            return
        client, _region = self._client(props)
        deadline = operation_deadline(props.get("custom_timeouts"), "delete")
        with _kept_lock:  # a create of this URN in this run replaces it (delete_before_replace=True)
            _replaced_baselines.setdefault(_urn(props), id_)
        creation.delete(client, id_, props.get("baseline_name"), deadline)

    # --- helpers -------------------------------------------------------------------------

    @staticmethod
    def _outputs(client: BaselineClient, baseline_id: str, props: Mapping[str, Any], region: str,
                 deadline: Deadline, *, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Every output, and the record of the `inputs` the state holds from now on."""
        raw = client.get_baseline(baseline_id, deadline)
        if raw is None:
            raise ApiError("GetAccountFactoryBaseline", "InvalidBlueprint.NotFound",
                           f"baseline {baseline_id} disappeared right after it was written; run `pulumi up` again")
        outs = baseline_fields.outputs(raw, {**props, "region_id": props.get("region_id") or region})
        outs[INPUTS_RECORD] = input_record(inputs)
        return outs
