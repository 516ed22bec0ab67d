"""The table of EnrolledAccount's fields, and the check, diff, read and request that it drives.

Every argument of EnrollAccount appears exactly once in `FIELDS`, as a row built by keyword: its
Pulumi name (also its name in state) and API name, what a change does (update in place or
replace), which kind of enrollment it belongs to, how it is validated and compared, what leaving
it out means, how it goes into the EnrollAccount request, the checks beyond its own value, and
where refresh reads it back from. Adding a field is adding a row, its typed attribute in
`model.EnrollRequest` and its argument in `resource.EnrolledAccount`; no per-field code lives
anywhere else.
"""

from __future__ import annotations

import enum
import json
import math
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

from .model import (
    ENROLLMENT_KEY_TAG,
    FAILURE_STATUSES,
    BaselineItem,
    Enrollment,
    EnrollRequest,
    baseline_items_key,
    uid_property,
)
from ..core.field_kit import (
    CUSTOM_TIMEOUTS,
    INPUTS_RECORD,
    MAX_EXACT_INTEGER,
    PROVIDER_KEY,
    RESOURCE_ALIASES,
    RESOURCE_URN,
    STACK_IDENTITY,
    STACK_IDENTITY_VALUE,
    ChangeKind,
    Invalid,
    alias_urns,
    as_is,
    canonical,
    canonical_json,
    input_record,
    is_unknown,
    recorded_inputs,
    stack_identity,
    text,
)
from ..core.timeouts import TIMEOUT_KEYS, parse_duration

MAX_TAGS = 20


class Scope(enum.Enum):
    """Which kind of enrollment a field belongs to."""

    ANY = "any"
    NEW_ACCOUNT = "new account"  # only when creating a new account (no account_uid)
    EXISTING_ACCOUNT = "existing account"  # only when enrolling an existing account_uid


# --- validators: each returns the canonical value for state or raises Invalid -------------


def _display_name(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string, not {type(value).__name__}")
    if not value.strip() or len(value) > 50:
        raise Invalid(f"{name} must be 1 to 50 characters and not blank (e.g. 'Team A production')")
    return value


_ASCII_DIGITS = re.compile(r"[0-9]+")
MAX_UID_DIGITS = 16


def parse_account_uid(name: str, value: Any) -> int:
    """An AccountUid from an int, an exact float (how Pulumi carries numbers) or a string."""
    example = f'{name}="1431653632361234"'
    if isinstance(value, bool):
        raise Invalid(f"{name} must be an account id such as 1431653632361234, not a boolean")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise Invalid(f"{name} {value!r} is not an account id: use the 15-16 digit AccountUid")
        if abs(value) >= MAX_EXACT_INTEGER:  # 2^53 itself may have been 2^53 + 1 before the wire rounded it
            raise Invalid(
                f"{name} {value!r} is too large to pass as a number (Pulumi carries numbers as "
                f"float64 and loses digits above 2^53): pass it as a string, e.g. {example}"
            )
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        if not _ASCII_DIGITS.fullmatch(text):  # str.isdigit() also takes '¹', '①' and full-width digits
            shown = repr(value) if len(value) <= 40 else f"of {len(value)} characters"
            raise Invalid(f"{name} {shown} is not an account id: use the digits 0-9 only, e.g. {example}")
        if len(text) > MAX_UID_DIGITS:  # also keeps int() away from its 4,300-digit limit
            raise Invalid(f"{name} has {len(text)} digits: AccountUids have 15 or 16 digits, e.g. {example}")
        value = int(text)
    if not isinstance(value, int):
        raise Invalid(f"{name} must be an account id (an integer or a string of digits), not {type(value).__name__}")
    if not 10**14 <= value < 10**16:
        raise Invalid(f"{name} {value} is not an account id: AccountUids have 15 or 16 digits, e.g. {example}")
    return value


def _account_uid(name: str, value: Any) -> int | str:
    """An AccountUid in its state form: exact whatever its size (see `uid_property`)."""
    return uid_property(parse_account_uid(name, value))


def _resell_account_type(name: str, value: Any) -> str:
    if value not in ("resell", "non_resell"):
        raise Invalid(f"{name} {value!r} is not valid: use 'resell' or 'non_resell'")
    return str(value)


_TAG_FORBIDDEN_PREFIXES = ("aliyun", "acs:")


def _tags(name: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise Invalid(f"{name} must be a mapping of tag keys to values, e.g. {{'env': 'prod'}}")
    tags: dict[str, str] = {}
    for key, tag_value in value.items():
        if not isinstance(key, str) or not key.strip():
            raise Invalid(f"{name} has an empty key: every tag needs a non-empty key; set one or remove that tag")
        where = f"{name}[{key!r}]"
        if len(key) > 128:
            raise Invalid(f"{where}: tag keys are at most 128 characters")
        if key.lower().startswith(_TAG_FORBIDDEN_PREFIXES) or "http://" in key or "https://" in key:
            raise Invalid(f"{where}: tag keys may not start with 'aliyun' or 'acs:' nor contain a URL; rename the key")
        if key == ENROLLMENT_KEY_TAG:
            raise Invalid(f"{where}: this tag key is reserved by the provider; choose another key")
        if not isinstance(tag_value, str):
            raise Invalid(f"{where} must be a string, not {type(tag_value).__name__} (quote it)")
        if len(tag_value) > 128:
            raise Invalid(f"{where}: tag values are at most 128 characters")
        tags[key] = tag_value
    if len(tags) > MAX_TAGS:
        raise Invalid(f"{name} has {len(tags)} tags; an account takes at most {MAX_TAGS}: remove {len(tags) - MAX_TAGS}")
    return dict(sorted(tags.items()))


_ITEM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_ITEM_KEYS = ("name", "config", "skip", "version")


def _baseline_item(where: str, raw: Any) -> BaselineItem:
    if isinstance(raw, BaselineItem):
        return raw
    if not isinstance(raw, Mapping):
        raise Invalid(f"{where} must be a BaselineItemArgs(name=..., config=..., skip=..., version=...)")
    unknown = sorted(set(raw) - set(_ITEM_KEYS))
    if unknown:
        raise Invalid(f"{where} has unknown key(s) {', '.join(unknown)}: use only {', '.join(_ITEM_KEYS)}")
    item_name = raw.get("name")
    if not isinstance(item_name, str) or not item_name.strip():
        raise Invalid(f"{where}.name is required, e.g. 'ACS-BP_ACCOUNT_FACTORY_VPC'")
    if not _ITEM_NAME.fullmatch(item_name):
        raise Invalid(f"{where}.name {item_name!r} is not a baseline item name such as 'ACS-BP_ACCOUNT_FACTORY_VPC'")
    config = raw.get("config")
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError as error:
            raise Invalid(f"{where}.config is not valid JSON ({error.msg} at position {error.pos}): pass a dict or a JSON object string") from None
        except RecursionError:  # not a ValueError: it would escape Check as a provider traceback
            raise Invalid(f"{where}.config is nested too deeply: pass a dict or a JSON object string such as "
                          f"'{{\"VpcName\": \"main\"}}'") from None
        if not isinstance(config, dict):
            raise Invalid(f"{where}.config must be a JSON object, e.g. '{{\"VpcName\": \"main\"}}'")
    if config is not None and not isinstance(config, Mapping):
        raise Invalid(f"{where}.config must be a dict or a JSON object string, not {type(config).__name__}")
    if isinstance(raw.get("config"), Mapping):
        inexact = _inexact_number(raw["config"])
        if inexact is not None:
            raise Invalid(f"{where}.config holds the number {inexact:.17g}, too large to pass exactly (Pulumi carries the "
                          f"numbers of a dict as float64, exact only below 2^53): give this config as a JSON object "
                          f"string instead, e.g. config='{{\"VpcId\": 9123456789012345}}'")
    skip = raw.get("skip", False)
    skip = False if skip is None else skip
    if not isinstance(skip, bool):
        raise Invalid(f"{where}.skip must be True or False, not {skip!r}")
    version = raw.get("version")
    if isinstance(version, bool) or not (version is None or isinstance(version, (str, int, float))) \
            or (isinstance(version, float) and not math.isfinite(version)):  # NaN/inf would be sent as 'nan'/'inf'
        raise Invalid(f"{where}.version must be a string such as '1.0'")
    if isinstance(version, float) and version.is_integer():
        version = f"{version:.1f}"
    try:
        config_text = canonical_json(dict(config)) if config is not None else None
    except (TypeError, ValueError, RecursionError):  # e.g. a value that is not JSON: must not escape check/diff
        raise Invalid(f"{where}.config must hold only JSON values (text, numbers, booleans, lists and objects)") from None
    return BaselineItem(
        name=item_name,
        config=config_text,
        skip=skip,
        version=str(version) if version not in (None, "") else None,
    )


def _inexact_number(value: Any, depth: int = 0) -> float | None:
    """A float in a program's dict that may not be the number the user wrote (|x| >= 2^53)."""
    if depth > 100:
        return None  # deeper than any config; canonical_json rejects what it cannot encode
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= MAX_EXACT_INTEGER:
        return value
    if isinstance(value, Mapping):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return next((found for item in value if (found := _inexact_number(item, depth + 1)) is not None), None)
    return None


def _baseline_items(name: str, value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, (list, tuple)):
        raise Invalid(f"{name} must be a list of BaselineItemArgs")
    items = [_baseline_item(f"{name}[{index}]", raw) for index, raw in enumerate(value)]
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.name in seen:
            raise Invalid(f"{name}[{index}]: baseline item {item.name!r} is listed twice; merge the two entries")
        seen.add(item.name)
    return [item.to_property() for item in items]


def baseline_items_from_property(value: Any) -> tuple[BaselineItem, ...]:
    """State form (list of dicts, already checked) back to domain items."""
    return tuple(_baseline_item("baseline_items", raw) for raw in value or ())


# --- readers: where refresh finds a field in GetEnrolledAccount's answer ------------------


def _top(api_name: str) -> Callable[[Enrollment], Any]:
    return lambda enrollment: enrollment.raw.get(api_name)


def _input(api_name: str) -> Callable[[Enrollment], Any]:
    return lambda enrollment: enrollment.inputs.get(api_name)


def _read_tags(enrollment: Enrollment) -> dict[str, str]:
    tags = enrollment.input_tags
    tags.pop(ENROLLMENT_KEY_TAG, None)
    return dict(sorted(tags.items()))


def _read_baseline_items(enrollment: Enrollment) -> list[dict[str, Any]]:
    return [item.to_property() for item in enrollment.input_baseline_items]


def _read_uid(api_name: str) -> Callable[[Enrollment], int | str | None]:
    def read(enrollment: Enrollment) -> int | str | None:
        value = enrollment.raw.get(api_name)
        return uid_property(int(value)) if value not in (None, "", 0) else None

    return read


# --- request mappings: a checked value into EnrollRequest, and a request value into the API's --


def _kept(_name: str, value: Any) -> Any:
    return value


def _request_items(_name: str, value: Any) -> tuple[BaselineItem, ...]:
    return baseline_items_from_property(value)


def _items_key(value: Any) -> tuple[BaselineItem, ...]:
    """Checked baseline items compared by meaning: the API merges them by name, in any order."""
    return baseline_items_key(baseline_items_from_property(value))


def _api_items(items: tuple[BaselineItem, ...]) -> list[dict[str, Any]] | None:
    return [{"Name": i.name, "Config": i.config, "Skip": i.skip, "Version": i.version} for i in items] or None


def _api_tags(tags: Mapping[str, str]) -> list[dict[str, str]] | None:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())] or None


# How the SDK puts a list into the query string (see `Field.query`).


def _flattened(api_name: str, items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """One parameter per item's key (`BaselineItems.1.Name`), each item encoded on its own."""
    return [{f"{api_name}.{n}.{key}": value for key, value in item.items()} for n, item in enumerate(items or (), start=1)]


def _as_json(api_name: str, items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """One parameter holding the list as JSON text (`Tag=[{"Key": ...}]`)."""
    return [{api_name: json.dumps(items or [])}]


# --- checks beyond one value: a new account's, and the whole request's -----------------------


def _room_for_key_tag(_name: str, value: Any) -> None:
    """A new account's tags also hold the provider's enrollment key tag."""
    if isinstance(value, Mapping) and not is_unknown(value) and len(value) == MAX_TAGS:
        raise Invalid(f"a new account takes at most {MAX_TAGS - 1} tags here: the provider adds the tag "
                      f"{ENROLLMENT_KEY_TAG!r} so that an interrupted `pulumi up` never enrolls a second account; "
                      f"remove one tag")


#: EnrollAccount's parameters all travel in the URL's query string. The gateway refuses a request
#: line over 64 KiB with RequestURITooLong (as the emulator does); the parameters must stay below,
#: with room for the path, the provider's own tag and the rest of the request line.
MAX_REQUEST_BYTES = 60_000
#: Room kept for the `pulumi:enrollment-key` tag the provider adds to a new account's tags.
KEY_TAG_RESERVE = 200


def _query_bytes(parameters: Mapping[str, Any]) -> int:
    """The size of the parameters form-encoded into a query string, as the SDK sends them."""
    return len(urlencode({name: str(value) for name, value in parameters.items() if value is not None}))


def _request_bytes(inputs: Mapping[str, Any]) -> tuple[int, dict[str, list[int]]]:
    """The encoded size of the EnrollAccount request for checked inputs, and the size of each
    parameter group of the fields whose lists travel in groups of their own."""
    plain: dict[str, Any] = {}
    groups: dict[str, list[int]] = {}
    for field in FIELDS:
        value = inputs.get(field.name)
        api_value = field.to_api(field.to_request(field.name, value)) if value is not None else None
        if field.query is None:
            plain[field.api_name] = api_value
        else:
            groups[field.name] = [_query_bytes(group) for group in field.query(field.api_name, api_value)]
    return _query_bytes(plain) + sum(map(sum, groups.values())) + KEY_TAG_RESERVE, groups


def _fits_one_request(name: str, inputs: Mapping[str, Any]) -> None:
    """Baseline item configs are the only unbounded values: too large, the request cannot be sent."""
    if any(is_unknown(inputs.get(field.name)) for field in FIELDS):
        return
    total, groups = _request_bytes(inputs)
    if total <= MAX_REQUEST_BYTES:
        return
    items = groups[name]
    largest = max(range(len(items)), key=items.__getitem__) if items else None
    where = f" (the largest is {name}[{largest}], {items[largest]:,} bytes)" if largest is not None else ""
    raise Invalid(f"{name} make the EnrollAccount request {total:,} bytes once encoded{where}, more than the "
                  f"{MAX_REQUEST_BYTES:,} bytes the service accepts in one request (its parameters travel in the "
                  f"URL): shorten the baseline item configs, e.g. move large values into the baseline itself "
                  f"(baseline_id)")


@dataclass(frozen=True, kw_only=True)
class Field:
    """One EnrollAccount argument: the single place that says how it behaves."""

    name: str  # Pulumi property name, also the key in state
    api_name: str  # EnrollAccount parameter
    change: ChangeKind
    scope: Scope
    #: The canonical (state) form of a value, or Invalid saying what to do instead.
    validate: Callable[[str, Any], Any]
    #: How refresh reads it back; None: the API does not report it, the last known value stays.
    read: Callable[[Enrollment], Any] | None
    required_for_new_account: bool = False
    example: str = ""
    #: What leaving it out means. None: "whatever the service chose", never a change; a collection's
    #: empty value: "none", a change when the service holds some.
    empty: Any = None
    #: A checked value in a form where equal meaning compares equal.
    comparable: Callable[[Any], Any] = as_is
    #: A checked value as `EnrollRequest` holds it (its attribute of the same name).
    to_request: Callable[[str, Any], Any] = _kept
    #: A request value as EnrollAccount's parameter, in the SDK's map form (None: not sent).
    to_api: Callable[[Any], Any] = as_is
    #: How a list parameter travels in the query string, in groups each encoded on its own (for the
    #: request's size); None: a plain parameter, encoded with the other plain ones.
    query: Callable[[str, Any], list[dict[str, Any]]] | None = None
    #: A check only a new account's value must pass (given the value as set, even one `validate` refused).
    new_account_check: Callable[[str, Any], None] | None = None
    #: A check of the field within all checked inputs, made once every other check passed.
    request_check: Callable[[str, Mapping[str, Any]], None] | None = None


FIELDS: tuple[Field, ...] = (
    Field(name="account_name_prefix", api_name="AccountNamePrefix", change=ChangeKind.REPLACE, scope=Scope.NEW_ACCOUNT,
          validate=text(r"[A-Za-z0-9][A-Za-z0-9._\-]{1,49}", "2-50 letters, digits, '.', '_' or '-' (e.g. 'team-a-prod')"),
          read=_input("AccountNamePrefix"), required_for_new_account=True, example="'team-a-prod'"),
    Field(name="display_name", api_name="DisplayName", change=ChangeKind.REPLACE, scope=Scope.NEW_ACCOUNT,
          validate=_display_name, read=_top("DisplayName"), required_for_new_account=True, example="'Team A production'"),
    Field(name="folder_id", api_name="FolderId", change=ChangeKind.REPLACE, scope=Scope.NEW_ACCOUNT,
          validate=text(r"(fd|r)-[A-Za-z0-9]{4,}", "a resource directory folder id such as 'fd-5ESoku4Xyz'"),
          read=_top("FolderId")),
    Field(name="payer_account_uid", api_name="PayerAccountUid", change=ChangeKind.REPLACE, scope=Scope.NEW_ACCOUNT,
          validate=_account_uid, read=_read_uid("PayerAccountUid"), to_request=parse_account_uid),
    Field(name="account_uid", api_name="AccountUid", change=ChangeKind.REPLACE, scope=Scope.EXISTING_ACCOUNT,
          validate=_account_uid, read=_read_uid("AccountUid"), to_request=parse_account_uid),
    Field(name="baseline_id", api_name="BaselineId", change=ChangeKind.UPDATE, scope=Scope.ANY,
          validate=text(r"afb-[A-Za-z0-9]{4,}", "an Account Factory baseline id such as 'afb-bp1durvn3lgqe28v'"),
          read=_top("BaselineId")),
    Field(name="baseline_items", api_name="BaselineItems", change=ChangeKind.UPDATE, scope=Scope.ANY,
          validate=_baseline_items, read=_read_baseline_items, empty=[], comparable=_items_key,
          to_request=_request_items, to_api=_api_items, query=_flattened, request_check=_fits_one_request),
    Field(name="tags", api_name="Tag", change=ChangeKind.UPDATE, scope=Scope.ANY, validate=_tags, read=_read_tags,
          empty={}, to_api=_api_tags, query=_as_json, new_account_check=_room_for_key_tag),
    Field(name="resell_account_type", api_name="ResellAccountType", change=ChangeKind.REPLACE, scope=Scope.NEW_ACCOUNT,
          validate=_resell_account_type, read=None),
    Field(name="region_id", api_name="RegionId", change=ChangeKind.REPLACE, scope=Scope.ANY,
          validate=text(r"[a-z]{2,}(-[a-z0-9]+)+", "a region id such as 'cn-hangzhou'"), read=None),
)
FIELDS_BY_NAME = {field.name: field for field in FIELDS}
#: The settings that, changed, vend a new account: a new account's enrollment key hashes them.
KEYED_FIELDS = tuple(f.name for f in FIELDS if f.change is ChangeKind.REPLACE and f.scope is not Scope.EXISTING_ACCOUNT)
#: The argument that names an existing account to enroll: set, the NEW_ACCOUNT arguments do not apply.
ACCOUNT_UID = next(f.name for f in FIELDS if f.scope is Scope.EXISTING_ACCOUNT)


def _error_info(enrollment: Enrollment) -> dict[str, Any] | None:
    info = enrollment.error_info
    if info is None:
        return None
    return {"code": info.code, "message": info.message, "recommend": info.recommend, "request_id": info.request_id}


#: What only the API knows: output name → how to read it from GetEnrolledAccount.
COMPUTED_OUTPUTS: dict[str, Callable[[Enrollment], Any]] = {
    "status": lambda e: e.status,
    "progress": lambda e: [{"name": p.name, "status": p.status} for p in e.progress],
    "master_account_uid": _read_uid("MasterAccountUid"),
    "create_time": _top("CreateTime"),
    "update_time": _top("UpdateTime"),
    "initialized": lambda e: bool(e.raw.get("Initialized")),
    "error_info": _error_info,
    "applied_baseline_items": lambda e: [BaselineItem.from_api(i).to_property() for i in e.raw.get("BaselineItems") or ()],
}

#: 0, or set by create for a replacement (`replacement_generation`): part of the enrollment key,
#: so the replacement's key differs from the account it replaces. Inputs written by 0.2 development
#: builds may hold a small count: it is read like any generation.
GENERATION = "enrollment_generation"


def generation(props: Mapping[str, Any]) -> int:
    """The generation in checked inputs (0 when absent, as in a 0.1.0 state, or not a count)."""
    value = props.get(GENERATION)
    valid = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return int(value) if valid and 0 <= value < MAX_EXACT_INTEGER else 0


#: Replacement generations start here, far above any count of updates, so that a replacement's key
#: never matches one an update of the replaced account wrote (an update re-tags it with its own).
REPLACEMENT_GENERATIONS = 2**40


def replacement_generation(replaced_account_uid: int) -> int:
    """The generation of the resource that replaces the one holding this account: another for each
    account replaced, and the same again when an interrupted replacement of it is retried."""
    return REPLACEMENT_GENERATIONS + replaced_account_uid % REPLACEMENT_GENERATIONS


# --- check ---------------------------------------------------------------------------------


def check(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Validate and canonicalize inputs; returns them and one (property, reason) per problem.

    Unknown values (preview) are accepted as they are: they are checked again at `up`.
    """
    inputs = dict(news)
    failures: list[tuple[str, str]] = []
    present = {name for name, value in news.items() if value is not None}

    for field in FIELDS:
        value = news.get(field.name)
        if value is None or is_unknown(value):
            continue
        try:
            inputs[field.name] = field.validate(field.name, value)
        except Invalid as problem:
            failures.append((field.name, str(problem)))

    if ACCOUNT_UID in present:
        for field in FIELDS:
            if field.scope is Scope.NEW_ACCOUNT and field.name in present:
                failures.append((
                    field.name,
                    f"{field.name} only applies when creating a new account, but {ACCOUNT_UID} is set "
                    f"(enroll an existing account): remove {field.name}, or remove {ACCOUNT_UID} to create a new account",
                ))
    else:
        for field in FIELDS:
            if field.required_for_new_account and field.name not in present:
                failures.append((
                    field.name,
                    f"{field.name} is required to create a new account: set {field.name} (e.g. {field.example}), "
                    f"or set {ACCOUNT_UID} to enroll an existing account instead",
                ))
        for field in FIELDS:
            if field.new_account_check is not None and news.get(field.name) is not None:
                failures += _refused(field, field.new_account_check, news[field.name])

    if not failures:
        for field in FIELDS:
            if field.request_check is not None:
                failures += _refused(field, field.request_check, inputs)

    timeouts = news.get(CUSTOM_TIMEOUTS)
    if timeouts is not None and not is_unknown(timeouts):
        if not isinstance(timeouts, Mapping):
            failures.append((CUSTOM_TIMEOUTS, "custom_timeouts must be a mapping such as {'create': '90m'}"))
        else:
            for key, duration in timeouts.items():
                if key not in TIMEOUT_KEYS:
                    failures.append((CUSTOM_TIMEOUTS, f"custom_timeouts has unknown key {key!r}: use create, update or delete"))
                elif duration not in (None, ""):
                    try:
                        parse_duration(duration)
                    except ValueError as problem:
                        failures.append((CUSTOM_TIMEOUTS, f"custom_timeouts.{key}: {problem}"))
    return inputs, failures


def _refused(field: Field, check: Callable[[str, Any], Any], value: Any) -> list[tuple[str, str]]:
    """[(property, reason)] when `check` refuses the field's value, else none."""
    try:
        check(field.name, value)
    except Invalid as problem:
        return [(field.name, str(problem))]
    return []


# --- diff ----------------------------------------------------------------------------------


def _comparable(field: Field, value: Any) -> Any:
    """A value in a form where equal meaning compares equal (an invalid one equals only itself)."""
    try:
        value = field.validate(field.name, value)
    except Invalid:
        return ("invalid", repr(value))
    return field.comparable(value)


@dataclass(frozen=True)
class Change:
    field: str
    replaces: bool


def diff(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[Change]:
    """What differs between the desired inputs and the last known outputs.

    A scalar left unset means "whatever the service chose" and never differs; a collection
    left unset means "none". Unknown values count as changes, so preview never hides one.
    A refreshed enrollment that ended Failed differs too: `up` then enrolls it again.
    """
    changes: list[Change] = []
    for field in FIELDS:
        new = news.get(field.name)
        old = olds.get(field.name)
        if new is None:
            if field.empty is None:
                continue
            new = field.empty
        if is_unknown(new):
            changes.append(Change(field.name, field.change is ChangeKind.REPLACE))
            continue
        if old is None:
            old = field.empty
        if old is None or _comparable(field, new) != _comparable(field, old):
            changes.append(Change(field.name, field.change is ChangeKind.REPLACE))
    status = olds.get("status")  # from state: a hand-edited one may hold anything, even a list
    if isinstance(status, str) and status in FAILURE_STATUSES and not changes:
        changes.append(Change("status", False))
    return changes


# --- read and requests -----------------------------------------------------------------------


def normalized(props: Mapping[str, Any]) -> dict[str, Any]:
    """Checked inputs in canonical form again: every number comes back from the engine as a
    float64, so an AccountUid must be made an exact int before it is used."""
    values = dict(props)
    for field in FIELDS:
        value = props.get(field.name)
        if value is not None and not is_unknown(value):
            values[field.name] = field.validate(field.name, value)
    return values


def inputs_after_read(recorded: Mapping[str, Any], enrollment: Enrollment) -> dict[str, Any]:
    """The inputs a refresh stores: the recorded ones, where each field the service reports back is
    replaced by what it reports when that differs in meaning (a tag changed in the console), so that
    the next preview names what it puts back. A value of the same meaning stays as recorded, spelt
    alike (the CLI names every input whose stored form differs from the program's), and a scalar left
    unset stays unset (it means whatever the service chose), as `diff` reads them. Recorded values come
    back in check's canonical form: on its way to Read the record loses its nested nulls (an item's
    unset `version`), which check's inputs in the state keep."""
    inputs = {**recorded, **{f.name: canonical(f.validate, f.name, recorded[f.name]) for f in FIELDS
                             if recorded.get(f.name) is not None}}
    for field in FIELDS:
        reported = field.read(enrollment) if field.read else None
        value = recorded.get(field.name)
        if reported in (None, "") or (value is None and field.empty is None):
            continue  # the service does not say, or it is the service's to choose
        if _comparable(field, reported) != _comparable(field, field.empty if value is None else value):
            inputs[field.name] = canonical(field.validate, field.name, reported)
    return inputs


def outputs(enrollment: Enrollment, known: Mapping[str, Any]) -> dict[str, Any]:
    """Every output from a GetEnrolledAccount answer; `known` fills what the API does not report."""
    outs: dict[str, Any] = {}
    for field in FIELDS:
        value = field.read(enrollment) if field.read else None
        if value is None or value == "":
            value = known.get(field.name)
        outs[field.name] = value
    for name, read in COMPUTED_OUTPUTS.items():
        outs[name] = read(enrollment)
    if known.get(RESOURCE_URN):
        outs[RESOURCE_URN] = known[RESOURCE_URN]
    return outs


def for_existing_account(request: EnrollRequest, account_uid: int) -> EnrollRequest:
    """The same call for an existing account (one an earlier attempt enrolled): the arguments that
    only apply to a new account no longer do."""
    return replace(request, account_uid=account_uid, **{f.name: None for f in FIELDS if f.scope is Scope.NEW_ACCOUNT})


def enroll_request(inputs: Mapping[str, Any], *, account_uid: int | None = None,
                   extra_tags: Mapping[str, str] | None = None) -> EnrollRequest:
    """The EnrollAccount call for checked inputs.

    With `account_uid` (an existing account, or one this resource enrolled before) only the
    baseline settings are sent: the new-account fields no longer apply.
    """
    if account_uid is not None:
        inputs = {**inputs, ACCOUNT_UID: account_uid}
    existing = inputs.get(ACCOUNT_UID) is not None
    request = EnrollRequest(**{
        field.name: field.to_request(field.name, inputs[field.name]) for field in FIELDS
        if inputs.get(field.name) is not None and not (existing and field.scope is Scope.NEW_ACCOUNT)
    })
    return request.with_tags(extra_tags) if extra_tags else request


def enroll_parameters(request: EnrollRequest) -> dict[str, Any]:
    """EnrollAccount's parameters for a request, by API name in the SDK's map form (unset ones left out)."""
    parameters = {field.api_name: field.to_api(getattr(request, field.name)) for field in FIELDS}
    return {name: value for name, value in parameters.items() if value is not None}


def arguments_named_in(text: str) -> tuple[str, ...]:
    """The arguments whose API parameter a service message names, e.g. "parameter FolderId"."""
    return tuple(f.name for f in FIELDS if re.search(rf"\b{re.escape(f.api_name)}\b", text))

