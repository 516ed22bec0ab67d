"""The EnrolledAccount calls of the governance API: EnrollAccount, GetEnrolledAccount and
ListEnrolledAccounts, over the core's transport (its retries, pace and error translation)."""

from __future__ import annotations

from typing import Any, Callable, Protocol

from ..core.errors import AmbiguousCallError, ApiError, NotEnrolledError
from ..core.timeouts import Deadline
from ..core.transport import LIST_PAGE_SIZE, SendObserver, ServiceClient, answer_fields, sdk_model
from .fields import enroll_parameters
from .model import Enrollment, EnrolledSummary, EnrollRequest


class GovernanceCalls(Protocol):
    """The calls the enroller makes: GovernanceClient's, or a test's in-memory Account Factory."""

    def enroll(self, request: EnrollRequest, deadline: Deadline, observer: SendObserver | None = None) -> int: ...

    def get(self, account_uid: int, deadline: Deadline) -> Enrollment | None: ...

    def list_enrolled(self, deadline: Deadline) -> list[EnrolledSummary]: ...


class GovernanceClient(ServiceClient):
    """The three calls the provider needs, with retries inside the caller's deadline."""

    # --- operations ------------------------------------------------------------------------

    def enroll(self, request: EnrollRequest, deadline: Deadline, observer: SendObserver | None = None) -> int:
        """EnrollAccount; returns the AccountUid. Raises AmbiguousCallError if unsure it ran.

        `observer` hears of every request about to leave and of every refusal that is retried,
        so that a record of attempts knows which one may still be in flight."""
        from alibabacloud_governance20210120 import models

        parameters = enroll_parameters(request)
        parameters["RegionId"] = parameters.get("RegionId") or self._region
        sdk_request = sdk_model(models.EnrollAccountRequest, parameters)
        body = self._call("EnrollAccount", lambda c: c.enroll_account(sdk_request), deadline, idempotent=False,
                          observer=observer)
        uid_text = str(body.get("AccountUid") or "")
        if not (uid_text.isascii() and uid_text.isdigit()):  # carried out, but the answer is unusable
            raise AmbiguousCallError("EnrollAccount", "InvalidResponse",
                                     f"the answer holds no usable AccountUid ({answer_fields(body)})",
                                     request_id=body.get("RequestId"))
        return int(body["AccountUid"])

    def get(self, account_uid: int, deadline: Deadline, *, missing_raises: bool = False) -> Enrollment | None:
        """GetEnrolledAccount; None when the account is not enrolled (a 404 of the service), or with
        `missing_raises` that answer as a NotEnrolledError (which says what the service answered)."""
        from alibabacloud_governance20210120 import models

        sdk_request = models.GetEnrolledAccountRequest(account_uid=account_uid, region_id=self._region)
        try:
            body = self._call("GetEnrolledAccount", lambda c: c.get_enrolled_account(sdk_request), deadline)
        except NotEnrolledError:
            if missing_raises:
                raise
            return None
        return Enrollment.from_api(body)

    def list_enrolled(self, deadline: Deadline, *,
                      on_retry: Callable[[ApiError], None] | None = None) -> list[EnrolledSummary]:
        """Every enrolled account, all pages of ListEnrolledAccounts (`on_retry` hears each failure
        that is about to be retried)."""
        from alibabacloud_governance20210120 import models

        rows: list[EnrolledSummary] = []
        token: str | None = None
        while True:
            sdk_request = models.ListEnrolledAccountsRequest(
                max_results=LIST_PAGE_SIZE, next_token=token, region_id=self._region
            )
            body = self._call("ListEnrolledAccounts", lambda c: c.list_enrolled_accounts(sdk_request), deadline,
                              on_retry=on_retry)
            rows.extend(EnrolledSummary.from_api(row) for row in body.get("EnrolledAccounts") or ())
            token = body.get("NextToken") or None
            if not token:
                return rows

