"""Provider settings from the stack configuration and the environment.

The keys are the ones pulumi-alicloud users already have (`alicloud:region`,
`alicloud:accessKey`, ...), plus this package's own namespace for the endpoint override.
Credentials live only in memory in the provider process: never on the pickled provider,
never in state, never in a message (`Credentials` does not even print them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from .errors import ConfigurationError
from .timeouts import describe_seconds, parse_duration

NAMESPACE = "alicloud-account-factory"
ENDPOINT_KEY = f"{NAMESPACE}:endpoint"
ENDPOINT_ENV = "ALIBABA_CLOUD_GOVERNANCE_ENDPOINT"
DEFAULT_REGION = "cn-hangzhou"
#: How long an operation that has sent nothing yet rides out nothing but connection failures.
UNREACHABLE_TIMEOUT_KEY = f"{NAMESPACE}:unreachableTimeout"
DEFAULT_UNREACHABLE_TIMEOUT = "3m"
#: How long the SDK waits for an answer once a request has left (`alicloud-account-factory:readTimeout`).
#: How long an unanswered EnrollAccount or CreateAccountFactoryBaseline may still take effect is
#: derived from it (`enrollment_steps.Windows`).
DEFAULT_READ_TIMEOUT_SECONDS = 30.0
READ_TIMEOUT_RANGE = (1.0, 600.0)


@dataclass(frozen=True)
class Credentials:
    """Explicit credentials from stack config; all empty means the SDK's default chain."""

    access_key_id: str | None = None
    access_key_secret: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    profile: str | None = None

    @property
    def explicit_keys(self) -> bool:
        return bool(self.access_key_id and self.access_key_secret)

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.access_key_secret, self.security_token) if s)


@dataclass(frozen=True)
class Endpoint:
    host: str  # host[:port], as the SDK's Config.endpoint wants it
    protocol: str  # "http" or "https"

    @staticmethod
    def parse(text: str) -> "Endpoint":
        """`http://127.0.0.1:8080`, `https://governance.cn-shanghai.aliyuncs.com` or a bare host."""
        spelled = text.strip()
        parts = urlsplit(spelled if "://" in spelled else f"https://{spelled}")
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/") or parts.query:
            raise ConfigurationError(
                f"endpoint {text!r} is not valid: use http://host:port (e.g. the emulator's "
                f"http://127.0.0.1:8080) or a host name such as governance.cn-hangzhou.aliyuncs.com"
            )
        return Endpoint(parts.netloc, parts.scheme)

    def url(self) -> str:
        return f"{self.protocol}://{self.host}"


@dataclass(frozen=True)
class EndpointInfo:
    """Where one client's calls go, what set it (for the person who has to fix a wrong one), and how
    long an operation that has sent nothing waits for it to answer."""

    url: str
    origin: str  # where it comes from: "stack config alicloud-account-factory:endpoint", ...
    unreachable_seconds: float
    unreachable_timeout: str  # as the user spelt it

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[-1]


def _flag(value: Any, default: bool) -> bool:
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class ProviderSettings:
    region: str
    endpoint: Endpoint | None
    credentials: Credentials
    #: Share status polling between the enrollments of one provider process and lift the
    #: provider server's 4-worker limit (see pool_widening.py and shared_poller.py). `false` restores stock behaviour.
    fleet_mode: bool = True
    #: What set the endpoint override and the region (stack config key or environment variable).
    endpoint_source: str = ""
    region_source: str = "the built-in default region"
    unreachable_timeout: str = DEFAULT_UNREACHABLE_TIMEOUT
    #: Seconds the SDK waits for an answer; the windows after an unanswered call derive from it.
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS

    @property
    def unreachable_seconds(self) -> float:
        return parse_duration(self.unreachable_timeout)

    def endpoint_info(self, region: str) -> EndpointInfo:
        """The endpoint of a client for `region` (the stack's, or a resource's region_id), and its origin."""
        if self.endpoint is not None:
            url, origin = self.endpoint.url(), self.endpoint_source or "the provider settings"
        else:
            url = f"https://governance.{region}.aliyuncs.com"
            region_origin = self.region_source if region == self.region else "this resource's region_id"
            origin = (f"the default for region {region}, which comes from {region_origin} (set {ENDPOINT_KEY} "
                      f"or {ENDPOINT_ENV} for another endpoint)")
        return EndpointInfo(url, origin, self.unreachable_seconds, self.unreachable_timeout)

    @staticmethod
    def from_config(get: Callable[[str], Any], environ: Mapping[str, str] | None = None) -> "ProviderSettings":
        env = os.environ if environ is None else environ

        def text(key: str) -> str | None:
            value = get(key)
            return str(value).strip() or None if value is not None else None

        endpoint_text, endpoint_source = _first_set(
            (text(ENDPOINT_KEY), f"stack config {ENDPOINT_KEY}"),
            (env.get(ENDPOINT_ENV), f"environment variable {ENDPOINT_ENV}"),
        )
        region, region_source = _first_set(
            (text("alicloud:region"), "stack config alicloud:region"),
            (env.get("ALIBABA_CLOUD_REGION_ID"), "environment variable ALIBABA_CLOUD_REGION_ID"),
            (env.get("ALICLOUD_REGION"), "environment variable ALICLOUD_REGION"),
            (DEFAULT_REGION, "the built-in default region"),
        )
        unreachable_timeout = text(UNREACHABLE_TIMEOUT_KEY) or DEFAULT_UNREACHABLE_TIMEOUT
        try:
            parse_duration(unreachable_timeout)
        except ValueError as problem:
            raise ConfigurationError(f"stack config {UNREACHABLE_TIMEOUT_KEY}: {problem} (the default is "
                                     f"{DEFAULT_UNREACHABLE_TIMEOUT})") from None
        credentials = Credentials(
            access_key_id=text("alicloud:accessKey"),
            access_key_secret=text("alicloud:secretKey"),
            security_token=text("alicloud:securityToken"),
            profile=text("alicloud:profile"),
        )
        if bool(credentials.access_key_id) != bool(credentials.access_key_secret):
            missing = "alicloud:secretKey" if credentials.access_key_id else "alicloud:accessKey"
            raise ConfigurationError(
                f"stack config sets only one of alicloud:accessKey and alicloud:secretKey: set {missing} "
                f"too (`pulumi config set --secret {missing} ...`), or remove both to use the default credential chain"
            )
        return ProviderSettings(
            region=region or DEFAULT_REGION,
            endpoint=Endpoint.parse(endpoint_text) if endpoint_text else None,
            credentials=credentials,
            fleet_mode=_flag(get(f"{NAMESPACE}:fleetMode"), True),
            endpoint_source=endpoint_source if endpoint_text else "",
            region_source=region_source,
            unreachable_timeout=unreachable_timeout,
            read_timeout=_read_timeout(text(f"{NAMESPACE}:readTimeout")),
        )


def _first_set(*candidates: tuple[str | None, str]) -> tuple[str | None, str]:
    """The first value that is set, with where it came from ((None, "") when none is)."""
    return next(((value, source) for value, source in candidates if value), (None, ""))


def _read_timeout(spelled: str | None) -> float:
    """`alicloud-account-factory:readTimeout`, a Go duration such as `30s` or `1m`."""
    if spelled is None:
        return DEFAULT_READ_TIMEOUT_SECONDS
    low, high = READ_TIMEOUT_RANGE
    try:
        seconds = parse_duration(spelled)
    except ValueError:
        seconds = None
    if seconds is None or not low <= seconds <= high:
        raise ConfigurationError(
            f"{NAMESPACE}:readTimeout {spelled!r} is not valid: give a duration from {describe_seconds(low)} to "
            f"{describe_seconds(high)} such as 30s (the default) or 1m (`pulumi config set {NAMESPACE}:readTimeout 1m`)"
        )
    return seconds
