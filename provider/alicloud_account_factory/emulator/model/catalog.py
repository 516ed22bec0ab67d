"""Baselines and the catalog of baseline items they are made of."""

from __future__ import annotations

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
    _check_page_size,
    _compact,
    _decode_token,
    _encode_token,
    _troubleshoot,
    format_time,
    invalid_parameter,
)
from .directory import MASTER_ACCOUNT_UID

ITEM_CONTACT = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_CONTACT"
ITEM_NOTIFICATION = "ACS-BP_ACCOUNT_FACTORY_ACCOUNT_NOTIFICATION"
ITEM_SECURITY_PREFERENCE = "ACS-BP_ACCOUNT_FACTORY_RAM_SECURITY_PREFERENCE"
ITEM_DEFAULT_DOMAIN = "ACS-BP_ACCOUNT_FACTORY_RAM_DEFAULT_DOMAIN"
ITEM_RAM_ROLE = "ACS-BP_ACCOUNT_FACTORY_RAM_ROLE"
ITEM_VPC = "ACS-BP_ACCOUNT_FACTORY_VPC"
ITEM_SECURITY_GROUP = "ACS-BP_ACCOUNT_FACTORY_SECURITY_GROUP"


@dataclass(frozen=True)
class BaselineItemDef:
    """A baseline item the service knows, with its default version/config and dependencies.

    ``error`` is the failure only this item can meet (the product API it calls raises it), so
    that an enrollment made to fail never reports, say, a RAM role conflict on a VPC item.
    """

    name: str
    version: str  # the default version: what a request that names no version gets
    config: str
    depends_on: tuple[str, ...] = ()
    error: ItemError | None = None
    type: str = "AccountFactory"
    description: str = ""
    newer_versions: tuple[str, ...] = ()

    @property
    def versions(self) -> tuple[str, ...]:
        """Every version the catalog lists, oldest (the default) first."""
        return (self.version, *self.newer_versions)


# Catalog order is also the order in which items are applied (dependencies first).
_ITEM_DEFAULTS: tuple[BaselineItemDef, ...] = (
    BaselineItemDef(ITEM_CONTACT, "1.0", _compact({"Contacts": [{
        "Name": "governance", "Email": "cloud-admins@example.com",
        "Mobile": "13800000000", "Position": "Technical Director"}]})),
    BaselineItemDef(ITEM_NOTIFICATION, "1.0", _compact({"Notifications": [{
        "GroupKey": "account_msg", "Contacts": [{"Name": "governance"}],
        "PmsgStatus": 1, "EmailStatus": 1, "SmsStatus": 1}]})),
    BaselineItemDef(ITEM_SECURITY_PREFERENCE, "1.0", _compact({
        "AllowUserToChangePassword": True, "AllowUserToManageAccessKeys": False,
        "AllowUserToManageMFADevices": True, "EnableSaveMFATicket": True,
        "LoginSessionDuration": 6, "LoginNetworkMasks": ""})),
    BaselineItemDef(ITEM_DEFAULT_DOMAIN, "1.0", _compact({
        "DefaultDomain": "{AccountNamePrefix}.onaliyun.com"})),
    BaselineItemDef(ITEM_RAM_ROLE, "1.0", _compact({"Roles": [{
        "RoleName": "CloudAdmin", "Description": "Administrators from the management account",
        "AssumeRolePolicyDocument": _compact({"Statement": [{"Action": "sts:AssumeRole",
            "Effect": "Allow", "Principal": {"RAM": [f"acs:ram::{MASTER_ACCOUNT_UID}:root"]}}],
            "Version": "1"}),
        "ManagedSystemPolicies": ["AdministratorAccess"]}]}),
        # The reference's own GetEnrolledAccount example: RAM's CreateRole conflict.
        error=ItemError("EntityAlreadyExists.Role", "The role already exists.",
                        _troubleshoot("EntityAlreadyExists.Role", "Ram"))),
    BaselineItemDef(ITEM_VPC, "1.0", _compact({"Vpcs": [{
        "RegionId": "cn-hangzhou", "VpcName": "default-vpc", "CidrBlock": "172.16.0.0/12",
        "VSwitches": [{"ZoneId": "cn-hangzhou-h", "VSwitchName": "default-vsw",
                       "CidrBlock": "172.16.0.0/24"}]}]}),
        # VPC's CreateVpc, as its reference lists it.
        error=ItemError("QuotaExceeded.Vpc", "VPC quota exceeded.", _troubleshoot("QuotaExceeded.Vpc", "Vpc"))),
    BaselineItemDef(ITEM_SECURITY_GROUP, "1.0", _compact({"SecurityGroups": [{
        "RegionId": "cn-hangzhou", "VpcName": "default-vpc", "SecurityGroupName": "default-sg",
        "Rules": [{"Direction": "ingress", "IpProtocol": "TCP", "PortRange": "22/22",
                   "SourceCidrIp": "10.0.0.0/8", "Policy": "Accept"}]}]}),
        depends_on=(ITEM_VPC,)),
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
}
ITEM_CATALOG: tuple[BaselineItemDef, ...] = tuple(
    replace(d, type=_ITEM_LISTING[d.name][0], description=_ITEM_LISTING[d.name][1],
            newer_versions=_ITEM_LISTING[d.name][2]) for d in _ITEM_DEFAULTS)
_CATALOG: dict[str, BaselineItemDef] = {d.name: d for d in ITEM_CATALOG}
_CATALOG_ORDER: dict[str, int] = {d.name: i for i, d in enumerate(ITEM_CATALOG)}
ITEM_ERROR_CODES: dict[str, str] = {d.error.code: d.name for d in ITEM_CATALOG if d.error}
"""Error codes only one baseline item can raise -> that item."""
_KNOWN_ERRORS: dict[str, ItemError] = {GENERIC_ITEM_ERROR.code: GENERIC_ITEM_ERROR,
                                       **{d.error.code: d.error for d in ITEM_CATALOG if d.error}}

DEFAULT_BASELINE_ID = "afb-bp1d5fq0wjz6kc8xrs4e"
CUSTOM_BASELINE_ID = "afb-bp1n7hx3vq9lm2ty0a5c"


def _blueprint_not_found() -> GovernanceError:
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


def _seed_baselines() -> list[Baseline]:
    def items(*names: str) -> tuple[BaselineItem, ...]:
        return tuple(BaselineItem(n, _CATALOG[n].version, _CATALOG[n].config) for n in names)

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


def baseline_items_for(items: Iterable[Any]) -> tuple[BaselineItem, ...]:
    """A baseline's items from a request's (``ItemInput``-like: name, config, version), as the service
    validates them: known names, known versions, each once, dependencies inside; catalog order."""
    chosen: dict[str, BaselineItem] = {}
    for n, item in enumerate(items, start=1):
        known = _CATALOG.get(item.name)
        if known is None:
            raise _item_not_found(item.name)
        if item.name in chosen:
            raise invalid_parameter(f"BaselineItems.{n}.Name")
        version = item.version or known.version
        if version not in known.versions:
            raise _item_not_found(item.name, version)
        chosen[item.name] = BaselineItem(item.name, version, item.config or known.config)
    for name in chosen:
        for dep in _CATALOG[name].depends_on:
            if dep not in chosen:
                raise GovernanceError(
                    "DependencyViolation.BaselineItem",
                    f"The dependency of {name} baseline item has not been configured. Please config {dep} first.", 400)
    return tuple(sorted(chosen.values(), key=lambda it: _CATALOG_ORDER[it.name]))


def _check_name(name: str | None, description: str | None) -> None:
    if name is not None and (not name.strip() or len(name) > MAX_BASELINE_NAME):
        raise invalid_parameter("BaselineName")
    if description is not None and len(description) > MAX_BASELINE_DESCRIPTION:
        raise invalid_parameter("Description")


class BaselinesMixin:
    """The baseline operations and the item catalog, for :class:`GovernanceModel` (which holds
    ``baselines`` and knows which enrolled accounts use one, see ``accounts_using``)."""

    baselines: dict[str, Baseline]
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
            raise _blueprint_not_found()
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
        chosen = baseline_items_for(items)
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
        chosen = baseline_items_for(items) if items else None
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
        _check_page_size(max_results)
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

    @staticmethod
    def list_baseline_items(
        *, type_: str | None = None, names: list[str] | None = None, versions: list[str] | None = None,
        max_results: int = DEFAULT_PAGE, next_token: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The catalog: one row per item and version, in application order, filtered."""
        _check_page_size(max_results)
        rows = [{
            "DependsOn": [{"Name": dep, "Type": _CATALOG[dep].type, "Version": _CATALOG[dep].version}
                          for dep in d.depends_on],
            "Description": d.description,
            "Name": d.name,
            "Type": d.type,
            "Version": version,
        } for d in ITEM_CATALOG for version in d.versions
            if (not type_ or d.type == type_) and (not names or d.name in names)
            and (not versions or version in versions)]
        return _page(rows, "afbi", max_results, next_token)


def _page(rows: list[dict[str, Any]], kind: str, max_results: int,
          next_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``rows`` from a position token (an unknown or stale token is invalid)."""
    start = _decode_token(kind, next_token) if next_token else 0
    if start > len(rows):
        raise invalid_parameter("NextToken")
    end = start + max_results
    return rows[start:end], (_encode_token(kind, end) if end < len(rows) else None)
