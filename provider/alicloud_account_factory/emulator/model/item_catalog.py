"""The catalog of baseline items one emulator knows: the built-in items, then the ones a user adds.

Why it can grow: the service's catalog has more items than the emulator models (the console lists
billing method, CloudSSO permissions, guardrails, ...), and a program that names one must not fail
against the emulator where the service would take it. A user adds such an item from a file given at
start (``--catalog FILE``) or through the control API (``POST /_emulator/catalog``), with a
definition: name, versions, default config, an optional config schema, dependencies.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .common import ItemError, compact
from .config_schema import check_schema, config_problem

ITEM_NAME = re.compile(r"ACS-BP_ACCOUNT_FACTORY_[A-Z0-9_]+")
VERSION = re.compile(r"[0-9]+(\.[0-9]+){1,2}")
DEFINITION_KEYS = ("name", "versions", "type", "description", "config", "config_schema", "depends_on")
DEFAULT_TYPE = "AccountFactory"
"""The type of an added item that names none: the value the API reference's examples show."""
SOURCES = {"builtin": "built in", "file": "from the --catalog file", "api": "added through the control API"}


@dataclass(frozen=True)
class BaselineItemDef:
    """A baseline item the service knows, with its default version/config and dependencies.

    ``error`` is the failure only this item can meet (the product API it calls raises it), so
    that an enrollment made to fail never reports, say, a RAM role conflict on a VPC item.
    ``config_schema`` (canonical JSON, or None: any JSON object) is what a config sent for it must fit.
    """

    name: str
    version: str  # the default version: what a request that names no version gets
    config: str
    depends_on: tuple[str, ...] = ()
    error: ItemError | None = None
    type: str = "AccountFactory"
    description: str = ""
    newer_versions: tuple[str, ...] = ()
    config_schema: str | None = None
    source: str = "builtin"

    @property
    def versions(self) -> tuple[str, ...]:
        """Every version the catalog lists, the default first."""
        return (self.version, *self.newer_versions)

    def config_problem(self, config: str) -> str | None:
        """How a config (a JSON object string) breaks this item's schema; None if it fits or there is none."""
        if self.config_schema is None:
            return None
        return config_problem(json.loads(self.config_schema), json.loads(config))

    def to_definition(self) -> dict[str, Any]:
        """The item as a definition: what ``--catalog`` and ``POST /_emulator/catalog`` take."""
        out: dict[str, Any] = {"name": self.name, "versions": list(self.versions), "type": self.type,
                               "description": self.description, "config": json.loads(self.config)}
        if self.config_schema is not None:
            out["config_schema"] = json.loads(self.config_schema)
        out["depends_on"] = list(self.depends_on)
        return out


class ItemCatalog:
    """The items in application order (dependencies first): what the emulator starts with, then additions.

    Readers need no lock: an addition replaces the mapping whole. Writers hold the model's lock.
    """

    def __init__(self, builtins: Iterable[BaselineItemDef], definitions: Any = ()) -> None:
        items = {d.name: d for d in builtins}
        items.update((d.name, d) for d in parse_definitions(definitions, items, "file"))
        self._start = items
        self._set(dict(items))

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __getitem__(self, name: str) -> BaselineItemDef:
        return self._items[name]

    def get(self, name: str) -> BaselineItemDef | None:
        return self._items.get(name)

    def items(self) -> tuple[BaselineItemDef, ...]:
        return tuple(self._items.values())

    def order(self, name: str) -> int:
        """The item's place in application order."""
        return self._order[name]

    def added(self) -> list[BaselineItemDef]:
        """The items added while running (what the state file keeps; the start items come from their sources)."""
        return [d for d in self._items.values() if d.source == "api"]

    def add(self, definitions: Any, source: str = "api") -> list[BaselineItemDef]:
        """Validate definitions against this catalog, then add them all (or none); returns them."""
        parsed = parse_definitions(definitions, self._items, source)
        self._set({**self._items, **{d.name: d for d in parsed}})
        return parsed

    def reset(self) -> None:
        """Back to the items it started with (built-in and from the file)."""
        self._set(dict(self._start))

    def started(self) -> ItemCatalog:
        """A catalog with the same start items and no additions."""
        fresh = ItemCatalog(())
        fresh._start = self._start
        fresh._set(dict(self._start))
        return fresh

    def _set(self, items: dict[str, BaselineItemDef]) -> None:
        order = {name: i for i, name in enumerate(items)}
        self._items, self._order = items, order


def read_catalog_file(path: str | os.PathLike[str]) -> Any:
    """The definitions of a ``--catalog`` file (JSON); ValueError saying what is wrong with the file."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as exc:
        raise ValueError(f"cannot read catalog file {os.fspath(path)}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"catalog file {os.fspath(path)} is not valid JSON: {exc}") from None


def parse_definitions(payload: Any, known: Mapping[str, BaselineItemDef], source: str) -> list[BaselineItemDef]:
    """Item definitions (one object, a list of them, or ``{"items": [...]}``), checked against the
    items ``known`` and each other; ValueError naming the item and the field at the first problem."""
    if isinstance(payload, Mapping) and set(payload) == {"items"}:
        payload = payload["items"]
    entries = [payload] if isinstance(payload, Mapping) else payload
    if not isinstance(entries, (list, tuple)):
        raise ValueError("catalog items must be a JSON object (one item), a list of them, or {\"items\": [...]}")
    parsed: dict[str, BaselineItemDef] = {}
    for n, entry in enumerate(entries, start=1):
        item = _definition(entry, n, {**known, **parsed}, source)
        parsed[item.name] = item
    return list(parsed.values())


def _definition(entry: Any, n: int, known: Mapping[str, BaselineItemDef], source: str) -> BaselineItemDef:
    if not isinstance(entry, Mapping):
        raise ValueError(f"catalog item {n} must be a JSON object with at least \"name\"")
    name = entry.get("name")
    if not isinstance(name, str) or not ITEM_NAME.fullmatch(name):
        raise ValueError(f"catalog item {n}: name must be a baseline item name, ACS-BP_ACCOUNT_FACTORY_ followed by "
                         f"capitals, digits and underscores (e.g. ACS-BP_ACCOUNT_FACTORY_VPC), not {name!r}")
    where = f"catalog item {n} ({name})"
    unknown = sorted(set(entry) - set(DEFINITION_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}: use {', '.join(DEFINITION_KEYS)}")
    if name in known:
        raise ValueError(f"{where} is already in the catalog ({SOURCES.get(known[name].source, known[name].source)}): "
                         "an item is defined once")
    versions = entry.get("versions", ["1.0"])
    if (not isinstance(versions, list) or not versions
            or not all(isinstance(v, str) and VERSION.fullmatch(v) for v in versions)):
        raise ValueError(f"{where}: versions must be a non-empty list of versions such as [\"1.0\", \"1.1\"] "
                         "(the first is the default)")
    if len(set(versions)) != len(versions):
        raise ValueError(f"{where}: versions lists a version twice")
    for key in ("type", "description"):
        if not isinstance(entry.get(key, ""), str):
            raise ValueError(f"{where}: {key} must be a string")
    schema = entry.get("config_schema")
    if schema is not None:
        check_schema(schema, f"{where}: config_schema")
        if schema.get("type", "object") != "object":
            raise ValueError(f"{where}: config_schema must describe a JSON object (\"type\": \"object\"): "
                             "a config is one")
    config = entry.get("config", {})
    if not isinstance(config, Mapping):
        raise ValueError(f"{where}: config (the default config) must be a JSON object")
    problem = config_problem(schema, config) if schema is not None else None
    if problem:
        raise ValueError(f"{where}: the default config does not fit config_schema: {problem}")
    return BaselineItemDef(
        name=name, version=versions[0], newer_versions=tuple(versions[1:]), config=compact(config),
        depends_on=_dependencies(entry.get("depends_on", []), where, name, known),
        type=entry.get("type") or DEFAULT_TYPE, description=entry.get("description", ""),
        config_schema=compact(schema) if schema is not None else None, source=source)


def _dependencies(value: Any, where: str, name: str, known: Mapping[str, BaselineItemDef]) -> tuple[str, ...]:
    """Dependencies must already be in the catalog (or earlier in the same definitions): so the
    catalog's order stays an application order with every item after what it depends on."""
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise ValueError(f"{where}: depends_on must be a list of item names")
    for dep in value:
        if dep == name:
            raise ValueError(f"{where} depends on itself")
        if dep not in known:
            close = difflib.get_close_matches(dep, list(known), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "define it first (earlier in the list, or before)"
            raise ValueError(f"{where} depends on {dep!r}, which is not in the catalog: {hint}")
    if len(set(value)) != len(value):
        raise ValueError(f"{where}: depends_on lists an item twice")
    return tuple(value)
