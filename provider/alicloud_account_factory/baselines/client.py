"""The baseline operations of the governance API, with the same retries and errors as accounts.

`BaselineClient` extends the core's `ServiceClient` (one pace, one credential chain, one error
translation) with Create/Update/Delete/GetAccountFactoryBaseline and the listings. Writes are
not idempotent: an unsure answer raises `AmbiguousCallError`, and the caller looks before it
tries again.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from ..core.transport import LIST_PAGE_SIZE, SendObserver, ServiceClient, answer_fields, sdk_model
from ..core.errors import AmbiguousCallError, ApiError
from ..core.settings import ProviderSettings
from ..core.timeouts import Deadline


class BaselineClient(ServiceClient):
    """Account Factory baselines and their item catalog."""

    def __init__(self, settings: ProviderSettings, region: str, *, page_size: int = LIST_PAGE_SIZE,
                 **kwargs: Any) -> None:
        super().__init__(settings, region, **kwargs)
        #: MaxResults of the listings (small in tests, to see every page followed).
        self.page_size = page_size

    def create_baseline(self, values: Mapping[str, Any], deadline: Deadline, observer: SendObserver | None = None) -> str:
        """CreateAccountFactoryBaseline with `baseline_fields.request_values`; returns the BaselineId (an
        answer without one raises AmbiguousCallError: it was carried out). `observer` hears each request leave."""
        from alibabacloud_governance20210120 import models

        request = sdk_model(models.CreateAccountFactoryBaselineRequest,
                            {**values, "RegionId": values.get("RegionId") or self._region})
        body = self._call("CreateAccountFactoryBaseline", lambda c: c.create_account_factory_baseline(request),
                          deadline, idempotent=False, observer=observer)
        if not body.get("BaselineId"):
            raise AmbiguousCallError("CreateAccountFactoryBaseline", "InvalidResponse",
                                     f"the answer holds no BaselineId ({answer_fields(body)})",
                                     request_id=body.get("RequestId"))
        return str(body["BaselineId"])

    def update_baseline(self, baseline_id: str, values: Mapping[str, Any], deadline: Deadline) -> None:
        """UpdateAccountFactoryBaseline: setting the same values twice is harmless, so it is retried."""
        from alibabacloud_governance20210120 import models

        request = sdk_model(models.UpdateAccountFactoryBaselineRequest,
                            {**values, "BaselineId": baseline_id, "RegionId": values.get("RegionId") or self._region})
        self._call("UpdateAccountFactoryBaseline", lambda c: c.update_account_factory_baseline(request), deadline)

    def delete_baseline(self, baseline_id: str, deadline: Deadline) -> bool:
        """DeleteAccountFactoryBaseline; False when it was already gone."""
        from alibabacloud_governance20210120 import models

        request = models.DeleteAccountFactoryBaselineRequest(baseline_id=baseline_id, region_id=self._region)
        try:
            self._call("DeleteAccountFactoryBaseline", lambda c: c.delete_account_factory_baseline(request), deadline)
        except ApiError as error:
            if _not_found(error):
                return False
            raise
        return True

    def get_baseline(self, baseline_id: str, deadline: Deadline) -> dict[str, Any] | None:
        """GetAccountFactoryBaseline's body; None when there is no such baseline."""
        from alibabacloud_governance20210120 import models

        request = models.GetAccountFactoryBaselineRequest(baseline_id=baseline_id, region_id=self._region)
        try:
            return self._call("GetAccountFactoryBaseline", lambda c: c.get_account_factory_baseline(request), deadline)
        except ApiError as error:
            if _not_found(error):
                return None
            raise

    def list_baselines(self, deadline: Deadline) -> list[dict[str, Any]]:
        """Every baseline (all pages of ListAccountFactoryBaselines)."""
        from alibabacloud_governance20210120 import models

        return self._pages("ListAccountFactoryBaselines", "Baselines", deadline, lambda token: (
            lambda c: c.list_account_factory_baselines(models.ListAccountFactoryBaselinesRequest(
                max_results=self.page_size, next_token=token, region_id=self._region))))

    def list_baseline_items(self, deadline: Deadline, *, type_: str | None = None, names: list[str] | None = None,
                            versions: list[str] | None = None) -> list[dict[str, Any]]:
        """The item catalog (all pages of ListAccountFactoryBaselineItems), filtered by the service."""
        from alibabacloud_governance20210120 import models

        return self._pages("ListAccountFactoryBaselineItems", "BaselineItems", deadline, lambda token: (
            lambda c: c.list_account_factory_baseline_items(models.ListAccountFactoryBaselineItemsRequest(
                max_results=self.page_size, next_token=token, type=type_, names=names or None,
                versions=versions or None, region_id=self._region))))

    def enrolled_rows(self, deadline: Deadline) -> list[dict[str, Any]]:
        """ListEnrolledAccounts' rows as the service sends them (with BaselineId)."""
        from alibabacloud_governance20210120 import models

        return self._pages("ListEnrolledAccounts", "EnrolledAccounts", deadline, lambda token: (
            lambda c: c.list_enrolled_accounts(models.ListEnrolledAccountsRequest(
                max_results=self.page_size, next_token=token, region_id=self._region))))

    def _pages(self, action: str, key: str, deadline: Deadline,
               page: Callable[[str | None], Callable[[Any], Any]]) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            body = self._call(action, page(token), deadline)
            rows.extend(body.get(key) or ())
            token = body.get("NextToken") or None
            if not token:
                return rows


def _not_found(error: ApiError) -> bool:
    return error.status_code == 404 and error.code.endswith("NotFound") and not error.code.startswith("InvalidAccessKey")
