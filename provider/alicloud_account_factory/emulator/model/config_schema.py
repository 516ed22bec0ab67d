"""The config schemas of baseline items: a small subset of JSON Schema, checked with the standard library.

Why a subset: the emulator depends on nothing outside the standard library, and an item's config
only needs its shape described (types, keys, ranges, allowed values). A schema with a keyword
outside the subset is refused when the item is defined, so that no rule is silently ignored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "integer": (int,),
    "number": (int, float), "boolean": (bool,), "null": (type(None),),
}
KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties", "items", "enum",
                      "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "description"})
_MAX_DEPTH = 32


def check_schema(schema: Any, where: str = "config_schema", depth: int = 0) -> None:
    """Raise ValueError naming the first problem of a schema (``where`` is its path)."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"{where} is nested more than {_MAX_DEPTH} levels deep")
    if not isinstance(schema, Mapping):
        raise ValueError(f"{where} must be a JSON object (a schema), e.g. {{\"type\": \"integer\"}}")
    unknown = sorted(set(schema) - KEYWORDS)
    if unknown:
        raise ValueError(f"{where} uses {', '.join(map(repr, unknown))}, which the emulator does not check: "
                         f"use only {', '.join(sorted(KEYWORDS))}")
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else kinds
        if not isinstance(names, list) or not names or any(k not in TYPES for k in names):
            raise ValueError(f"{where}.type must be one of {', '.join(TYPES)} (or a list of them)")
    properties = schema.get("properties")
    if properties is not None:
        if not isinstance(properties, Mapping):
            raise ValueError(f"{where}.properties must be a JSON object: key -> schema")
        for key, sub in properties.items():
            check_schema(sub, f"{where}.properties.{key}", depth + 1)
    required = schema.get("required")
    if required is not None and (not isinstance(required, list) or not all(isinstance(k, str) for k in required)):
        raise ValueError(f"{where}.required must be a list of key names")
    extra = schema.get("additionalProperties")
    if extra is not None and not isinstance(extra, bool):
        check_schema(extra, f"{where}.additionalProperties", depth + 1)
    if schema.get("items") is not None:
        check_schema(schema["items"], f"{where}.items", depth + 1)
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        raise ValueError(f"{where}.enum must be a non-empty list of values")
    for bound in ("minimum", "maximum"):
        if bound in schema and not _is_number(schema[bound]):
            raise ValueError(f"{where}.{bound} must be a number")
    for bound in ("minLength", "maxLength", "minItems", "maxItems"):
        if bound in schema and not (_is_integer(schema[bound]) and schema[bound] >= 0):
            raise ValueError(f"{where}.{bound} must be a non-negative integer")


def config_problem(schema: Mapping[str, Any], config: Any) -> str | None:
    """The first way ``config`` (parsed JSON) breaks ``schema``, as a phrase; None if it fits."""
    return _problem(schema, config, "")


def _problem(schema: Mapping[str, Any], value: Any, path: str) -> str | None:
    what = path or "the config"
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_has_type(value, kind) for kind in names):
            return f"{what} must be {' or '.join(_article(k) for k in names)}, not {_json_type(value)}"
    if "enum" in schema and not any(_same(value, allowed) for allowed in schema["enum"]):
        return f"{what} must be one of {', '.join(json.dumps(v) for v in schema['enum'])}"
    if _is_number(value):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{what} must be at least {schema['minimum']}, not {value}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{what} must be at most {schema['maximum']}, not {value}"
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            return f"{what} must have at least {_count(schema['minLength'], 'character')}"
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return f"{what} must have at most {_count(schema['maxLength'], 'character')}"
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            return f"{what} must have at least {_count(schema['minItems'], 'entry')}"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{what} must have at most {_count(schema['maxItems'], 'entry')}"
        if schema.get("items") is not None:
            for index, entry in enumerate(value):
                problem = _problem(schema["items"], entry, f"{path}[{index}]")
                if problem:
                    return problem
    if isinstance(value, dict):
        for key in schema.get("required") or ():
            if key not in value:
                return f"{_key(path, key)} is required"
        properties = schema.get("properties") or {}
        extra = schema.get("additionalProperties", True)
        for key, entry in value.items():
            if key in properties:
                problem = _problem(properties[key], entry, _key(path, key))
            elif extra is False:
                problem = f"{_key(path, key)} is not a known key (known: {', '.join(properties) or 'none'})"
            elif isinstance(extra, Mapping):
                problem = _problem(extra, entry, _key(path, key))
            else:
                problem = None
            if problem:
                return problem
    return None


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


def _key(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _has_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return _is_integer(value) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return _is_number(value)
    return isinstance(value, TYPES[kind]) and not (kind != "boolean" and isinstance(value, bool))


def _same(value: Any, allowed: Any) -> bool:
    """JSON equality: true is not 1."""
    return type(value) is type(allowed) and value == allowed or (
        _is_number(value) and _is_number(allowed) and value == allowed)


def _json_type(value: Any) -> str:
    for kind in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _has_type(value, kind):
            return _article(kind)
    return type(value).__name__


def _article(kind: str) -> str:
    return {"integer": "an integer", "array": "an array", "object": "an object", "null": "null"}.get(kind, f"a {kind}")
