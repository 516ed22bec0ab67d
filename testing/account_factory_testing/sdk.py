"""The real SDK pointed at an emulator, for tests that act "out of band" (a person in the console)."""

from __future__ import annotations

from typing import Any, Optional

from alibabacloud_governance20210120 import models
from alibabacloud_governance20210120.client import Client
from alibabacloud_tea_openapi.utils_models import Config

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET


def sdk_client(endpoint: str, access_key_id: str = ACCESS_KEY_ID, secret: str = SECRET) -> Client:
    host = endpoint.split("://", 1)[-1]
    return Client(Config(access_key_id=access_key_id, access_key_secret=secret, endpoint=host, protocol="http",
                         region_id="cn-hangzhou"))


def enroll(client: Client, *, account_uid: Optional[int] = None, tags: Optional[dict[str, str]] = None,
           baseline_items: Optional[list[dict[str, Any]]] = None, **params: Any) -> int:
    request = models.EnrollAccountRequest(
        account_uid=account_uid,
        tag=[models.EnrollAccountRequestTag(key=k, value=v) for k, v in (tags or {}).items()] or None,
        baseline_items=[models.EnrollAccountRequestBaselineItems().from_map(i) for i in baseline_items or ()] or None,
        **params,
    )
    return int(client.enroll_account(request).body.account_uid)
