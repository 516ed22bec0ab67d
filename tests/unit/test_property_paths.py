"""Pulumi's property paths and `Contains`, as the providers apply replace_on_changes."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from alicloud_account_factory.core.replace_on_changes import parse_path, replaced_fields


@pytest.mark.parametrize(("text", "path"), [
    # The examples of the engine's grammar (sdk/go/common/resource/properties_path.go)
    ("root", ("root",)),
    ("root.nested", ("root", "nested")),
    ('root["nested"]', ("root", "nested")),
    ("root.double.nest", ("root", "double", "nest")),
    ('root["double"].nest', ("root", "double", "nest")),
    ('root["double"]["nest"]', ("root", "double", "nest")),
    ("root.array[0]", ("root", "array", 0)),
    ("root.array[100]", ("root", "array", 100)),
    ("root.array[0].nested", ("root", "array", 0, "nested")),
    ("root.array[0][1].nested", ("root", "array", 0, 1, "nested")),
    ('root["key with \\"escaped\\" quotes"]', ("root", 'key with "escaped" quotes')),
    ('root["key with a ."]', ("root", "key with a .")),
    ('["root key with a ."][100]', ("root key with a .", 100)),
    ("root.array[*].field", ("root", "array", "*", "field")),
    ('root.array["*"].field', ("root", "array", "*", "field")),
    ("*", ("*",)),
    ("", ()),
])
def test_paths_parse_as_the_engine_parses_them(text: str, path: tuple) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize("text", [".root", "root.", "root[", "root[x]", 'root["open', 'root["k"x'])
def test_what_the_engine_refuses_is_no_path(text: str) -> None:
    assert parse_path(text) is None


TAGS = {"env": "dev", "team": "a"}
ITEMS = [{"name": "VPC", "config": '{"Vpcs":[{"CidrBlock":"10.0.0.0/16","VpcName":"main"}]}', "version": "1.1"},
         {"name": "SG", "config": None, "version": "1.0"}]


def _with(index: int, **changed: Any) -> list[dict[str, Any]]:
    return [{**item, **changed} if i == index else item for i, item in enumerate(ITEMS)]


@pytest.mark.parametrize(("paths", "old", "new", "replaces"), [
    (["tags"], TAGS, {**TAGS, "env": "prod"}, True),
    (["tags.env"], TAGS, {**TAGS, "env": "prod"}, True),
    (["tags.team"], TAGS, {**TAGS, "env": "prod"}, False),
    (["tags.team"], TAGS, {"env": "dev"}, True),  # removed
    (["tags.owner"], TAGS, {**TAGS, "owner": "me"}, True),  # added
    (["*"], TAGS, {**TAGS, "env": "prod"}, True),
    (["*.env"], TAGS, {**TAGS, "env": "prod"}, True),
    (["*.team"], TAGS, {**TAGS, "env": "prod"}, False),
    (["tags.env.deeper"], TAGS, {**TAGS, "env": "prod"}, False),  # deeper than the change: Contains says no
    ([""], TAGS, {**TAGS, "env": "prod"}, True),  # the empty path contains every path
    (["not a path["], TAGS, {**TAGS, "env": "prod"}, False),
    # Into JSON text, by position, and lists of named items paired by name
    (["items[0].config.Vpcs[0].CidrBlock"], ITEMS, _with(0, config='{"Vpcs":[{"CidrBlock":"10.1.0.0/16","VpcName":"main"}]}'), True),
    (["items[*].config.Vpcs[*].VpcName"], ITEMS, _with(0, config='{"Vpcs":[{"CidrBlock":"10.1.0.0/16","VpcName":"main"}]}'), False),
    (["items[1]"], ITEMS, _with(0, version="1.2"), False),
    (["items[0].version"], ITEMS, _with(0, version="1.2"), True),
    (["items[0]"], ITEMS, list(reversed(_with(1, version="1.1"))), True),  # SG is first now, and changed
    (["items[1]"], ITEMS, list(reversed(_with(1, version="1.1"))), False),  # the VPC item moved, unchanged
    (["items[*].version"], ITEMS, _with(1, version=None), False),  # left unset: whatever is there
    (["items[2]"], ITEMS, [*ITEMS, {"name": "NEW"}], True),
    (["items[1]"], ITEMS, ITEMS[:1], True),  # removed, at its old index
    # Not known yet (preview): it may hide a change anywhere under it
    (["items[0].config.Vpcs"], ITEMS, UNKNOWN, True),
    (["items[0].config.Vpcs"], ITEMS, [UNKNOWN, ITEMS[1]], True),
    (["items[1].version"], ITEMS, [UNKNOWN, ITEMS[1]], False),
])
def test_a_path_replaces_when_it_contains_a_changed_path(paths: list[str], old: Any, new: Any, replaces: bool) -> None:
    name = "tags" if isinstance(old, dict) else "items"
    assert replaced_fields(paths, [(name, old, new)]) == ({name} if replaces else set())


def test_an_argument_diff_found_changed_is_changed_at_its_root_at_least() -> None:
    """A difference only Diff's own rules see (here none at all) still counts for the argument itself."""
    assert replaced_fields(["tags"], [("tags", TAGS, TAGS)]) == {"tags"}
    assert replaced_fields(["tags.env"], [("tags", TAGS, TAGS)]) == set()


def test_no_option_replaces_nothing() -> None:
    assert replaced_fields(None, [("tags", TAGS, {})]) == set()
    assert replaced_fields("tags", [("tags", TAGS, {})]) == set()  # not a list: not the option
