"""The table of AccountFactoryBaseline's fields, and the check, diff and outputs it drives.

Like `fields.py` for EnrolledAccount: every argument of CreateAccountFactoryBaseline appears once
in `FIELDS`, as a row built by keyword: its API name, what a change does, how it is validated
offline and compared with what the service holds, how it is sent, and where read finds it in
GetAccountFactoryBaseline's answer. Adding a field is adding a row (and its argument in
`baseline_resource.AccountFactoryBaseline`). The rows are a type of their own: a baseline has no
kinds of enrollment, reads another answer, and compares its items with what the service chose.

Baselines carry no tags, so the description carries the mark that tells a stack's own baseline
from a same-named one made elsewhere (`mark`): written at the end of what is sent, stripped from
what is read, so that users see their own description unchanged.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ..core.field_kit import (
    ChangeKind,
    Invalid,
    alias_urns,
    as_is,
    canonical,
    canonical_json,
    is_unknown,
    stack_identity,
    text,
    urn_path,
)

ITEM_NAME_PREFIX = "ACS-BP_ACCOUNT_FACTORY_"
_ITEM_NAME = re.compile(r"ACS-BP_ACCOUNT_FACTORY_[A-Z0-9_]+")
_VERSION = re.compile(r"[0-9]+(\.[0-9]+){1,2}")
_ITEM_KEYS = ("name", "config", "version")
MAX_NAME = 64
MAX_DESCRIPTION = 256


def _baseline_name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise Invalid(f"{name} must be 1 to {MAX_NAME} characters and not blank (e.g. 'team-network')")
    return value


def _description(name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise Invalid(f"{name} must be text of at most {MAX_DESCRIPTION} characters")
    return value


def _config(where: str, config: Any) -> str | None:
    """A config as canonical JSON text, so that a re-ordered or re-spaced JSON is no change."""
    if config is None:
        return None
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError as error:
            raise Invalid(f"{where} is not valid JSON ({error.msg} at position {error.pos}): "
                          "pass a dict or a JSON object string") from None
        except RecursionError:
            raise Invalid(f"{where} is nested too deeply: pass a dict or a JSON object string") from None
    if not isinstance(config, Mapping):
        raise Invalid(f"{where} must be a dict or a JSON object string, e.g. {{'Vpcs': [...]}}")
    try:
        return canonical_json(dict(config))
    except (TypeError, ValueError, RecursionError):
        raise Invalid(f"{where} must hold only JSON values (text, numbers, booleans, lists and objects)") from None


def _item(where: str, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise Invalid(f"{where} must be a BaselineItemArgs(name=..., config=..., version=...)")
    unknown = sorted(set(raw) - set(_ITEM_KEYS) - {"skip"})
    if unknown:
        raise Invalid(f"{where} has unknown key(s) {', '.join(unknown)}: use only {', '.join(_ITEM_KEYS)}")
    if raw.get("skip"):
        raise Invalid(f"{where}.skip: a baseline lists the items it applies; remove the item instead of skipping it")
    item_name = raw.get("name")
    if not isinstance(item_name, str) or not _ITEM_NAME.fullmatch(item_name):
        raise Invalid(f"{where}.name {item_name!r} is not a baseline item name: they look like "
                      f"'{ITEM_NAME_PREFIX}VPC' (get_baseline_items() lists them)")
    version = raw.get("version")
    if isinstance(version, float) and version.is_integer():
        version = f"{version:.1f}"
    elif isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(version)
    if version is not None and (not isinstance(version, str) or not _VERSION.fullmatch(version)):
        raise Invalid(f"{where}.version {version!r} is not a version such as '1.0'")
    return {"name": item_name, "config": _config(f"{where}.config", raw.get("config")), "version": version}


def _items(name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, (list, tuple)) or not value:
        raise Invalid(f"{name} must be a non-empty list of BaselineItemArgs (a baseline applies at least one item)")
    items = [_item(f"{name}[{index}]", raw) for index, raw in enumerate(value)]
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["name"] in seen:
            raise Invalid(f"{name}[{index}]: baseline item {item['name']!r} is listed twice; merge the two entries")
        seen.add(item["name"])
    return items


def mark(resource_urn: str | None, stack_identity: str | None) -> str:
    """The mark of one resource of one stack: a hash of the stack's identity (`StackIdentity`) and the
    resource's URN without the stack and project names (`urn_path`), so that the same URN in another
    organization or backend has another mark, and `pulumi stack rename` (also into another project)
    keeps it. Without an identity, of the whole URN."""
    named = urn_path(resource_urn or "") if stack_identity else resource_urn or ""
    return _hashed(f"{stack_identity or ''}\n{named}")


def _whole_urn_mark(resource_urn: str | None, stack_identity: str | None) -> str:
    """The mark builds before rename-proof marks wrote (up to 2c1bf42): of the whole URN, stack and
    project names included."""
    return _hashed(f"{stack_identity or ''}\n{resource_urn or ''}")


def _hashed(material: str) -> str:
    return f"[pulumi:{hashlib.sha256(material.encode()).hexdigest()[:16]}]"


_MARK = re.compile(r"(?:^| )(\[pulumi:[0-9a-f]{16}\])\Z")
#: What the mark takes of a description's MAX_DESCRIPTION characters (with the space before it).
MARK_ROOM = len(" " + mark(None, None))


def marks(inputs: Mapping[str, Any]) -> tuple[str, ...]:
    """The marks a baseline of this resource may carry, its own (`own_mark`) first: its URN's and its
    aliases' (Pulumi takes them for the same resource), as written now and as earlier builds wrote
    them under the stack's current names."""
    identity = stack_identity(inputs)
    urns = (inputs.get(RESOURCE_URN), *alias_urns(inputs))
    found = [own_mark(inputs), *(m for urn in urns for m in (mark(urn, identity), _whole_urn_mark(urn, identity)))]
    return tuple(dict.fromkeys(found))


def own_mark(inputs: Mapping[str, Any]) -> str:
    """The mark create writes for the resource these inputs are of."""
    return mark(inputs.get(RESOURCE_URN), stack_identity(inputs))


def marked(description: str, inputs: Mapping[str, Any]) -> str:
    """`description` with this resource's mark at the end, when it fits in MAX_DESCRIPTION (check
    leaves room in every description sent anew; an unchanged one of a baseline made before the mark
    may not have it)."""
    own = own_mark(inputs)
    text = f"{description} {own}" if description else own
    return text if len(text) <= MAX_DESCRIPTION else description


def mark_in(description: Any) -> str | None:
    """The mark a description carries, if any."""
    found = _MARK.search(description) if isinstance(description, str) else None
    return found.group(1) if found else None


def unmarked(description: Any) -> Any:
    """A description as the user wrote it: without the mark."""
    return _MARK.sub("", description) if isinstance(description, str) else description


def _read_items(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"name": i.get("Name"), "config": _config("config", i.get("Config") or "{}"), "version": i.get("Version")}
            for i in raw.get("BaselineItems") or ()]


def _same_items(new: list[dict[str, Any]], old: list[dict[str, Any]]) -> bool:
    """Whether both item lists mean the same: in name order (the service keeps its own), and an
    item's version or config left unset matching whatever the service chose."""
    reported = {item["name"]: item for item in old}
    wanted = []
    for item in new:
        before = reported.get(item["name"], {})
        wanted.append((item["name"], item["config"] or before.get("config"), item["version"] or before.get("version")))
    return sorted(wanted) == sorted((i["name"], i["config"], i["version"]) for i in old)


def _api_items(items: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    return [{"Name": i["name"], "Config": i.get("config"), "Version": i.get("version")} for i in items] or None


@dataclass(frozen=True, kw_only=True)
class Field:
    """One CreateAccountFactoryBaseline argument: the single place that says how it behaves."""

    name: str
    api_name: str
    change: ChangeKind
    #: The canonical (state) form of a value, or Invalid saying what to do instead.
    validate: Callable[[str, Any], Any]
    #: Where read finds it in GetAccountFactoryBaseline (None: not reported, the input stays).
    read: Callable[[Mapping[str, Any]], Any] | None
    required: bool = False
    example: str = ""
    #: Whether a checked value means what the service holds (both checked).
    same: Callable[[Any, Any], bool] = operator.eq
    #: A checked value as Create/UpdateAccountFactoryBaseline's parameter, in the SDK's map form.
    to_api: Callable[[Any], Any] = as_is


def _top(api_name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda raw: raw.get(api_name)


FIELDS: tuple[Field, ...] = (
    Field(name="baseline_name", api_name="BaselineName", change=ChangeKind.UPDATE, validate=_baseline_name,
          read=_top("BaselineName"), required=True, example="'team-network'"),
    Field(name="description", api_name="Description", change=ChangeKind.UPDATE, validate=_description,
          read=lambda raw: unmarked(raw.get("Description"))),
    Field(name="baseline_items", api_name="BaselineItems", change=ChangeKind.UPDATE, validate=_items, read=_read_items,
          required=True, example="[BaselineItemArgs(name='ACS-BP_ACCOUNT_FACTORY_VPC', config={...})]",
          same=_same_items, to_api=_api_items),
    Field(name="region_id", api_name="RegionId", change=ChangeKind.REPLACE,
          validate=text(r"[a-z]{2,}(-[a-z0-9]+)+", "a region id such as 'cn-hangzhou'"), read=None),
    # Set only to take over an existing baseline (there is no `pulumi import` for a dynamic resource);
    # otherwise what create made. Never sent as a value: it says which baseline to write.
    Field(name="baseline_id", api_name="BaselineId", change=ChangeKind.REPLACE,
          validate=text(r"afb-[A-Za-z0-9]{4,}", "an Account Factory baseline id such as 'afb-bp1durvn3lgqe28v'"),
          read=_top("BaselineId")),
)
FIELDS_BY_NAME = {field.name: field for field in FIELDS}

#: What only the API knows: output name -> where GetAccountFactoryBaseline has it.
COMPUTED_OUTPUTS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "type": _top("Type"),
    "create_time": _top("CreateTime"),
    "update_time": _top("UpdateTime"),
}
RESOURCE_URN = "resource_urn"


def check(news: Mapping[str, Any], *, olds: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validate and canonicalize inputs (unknowns pass: they are checked again at `up`). A description
    a create or an update sends anew (a new baseline, or a changed description: `olds`, the last
    inputs) leaves room for the mark, which the update would otherwise drop; an unchanged one of a
    baseline made before the mark need not (it never carried one)."""
    inputs = dict(news)
    failures: list[tuple[str, str]] = []
    description = news.get("description")
    sent_anew = not olds or olds.get("description") != description
    if sent_anew and isinstance(description, str) and MAX_DESCRIPTION - MARK_ROOM < len(description) <= MAX_DESCRIPTION:
        failures.append(("description", f"description must be at most {MAX_DESCRIPTION - MARK_ROOM} characters: the "
                                        f"provider adds a {MARK_ROOM}-character mark ('[pulumi:...]', hidden from the "
                                        f"description output) that tells this stack's baseline apart; the service "
                                        f"allows {MAX_DESCRIPTION} in all"))
    for field in FIELDS:
        value = news.get(field.name)
        if value is None:
            if field.required:
                failures.append((field.name, f"{field.name} is required: set it, e.g. {field.name}={field.example}"))
            continue
        if is_unknown(value):
            continue
        try:
            inputs[field.name] = field.validate(field.name, value)
        except Invalid as problem:
            failures.append((field.name, str(problem)))
    return inputs, failures


def diff(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(field, replaces) per difference between the desired inputs and the last known outputs."""
    changes: list[tuple[str, bool]] = []
    for field in FIELDS:
        new, old = news.get(field.name), olds.get(field.name)
        if new is None:
            continue  # not set: whatever the service holds
        if is_unknown(new):
            changes.append((field.name, field.change is ChangeKind.REPLACE))
            continue
        try:
            new, old = field.validate(field.name, new), (field.validate(field.name, old) if old is not None else None)
        except Invalid:
            changes.append((field.name, field.change is ChangeKind.REPLACE))
            continue
        if old is None or not field.same(new, old):
            changes.append((field.name, field.change is ChangeKind.REPLACE))
    return changes


def normalized(props: Mapping[str, Any]) -> dict[str, Any]:
    """Checked inputs in canonical form again (the engine may hand back another JSON spelling)."""
    values = dict(props)
    for field in FIELDS:
        if props.get(field.name) is not None:
            values[field.name] = field.validate(field.name, props[field.name])
    return values


def request_values(inputs: Mapping[str, Any], *, creating: bool = False) -> dict[str, Any]:
    """Create/UpdateAccountFactoryBaseline's parameters by API name, in the SDK's map form (unset ones left out).

    The description carries the resource's mark; a create always sends one, to carry the mark."""
    values = {field.api_name: field.to_api(inputs[field.name]) for field in FIELDS
              if inputs.get(field.name) is not None and field.name != "baseline_id"}
    if creating or "Description" in values:
        values["Description"] = marked(values.get("Description") or "", inputs)
    return values


def inputs_after_read(recorded: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs a refresh stores (see `fields.inputs_after_read`): the recorded ones, with each field
    the service reports back replaced by what it reports where that differs in meaning (a description
    edited in the console); a value left unset stays unset (whatever the service holds). Recorded values
    come back in check's canonical form (the record loses its nested nulls on its way to Read)."""
    inputs = dict(recorded)
    for field in FIELDS:
        value = recorded.get(field.name)
        if value is None:
            continue
        inputs[field.name] = value = canonical(field.validate, field.name, value)
        reported = field.read(raw) if field.read else None
        if reported is None:
            continue
        try:
            same = field.same(value, field.validate(field.name, reported))
        except Invalid:
            same = False
        if not same:
            inputs[field.name] = canonical(field.validate, field.name, reported)
    return inputs


def outputs(raw: Mapping[str, Any], known: Mapping[str, Any]) -> dict[str, Any]:
    """Every output from a GetAccountFactoryBaseline answer; `known` fills what it does not report."""
    outs: dict[str, Any] = {}
    for field in FIELDS:
        value = field.read(raw) if field.read else None
        outs[field.name] = known.get(field.name) if value is None else value
    for name, read in COMPUTED_OUTPUTS.items():
        outs[name] = read(raw)
    if known.get(RESOURCE_URN):
        outs[RESOURCE_URN] = known[RESOURCE_URN]
    return outs


def arguments_named_in(text: str) -> tuple[str, ...]:
    """The arguments whose API parameter a service message names (e.g. "parameter BaselineName")."""
    return tuple(f.name for f in FIELDS if re.search(rf"\b{re.escape(f.api_name)}\b", text))
