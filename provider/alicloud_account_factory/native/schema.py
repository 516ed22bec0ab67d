"""The plugin's Pulumi package schema, generated from the field tables (`fields`, `baseline_fields`).

The field tables say which properties exist and what a change does; this module adds what a schema
needs beyond them: each property's type and description. A field that is added to a table without
a row here makes `generate` fail (and with it tests/unit/test_native_schema.py), so the schema
cannot silently lag the tables. `schema.json` at the repository root is this module's output,
checked in for `make sdks`; `python -m alicloud_account_factory.native.schema > schema.json`
rewrites it, and the test fails while it is stale.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from . import core

PACKAGE = core.NAMESPACE  # "alicloud-account-factory"
ENROLLED_ACCOUNT = f"{PACKAGE}:index:EnrolledAccount"
BASELINE = f"{PACKAGE}:index:AccountFactoryBaseline"
GET_BASELINE = f"{PACKAGE}:index:getBaseline"
GET_BASELINES = f"{PACKAGE}:index:getBaselines"
GET_BASELINE_ITEMS = f"{PACKAGE}:index:getBaselineItems"

_STRING = {"type": "string"}
_BOOLEAN = {"type": "boolean"}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/types/{PACKAGE}:index:{name}"}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def camel(name: str) -> str:
    """A table's snake_case name as the schema spells it (`account_name_prefix` -> `accountNamePrefix`)."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


#: EnrolledAccount's properties: every input field of `fields.FIELDS` and output of `fields.COMPUTED_OUTPUTS`.
#: AccountUids are strings: an id can exceed 2^53, beyond what a JSON number carries exactly.
ENROLLED_ACCOUNT_PROPERTIES: dict[str, tuple[dict[str, Any], str]] = {
    "account_name_prefix": (_STRING, "The new account's name prefix: 2-50 letters, digits, '.', '_' or '-'."),
    "display_name": (_STRING, "The new account's display name, 1 to 50 characters."),
    "folder_id": (_STRING, "The resource directory folder of the new account (`fd-...`); the root folder if omitted."),
    "payer_account_uid": (_STRING, "The account that pays for the new account; the management account if omitted."),
    "account_uid": (_STRING, "An existing account to enroll instead of creating a new one (its AccountUid)."),
    "baseline_id": (_STRING, "The Account Factory baseline to apply (`afb-...`); the default baseline if omitted."),
    "baseline_items": (_array(_ref("BaselineItem")),
                       "Baseline items to apply, merged by name with the baseline's (a changed list updates in place)."),
    "tags": ({"type": "object", "additionalProperties": _STRING}, "Tags of the account (at most 19 for a new account)."),
    "resell_account_type": (_STRING, "`resell` or `non_resell` (new accounts only)."),
    "region_id": (_STRING, "The API region of this enrollment; the provider's region if omitted."),
    "status": (_STRING, "The enrollment's status (Finished, Failed, ...)."),
    "progress": (_array(_ref("EnrolledAccountProgress")), "Each baseline item's step and its status."),
    "master_account_uid": (_STRING, "The management account of the resource directory."),
    "create_time": (_STRING, "When the enrollment was created."),
    "update_time": (_STRING, "When the enrollment last changed."),
    "initialized": (_BOOLEAN, "Whether the account is initialized."),
    "error_info": (_ref("EnrolledAccountErrorInfo"), "Why the enrollment failed, when it did."),
    "applied_baseline_items": (_array(_ref("BaselineItem")), "The baseline items the service applied."),
}
#: AccountFactoryBaseline's properties: every field of `baseline_fields.FIELDS` and `baseline_fields.COMPUTED_OUTPUTS`.
BASELINE_PROPERTIES: dict[str, tuple[dict[str, Any], str]] = {
    "baseline_name": (_STRING, "The baseline's name, unique in the account (at most 64 characters)."),
    "description": (_STRING, "The baseline's description."),
    "baseline_items": (_array(_ref("AccountFactoryBaselineItem")), "The baseline's items and their configs."),
    "region_id": (_STRING, "The API region of this baseline; the provider's region if omitted."),
    "baseline_id": (_STRING, "An existing baseline to take over (`afb-...`); otherwise the one the create made."),
    "type": (_STRING, "`System` for the default baseline, `Custom` otherwise."),
    "create_time": (_STRING, "When the baseline was created."),
    "update_time": (_STRING, "When the baseline last changed."),
}
#: Outputs that are also required inputs of a new account are required inputs here (a `check` error says
#: the same); the rest are optional: an existing account (`accountUid`) needs none of them.
_BASELINE_REQUIRED_INPUTS = ("baseline_name", "baseline_items")
#: The outputs every resource has (what read always reports), typed as not optional in the SDKs.
_ACCOUNT_OUTPUTS = ("account_uid", "status", "progress")
_BASELINE_OUTPUTS = ("baseline_id", "baseline_name", "baseline_items")

CONFIG_VARIABLES: dict[str, dict[str, Any]] = {
    "region": {**_STRING, "description": "The region of the Cloud Governance Center API (default cn-hangzhou)."},
    "accessKey": {**_STRING, "secret": True, "description": "The AccessKey ID; the default credential chain if omitted."},
    "secretKey": {**_STRING, "secret": True, "description": "The AccessKey secret."},
    "securityToken": {**_STRING, "secret": True, "description": "An STS security token, with temporary keys."},
    "profile": {**_STRING, "description": "A profile of the Alibaba Cloud CLI's configuration file."},
    "endpoint": {**_STRING, "description": "Another API endpoint, e.g. the emulator's http://127.0.0.1:8080."},
    "readTimeout": {**_STRING, "description": "How long the SDK waits for an answer (a duration, default 30s)."},
    "unreachableTimeout": {**_STRING, "description": "How long an operation rides out connection failures (default 3m)."},
}

_TYPES: dict[str, Any] = {
    "BaselineItem": {"type": "object", "description": "A baseline item of an enrollment.", "properties": {
        "name": {**_STRING, "description": "The item, e.g. ACS-BP_ACCOUNT_FACTORY_VPC."},
        "config": {**_STRING, "description": "Its configuration as a JSON object text."},
        "skip": {**_BOOLEAN, "description": "Skip this item."},
        "version": {**_STRING, "description": "The item's version, e.g. 1.0."}}, "required": ["name"]},
    "AccountFactoryBaselineItem": {"type": "object", "description": "An item of a baseline.", "properties": {
        "name": {**_STRING, "description": "The item, e.g. ACS-BP_ACCOUNT_FACTORY_VPC."},
        "config": {**_STRING, "description": "Its configuration as a JSON object text."},
        "version": {**_STRING, "description": "The item's version, e.g. 1.0."}}, "required": ["name"]},
    "EnrolledAccountProgress": {"type": "object", "description": "One step of an enrollment.", "properties": {
        "name": _STRING, "status": _STRING}},
    "EnrolledAccountErrorInfo": {"type": "object", "description": "Why an enrollment failed.", "properties": {
        "code": _STRING, "message": _STRING, "recommend": _STRING, "requestId": _STRING}},
    "BaselineSummary": {"type": "object", "description": "A baseline as getBaselines lists it.", "properties": {
        camel(name): _STRING for name in ("baseline_id", "baseline_name", "description", "type", "create_time",
                                          "update_time")}},
    "BaselineCatalogItem": {"type": "object", "description": "An item of the catalog, one per version.", "properties": {
        "name": _STRING, "version": _STRING, "type": _STRING, "description": _STRING,
        "dependsOn": _array(_ref("BaselineItemDependency"))}},
    "BaselineItemDependency": {"type": "object", "description": "An item another one needs.", "properties": {
        "name": _STRING, "type": _STRING, "version": _STRING}},
}

_REGION_ARGUMENT = {**_STRING, "description": "The API region; the provider's region if omitted."}
_FUNCTIONS: dict[str, Any] = {
    GET_BASELINE: {
        "description": "One baseline (GetAccountFactoryBaseline), with the outputs an AccountFactoryBaseline has.",
        "inputs": {"properties": {"baselineId": _STRING, "regionId": _REGION_ARGUMENT}, "required": ["baselineId"]},
        "outputs": {"properties": {camel(name): spec for name, (spec, _) in BASELINE_PROPERTIES.items()},
                    "required": ["baselineId"]},
    },
    GET_BASELINES: {
        "description": "Every baseline (ListAccountFactoryBaselines).",
        "inputs": {"properties": {"regionId": _REGION_ARGUMENT}},
        "outputs": {"properties": {"baselines": _array(_ref("BaselineSummary"))}, "required": ["baselines"]},
    },
    GET_BASELINE_ITEMS: {
        "description": "The baseline item catalog (ListAccountFactoryBaselineItems), filtered by the service.",
        "inputs": {"properties": {"type": _STRING, "names": _array(_STRING), "versions": _array(_STRING),
                                  "regionId": _REGION_ARGUMENT}},
        "outputs": {"properties": {"items": _array(_ref("BaselineCatalogItem"))}, "required": ["items"]},
    },
}


def _resource(table: dict[str, tuple[dict[str, Any], str]], inputs: list[str], replaces: list[str],
              required_inputs: tuple[str, ...], required: tuple[str, ...], description: str) -> dict[str, Any]:
    def prop(name: str, *, replace: bool = False) -> dict[str, Any]:
        spec, text = table[name]
        return {**spec, "description": text, **({"replaceOnChanges": True} if replace else {})}

    return {
        "description": description,
        "inputProperties": {camel(name): prop(name, replace=name in replaces) for name in inputs},
        "requiredInputs": [camel(name) for name in required_inputs],
        "properties": {camel(name): prop(name) for name in table},
        "required": [camel(name) for name in required],
    }


def _missing(table: dict[str, Any], names: list[str], where: str) -> None:
    unknown = [name for name in names if name not in table]
    if unknown:
        raise LookupError(f"{where} has no schema type for {', '.join(unknown)}: add a row to "
                          f"alicloud_account_factory/native/schema.py and regenerate schema.json")


def generate() -> dict[str, Any]:
    """The schema, from the field tables as they are now."""
    account_inputs = [f.name for f in core.fields.FIELDS]
    baseline_inputs = [f.name for f in core.baseline_fields.FIELDS]
    _missing(ENROLLED_ACCOUNT_PROPERTIES, [*account_inputs, *core.fields.COMPUTED_OUTPUTS], "fields.FIELDS")
    _missing(BASELINE_PROPERTIES, [*baseline_inputs, *core.baseline_fields.COMPUTED_OUTPUTS], "baseline_fields.FIELDS")
    replace = core.fields.ChangeKind.REPLACE
    return {
        "name": PACKAGE,
        "displayName": "Alibaba Cloud Account Factory",
        "version": core.VERSION,
        "description": "Enroll Alibaba Cloud accounts in Cloud Governance Center's Account Factory, and manage "
                       "its baselines.",
        "keywords": ["pulumi", "alicloud", "governance", "account-factory", "category/cloud"],
        "license": "Apache-2.0",
        "repository": "https://github.com/OWNER/alicloud-account-factory",
        "publisher": "alicloud-account-factory",
        "config": {"variables": CONFIG_VARIABLES},
        "provider": {"description": "The provider: one API region and one set of credentials.",
                     "inputProperties": CONFIG_VARIABLES},
        "resources": {
            ENROLLED_ACCOUNT: _resource(
                ENROLLED_ACCOUNT_PROPERTIES, account_inputs,
                [f.name for f in core.fields.FIELDS if f.change is replace], (), _ACCOUNT_OUTPUTS,
                "An account enrolled in Account Factory: a new account (accountNamePrefix, displayName) or an "
                "existing one (accountUid). `pulumi up` waits until the enrollment is finished; deleting the "
                "resource stops managing the account (the service cannot un-enroll it)."),
            BASELINE: _resource(
                BASELINE_PROPERTIES, baseline_inputs,
                [f.name for f in core.baseline_fields.FIELDS if f.change is replace],
                _BASELINE_REQUIRED_INPUTS, _BASELINE_OUTPUTS, "An Account Factory baseline: the items an enrollment applies."),
        },
        "types": {f"{PACKAGE}:index:{name}": spec for name, spec in _TYPES.items()},
        "functions": _FUNCTIONS,
        # supportPack: the Go generator writes sdk/go/go.mod (module github.com/OWNER/alicloud-account-factory/sdk/go),
        # without which a Go program cannot require (or `replace`) the generated SDK.
        "meta": {"supportPack": True},
        "language": {
            "nodejs": {"packageName": "@alicloud-account-factory/pulumi", "respectSchemaVersion": True},
            "python": {"packageName": "pulumi_alicloud_account_factory", "respectSchemaVersion": True,
                       "pyproject": {"enabled": True}},
            "go": {"importBasePath": "github.com/OWNER/alicloud-account-factory/sdk/go/"
                                     "alicloudaccountfactory", "respectSchemaVersion": True, "generateResourceContainerTypes": True},
            "csharp": {"rootNamespace": "AlicloudAccountFactory", "respectSchemaVersion": True},
            "java": {"basePackage": "com.alicloudaccountfactory"},
        },
    }


def text() -> str:
    """The schema as schema.json holds it."""
    return json.dumps(generate(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(text())
