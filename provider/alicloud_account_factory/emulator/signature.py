"""Request signature verification, as the Alibaba Cloud API gateway does it.

Why this exists: a client that signs wrongly (bad canonical query, unsigned header, stale
clock, replayed nonce, STS token forgotten) must fail against the emulator exactly as it
would fail against the real service, with the same error codes and HTTP statuses. Two
schemes are verified, as the gateway takes both for RPC APIs: ACS3 (``Authorization`` header,
HMAC-SHA256 or HMAC-SM3; the Tea SDKs) and the classic RPC signature ("v1": HMAC-SHA1 over the
parameters, ``Signature`` among them; the core SDKs, the CLI, Tea clients set to ``v2``).
"""

from __future__ import annotations

import base64
import functools
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
SM3_ALGORITHM = "ACS3-HMAC-SM3"
ACS3_HASHES = {ALGORITHM: "sha256", SM3_ALGORITHM: "sm3"}
"""ACS3 algorithm -> the hashlib name of its hash (payload, canonical request and HMAC)."""
RPC_SIGNATURE_METHOD = "HMAC-SHA1"
RPC_SIGNATURE_VERSION = "1.0"
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
class SignedRequest:
    """A request as verification sees it: ``headers`` maps lower-cased names to every value
    received; ``params`` are its parameters (query and form body), where a classic signature is."""

    method: str
    path: str
    raw_query: str
    headers: Mapping[str, Sequence[str]]
    body: bytes
    params: Mapping[str, str]


ACS3_SCHEME = "ACS3"
RPC_SCHEME = "RPC"
#: (header, parameter) pairs that say what a request runs: its action and its API version.
ROUTE_NAMES = (("x-acs-action", "Action"), ("x-acs-version", "Version"))


def signature_scheme(headers: Mapping[str, Sequence[str]], params: Mapping[str, str]) -> str | None:
    """The signature a request carries: ACS3 (an ``Authorization`` header), else the classic RPC one
    (a non-empty ``Signature`` parameter), else none."""
    if _first(headers, "authorization").strip():
        return ACS3_SCHEME
    if params.get("Signature", "").strip():
        return RPC_SCHEME
    return None


@dataclass(frozen=True)
class Route:
    """What a request asks to run, as it was signed; ``refusal`` when that is not one thing."""

    action: str
    version: str
    refusal: SignatureError | None = None


def signed_route(headers: Mapping[str, Sequence[str]], params: Mapping[str, str]) -> Route:
    """The action and version a request runs: exactly what its signature covers.

    ACS3 signs the ``x-acs-*`` headers and the query alike: the header names the action (the
    parameter when there is no header). The classic signature signs the parameters only: the
    ``Action`` and ``Version`` parameters name them, a header may only repeat them (the core SDK and
    Tea's ``v2`` send both), and a request without them is refused whatever its headers say. A header
    and a parameter that disagree are refused under any scheme: which one to run would be a guess,
    and running the unsigned one runs what nobody signed.
    """
    classic = signature_scheme(headers, params) == RPC_SCHEME
    values: list[str] = []
    refusal: SignatureError | None = None
    for header, name in ROUTE_NAMES:
        said = _first(headers, header).strip()
        param = params.get(name, "").strip()
        values.append(param if classic else said or param)
        if refusal is not None:
            continue
        if said and param and said != param:
            refusal = SignatureError("InvalidParameter", f'The specified parameter "{name}" is not valid: the '
                                     f"{header} header says {said} and the {name} parameter {param}.")
        elif classic and not param:
            refusal = SignatureError(f"Missing{name}", f"{name} is mandatory for this action." + (
                f" The classic signature covers the {name} parameter, not the {header} header." if said else ""))
    return Route(values[0], values[1], refusal)


@dataclass(frozen=True)
class Principal:
    """Who signed a request that passed verification."""

    access_key_id: str
    sts: bool


def percent_encode(value: str) -> str:
    """RFC 3986 encoding, as every Alibaba signer does it: only ``A-Za-z0-9-_.~`` stay."""
    return quote(value, safe="~")


@functools.cache
def hash_available(name: str) -> bool:
    """Whether hashlib has ``name`` (SM3 comes from OpenSSL, which may be built without it)."""
    try:
        hashlib.new(name)
    except ValueError:
        return False
    return True


def payload_hash(body: bytes, algorithm: str = ALGORITHM) -> str:
    """What ``x-acs-content-sha256`` must hold: the body's hash with the algorithm's hash (the
    header keeps its name with SM3)."""
    return hashlib.new(ACS3_HASHES[algorithm], body).hexdigest()


def canonical_query(raw_query: str) -> str:
    """Decode the received query (``+`` or ``%20``, raw ``*:,`` all accepted) and
    re-encode it the way the SDK signs it: sorted by key, RFC 3986 (``quote(v, safe='~')``)."""
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    pairs.sort(key=lambda kv: kv[0])
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in pairs)


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
    algorithm: str = ALGORITHM,
) -> str:
    """The ACS3 string to sign: the algorithm and the hash of the canonical request."""
    canonical = (
        f"{method}\n{path or '/'}\n{canonical_query(raw_query)}\n"
        f"{canonical_headers(headers, signed)}\n{';'.join(signed)}\n{hashed_payload}"
    )
    return f"{algorithm}\n{hashlib.new(ACS3_HASHES[algorithm], canonical.encode('utf-8')).hexdigest()}"


def sign(secret: str, to_sign: str, algorithm: str = ALGORITHM) -> str:
    """The ACS3 signature: hex HMAC of the string to sign with the secret."""
    return hmac.new(secret.encode("utf-8"), to_sign.encode("utf-8"), ACS3_HASHES[algorithm]).hexdigest()


def rpc_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """The classic RPC string to sign: every parameter but ``Signature`` (query and form body
    alike), sorted and encoded, then encoded once more behind the method and the path ``/``."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                         for k, v in sorted(params.items()) if k != "Signature")
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def rpc_sign(secret: str, to_sign: str) -> str:
    """The classic RPC signature: base64 HMAC-SHA1 keyed with the secret and ``&``."""
    digest = hmac.new(f"{secret}&".encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _parse_authorization(value: str) -> tuple[str, str, list[str], str]:
    """(algorithm, AccessKey id, signed headers, signature) of an ACS3 ``Authorization``."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm not in ACS3_HASHES:
        if algorithm.startswith("ACS3-"):
            raise SignatureError("IncompleteSignature",
                                 f"The signature algorithm {algorithm} is not supported; "
                                 f"use {' or '.join(ACS3_HASHES)}.")
        raise SignatureError("IncompleteSignature",
                             "The request signature does not conform to Aliyun standards.")
    if not hash_available(ACS3_HASHES[algorithm]):
        raise SignatureError("IncompleteSignature",
                             f"The signature algorithm {algorithm} is not supported by this emulator: "
                             f"its Python's OpenSSL has no {ACS3_HASHES[algorithm]}; use {ALGORITHM}.")
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
    return algorithm, credential, [h.strip().lower() for h in signed.split(";") if h.strip()], signature


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

    def _secret_for(self, access_key_id: str, security_token: str, now: float) -> tuple[str, bool]:
        """The secret of a known key (and whether it is STS, whose token must come along)."""
        secret = self._keys.get(access_key_id)
        if secret is not None:
            return secret, False
        with self._lock:
            sts = self._sts.get(access_key_id)
        if sts is None:
            raise SignatureError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        token = security_token.strip()
        if not token or not hmac.compare_digest(token.encode(), sts.security_token.encode()):
            raise SignatureError("InvalidSecurityToken.Mismatch",
                                 "Specified SecurityToken mismatch with the AccessKey.")
        if now >= sts.expiration:
            raise SignatureError("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        return sts.access_key_secret, True

    def _check_fresh(self, date: str, nonce: str) -> float:
        """A well-formed date within the window and a nonce; returns the time of the check."""
        now = self._clock()
        if abs(now - _parse_date(date)) > self._window:
            raise SignatureError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if not nonce.strip():
            raise SignatureError("MissingSignatureNonce", "SignatureNonce is mandatory for this action.")
        return now

    def _accept(self, access_key_id: str, nonce: str, now: float, sts: bool) -> Principal:
        """Last, once the signature is right: a replayed nonce is refused (a forged request must
        not burn the nonce of the genuine one)."""
        if not self._nonces.check_and_add((access_key_id, nonce.strip()), now):
            raise SignatureError("SignatureNonceUsed", "Specified signature nonce was used already.")
        return Principal(access_key_id, sts)

    def verify(self, request: SignedRequest) -> Principal:
        """Raise :class:`SignatureError` unless the request is correctly signed.

        An ``Authorization`` header means ACS3, else a ``Signature`` parameter the classic one.
        """
        scheme = signature_scheme(request.headers, request.params)
        if scheme == ACS3_SCHEME:
            return self._verify_acs3(request, _first(request.headers, "authorization"))
        if scheme == RPC_SCHEME:
            return self._verify_rpc(request.method, request.params)
        raise SignatureError("MissingSignature", "Signature is mandatory for this action.")

    def _verify_acs3(self, request: SignedRequest, authorization: str) -> Principal:
        headers = request.headers
        algorithm, access_key_id, signed, signature = _parse_authorization(authorization)
        nonce = _first(headers, "x-acs-signature-nonce")
        now = self._check_fresh(_first(headers, "x-acs-date"), nonce)
        secret, is_sts = self._secret_for(access_key_id, _first(headers, "x-acs-security-token"), now)
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

        claimed = _first(headers, "x-acs-content-sha256").strip().lower()
        if not hmac.compare_digest(claimed.encode(), payload_hash(request.body, algorithm).encode()):
            raise SignatureError("SignatureDoesNotMatch",
                                 "The x-acs-content-sha256 header does not match the request body.")

        to_sign = string_to_sign(request.method, request.path, request.raw_query, headers, signed, claimed, algorithm)
        if not hmac.compare_digest(sign(secret, to_sign, algorithm).encode(), signature.strip().lower().encode()):
            raise SignatureError("SignatureDoesNotMatch",
                                 "Specified signature does not match our calculation. "
                                 f"server string to sign is:{to_sign}")
        return self._accept(access_key_id, nonce, now, is_sts)

    def _verify_rpc(self, method: str, params: Mapping[str, str]) -> Principal:
        """The classic signature (HMAC-SHA1, version 1.0), in the query or a form body."""
        signature_method = params.get("SignatureMethod", "")
        signature_version = params.get("SignatureVersion", "")
        access_key_id = params.get("AccessKeyId", "").strip()
        if (signature_method, signature_version) != (RPC_SIGNATURE_METHOD, RPC_SIGNATURE_VERSION) \
                or not access_key_id:
            raise SignatureError("IncompleteSignature",
                                 "The request signature does not conform to Aliyun standards: "
                                 f"AccessKeyId, SignatureMethod={RPC_SIGNATURE_METHOD} and "
                                 f"SignatureVersion={RPC_SIGNATURE_VERSION} are required.")
        nonce = params.get("SignatureNonce", "")
        now = self._check_fresh(params.get("Timestamp", ""), nonce)
        secret, is_sts = self._secret_for(access_key_id, params.get("SecurityToken", ""), now)
        to_sign = rpc_string_to_sign(method, params)
        if not hmac.compare_digest(rpc_sign(secret, to_sign).encode(), params["Signature"].strip().encode()):
            # The message carries the string to sign after the only ':' (the core SDK compares it
            # with its own to tell a wrong secret from a wrong canonicalization).
            raise SignatureError("SignatureDoesNotMatch",
                                 "Specified signature is not matched with our calculation. "
                                 f"server string to sign is:{to_sign}")
        return self._accept(access_key_id, nonce, now, is_sts)


def _first(headers: Mapping[str, Sequence[str]], name: str) -> str:
    """The first value received for a (lower-cased) header name, or ``""``."""
    return (headers.get(name) or [""])[0]
