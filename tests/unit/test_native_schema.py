"""The native plugin's schema: generated from the field tables, and schema.json (checked in, the input
of `make sdks`) is what the generator writes now."""

from __future__ import annotations

from pathlib import Path

import pytest

from alicloud_account_factory.native import schema
from alicloud_account_factory.native.core import baseline_fields, fields

SCHEMA_JSON = Path(__file__).resolve().parents[2] / "schema.json"


def test_schema_json_is_what_the_field_tables_generate() -> None:
    assert SCHEMA_JSON.is_file(), "schema.json is missing: run `make schema`"
    assert SCHEMA_JSON.read_text() == schema.text(), "schema.json is stale: run `make schema` and commit it"


def test_every_field_is_a_property_and_replacing_fields_are_marked() -> None:
    generated = schema.generate()
    account = generated["resources"][schema.ENROLLED_ACCOUNT]
    for field in fields.FIELDS:
        prop = account["inputProperties"][schema.camel(field.name)]
        assert prop.get("replaceOnChanges", False) == (field.change is fields.ChangeKind.REPLACE), field.name
    assert set(map(schema.camel, fields.COMPUTED_OUTPUTS)) <= set(account["properties"])
    baseline = generated["resources"][schema.BASELINE]
    assert {schema.camel(f.name) for f in baseline_fields.FIELDS} == set(baseline["inputProperties"])
    assert all(generated["config"]["variables"][key]["secret"] for key in ("accessKey", "secretKey", "securityToken"))


def test_a_field_without_a_schema_row_fails_the_generation() -> None:
    rows = dict(schema.ENROLLED_ACCOUNT_PROPERTIES)
    del rows["folder_id"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema, "ENROLLED_ACCOUNT_PROPERTIES", rows)
        with pytest.raises(LookupError, match="folder_id"):
            schema.generate()
