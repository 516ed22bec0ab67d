"""The Cloud Governance Center client: SDK calls, credentials, retries, error translation.

Nothing above this module sees an SDK type or an SDK exception. Retries follow one rule set:

* throttling and `DeployConflict.Blueprint` are refusals: the call did not take effect, so it
  is safe to retry for every operation; this module retries with jittered backoff until the
  deadline, and every attempt waits its turn under the client's `AdaptivePace` (one client, so
  one pace, per endpoint, credentials and region in the provider process), which each throttle
  slows down. Throttling is therefore not left to the SDK's RetryOptions: its resends would
  bypass the pace;
* a lost connection or a 5xx, `ServiceUnavailable` included, leaves the outcome unknown: reads
  retry, but EnrollAccount raises `AmbiguousCallError` so that the enroller looks before it
  enrolls again (and the SDK is never allowed to resend EnrollAccount on such an answer);
* anything else fails at once with its code, message, RequestId and recommendation.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol, TypeVar

from . import __version__
from .errors import AmbiguousCallError, ApiError, NotEnrolledError, UnansweredCallError, redact
from .fields import enroll_parameters
from .model import Enrollment, EnrolledSummary, EnrollRequest
from .pacing import AdaptivePace
from .settings import ProviderSettings
from .timeouts import Deadline

T = TypeVar("T")

#: Refusals: the call was not carried out, try again later (throttling also slows the pace).
THROTTLING_PREFIX = "Throttling"  # Throttling, Throttling.User, Throttling.Api, ...
REFUSAL_CODES = frozenset({"DeployConflict.Blueprint"})
REFUSAL_CODE_PREFIXES = (THROTTLING_PREFIX,)
#: "Try again later" answers that do not say whether the call was carried out.
UNAVAILABLE_CODES = frozenset({"ServiceUnavailable"})
#: A gateway that gave up waiting for the service: the call may still be carried out later.
GATEWAY_TIMEOUT_STATUSES = frozenset({504})
#: Codes the SDK itself retries a few times before we see them: reads only (a resent
#: enrollment is a second account), and never throttling (see the module's docstring).
SDK_RETRIED_CODES = {"read": tuple(UNAVAILABLE_CODES), "write": ()}

#: 404 codes of the API gateway itself (a key it does not know, an unknown action...): they say
#: nothing about the account, so they must never be read as "not enrolled".
GATEWAY_404_PREFIXES = ("InvalidAccessKeyId", "InvalidSecurityToken", "InvalidAction", "InvalidVersion", "InvalidApi")


def _means_not_enrolled(code: str) -> bool:
    """A 404 from GetEnrolledAccount whose code says something is not found (`InvalidBlueprint.NotFound`,
    `InvalidUser.NotFound`, ...), not the gateway's own, nor one without a code (a proxy's page)."""
    return code.endswith(("NotFound", "NotExist", "NotExists")) and not code.startswith(GATEWAY_404_PREFIXES)

LIST_PAGE_SIZE = 100
CONNECT_TIMEOUT_MS = 5_000


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter (spreads a fleet's retries instead of syncing them)."""

    base: float = 0.5
    cap: float = 20.0

    def delay(self, attempt: int) -> float:
        return random.uniform(self.base / 2, min(self.cap, self.base * 2 ** min(attempt, 32)))


def _sdk_retry_options(kind: str) -> Any:
    from darabonba.policy.retry import RetryOptions

    return RetryOptions({
        "retryable": bool(SDK_RETRIED_CODES[kind]),
        "retryCondition": [{
            "maxAttempts": 3,
            "errorCode": list(SDK_RETRIED_CODES[kind]),
            "backoff": {"policy": "ExponentialWithFullJitter", "period": 200, "cap": 2000},
            "maxDelay": 5000,
        }],
    })


def _build_sdk_client(settings: ProviderSettings, region: str, kind: str) -> Any:
    """The SDK client for reads or writes (they differ in what the SDK may resend).

    Imported lazily because the credentials package reads the environment at import.
    """
    from alibabacloud_governance20210120.client import Client
    from alibabacloud_tea_openapi.utils_models import Config

    creds = settings.credentials
    config = Config(
        region_id=region,
        read_timeout=round(settings.read_timeout * 1000),  # `alicloud-account-factory:readTimeout`
        connect_timeout=CONNECT_TIMEOUT_MS,
        retry_options=_sdk_retry_options(kind),
        user_agent=f"alicloud-account-factory/{__version__}",
    )
    if creds.explicit_keys:
        config.access_key_id = creds.access_key_id
        config.access_key_secret = creds.access_key_secret
        config.security_token = creds.security_token
    else:
        from alibabacloud_credentials.client import Client as CredentialClient

        _withhold_credential_library_logs()

        if creds.profile:
            from alibabacloud_credentials.provider import CLIProfileCredentialsProvider

            config.credential = CredentialClient(provider=CLIProfileCredentialsProvider(profile_name=creds.profile))
        else:
            config.credential = CredentialClient()
    if settings.endpoint is not None:
        config.endpoint = settings.endpoint.host
        config.protocol = settings.endpoint.protocol
    return Client(config)


#: The credentials package logs to stderr under this name, quoting what a source answered.
CREDENTIAL_LIBRARY_LOGGER = "credentials"


class _WithheldText(logging.Filter):
    """Keeps a credential library log record's level, drops its text (it can quote the keys)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = (f"alibabacloud_credentials {record.levelname.lower()}: text withheld, it can quote credentials "
                      f"(the create or refresh error says what failed)")
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _withhold_credential_library_logs() -> None:
    """Install, once per process, the filter that keeps credentials out of the library's log lines."""
    logger = logging.getLogger(CREDENTIAL_LIBRARY_LOGGER)
    if not any(isinstance(existing, _WithheldText) for existing in logger.filters):
        logger.addFilter(_WithheldText())


M = TypeVar("M")


def sdk_model(model: type[M], parameters: Mapping[str, Any]) -> M:
    """An SDK request from parameters by API name, in the SDK's map form. `from_map` makes a list
    left out an empty one, which the SDK would still send (`Tag=[]`): nothing left out is sent."""
    request: Any = model()
    request.from_map(dict(parameters))
    for name, value in list(vars(request).items()):
        if value == []:
            setattr(request, name, None)
    return request


class SendObserver(Protocol):
    """Hears when a non-idempotent request leaves, and when the service refused it."""

    def sending(self) -> None: ...

    def refused(self) -> None: ...


class GovernanceCalls(Protocol):
    """The calls the enroller makes: GovernanceClient's, or a test's in-memory Account Factory."""

    def enroll(self, request: EnrollRequest, deadline: Deadline, observer: SendObserver | None = None) -> int: ...

    def get(self, account_uid: int, deadline: Deadline) -> Enrollment | None: ...

    def list_enrolled(self, deadline: Deadline) -> list[EnrolledSummary]: ...


class GovernanceClient:
    """The three calls the provider needs, with retries inside the caller's deadline."""

    def __init__(self, settings: ProviderSettings, region: str, *, backoff: Backoff = Backoff(),
                 pace: AdaptivePace | None = None) -> None:
        self._settings = settings
        self._region = region
        self._backoff = backoff
        self._pace = pace or AdaptivePace()
        self._sdk: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, kind: str) -> Any:
        with self._lock:
            if kind not in self._sdk:
                self._sdk[kind] = _build_sdk_client(self._settings, self._region, kind)
            return self._sdk[kind]

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
            raise AmbiguousCallError("EnrollAccount", "InvalidResponse", f"the answer holds no AccountUid: {body!r}",
                                     request_id=body.get("RequestId"))
        return int(body["AccountUid"])

    def get(self, account_uid: int, deadline: Deadline) -> Enrollment | None:
        """GetEnrolledAccount; None when the account is not enrolled (a 404 of the service)."""
        from alibabacloud_governance20210120 import models

        sdk_request = models.GetEnrolledAccountRequest(account_uid=account_uid, region_id=self._region)
        try:
            body = self._call("GetEnrolledAccount", lambda c: c.get_enrolled_account(sdk_request), deadline)
        except NotEnrolledError:
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

    # --- retries and errors ----------------------------------------------------------------

    def _call(self, action: str, invoke: Callable[[Any], Any], deadline: Deadline, *, idempotent: bool = True,
              on_retry: Callable[[ApiError], None] | None = None, observer: SendObserver | None = None) -> dict:
        attempt = 0
        while True:
            sent_at = self._pace.wait_turn(deadline)
            if observer is not None:
                observer.sending()
            try:
                response = invoke(self._client("read" if idempotent else "write"))
                self._pace.passed()
                return response.body.to_map()
            except Exception as raw:  # noqa: BLE001 - every SDK failure is translated below
                error = self._translate(action, raw)
            if error.code.startswith(THROTTLING_PREFIX):
                self._pace.throttled(sent_at)
            elif error.status_code and error.status_code < 500:
                self._pace.passed()  # refused for what it asked, not for the rate: it was let through
            if not error.retryable or (isinstance(error, AmbiguousCallError) and not idempotent):
                raise error
            if observer is not None:
                observer.refused()  # retryable and not ambiguous: it did not take effect
            delay = self._backoff.delay(attempt)
            if deadline.remaining() < delay:
                raise error
            if on_retry is not None:
                on_retry(error)
            time.sleep(delay)
            attempt += 1

    def _translate(self, action: str, raw: BaseException) -> ApiError:
        """An SDK failure as an ApiError: `retryable` if trying again may work, an
        AmbiguousCallError if the call may have been carried out."""
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

        secrets = self._settings.credentials.secrets()
        inner = getattr(raw, "inner_exception", None)
        if isinstance(raw, AlibabaCloudException) or isinstance(inner, AlibabaCloudException):
            error = raw if isinstance(raw, AlibabaCloudException) else inner
            data = error.data if isinstance(error.data, dict) else {}
            code = str(error.code or data.get("Code") or "Unknown")
            status = int(error.status_code or 0)
            message = redact(str(data.get("Message") or error.message or ""), secrets)
            kwargs: dict[str, Any] = dict(
                request_id=data.get("RequestId") or error.request_id,
                recommend=data.get("Recommend"),
                status_code=status or None,
            )
            if action == "GetEnrolledAccount" and status == 404 and _means_not_enrolled(code):
                return NotEnrolledError(action, code, message, **kwargs)
            if code in REFUSAL_CODES or code.startswith(REFUSAL_CODE_PREFIXES):
                return ApiError(action, code, message, retryable=True, **kwargs)
            if status in GATEWAY_TIMEOUT_STATUSES:
                return UnansweredCallError(action, code, message, retryable=True, **kwargs)
            if status >= 500 or code in UNAVAILABLE_CODES:
                return AmbiguousCallError(action, code, message, retryable=True, **kwargs)
            return ApiError(action, code, message, **kwargs)
        cause = inner if isinstance(inner, BaseException) else raw
        if _from_credential_library(raw):
            # Never the library's text: it quotes what a credential source answered, keys included.
            return ApiError(action, "InvalidCredentials", f"no usable credentials ({_credential_sources(raw)}). "
                                                          f"{CREDENTIALS_HELP}")
        message = redact(f"{type(cause).__name__}: {cause}", secrets)
        if not (_is_network_problem(cause) or _is_network_problem(raw)):
            raise raw
        endpoint = self._settings.endpoint.url() if self._settings.endpoint else f"https://governance.{self._region}.aliyuncs.com"
        if _never_sent(raw):
            # No connection was made (refused, unknown host, connect timeout): nothing was carried out.
            return ApiError(action, "ConnectionFailure", f"could not connect to {endpoint} ({message})", retryable=True)
        unsure = UnansweredCallError if _timed_out_reading(raw) else AmbiguousCallError
        return unsure(action, "ConnectionFailure", f"could not complete the call to {endpoint} ({message})", retryable=True)


CREDENTIALS_HELP = (
    "Set alicloud:accessKey and alicloud:secretKey (as secrets) or alicloud:profile in the stack "
    "config, or ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET in the environment"
)


#: Environment variables that make the SDK's default chain fetch credentials from somewhere.
CREDENTIAL_SOURCE_VARIABLES = (
    "ALIBABA_CLOUD_CREDENTIALS_URI", "ALIBABA_CLOUD_ROLE_ARN", "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
    "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_ECS_METADATA", "ALIBABA_CLOUD_PROFILE",
)
_PROVIDER_NAME = re.compile(r"\b[A-Z][A-Za-z]*CredentialsProvider\b")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every exception it wraps (the SDK's inner_exception, urllib3's reason, causes,
    contexts, arguments), each once."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [getattr(current, "inner_exception", None), getattr(current, "reason", None),
                    current.__cause__, current.__context__, *current.args]


def _from_credential_library(error: BaseException) -> bool:
    """Whether the failure came from fetching credentials (any exception raised inside the
    credentials package: its texts may quote a credential source's answer)."""
    from alibabacloud_credentials.exceptions import CredentialException

    for current in _chain(error):
        if isinstance(current, CredentialException):
            return True
        frames = traceback.extract_tb(current.__traceback__) if current.__traceback__ else []
        if any(f"{os.sep}alibabacloud_credentials{os.sep}" in frame.filename for frame in frames):
            return True
    return False


def _credential_sources(error: BaseException) -> str:
    """Which sources the credential chain tried, by name only: the library's own text is withheld."""
    tried = sorted({name for current in _chain(error) for name in _PROVIDER_NAME.findall(str(current))})
    configured = [name for name in CREDENTIAL_SOURCE_VARIABLES if os.environ.get(name)]
    parts = ["the Alibaba Cloud credential chain failed"]
    if tried:
        parts.append(f"sources tried: {', '.join(tried)}")
    if configured:
        parts.append(f"set in the environment: {', '.join(configured)}; check what that source answers "
                     f"(it must give AccessKeyId, AccessKeySecret, SecurityToken and Expiration)")
    parts.append("the credential library's own message is not shown because it can quote the credentials")
    return "; ".join(parts)


def _is_network_problem(error: BaseException) -> bool:
    """Transport failures, however the SDK's HTTP layers (requests, urllib3, aiohttp) wrap them."""
    import http.client

    import requests
    import urllib3
    from Tea.exceptions import UnretryableException

    return isinstance(error, (
        requests.exceptions.RequestException,
        urllib3.exceptions.HTTPError,
        http.client.HTTPException,
        OSError,
        UnretryableException,  # the SDK's wrapper when no HTTP answer arrived
    ))


def _timed_out_reading(error: BaseException) -> bool:
    """Whether the request left and no answer came within the read timeout."""
    import requests
    import urllib3

    reading = (urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout, TimeoutError)
    return not _never_sent(error) and any(isinstance(current, reading) for current in _chain(error))


def _never_sent(error: BaseException) -> bool:
    """Whether a transport failure happened while connecting, so the request never left.

    urllib3 raises ConnectTimeoutError (and its subclasses NewConnectionError, NameResolutionError)
    only while opening a new connection; the SDK wraps it a few layers deep.
    """
    import requests
    import urllib3

    connecting = (urllib3.exceptions.ConnectTimeoutError, requests.exceptions.ConnectTimeout)
    return any(isinstance(current, connecting) for current in _chain(error))

