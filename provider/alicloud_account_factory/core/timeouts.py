"""Custom timeouts and deadlines.

The Python provider server drops the timeout the engine sends with Create/Update, so
`EnrolledAccount` carries `ResourceOptions.custom_timeouts` to the provider as an input
(Go duration strings, as the engine would have) and the provider enforces them itself.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any, Mapping

TIMEOUT_KEYS = ("create", "update", "delete")

#: Account creation plus baseline application often takes 10-30 minutes; Terraform's 5 is
#: the most common complaint about account vending tools.
DEFAULT_TIMEOUT_SECONDS = 60 * 60

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_duration(text: Any) -> float:
    """Seconds in a Go duration string such as '90m', '1h30m' or '45s'."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{text!r} is not a duration: use a Go duration such as '90m' or '1h30m'")
    spelled = text.strip()
    position, seconds = 0, 0.0
    for match in _PART.finditer(spelled):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    if position != len(spelled) or position == 0:
        raise ValueError(f"{text!r} is not a duration: use a Go duration such as '90m' or '1h30m'")
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    return seconds


def timeout_seconds(custom_timeouts: Mapping[str, Any] | None, operation: str) -> float:
    value = (custom_timeouts or {}).get(operation)
    return parse_duration(value) if value not in (None, "") else DEFAULT_TIMEOUT_SECONDS


def operation_deadline(custom_timeouts: Mapping[str, Any] | None, operation: str) -> "Deadline":
    """The deadline of a create or update, described as the user spelt it ('0.5s', '90m')."""
    value = (custom_timeouts or {}).get(operation)
    spelled = value.strip() if isinstance(value, str) and value.strip() else None
    return Deadline.after(timeout_seconds(custom_timeouts, operation), label=spelled)


def describe_seconds(seconds: float) -> str:
    if seconds < 60 and seconds != int(seconds):
        return f"{seconds:g}s"  # '0.5s', not '0s'
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs}s" if secs else f"{minutes}m"
    return f"{secs}s"


@dataclass(frozen=True)
class Deadline:
    """A point in (monotonic) time by which an operation must be done."""

    at: float
    seconds: float
    label: str | None = None  # how the user wrote it, if they did

    @staticmethod
    def after(seconds: float, *, label: str | None = None) -> "Deadline":
        return Deadline(time.monotonic() + seconds, seconds, label)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def describe(self) -> str:
        return self.label or describe_seconds(self.seconds)
