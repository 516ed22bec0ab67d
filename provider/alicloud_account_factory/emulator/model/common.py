"""What every part of the model shares: the service's errors, times, page tokens."""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

MAX_TAGS = 20
MAX_PAGE = 100
DEFAULT_PAGE = 10
SEED_TIME = "2024-03-01T08:00:00Z"


def compact(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ItemError:
    """An ``ErrorInfo`` a failed enrollment reports (code, message, troubleshooting link)."""

    code: str
    message: str
    recommend: str


def troubleshoot(code: str, product: str) -> str:
    return f"https://next.api.aliyun.com/troubleshoot?q={code}&product={product}"


GENERIC_ITEM_ERROR = ItemError("InternalError", "A system error occurred.",
                               troubleshoot("InternalError", "governance"))
"""What an item without an error of its own fails with: any item can meet a system error."""



class GovernanceError(Exception):
    """A rejection exactly as the service would answer it (code, message, HTTP status)."""

    def __init__(self, code: str, message: str, http_status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status


def invalid_parameter(name: str) -> GovernanceError:
    """The service's generic 400 for a malformed or out-of-range parameter."""
    return GovernanceError("InvalidParameter", f"The specified parameter {name} is not valid.", 400)


def missing_parameter(name: str) -> GovernanceError:
    """The gateway's 400 for a required parameter that was not sent."""
    return GovernanceError(f"Missing{name}", f"{name} is mandatory for this action.", 400)



def non_negative_seconds(value: Any, name: str) -> float:
    """A finite duration >= 0 (a JSON ``true`` is not a number of seconds, nor is ``inf``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number >= 0")
    return float(value)


def format_time(ts: float) -> str:
    """Render a POSIX time the way the API does (UTC, second resolution)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.floor(ts)))


def new_request_id() -> str:
    """Request ids look like the service's: an uppercase UUID."""
    return str(uuid.uuid4()).upper()


def encode_token(kind: str, position: int) -> str:
    raw = f"{kind}:{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(kind: str, token: str) -> int:
    try:
        padded = token + "=" * (-len(token) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
        prefix, _, number = raw.partition(":")
        if prefix != kind or not number.isdigit():
            raise ValueError(token)
        return int(number)
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid_parameter("NextToken") from None



def check_page_size(max_results: int) -> None:
    if not 1 <= max_results <= MAX_PAGE:
        raise invalid_parameter("MaxResults")
