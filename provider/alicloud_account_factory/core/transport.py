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

Every try is reported to the current `operation.Operation` (a debug line with its RequestId and
timing; a connection failure to the endpoint's health, which the resource's line tells), and waits
through it: an operation that has sent nothing stops at its next try once cancelled, or once its
endpoint answered nothing for `unreachableTimeout`.

No text of the HTTP libraries ever leaves this module: theirs quote the request's URL, and an RPC
request's parameters (a secret item config among them) travel in it. A transport failure is
described from the exception types and errno alone (`transport_cause`), the SDK's debug log lines
lose their parameters and headers, and a failure of any other kind inside the SDK is named by its
type and place only.
"""

from __future__ import annotations

import errno
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

from .errors import (
    AmbiguousCallError,
    ApiError,
    ClientFailure,
    NotEnrolledError,
    UnansweredCallError,
    redact,
    without_query_strings,
)
from .operation import Operation, current_operation, endpoint_health
from .pacing import AdaptivePace
from .settings import ProviderSettings
from .timeouts import Deadline
from .version import __version__

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

#: The code of an ApiError for a call that got no answer (refused, reset, timed out...).
CONNECTION_FAILURE = "ConnectionFailure"
#: Actions that change nothing: an operation that made only these has sent nothing.
READ_ACTION_PREFIXES = ("Get", "List")

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

    _withhold_request_text_in_sdk_logs()
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


def _install_once(logger_name: str, log_filter: type[logging.Filter]) -> None:
    """Add `log_filter` to a logger, once per process."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(existing, log_filter) for existing in logger.filters):
        logger.addFilter(log_filter())


def _withhold_credential_library_logs() -> None:
    """Install, once per process, the filter that keeps credentials out of the library's log lines."""
    _install_once(CREDENTIAL_LIBRARY_LOGGER, _WithheldText)


#: Loggers that write a request's target (query string included) or headers (signature, security token):
#: the SDK's HTTP debug log (`DEBUG=sdk` in the environment turns it on, on stderr) and urllib3's.
REQUEST_LOGGERS = ("darabonba-core", "alibabacloud-tea", "urllib3.connectionpool")
#: Headers an SDK debug line keeps: they say which call it was, never what it carried or who signed it.
SHOWN_HEADERS = frozenset({"host", "x-acs-action", "x-acs-version", "x-acs-request-id", "content-type",
                           "content-length", "date"})
_HEADER_LINE = re.compile(r"^([<>]) ([^:]+?) : ")
_REQUEST_LINE = re.compile(r"^> (\S+) \S+ (HTTP/\S+)$")


class _WithheldParameters(logging.Filter):
    """Keeps a request log line's call (method, action, status), drops its parameters and credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot be formatted is withheld whole
            text = ""
        lines = []
        withheld = False
        for line in text.splitlines():
            header = _HEADER_LINE.match(line)
            if header and header.group(2).strip().lower() not in SHOWN_HEADERS:
                withheld = True
                continue
            request = _REQUEST_LINE.match(line)
            lines.append(f"> {request.group(1)} (target withheld) {request.group(2)}" if request
                         else without_query_strings(line))
        if withheld:
            lines.append("(other headers withheld: they carry signatures and tokens)")
        record.msg = "\n".join(lines)
        record.args = ()
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _withhold_request_text_in_sdk_logs() -> None:
    """Install, once per process, the filters that keep parameters and headers out of request log lines."""
    for name in REQUEST_LOGGERS:
        _install_once(name, _WithheldParameters)


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


class Connection:
    """The SDK clients (reads, writes) and the one `AdaptivePace` of an endpoint, credentials and region:
    every client of every resource over them waits its turn under the same pace."""

    def __init__(self, settings: ProviderSettings, region: str, pace: AdaptivePace | None = None) -> None:
        self.settings = settings
        self.region = region
        self.pace = pace or AdaptivePace()
        self._sdk: dict[str, Any] = {}
        self._lock = threading.Lock()

    def sdk(self, kind: str) -> Any:
        """The SDK client for "read" or "write" calls, built on first use."""
        with self._lock:
            if kind not in self._sdk:
                self._sdk[kind] = _build_sdk_client(self.settings, self.region, kind)
            return self._sdk[kind]


_connections: dict[tuple[ProviderSettings, str], Connection] = {}
_connections_lock = threading.Lock()


def shared_connection(settings: ProviderSettings, region: str) -> Connection:
    """The process's one connection (so one pace) per endpoint, credentials and region: the client cache
    that accounts and baselines share."""
    with _connections_lock:
        key = (settings, region)
        if key not in _connections:
            _connections[key] = Connection(settings, region)
        return _connections[key]


class ServiceClient:
    """Calls of the governance API with retries inside the caller's deadline; each resource's client
    (`accounts.client`, `baselines.client`) adds its operations. Without a `connection` (a test's
    client) it has SDK clients and a pace of its own."""

    def __init__(self, settings: ProviderSettings, region: str, *, backoff: Backoff = Backoff(),
                 pace: AdaptivePace | None = None, connection: Connection | None = None) -> None:
        self._settings = settings
        self._region = region
        #: Where the calls go, what set it, how long an operation that sent nothing waits for it.
        self.endpoint = settings.endpoint_info(region)
        self._backoff = backoff
        self._connection = connection or Connection(settings, region, pace)
        self._pace = self._connection.pace

    def _client(self, kind: str) -> Any:
        return self._connection.sdk(kind)

    # --- retries and errors ----------------------------------------------------------------

    def _call(self, action: str, invoke: Callable[[Any], Any], deadline: Deadline, *, idempotent: bool = True,
              on_retry: Callable[[ApiError], None] | None = None, observer: SendObserver | None = None) -> dict:
        operation = current_operation()
        writes = not action.startswith(READ_ACTION_PREFIXES)
        attempt = 0
        while True:
            operation.attempting(self.endpoint)  # an operation that has sent nothing may have to stop here
            sent_at = self._pace.wait_turn(deadline)
            if observer is not None:
                observer.sending()
            started = time.monotonic()
            cause: str | None = None
            try:
                response = invoke(self._client("read" if idempotent else "write"))
            except Exception as raw:  # noqa: BLE001 - every SDK failure is translated below
                translated = self._translate(action, raw)
                if isinstance(translated, ApiError) and translated.code == CONNECTION_FAILURE:
                    cause = transport_cause(raw, self._settings.read_timeout)
            else:
                self._pace.passed()
                endpoint_health(self.endpoint.url).answered()
                if writes:
                    operation.wrote()
                body = response.body.to_map()
                operation.debug(self._call_line(action, attempt, started, f"HTTP {getattr(response, 'status_code', 200)}",
                                                body.get("RequestId")))
                return body
            if isinstance(translated, ClientFailure):
                if writes:
                    operation.wrote()  # whether it reached the service is not known
                operation.debug(self._call_line(action, attempt, started, "failed inside the SDK", None))
                raise translated from None  # the SDK's own exception (and its text) stays behind
            error = translated
            if writes and isinstance(error, AmbiguousCallError):
                operation.wrote()  # it may have taken effect (a refusal did not, nor a call never sent)
            if error.code.startswith(THROTTLING_PREFIX):
                self._pace.throttled(sent_at)
            elif error.status_code and error.status_code < 500:
                self._pace.passed()  # refused for what it asked, not for the rate: it was let through
            if not error.retryable or (isinstance(error, AmbiguousCallError) and not idempotent):
                self._failed(operation, action, attempt, started, error, cause, None)
                raise error
            if observer is not None:
                observer.refused()  # retryable and not ambiguous: it did not take effect
            delay = self._backoff.delay(attempt)
            if deadline.remaining() < delay:
                self._failed(operation, action, attempt, started, error, cause, None)
                raise error
            self._failed(operation, action, attempt, started, error, cause, delay)
            if on_retry is not None:
                on_retry(error)
            operation.pause(delay)
            attempt += 1

    def _failed(self, operation: Operation, action: str, attempt: int, started: float, error: ApiError,
                cause: str | None, retry_in: float | None) -> None:
        """A failed try, told: to the endpoint's health (an answer, or none), as a debug line, and on the
        operation's line when no answer came."""
        health = endpoint_health(self.endpoint.url)
        if cause is not None:
            health.failed(action, cause, retry_in)
            outcome = f"no answer ({cause})"
        else:
            if error.status_code:
                health.answered()
            outcome = f"HTTP {error.status_code} {error.code}" if error.status_code else error.code
        line = self._call_line(action, attempt, started, outcome, error.request_id)
        operation.debug(line + (f"; next try in {retry_in:.1f} s" if retry_in is not None else ""))
        if cause is not None:
            operation.tell()

    def _call_line(self, action: str, attempt: int, started: float, outcome: str, request_id: str | None) -> str:
        """A debug line of one try: which call, where, how it ended, its RequestId and how long it took;
        never a parameter (a secret item config may be one)."""
        took = round((time.monotonic() - started) * 1000)
        answer = f", RequestId {request_id}" if request_id else ""
        return f"API call {action} to {self.endpoint.host} (attempt {attempt + 1}): {outcome}{answer}, {took} ms"

    def _translate(self, action: str, raw: BaseException) -> ApiError | ClientFailure:
        """An SDK failure as an ApiError: `retryable` if trying again may work, an
        AmbiguousCallError if the call may have been carried out; a ClientFailure if it was neither
        an answer nor a transport failure. No text of the HTTP libraries is kept (see the module)."""
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

        secrets = self._settings.credentials.secrets()
        inner = getattr(raw, "inner_exception", None)
        if isinstance(raw, AlibabaCloudException) or isinstance(inner, AlibabaCloudException):
            error = raw if isinstance(raw, AlibabaCloudException) else inner
            data = error.data if isinstance(error.data, dict) else {}
            code = str(error.code or data.get("Code") or "Unknown")
            status = int(error.status_code or 0)
            # The service's own words; a gateway or proxy page quoting the request's URL loses its query.
            message = redact(without_query_strings(str(data.get("Message") or error.message or "")), secrets)
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
        if _from_credential_library(raw):
            # Never the library's text: it quotes what a credential source answered, keys included.
            return ApiError(action, "InvalidCredentials", f"no usable credentials ({_credential_sources(raw)}). "
                                                          f"{CREDENTIALS_HELP}")
        endpoint = redact(self.endpoint.url, secrets)
        if not (_is_network_problem(raw) or _is_network_problem(inner)):
            return ClientFailure(action, endpoint, raw)
        cause = transport_cause(raw, self._settings.read_timeout)
        if _never_sent(raw):
            # No connection was made (refused, unknown host, connect timeout): nothing was carried out.
            return ApiError(action, CONNECTION_FAILURE, f"could not connect to {endpoint}: {cause}", retryable=True)
        unsure = UnansweredCallError if _timed_out_reading(raw) else AmbiguousCallError
        return unsure(action, CONNECTION_FAILURE, f"could not complete the call to {endpoint}: {cause}",
                      retryable=True)


def answer_fields(body: Mapping[str, Any]) -> str:
    """What an unusable answer held, by field name only (its values are the service's, not ours to repeat)."""
    return f"it holds {', '.join(sorted(map(str, body)))}" if body else "it is empty"


def transport_cause(error: BaseException, read_timeout: float) -> str:
    """What went wrong on the way to the service, from the exception types and errno alone.

    Never the exceptions' texts: urllib3's and requests' quote the request's URL, whose query string
    holds every parameter of an RPC call (a baseline item's secret config among them).
    """
    import http.client
    import socket
    import ssl

    import requests
    import urllib3

    chain = list(_chain(error))

    def has(*types: type[BaseException]) -> bool:
        return any(isinstance(current, types) for current in chain)

    codes = [current.errno for current in chain if isinstance(current, OSError) and isinstance(current.errno, int)
             and current.errno > 0 and not isinstance(current, (socket.gaierror, ssl.SSLError))]
    if has(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return "the host name could not be resolved"
    if has(ssl.SSLCertVerificationError):
        return "the server's TLS certificate could not be verified"
    if has(ssl.SSLError, urllib3.exceptions.SSLError, requests.exceptions.SSLError):
        return "the TLS handshake failed"
    if has(urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout):
        return f"no answer within the {read_timeout:g} s read timeout"
    if codes:
        return _ERRNO_CAUSES.get(codes[-1]) or f"{os.strerror(codes[-1]).lower()} (errno {codes[-1]})"
    if has(urllib3.exceptions.ConnectTimeoutError, requests.exceptions.ConnectTimeout):
        return f"no connection within the {CONNECT_TIMEOUT_MS // 1000} s connect timeout"
    if has(http.client.RemoteDisconnected):
        return "the service closed the connection without answering"
    if has(TimeoutError):
        return "timed out"
    if has(http.client.IncompleteRead, urllib3.exceptions.ProtocolError, requests.exceptions.ChunkedEncodingError):
        return "the answer was cut off"
    if has(ValueError):
        return "the answer could not be read (not the JSON the API answers with)"
    return f"{type(chain[-1]).__name__} (its text is not shown: it can quote the request)"


#: How the usual errno values of a failed call read.
_ERRNO_CAUSES = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "the connection was reset",
    errno.ECONNABORTED: "the connection was aborted",
    errno.EPIPE: "the connection broke while the request was sent",
    errno.ETIMEDOUT: "the connection timed out",
    errno.EHOSTUNREACH: "no route to the host",
    errno.ENETUNREACH: "the network is unreachable",
}


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

