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
ENDPOINT_ENV = "ALIBABA_CLOUD_GOVERNANCE_ENDPOINT"
DEFAULT_REGION = "cn-hangzhou"
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
    #: Seconds the SDK waits for an answer; the windows after an unanswered call derive from it.
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS

    @staticmethod
    def from_config(get: Callable[[str], Any], environ: Mapping[str, str] | None = None) -> "ProviderSettings":
        env = os.environ if environ is None else environ

        def text(key: str) -> str | None:
            value = get(key)
            return str(value).strip() or None if value is not None else None

        endpoint_text = text(f"{NAMESPACE}:endpoint") or env.get(ENDPOINT_ENV) or None
        region = (
            text("alicloud:region")
            or env.get("ALIBABA_CLOUD_REGION_ID")
            or env.get("ALICLOUD_REGION")
            or DEFAULT_REGION
        )
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
            region=region,
            endpoint=Endpoint.parse(endpoint_text) if endpoint_text else None,
            credentials=credentials,
            fleet_mode=_flag(get(f"{NAMESPACE}:fleetMode"), True),
            read_timeout=_read_timeout(text(f"{NAMESPACE}:readTimeout")),
        )


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
