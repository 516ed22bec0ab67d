"""The field-table kit every resource's table is built with: change kinds, validation helpers,
unknowns, the reserved property names the front doors add to a resource's inputs (URN, aliases,
stack identity, custom timeouts, the record of the inputs), and the canonical JSON of a value."""

from __future__ import annotations

import enum
import json
import re
from typing import Any, Callable, Mapping

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

#: Pulumi sends every number as a float64: integers below this arrive exactly (2^53 itself may
#: be 2^53 + 1 rounded on the way).
MAX_EXACT_INTEGER = 2**53


def _whole_numbers_as_ints(value: Any) -> Any:
    """16.0 back to 16: Pulumi turns every number of a program's dict into a float64 on the
    wire, and the service must receive (and diff must compare) the number the user wrote."""
    if isinstance(value, float) and value.is_integer() and abs(value) < MAX_EXACT_INTEGER:
        return int(value)
    if isinstance(value, Mapping):
        return {key: _whole_numbers_as_ints(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_whole_numbers_as_ints(item) for item in value]
    return value


def canonical_json(value: Any) -> str:
    """One spelling per JSON value, so that configs compare by meaning and not by layout."""
    return json.dumps(_whole_numbers_as_ints(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class ChangeKind(enum.Enum):
    """What a change of a field does to the resource."""

    UPDATE = "update in place"
    REPLACE = "replace"


class Invalid(ValueError):
    """A value a field cannot accept; the message says what to do instead."""


def text(pattern: str, hint: str) -> Callable[[str, Any], str]:
    regex = re.compile(pattern)

    def validate(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid(f"{name} must be a string ({hint}), not {type(value).__name__}")
        if not regex.fullmatch(value):
            raise Invalid(f"{name} {value!r} is not valid: use {hint}")
        return value

    return validate


def as_is(value: Any) -> Any:
    return value


#: Inputs that steer the provider itself; they never cause a diff.
CUSTOM_TIMEOUTS = "custom_timeouts"
RESOURCE_URN = "resource_urn"
PROVIDER_KEY = "__provider"
#: (and `replace_on_changes.INPUT`: the option, which the provider applies itself)
#: The URNs of the resource's aliases: Pulumi takes them for this resource, so do its enrollment keys.
RESOURCE_ALIASES = "resource_aliases"
#: The stack's random identity (`resource.StackIdentity`): the same URN in another organization
#: or backend is another resource.
STACK_IDENTITY = "stack_identity"
#: The output of `resource.StackIdentity` that holds it.
STACK_IDENTITY_VALUE = "value"
#: An output holding the inputs the state holds (as checked, the provider blob aside). Pulumi's Python
#: provider server hands Read the old outputs only, while the inputs a Read returns replace the stored
#: ones whole: a refresh can keep every input it does not mean to change (URN, aliases, stack identity,
#: timeouts, replace_on_changes, the program's own spelling of each value) only from here. Internal
#: (`__`: the CLI never shows it) and always a secret output, since any input may have been secret.
INPUTS_RECORD = "__inputs"


def stack_identity(props: Mapping[str, Any]) -> str | None:
    """The stack's identity in checked inputs (None: a resource read with `id=`, or a state from before it)."""
    value = props.get(STACK_IDENTITY)
    return value if isinstance(value, str) and value else None


def alias_urns(props: Mapping[str, Any]) -> tuple[str, ...]:
    """The alias URNs a resource registered (whatever a state file holds: only texts count)."""
    value = props.get(RESOURCE_ALIASES)
    return tuple(urn for urn in value if isinstance(urn, str) and urn) if isinstance(value, (list, tuple)) else ()


def is_unknown(value: Any) -> bool:
    """Whether a value (or anything inside it) is not known yet, as during a preview.

    The provider server hands Check and Diff `pulumi.output.Unknown` objects; the wire
    sentinel string is accepted too.
    """
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        return True
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_unknown(v) for v in value)
    return False


def input_record(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """What INPUTS_RECORD keeps of checked inputs: every one that is set, but the provider blob (the
    provider server copies that one itself)."""
    return {name: value for name, value in inputs.items() if value is not None and name != PROVIDER_KEY}


def recorded_inputs(outputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The inputs old outputs recorded; None for a state written before the record, or a `get`."""
    record = outputs.get(INPUTS_RECORD)
    return dict(record) if isinstance(record, Mapping) else None


def canonical(validate: Callable[[str, Any], Any], name: str, value: Any) -> Any:
    """A value in check's form; as it is if check would refuse it (the service may hold what a program
    cannot ask for, such as a tag key it reserves)."""
    try:
        return validate(name, value)
    except Invalid:
        return value


def urn_path(urn: str) -> str:
    """A URN without its stack and project names: the resource's qualified type and name, which
    `pulumi stack rename` (also into another project) leaves as they are."""
    parts = urn.split("::", 2)
    return parts[2] if len(parts) == 3 and parts[0].startswith("urn:pulumi:") else urn
