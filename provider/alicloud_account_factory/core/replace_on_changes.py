"""The `replace_on_changes` resource option, applied by this package's providers themselves.

The engine applies the option to a provider's detailed diff (or changed keys), and the Python
dynamic provider server sends neither: its DiffResponse carries only changes, replaces and
deleteBeforeReplace. Left to the engine, the option would be dropped silently. So every resource
of the package passes it to its provider as the input `INPUT` (`resource.provider_inputs`), and
each provider's Diff applies it with `replaced_fields`, by Pulumi's own rules
(`applyReplaceOnChanges` in the engine's step generator, `PropertyPath.Contains` in the SDK):

* a path is read as Pulumi reads a property path: `tags`, `tags.env`, `tags["a.b"]`, `items[0]`,
  `items[*].config`;
* it replaces the resource when it contains a changed path: element by element equal, `*` standing
  for any one key or index, the change at the path or under it (`tags` and `tags.env` replace on a
  changed `tags.env`, `tags.team` does not);
* the changed paths are those of a detailed diff of each changed argument, down to the keys and
  indexes that differ: a JSON object given as text (a baseline item's config) is looked into, list
  items with a `name` are paired by name (as the service pairs baseline items), a nested value left
  unset (None) is no change (as in Diff), and a value not known yet (preview) may hide a change
  anywhere under it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Union

from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from .field_kit import is_unknown

#: The input that carries the option to the provider; it never causes a diff itself.
INPUT = "replace_on_changes"

Element = Union[str, int]
Path = tuple[Element, ...]
WILDCARD = "*"
_INDEX = re.compile(r"[+-]?[0-9]+")  # what Go's strconv.ParseInt accepts


def parse_path(text: str) -> Path | None:
    """A property path as the engine parses it (`resource.ParsePropertyPath`); None when the engine
    would refuse it (it then fails the deployment, naming the path)."""
    elements: list[Element] = []
    rest = text
    if rest.startswith("."):
        return None
    while rest:
        if rest[0] == ".":
            rest = rest[1:]
            if not rest:
                return None
        elif rest[0] == "[":
            if rest[1:2] == '"':
                key, index = [], 2
                while True:
                    if index >= len(rest):
                        return None
                    if rest[index] == '"':
                        index += 1
                        break
                    if rest[index] == "\\" and rest[index + 1:index + 2] == '"':
                        key.append('"')
                        index += 2
                    else:
                        key.append(rest[index])
                        index += 1
                if rest[index:index + 1] != "]":
                    return None
                elements.append("".join(key))
                rest = rest[index + 1:]
            else:
                close = rest.find("]")
                if close == -1:
                    return None
                segment = rest[1:close]
                if segment == WILDCARD:
                    elements.append(WILDCARD)
                elif _INDEX.fullmatch(segment):
                    elements.append(int(segment))
                else:
                    return None
                rest = rest[close + 1:]
        else:
            end = len(rest)
            for stop in (".", "["):
                found = rest.find(stop)
                if found != -1:
                    end = min(end, found)
            elements.append(rest[:end])
            rest = rest[end:]
    return tuple(elements)


def _same_element(pattern: Element, element: Element) -> bool:
    if isinstance(pattern, int):
        return isinstance(element, int) and element == pattern
    return pattern == WILDCARD or (isinstance(element, str) and element == pattern)


@dataclass(frozen=True)
class _Change:
    path: Path
    unknown: bool = False  # not known yet: anything under the path may change


def _replaces(pattern: Path, change: _Change) -> bool:
    """`PropertyPath.Contains`: the change lies at or under the pattern. An unknown value may also
    hide a change under it, deeper than the pattern reaches into it."""
    if len(change.path) < len(pattern) and not change.unknown:
        return False
    return all(_same_element(p, e) for p, e in zip(pattern, change.path))


def _is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def _container(value: Any) -> Any:
    """A mapping or list to look into: the value itself, or the JSON object or list a text holds."""
    if isinstance(value, (Mapping, list, tuple)):
        return value
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, (dict, list)) else None
    return None


_ABSENT = object()


def _names(items: list[Any] | tuple[Any, ...]) -> list[str] | None:
    """The items' names when every item has a distinct one (they are then paired by name)."""
    names = [item.get("name") if isinstance(item, Mapping) else None for item in items]
    if all(isinstance(name, str) for name in names) and len(set(names)) == len(names):
        return names  # type: ignore[return-value]
    return None


def _pairs(old: list[Any] | tuple[Any, ...], new: list[Any] | tuple[Any, ...]) -> Iterator[tuple[int, Any, Any]]:
    """(index, old item, new item): by name when both lists name their items (the new list's index;
    a removed item's old index), else by position; _ABSENT where one side has none."""
    old_names, new_names = _names(old), _names(new)
    if old_names is not None and new_names is not None:
        by_name = dict(zip(old_names, old))
        for index, (name, item) in enumerate(zip(new_names, new)):
            yield index, by_name.get(name, _ABSENT), item
        kept = set(new_names)
        for index, (name, item) in enumerate(zip(old_names, old)):
            if name not in kept:
                yield index, item, _ABSENT
        return
    for index in range(max(len(old), len(new))):
        yield index, old[index] if index < len(old) else _ABSENT, new[index] if index < len(new) else _ABSENT


def _changes(path: Path, old: Any, new: Any) -> Iterator[_Change]:
    """The paths at which `new` differs from `old`, as a detailed diff has them."""
    if _is_unknown(new):
        yield _Change(path, unknown=True)
        return
    if new is None:
        return  # left unset: whatever is there
    if new is _ABSENT or old is _ABSENT or old is None:
        yield _Change(path)
        return
    old_c, new_c = _container(old), _container(new)
    if isinstance(old_c, Mapping) and isinstance(new_c, Mapping):
        for key in new_c:
            yield from _changes((*path, str(key)), old_c.get(key, _ABSENT), new_c[key])
        for key in old_c:
            if key not in new_c:
                yield _Change((*path, str(key)))
    elif isinstance(old_c, (list, tuple)) and isinstance(new_c, (list, tuple)):
        for index, old_item, new_item in _pairs(old_c, new_c):
            yield from _changes((*path, index), old_item, new_item)
    elif old != new:
        yield _Change(path)


def replaced_fields(option: Any, changed: Iterable[tuple[str, Any, Any]]) -> set[str]:
    """The arguments the option (`INPUT`'s value) replaces the resource for, among those Diff found
    changed, each given as (name, old value, new value)."""
    texts = option if isinstance(option, (list, tuple)) else ()
    # (an empty path contains every path, as in the engine)
    patterns = [path for path in (parse_path(text) for text in texts if isinstance(text, str)) if path is not None]
    if not patterns:
        return set()
    replaced = set()
    for name, old, new in changed:
        # Diff found it changed: when no finer path differs (a difference only Diff's own rules see), the argument did.
        changes = list(_changes((name,), old, new)) or [_Change((name,))]
        if any(_replaces(pattern, change) for pattern in patterns for change in changes):
            replaced.add(name)
    return replaced


def _compared(field: Any, props: Mapping[str, Any]) -> Any:
    """An argument's value as Diff compares it: canonical when valid (the wire drops keys whose value
    is None, validation puts them back), and a collection left unset is the field's `empty`."""
    value = props.get(field.name)
    if value is None:
        value = getattr(field, "empty", None)
    if value is None or is_unknown(value):
        return value
    try:
        return field.validate(field.name, value)
    except ValueError:  # (Invalid) what a state holds may be anything: compared as it is
        return value


def replacing(changes: Iterable[tuple[str, bool]], olds: Mapping[str, Any], news: Mapping[str, Any],
              fields_by_name: Mapping[str, Any]) -> list[str]:
    """Diff's `replaces`: of the changes Diff found (name, whether the provider's own rules replace on
    it), those that replace the resource, by those rules or by its replace_on_changes (`news[INPUT]`).

    The option looks at the arguments only, the rows of the resource's field table `fields_by_name`
    (a change of anything else, such as a failed enrollment to redo, is no argument's)."""
    changes = list(changes)
    forced = replaced_fields(news.get(INPUT), ((name, _compared(fields_by_name[name], olds),
                                                _compared(fields_by_name[name], news))
                                               for name, _replaces in changes if name in fields_by_name))
    return [name for name, replaces in changes if replaces or name in forced]
