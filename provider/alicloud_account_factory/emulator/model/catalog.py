"""Baselines and the catalog of baseline items they are made of."""

from __future__ import annotations

import os
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Callable

from .common import (
    DEFAULT_PAGE,
    GENERIC_ITEM_ERROR,
    SEED_TIME,
    GovernanceError,
    ItemError,
    check_page_size,
    compact,
    decode_token,
    encode_token,
    troubleshoot,
    format_time,
    invalid_parameter,
)
from .directory import MASTER_ACCOUNT_UID
from .item_catalog import BaselineItemDef, ItemCatalog, read_catalog_file

ITEM_CONTACT = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"
ITEM_NOTIFICATION = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION"
ITEM_SECURITY_PREFERENCE = "ACS-BP_ACCOUNT_FACTORY_RAM_SECURITY_PREFERENCE"
ITEM_DEFAULT_DOMAIN = "ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN"
ITEM_RAM_ROLE = "ACS-BP_ACCOUNT_FACTORY_RAM_ROLE"
ITEM_VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
ITEM_SECURITY_GROUP = "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"
ITEM_PASSWORD_POLICY = "ACS-BP_ACCOUNT_FACTORY_RAM_USER_PASSWORD_POLICY"
ITEM_SUBSCRIBE_SERVICES = "ACS-BP_ACCOUNT_FACTORY_SUBSCRIBE_SERVICES"


# Catalog order is also the order in which items are applied (dependencies first). Where each
# item's name, config keys and rules come from: docs/emulator.md, "The item catalog".
_ITEM_DEFAULTS: tuple[BaselineItemDef, ...] = (
    BaselineItemDef(ITEM_CONTACT, "1.0", compact({"Contacts": [{
        "Name": "governance", "Email": "cloud-admins@example.com",
        "Mobile": "13800000000", "Position": "Technical Director"}]})),
    BaselineItemDef(ITEM_NOTIFICATION, "1.0", compact({"Notifications": [{
        "GroupKey": "account_msg", "Contacts": [{"Name": "governance"}],
        "PmsgStatus": 1, "EmailStatus": 1, "SmsStatus": 1}]})),
    # Keys as terraform-provider-alicloud's alicloud_governance_baseline tests send them.
    BaselineItemDef(ITEM_SECURITY_PREFERENCE, "1.0", compact({
        "AllowUserToChangePassword": True, "AllowUserToManageAccessKeys": False,
        "AllowUserToManageMfaDevices": True, "EnableSaveMfaTicket": False, "EnforceMfaForLogin": False,
        "LoginSessionDuration": 6, "LoginNetworkMasks": ""})),
    # The key terraform-provider-alicloud's alicloud_governance_account sends (default_domain_name).
    BaselineItemDef(ITEM_DEFAULT_DOMAIN, "1.0", compact({
        "DefaultDomainName": "{AccountNamePrefix}.onaliyun.com"})),
    BaselineItemDef(ITEM_RAM_ROLE, "1.0", compact({"Roles": [{
        "RoleName": "CloudAdmin", "Description": "Administrators from the management account",
        "AssumeRolePolicyDocument": compact({"Statement": [{"Action": "sts:AssumeRole",
            "Effect": "Allow", "Principal": {"RAM": [f"acs:ram::{MASTER_ACCOUNT_UID}:root"]}}],
            "Version": "1"}),
        "ManagedSystemPolicies": ["AdministratorAccess"]}]}),
        # The reference's own GetEnrolledAccount example: RAM's CreateRole conflict.
        error=ItemError("EntityAlreadyExists.Role", "The role already exists.",
                        troubleshoot("EntityAlreadyExists.Role", "Ram"))),
    BaselineItemDef(ITEM_VPC, "1.0", compact({"Vpcs": [{
        "RegionId": "cn-hangzhou", "VpcName": "default-vpc", "CidrBlock": "172.16.0.0/12",
        "VSwitches": [{"ZoneId": "cn-hangzhou-h", "VSwitchName": "default-vsw",
                       "CidrBlock": "172.16.0.0/24"}]}]}),
        # VPC's CreateVpc, as its reference lists it.
        error=ItemError("QuotaExceeded.Vpc", "VPC quota exceeded.", troubleshoot("QuotaExceeded.Vpc", "Vpc"))),
    BaselineItemDef(ITEM_SECURITY_GROUP, "1.0", compact({"SecurityGroups": [{
        "RegionId": "cn-hangzhou", "VpcName": "default-vpc", "SecurityGroupName": "default-sg",
        "Rules": [{"Direction": "ingress", "IpProtocol": "TCP", "PortRange": "22/22",
                   "SourceCidrIp": "10.0.0.0/8", "Policy": "Accept"}]}]}),
        depends_on=(ITEM_VPC,)),
    # Name, keys and default values: terraform-provider-alicloud's alicloud_governance_baseline tests;
    # the length range: RAM's SetPasswordPolicy reference (MinimumPasswordLength 8-32).
    BaselineItemDef(ITEM_PASSWORD_POLICY, "1.0", compact({
        "MinimumPasswordLength": 8, "RequireLowercaseCharacters": True, "RequireUppercaseCharacters": True,
        "RequireNumbers": True, "RequireSymbols": True, "MaxPasswordAge": 0, "HardExpiry": False,
        "PasswordReusePrevention": 0, "MaxLoginAttempts": 0}),
        config_schema=compact({"type": "object", "properties": {
            "MinimumPasswordLength": {"type": "integer", "minimum": 8, "maximum": 32},
            **{key: {"type": "boolean"} for key in ("RequireLowercaseCharacters", "RequireUppercaseCharacters",
                                                     "RequireNumbers", "RequireSymbols", "HardExpiry")},
            **{key: {"type": "integer", "minimum": 0} for key in ("MaxPasswordAge", "PasswordReusePrevention",
                                                                   "MaxLoginAttempts")}}})),
    # Name and keys: terraform-provider-alicloud's alicloud_governance_baseline tests, and the
    # governance reference's own Config example ({"EnabledServices":["CEN_TR","CDT","CMS","KMS"]}).
    BaselineItemDef(ITEM_SUBSCRIBE_SERVICES, "1.0", compact({"EnabledServices": [],
                                                              "EnabledServiceConfigurations": []}),
        config_schema=compact({"type": "object", "properties": {
            "EnabledServices": {"type": "array", "items": {"type": "string"}},
            "EnabledServiceConfigurations": {"type": "array"}}})),
)
# name -> (Type, Description, versions newer than the default) as ListAccountFactoryBaselineItems shows them.
_ITEM_LISTING: dict[str, tuple[str, str, tuple[str, ...]]] = {
    ITEM_CONTACT: ("Basic", "Account contacts", ()),
    ITEM_NOTIFICATION: ("Basic", "Message notifications", ()),
    ITEM_SECURITY_PREFERENCE: ("Security", "RAM security preferences", ()),
    ITEM_DEFAULT_DOMAIN: ("Security", "RAM default domain", ()),
    ITEM_RAM_ROLE: ("Security", "RAM roles", ("1.1",)),
    ITEM_VPC: ("Network", "VPC and vSwitches", ("1.1",)),
    ITEM_SECURITY_GROUP: ("Network", "Security groups", ()),
    ITEM_PASSWORD_POLICY: ("Security", "RAM user password policy", ()),
    ITEM_SUBSCRIBE_SERVICES: ("Basic", "Cloud services activated for the account", ()),
}
ITEM_CATALOG: tuple[BaselineItemDef, ...] = tuple(
    replace(d, type=_ITEM_LISTING[d.name][0], description=_ITEM_LISTING[d.name][1],
            newer_versions=_ITEM_LISTING[d.name][2]) for d in _ITEM_DEFAULTS)
"""The built-in items, in application order (a running emulator's catalog may hold more: ``ItemCatalog``)."""
BUILTIN_ITEMS: dict[str, BaselineItemDef] = {d.name: d for d in ITEM_CATALOG}
ITEM_ERROR_CODES: dict[str, str] = {d.error.code: d.name for d in ITEM_CATALOG if d.error}
"""Error codes only one baseline item can raise -> that item."""
KNOWN_ERRORS: dict[str, ItemError] = {GENERIC_ITEM_ERROR.code: GENERIC_ITEM_ERROR,
                                       **{d.error.code: d.error for d in ITEM_CATALOG if d.error}}



def start_catalog(path: str | os.PathLike[str] | None = None) -> ItemCatalog:
    """The built-in items, plus those a ``--catalog`` file defines (ValueError naming the file and the item)."""
    if path is None:
        return ItemCatalog(ITEM_CATALOG)
    definitions = read_catalog_file(path)
    try:
        return ItemCatalog(ITEM_CATALOG, definitions)
    except ValueError as exc:
        raise ValueError(f"catalog file {os.fspath(path)}: {exc}") from None


DEFAULT_BASELINE_ID = "afb-bp1d5fq0wjz6kc8xrs4e"
CUSTOM_BASELINE_ID = "afb-bp1n7hx3vq9lm2ty0a5c"


def blueprint_not_found() -> GovernanceError:
    return GovernanceError("InvalidBlueprint.NotFound", "The specified blueprint does not exist.", 404)



@dataclass(frozen=True)
class BaselineItem:
    """One item of a stored baseline. The provider's `model.BaselineItem` (an EnrollAccount override) is
    another type on purpose: the emulator shares nothing with the provider but the API's vocabulary."""

    name: str
    version: str
    config: str


@dataclass(frozen=True)
class Baseline:
    baseline_id: str
    name: str
    description: str
    type: str
    items: tuple[BaselineItem, ...]
    is_default: bool = False
    create_time: str = SEED_TIME
    update_time: str = SEED_TIME

    def to_dict(self) -> dict[str, Any]:
        """The persisted form (plain JSON types)."""
        return {"baseline_id": self.baseline_id, "name": self.name, "description": self.description,
                "type": self.type, "is_default": self.is_default, "create_time": self.create_time,
                "update_time": self.update_time,
                "items": [{"name": it.name, "version": it.version, "config": it.config} for it in self.items]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Baseline:
        return cls(baseline_id=str(data["baseline_id"]), name=str(data["name"]),
                   description=str(data.get("description", "")), type=str(data["type"]),
                   is_default=bool(data.get("is_default", False)),
                   create_time=str(data.get("create_time", SEED_TIME)),
                   update_time=str(data.get("update_time", SEED_TIME)),
                   items=tuple(BaselineItem(str(i["name"]), str(i["version"]), str(i["config"]))
                               for i in data["items"]))


def seed_baselines() -> list[Baseline]:
    def items(*names: str) -> tuple[BaselineItem, ...]:
        return tuple(BaselineItem(n, BUILTIN_ITEMS[n].version, BUILTIN_ITEMS[n].config) for n in names)

    return [
        Baseline(DEFAULT_BASELINE_ID, "Default baseline",
                 "Default account factory baseline: contacts, notifications and RAM settings.",
                 "System",
                 items(ITEM_CONTACT, ITEM_NOTIFICATION, ITEM_SECURITY_PREFERENCE, ITEM_DEFAULT_DOMAIN),
                 is_default=True),
        Baseline(CUSTOM_BASELINE_ID, "Network baseline",
                 "Custom baseline: admin role, RAM security, notifications, VPC and security group.",
                 "Custom",
                 items(ITEM_NOTIFICATION, ITEM_SECURITY_PREFERENCE, ITEM_RAM_ROLE, ITEM_VPC,
                       ITEM_SECURITY_GROUP)),
    ]


MAX_BASELINE_NAME = 64
MAX_BASELINE_DESCRIPTION = 256
_ID_ALPHABET = string.ascii_lowercase + string.digits


def _system_baseline(baseline_id: str) -> GovernanceError:
    return GovernanceError("OperationDenied.SystemBaseline",
                           f"The system baseline {baseline_id} cannot be modified or deleted.", 400)


def _baseline_in_use(baseline_id: str, uids: list[int]) -> GovernanceError:
    return GovernanceError(
        "DependencyViolation.Blueprint",
        f"The baseline {baseline_id} is used by {len(uids)} enrolled account(s) and cannot be deleted.", 400)


def _item_not_found(name: str, version: str | None = None) -> GovernanceError:
    what = f"named {name}" if version is None else f"named {name} with version {version}"
    return GovernanceError("InvalidBaselineItem.NotFound", f"The specified baseline item {what} does not exist.", 404)


def invalid_config(where: str, problem: str) -> GovernanceError:
    """A config that breaks its item's schema: the service's InvalidParameter, with what is wrong."""
    return GovernanceError("InvalidParameter", f"The specified parameter {where} is not valid: {problem}.", 400)


def baseline_items_for(items: Iterable[Any], catalog: ItemCatalog) -> tuple[BaselineItem, ...]:
    """A baseline's items from a request's (``ItemInput``-like: name, config, version), as the service
    validates them: known names, known versions, configs that fit the item's schema, each once,
    dependencies inside; catalog order."""
    chosen: dict[str, BaselineItem] = {}
    for n, item in enumerate(items, start=1):
        known = catalog.get(item.name)
        if known is None:
            raise _item_not_found(item.name)
        if item.name in chosen:
            raise invalid_parameter(f"BaselineItems.{n}.Name")
        version = item.version or known.version
        if version not in known.versions:
            raise _item_not_found(item.name, version)
        problem = known.config_problem(item.config) if item.config is not None else None
        if problem:
            raise invalid_config(f"BaselineItems.{n}.Config", problem)
        chosen[item.name] = BaselineItem(item.name, version, item.config or known.config)
    for name in chosen:
        for dep in catalog[name].depends_on:
            if dep not in chosen:
                raise GovernanceError(
                    "DependencyViolation.BaselineItem",
                    f"The dependency of {name} baseline item has not been configured. Please config {dep} first.", 400)
    return tuple(sorted(chosen.values(), key=lambda it: catalog.order(it.name)))


def _check_name(name: str | None, description: str | None) -> None:
    if name is not None and (not name.strip() or len(name) > MAX_BASELINE_NAME):
        raise invalid_parameter("BaselineName")
    if description is not None and len(description) > MAX_BASELINE_DESCRIPTION:
        raise invalid_parameter("Description")


class BaselinesMixin:
    """The baseline operations and the item catalog, for :class:`GovernanceModel` (which holds
    ``baselines`` and knows which enrolled accounts use one, see ``accounts_using``)."""

    baselines: dict[str, Baseline]
    catalog: ItemCatalog
    _lock: Any
    _rng: Any
    _clock: Callable[[], float]

    def accounts_using(self, baseline_id: str) -> list[int]:  # pragma: no cover - the model overrides it
        raise NotImplementedError

    @property
    def default_baseline(self) -> Baseline:
        return next(b for b in self.baselines.values() if b.is_default)

    def _baseline_for(self, baseline_id: str | None) -> Baseline:
        if not baseline_id:
            return self.default_baseline
        baseline = self.baselines.get(baseline_id)
        if baseline is None:
            raise blueprint_not_found()
        return baseline

    def _custom_baseline(self, baseline_id: str | None) -> Baseline:
        if not baseline_id:
            raise invalid_parameter("BaselineId")
        baseline = self._baseline_for(baseline_id)
        if baseline.type == "System":
            raise _system_baseline(baseline_id)
        return baseline

    def _new_baseline_id(self) -> str:
        while True:
            candidate = "afb-bp" + "".join(self._rng.choice(_ID_ALPHABET) for _ in range(18))
            if candidate not in self.baselines:
                return candidate

    # ---- CreateAccountFactoryBaseline / Update / Delete ---------------------------------

    def create_baseline(self, *, name: str | None, description: str | None, items: list[Any]) -> str:
        """Validate, then store a Custom baseline; returns its id. Names need not be unique
        (as in the service): telling two attempts apart is the client's business."""
        if name is None:
            raise GovernanceError("MissingBaselineName", "BaselineName is mandatory for this action.", 400)
        _check_name(name, description)
        chosen = baseline_items_for(items, self.catalog)
        with self._lock:
            now = format_time(self._clock())
            baseline = Baseline(self._new_baseline_id(), name, description or "", "Custom", chosen,
                                create_time=now, update_time=now)
            self.baselines[baseline.baseline_id] = baseline
            return baseline.baseline_id

    def update_baseline(self, baseline_id: str | None, *, name: str | None, description: str | None,
                        items: list[Any]) -> None:
        """Change what is sent (items, when sent, replace the whole list). Enrolled accounts keep
        what they were enrolled with: a changed baseline applies to the next enrollments only."""
        _check_name(name, description)
        chosen = baseline_items_for(items, self.catalog) if items else None
        with self._lock:
            current = self._custom_baseline(baseline_id)
            self.baselines[current.baseline_id] = replace(
                current,
                name=name if name is not None else current.name,
                description=description if description is not None else current.description,
                items=chosen if chosen is not None else current.items,
                update_time=format_time(self._clock()),
            )

    def delete_baseline(self, baseline_id: str | None) -> None:
        """Refused while an enrolled account's last enrollment used it (nothing is changed then)."""
        with self._lock:
            baseline = self._custom_baseline(baseline_id)
            users = self.accounts_using(baseline.baseline_id)
            if users:
                raise _baseline_in_use(baseline.baseline_id, users)
            del self.baselines[baseline.baseline_id]

    # ---- ListAccountFactoryBaselines / GetAccountFactoryBaseline ------------------------

    def list_baselines(
        self, max_results: int = DEFAULT_PAGE, next_token: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        check_page_size(max_results)
        with self._lock:
            rows = [{
                "BaselineId": b.baseline_id,
                "BaselineName": b.name,
                "CreateTime": b.create_time,
                "Description": b.description,
                "Type": b.type,
                "UpdateTime": b.update_time,
            } for b in self.baselines.values()]
        return _page(rows, "afb", max_results, next_token)

    def get_baseline(self, baseline_id: str | None) -> dict[str, Any]:
        with self._lock:
            b = self._baseline_for(baseline_id)
            return {
                "BaselineId": b.baseline_id,
                "BaselineItems": [{"Config": it.config, "Name": it.name, "Version": it.version}
                                  for it in b.items],
                "BaselineName": b.name,
                "CreateTime": b.create_time,
                "Description": b.description,
                "Type": b.type,
                "UpdateTime": b.update_time,
            }

    # ---- ListAccountFactoryBaselineItems -------------------------------------------------

    def list_baseline_items(
        self, *, type_: str | None = None, names: list[str] | None = None, versions: list[str] | None = None,
        max_results: int = DEFAULT_PAGE, next_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The catalog (built-in and added items): one row per item and version, in application order, filtered."""
        check_page_size(max_results)
        catalog = self.catalog
        rows = [{
            "DependsOn": [{"Name": dep, "Type": catalog[dep].type, "Version": catalog[dep].version}
                          for dep in d.depends_on],
            "Description": d.description,
            "Name": d.name,
            "Type": d.type,
            "Version": version,
        } for d in catalog.items() for version in d.versions
            if (not type_ or d.type == type_) and (not names or d.name in names)
            and (not versions or version in versions)]
        return _page(rows, "afbi", max_results, next_token)

    # ---- the catalog (control API) -------------------------------------------------------

    def catalog_view(self) -> list[dict[str, Any]]:
        """Every item as a definition, with where it comes from (``source``: builtin, file, api)."""
        return [{**d.to_definition(), "source": d.source} for d in self.catalog.items()]

    def add_catalog_items(self, definitions: Any) -> list[dict[str, Any]]:
        """Add items (validated all-or-nothing; ValueError says what is wrong); returns the whole catalog."""
        with self._lock:
            self.catalog.add(definitions)
            return self.catalog_view()


def _page(rows: list[dict[str, Any]], kind: str, max_results: int,
          next_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``rows`` from a position token (an unknown or stale token is invalid)."""
    start = decode_token(kind, next_token) if next_token else 0
    if start > len(rows):
        raise invalid_parameter("NextToken")
    end = start + max_results
    return rows[start:end], (encode_token(kind, end) if end < len(rows) else None)
