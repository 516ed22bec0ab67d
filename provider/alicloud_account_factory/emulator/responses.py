"""Wire format of the governance API: parameters in, JSON (or XML) bodies out.

Parameters are parsed exactly as Alibaba Cloud clients send them (in the query string or an
``application/x-www-form-urlencoded`` body, ``BaselineItems.N.Field`` flattened 1-based, ``Tag``
as one JSON string, booleans as Python ``str(bool)``), turned into typed arguments for
:mod:`.model`, and the results (or :class:`~.model.GovernanceError`) are shaped into the
service's bodies: JSON, or XML when the request asks ``Format=XML`` (as classic RPC clients may).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from .model import (
    DEFAULT_PAGE,
    GovernanceError,
    GovernanceModel,
    ItemInput,
    invalid_parameter,
    missing_parameter,
)

API_VERSION = "2021-01-20"
API_METHODS = ("GET", "POST")
PRODUCT = "governance"
HOST_ID = "governance.cn-hangzhou.aliyuncs.com"

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json;charset=utf-8"
XML_CONTENT_TYPE = "text/xml;charset=utf-8"

#: The actions that change the model: the server saves its state file after each that succeeds.
WRITE_ACTIONS = frozenset({"EnrollAccount", "CreateAccountFactoryBaseline", "UpdateAccountFactoryBaseline",
                           "DeleteAccountFactoryBaseline"})

_INT_RE = re.compile(r"^[0-9]{1,19}$")
_SIGNED_INT_RE = re.compile(r"^-?[0-9]{1,19}$")
_LIST_KEY_RE = re.compile(r"^([A-Za-z]+)\.([0-9]+)$")
_ITEM_KEY_RE = re.compile(r"^BaselineItems\.([0-9]+)\.(Name|Config|Skip|Version)$")
_RESELL_TYPES = frozenset({"resell", "non_resell"})

Body = dict[str, Any]


def recommend_url(code: str, request_id: str) -> str:
    """The troubleshooting link the real gateway puts in every error body."""
    return f"https://api.aliyun.com/troubleshoot?q={code}&product={PRODUCT}&requestId={request_id}"


def error_body(code: str, message: str, request_id: str) -> Body:
    """The service's error body: ``{RequestId, HostId, Code, Message, Recommend}``."""
    return {
        "RequestId": request_id,
        "HostId": HOST_ID,
        "Code": code,
        "Message": message,
        "Recommend": recommend_url(code, request_id),
    }


def action_not_found(request_id: str) -> tuple[int, Body]:
    """What the gateway answers for an action this product does not have."""
    return 404, error_body("InvalidAction.NotFound",
                           "Specified api is not found, please check your url and method.",
                           request_id)


def version_not_found(request_id: str) -> tuple[int, Body]:
    return 400, error_body("InvalidVersion", "Specified parameter Version is not valid.", request_id)


#: Codes of statuses whose phrase Python renamed (3.13: "Content Too Large", "URI Too Long"):
#: the code a client sees must not depend on the emulator's Python.
_PINNED_HTTP_CODES = {413: "RequestEntityTooLarge", 414: "RequestURITooLong"}


def http_error(status: int, message: str, request_id: str) -> tuple[int, Body]:
    """An HTTP-level rejection in the service's error shape; the code is the status phrase
    in CamelCase (400 ``BadRequest``, 405 ``MethodNotAllowed``, 501 ``NotImplemented``), since
    the public reference documents none for these."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Bad Request"
    code = _PINNED_HTTP_CODES.get(status) or "".join(word[:1].upper() + word[1:]
                                                      for word in phrase.replace("-", " ").split())
    return status, error_body(code, message, request_id)


def method_not_allowed(method: str, request_id: str) -> tuple[int, Body]:
    """RPC-style APIs take GET and POST only (the SDK always sends POST)."""
    return http_error(405, f"The HTTP method {method} is not supported; use {' or '.join(API_METHODS)}.",
                      request_id)


# ---- request and response framing ---------------------------------------------------------


def request_params(query: str, headers: Mapping[str, Sequence[str]], body: bytes) -> dict[str, str]:
    """Every parameter of an RPC request: the query's, then a form body's.

    The body wins over the query for a name sent in both, as the clients sign them (the core
    SDK and Tea merge the body over the query). Another body (JSON, bytes) carries no parameters.
    """
    params = dict(parse_qsl(query, keep_blank_values=True))
    content_type = (headers.get("content-type") or [""])[0].partition(";")[0].strip().lower()
    if body and content_type == FORM_CONTENT_TYPE:
        params.update(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))
    return params


def response_format(params: Mapping[str, str]) -> str:
    """``XML`` when the request asks for it (``Format=XML``, any case), else ``JSON``."""
    return "XML" if params.get("Format", "").strip().upper() == "XML" else "JSON"


def render(body: Any, fmt: str, root: str) -> tuple[bytes, str]:
    """(payload, Content-Type) of an answer: JSON, or XML under the element ``root``."""
    if fmt == "XML" and isinstance(body, Mapping):
        out = ['<?xml version="1.0" encoding="UTF-8"?>']
        _xml_element(root, body, out)
        return "".join(out).encode("utf-8"), XML_CONTENT_TYPE
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), JSON_CONTENT_TYPE


def xml_root(action: str, ok: bool) -> str:
    """Alibaba RPC XML: ``<ActionResponse>`` for a success, ``<Error>`` for an error."""
    return f"{action}Response" if ok and action else "Error"


def _xml_element(name: str, value: Any, out: list[str]) -> None:
    """One field as RPC services write it in XML: an object's fields nested, a list as the
    element repeated once per item (none for an empty list), booleans ``true``/``false``."""
    if value is None:
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _xml_element(name, item, out)
        return
    out.append(f"<{name}>")
    if isinstance(value, Mapping):
        for key, item in value.items():
            _xml_element(str(key), item, out)
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    else:
        out.append(escape(str(value)))
    out.append(f"</{name}>")


# ---- parameter parsing ------------------------------------------------------------------


def _uint(params: Mapping[str, str], name: str) -> int | None:
    """An optional positive integer parameter (sent by the SDK as ``str(int)``)."""
    raw = params.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    if not _INT_RE.match(raw) or int(raw) <= 0 or int(raw) >= 2**63:
        raise invalid_parameter(name)
    return int(raw)


def _page_size(params: Mapping[str, str]) -> int:
    raw = params.get("MaxResults")
    if raw is None or raw == "":
        return DEFAULT_PAGE
    if not _SIGNED_INT_RE.match(raw.strip()):
        raise invalid_parameter("MaxResults")
    return int(raw)


def _bool(raw: str, name: str) -> bool:
    lowered = raw.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise invalid_parameter(name)


def _baseline_items(params: Mapping[str, str]) -> list[ItemInput]:
    fields: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        m = _ITEM_KEY_RE.match(key)
        if m:
            index = int(m.group(1))
            if index < 1:
                raise invalid_parameter(key)
            fields.setdefault(index, {})[m.group(2)] = value
    items = []
    for index in sorted(fields):
        f = fields[index]
        prefix = f"BaselineItems.{index}"
        name = f.get("Name", "").strip()
        if not name:
            raise invalid_parameter(f"{prefix}.Name")
        config = f.get("Config")
        if config is not None:
            try:
                parsed = json.loads(config)
            except ValueError:
                raise invalid_parameter(f"{prefix}.Config") from None
            if not isinstance(parsed, dict):
                raise invalid_parameter(f"{prefix}.Config")
        skip = _bool(f["Skip"], f"{prefix}.Skip") if "Skip" in f else None
        items.append(ItemInput(name=name, config=config, skip=skip, version=f.get("Version")))
    return items


def _string_list(params: Mapping[str, str], name: str) -> list[str] | None:
    """A list parameter: ``Name.1``, ``Name.2``... as the SDK flattens it (or one JSON array)."""
    raw = params.get(name)
    if raw is not None:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return [raw]
        if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
            raise invalid_parameter(name)
        return parsed
    indexed = {}
    for key, value in params.items():
        m = _LIST_KEY_RE.match(key)
        if m and m.group(1) == name:
            indexed[int(m.group(2))] = value
    return [indexed[i] for i in sorted(indexed)] or None


def _tags(params: Mapping[str, str]) -> list[dict[str, str]] | None:
    raw = params.get("Tag")
    if raw is None:
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        raise invalid_parameter("Tag") from None
    if not isinstance(parsed, list):
        raise invalid_parameter("Tag")
    tags = []
    for n, tag in enumerate(parsed, start=1):
        if not isinstance(tag, dict):
            raise invalid_parameter(f"Tag.{n}")
        entry: dict[str, str] = {}
        for field in ("Key", "Value"):
            if field in tag and tag[field] is not None:
                if not isinstance(tag[field], str):
                    raise invalid_parameter(f"Tag.{n}.{field}")
                entry[field] = tag[field]
        tags.append(entry)
    return tags


# ---- the API ----------------------------------------------------------------------------


class GovernanceResponses:
    """Dispatches one API action against the model and shapes its JSON answer."""

    def __init__(self, model: GovernanceModel) -> None:
        self.model = model
        self._handlers: dict[str, Callable[[Mapping[str, str]], Body]] = {
            "EnrollAccount": self.enroll_account,
            "GetEnrolledAccount": self.get_enrolled_account,
            "ListEnrolledAccounts": self.list_enrolled_accounts,
            "ListAccountFactoryBaselines": self.list_account_factory_baselines,
            "GetAccountFactoryBaseline": self.get_account_factory_baseline,
            "CreateAccountFactoryBaseline": self.create_account_factory_baseline,
            "UpdateAccountFactoryBaseline": self.update_account_factory_baseline,
            "DeleteAccountFactoryBaseline": self.delete_account_factory_baseline,
            "ListAccountFactoryBaselineItems": self.list_account_factory_baseline_items,
        }

    @property
    def actions(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def dispatch(self, action: str, params: Mapping[str, str], request_id: str) -> tuple[int, Body]:
        """Run ``action``; returns (HTTP status, JSON body), errors included."""
        handler = self._handlers.get(action)
        if handler is None:
            return action_not_found(request_id)
        try:
            body = handler(params)
        except GovernanceError as err:
            return err.http_status, error_body(err.code, err.message, request_id)
        body["RequestId"] = request_id
        return 200, body

    def enroll_account(self, params: Mapping[str, str]) -> Body:
        resell = params.get("ResellAccountType")
        if resell is not None and resell not in _RESELL_TYPES:
            raise invalid_parameter("ResellAccountType")
        uid = self.model.enroll_account(
            account_uid=_uint(params, "AccountUid"),
            account_name_prefix=params.get("AccountNamePrefix"),
            display_name=params.get("DisplayName"),
            folder_id=params.get("FolderId"),
            payer_account_uid=_uint(params, "PayerAccountUid"),
            baseline_id=params.get("BaselineId"),
            baseline_items=_baseline_items(params),
            tags=_tags(params),
        )
        return {"AccountUid": uid}

    def get_enrolled_account(self, params: Mapping[str, str]) -> Body:
        if not params.get("AccountUid"):
            raise missing_parameter("AccountUid")
        uid = _uint(params, "AccountUid")
        assert uid is not None
        return self.model.get_enrolled_account(uid)

    def list_enrolled_accounts(self, params: Mapping[str, str]) -> Body:
        rows, token = self.model.list_enrolled_accounts(_page_size(params),
                                                        params.get("NextToken") or None)
        body: Body = {"EnrolledAccounts": rows}
        if token:
            body["NextToken"] = token
        return body

    def list_account_factory_baselines(self, params: Mapping[str, str]) -> Body:
        rows, token = self.model.list_baselines(_page_size(params), params.get("NextToken") or None)
        body: Body = {"Baselines": rows}
        if token:
            body["NextToken"] = token
        return body

    def get_account_factory_baseline(self, params: Mapping[str, str]) -> Body:
        return self.model.get_baseline(params.get("BaselineId") or None)

    def create_account_factory_baseline(self, params: Mapping[str, str]) -> Body:
        baseline_id = self.model.create_baseline(name=params.get("BaselineName"),
                                                 description=params.get("Description"),
                                                 items=_baseline_items(params))
        return {"BaselineId": baseline_id}

    def update_account_factory_baseline(self, params: Mapping[str, str]) -> Body:
        self.model.update_baseline(params.get("BaselineId") or None, name=params.get("BaselineName"),
                                   description=params.get("Description"), items=_baseline_items(params))
        return {}

    def delete_account_factory_baseline(self, params: Mapping[str, str]) -> Body:
        self.model.delete_baseline(params.get("BaselineId") or None)
        return {}

    def list_account_factory_baseline_items(self, params: Mapping[str, str]) -> Body:
        rows, token = self.model.list_baseline_items(
            type_=params.get("Type") or None, names=_string_list(params, "Names"),
            versions=_string_list(params, "Versions"), max_results=_page_size(params),
            next_token=params.get("NextToken") or None)
        body: Body = {"BaselineItems": rows}
        if token:
            body["NextToken"] = token
        return body
