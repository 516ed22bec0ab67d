"""ACS3-HMAC-SHA256 request verification, as the Alibaba Cloud API gateway does it.

Why this exists: a client that signs wrongly (bad canonical query, unsigned header, stale
clock, replayed nonce, STS token forgotten) must fail against the emulator exactly as it
would fail against the real service, with the same error codes and HTTP statuses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import threading
import time
from calendar import timegm
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

ALGORITHM = "ACS3-HMAC-SHA256"
TIMESTAMP_WINDOW_SECONDS = 15 * 60
STS_DEFAULT_SECONDS = 3600
MAX_NONCES = 200_000
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
REQUIRED_SIGNED_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-content-sha256",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-version",
)
_ALNUM = string.ascii_letters + string.digits


class SignatureError(Exception):
    """An authentication failure with the gateway's code, message and HTTP status."""

    def __init__(self, code: str, message: str, http_status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


@dataclass(frozen=True)
class StsCredential:
    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "AccessKeyId": self.access_key_id,
            "AccessKeySecret": self.access_key_secret,
            "SecurityToken": self.security_token,
            "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.expiration)),
        }


@dataclass(frozen=True)
class Principal:
    """Who signed a request that passed verification."""

    access_key_id: str
    sts: bool


def canonical_query(raw_query: str) -> str:
    """Decode the received query (``+`` or ``%20``, raw ``*:,`` all accepted) and
    re-encode it the way the SDK signs it: sorted by key, RFC 3986 (``quote(v, safe='~')``)."""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    pairs.sort(key=lambda kv: kv[0])
    return "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in pairs)


def canonical_headers(headers: Mapping[str, Sequence[str]], signed: Sequence[str]) -> str:
    """``name:value\\n`` per signed header; repeated headers sorted and joined by commas."""
    lines = []
    for name in signed:
        values = sorted(v.strip() for v in headers.get(name, ()))
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def string_to_sign(
    method: str,
    path: str,
    raw_query: str,
    headers: Mapping[str, Sequence[str]],
    signed: Sequence[str],
    hashed_payload: str,
) -> str:
    canonical = (
        f"{method}\n{path or '/'}\n{canonical_query(raw_query)}\n"
        f"{canonical_headers(headers, signed)}\n{';'.join(signed)}\n{hashed_payload}"
    )
    return f"{ALGORITHM}\n{hashlib.sha256(canonical.encode('utf-8')).hexdigest()}"


def sign(secret: str, to_sign: str) -> str:
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _parse_authorization(value: str) -> tuple[str, list[str], str]:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        if algorithm.startswith("ACS3-"):
            raise SignatureError("IncompleteSignature",
                                 f"The signature algorithm {algorithm} is not supported; "
                                 f"use {ALGORITHM}.")
        raise SignatureError("IncompleteSignature",
                             "The request signature does not conform to Aliyun standards.")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if sep:
            fields[key.strip()] = val.strip()
    credential = fields.get("Credential", "")
    signed = fields.get("SignedHeaders", "")
    signature = fields.get("Signature", "")
    if not credential or not signed or not signature:
        raise SignatureError("IncompleteSignature",
                             "The request signature does not conform to Aliyun standards.")
    return credential, [h.strip().lower() for h in signed.split(";") if h.strip()], signature


def _parse_date(value: str | None) -> float:
    if not value:
        raise SignatureError("InvalidTimeStamp.Format",
                             "Specified time stamp or date value is not well formatted.")
    try:
        return float(timegm(time.strptime(value.strip(), "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        raise SignatureError("InvalidTimeStamp.Format",
                             "Specified time stamp or date value is not well formatted.") from None


def _check_announced_key(access_key_id: str, headers: Mapping[str, Sequence[str]]) -> None:
    """With STS the SDK also announces its key in ``x-acs-accesskey-id``; it must be the key
    that signed (the one in the Authorization Credential).

    A mismatch means the request was signed with one credential and labelled with another (for
    instance a refresh that replaced half of the credential): the gateway cannot authenticate
    it as one principal, which is ``SignatureDoesNotMatch`` (400). ``InvalidAccessKeyId.NotFound``
    would be wrong since both keys may exist (and careless clients read any 404 from
    GetEnrolledAccount as "not enrolled").
    """
    announced = [v.strip() for v in headers.get("x-acs-accesskey-id", ())]
    if announced and any(v != access_key_id for v in announced):
        raise SignatureError("SignatureDoesNotMatch",
                             "The x-acs-accesskey-id header does not match the AccessKey id "
                             "in the Authorization header.")


class NonceCache:
    """Nonces seen within the timestamp window; bounded so a flood cannot exhaust memory."""

    def __init__(self, window: float = TIMESTAMP_WINDOW_SECONDS, max_entries: int = MAX_NONCES) -> None:
        self._window = window
        self._max = max_entries
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def check_and_add(self, key: tuple[str, str], now: float) -> bool:
        """Record ``key``; False if it was already used within the window."""
        with self._lock:
            while self._seen:
                seen_at = next(iter(self._seen.values()))
                if now - seen_at <= self._window and len(self._seen) < self._max:
                    break
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def __len__(self) -> int:
        return len(self._seen)


class SignatureVerifier:
    """Verifies requests signed with the permanent test key pair or with issued STS keys."""

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        clock: Callable[[], float] = time.time,
        window: float = TIMESTAMP_WINDOW_SECONDS,
        max_nonces: int = MAX_NONCES,
    ) -> None:
        self._keys = {access_key_id: access_key_secret}
        self._clock = clock
        self._window = window
        # A replay can carry a date up to one window in the future of the original's arrival,
        # so nonces are remembered for two windows.
        self._nonces = NonceCache(2 * window, max_nonces)
        self._sts: dict[str, StsCredential] = {}
        self._lock = threading.Lock()

    # ---- STS ----------------------------------------------------------------------

    def issue_sts(self, duration_seconds: float = STS_DEFAULT_SECONDS) -> dict[str, Any]:
        """Temporary credentials, accepted with their token until they expire."""
        if not duration_seconds > 0:
            raise ValueError("duration_seconds must be positive")
        cred = StsCredential(
            access_key_id="STS." + "".join(secrets.choice(_ALNUM) for _ in range(28)),
            access_key_secret="".join(secrets.choice(_ALNUM) for _ in range(44)),
            security_token="CAIS" + secrets.token_urlsafe(240),
            expiration=self._clock() + duration_seconds,
        )
        with self._lock:
            now = self._clock()
            for key in [k for k, c in self._sts.items() if c.expiration < now - 86400]:
                del self._sts[key]
            self._sts[cred.access_key_id] = cred
        return cred.to_dict()

    def sts_snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"access_key_id": c.access_key_id, "access_key_secret": c.access_key_secret,
                     "security_token": c.security_token, "expiration": c.expiration}
                    for c in self._sts.values()]

    def load_sts(self, items: Iterable[Mapping[str, Any]]) -> None:
        loaded = {
            str(i["access_key_id"]): StsCredential(str(i["access_key_id"]),
                                                   str(i["access_key_secret"]),
                                                   str(i["security_token"]),
                                                   float(i["expiration"]))
            for i in items
        }
        with self._lock:
            self._sts = loaded

    # ---- verification -------------------------------------------------------------

    def _secret_for(self, access_key_id: str, headers: Mapping[str, Sequence[str]], now: float) -> tuple[str, bool]:
        secret = self._keys.get(access_key_id)
        if secret is not None:
            return secret, False
        with self._lock:
            sts = self._sts.get(access_key_id)
        if sts is None:
            raise SignatureError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        token = (headers.get("x-acs-security-token") or [""])[0].strip()
        if not token or not hmac.compare_digest(token.encode(), sts.security_token.encode()):
            raise SignatureError("InvalidSecurityToken.Mismatch",
                                 "Specified SecurityToken mismatch with the AccessKey.")
        if now >= sts.expiration:
            raise SignatureError("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        return sts.access_key_secret, True

    def verify(
        self,
        method: str,
        path: str,
        raw_query: str,
        headers: Mapping[str, Sequence[str]],
        body: bytes,
    ) -> Principal:
        """Raise :class:`SignatureError` unless the request is correctly signed.

        ``headers`` maps lower-cased names to every value received for that name.
        """
        authorization = (headers.get("authorization") or [""])[0]
        if not authorization.strip():
            raise SignatureError("MissingSignature", "Signature is mandatory for this action.")
        access_key_id, signed, signature = _parse_authorization(authorization)

        now = self._clock()
        date = _parse_date((headers.get("x-acs-date") or [""])[0])
        if abs(now - date) > self._window:
            raise SignatureError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        nonce = (headers.get("x-acs-signature-nonce") or [""])[0].strip()
        if not nonce:
            raise SignatureError("MissingSignatureNonce", "SignatureNonce is mandatory for this action.")

        secret, is_sts = self._secret_for(access_key_id, headers, now)
        _check_announced_key(access_key_id, headers)

        signed_set = set(signed)
        must_sign = set(REQUIRED_SIGNED_HEADERS) | {h for h in headers if h.startswith("x-acs-")}
        unsigned = sorted(must_sign - signed_set)
        if unsigned:
            raise SignatureError("IncompleteSignature",
                                 "The request signature does not conform to Aliyun standards: "
                                 f"header {unsigned[0]} must be signed.")
        if signed != sorted(signed):
            raise SignatureError("IncompleteSignature",
                                 "The request signature does not conform to Aliyun standards: "
                                 "SignedHeaders must be sorted.")

        claimed = (headers.get("x-acs-content-sha256") or [""])[0].strip().lower()
        if not hmac.compare_digest(claimed.encode(), hashlib.sha256(body).hexdigest().encode()):
            raise SignatureError("SignatureDoesNotMatch",
                                 "The x-acs-content-sha256 header does not match the request body.")

        to_sign = string_to_sign(method, path, raw_query, headers, signed, claimed)
        if not hmac.compare_digest(sign(secret, to_sign).encode(), signature.strip().lower().encode()):
            raise SignatureError("SignatureDoesNotMatch",
                                 "Specified signature does not match our calculation. "
                                 f"server string to sign is:{to_sign}")

        if not self._nonces.check_and_add((access_key_id, nonce), now):
            raise SignatureError("SignatureNonceUsed", "Specified signature nonce was used already.")
        return Principal(access_key_id, is_sts)
