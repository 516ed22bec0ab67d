"""Every spelling a secret can take in a text a user sees, for the secret scans.

A secret rarely leaks as itself: a request's parameters travel percent-encoded (the SDK's form
encoding writes a space as `+`, RFC 3986 as `%20`), an item config is a JSON string (quotes
escaped) inside them, a blob is base64. The CLI masks only the plain text of secrets it knows, so
each of these spellings is what a scan must look for; and the CLI wraps long lines, so each is also
looked for with all whitespace taken out.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

_WHITESPACE = re.compile(r"\s+")


def _percent_encodings(text: str) -> dict[str, str]:
    return {
        "percent-encoded with +": quote_plus(text, safe=""),
        "percent-encoded with %20": quote(text, safe=""),
        "percent-encoded as the signers do": quote(text, safe="~"),
        "percent-encoded twice": quote_plus(quote_plus(text, safe=""), safe=""),
    }


def _base64_cores(secret: str) -> dict[str, str]:
    """The part of base64 that only the secret's bytes decide, at each of the three alignments the
    secret can have inside a longer base64 text (standard and URL-safe alphabets)."""
    data = secret.encode("utf-8")
    cores = {}
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode("ascii")
        first = -(-offset * 8 // 6)  # the first character no byte before the secret touches
        last = (8 * (offset + len(data)) - 6) // 6  # the last one no byte after it touches
        core = encoded[first:last + 1]
        cores[f"base64 (alignment {offset})"] = core
        cores[f"URL-safe base64 (alignment {offset})"] = core.replace("+", "-").replace("/", "_")
    return cores


def secret_spellings(secret: str) -> dict[str, str]:
    """Name -> spelling: in clear, JSON-escaped, each of them percent-encoded, and base64."""
    escaped = json.dumps(secret)[1:-1]
    spellings = {"in clear": secret, "JSON-escaped": escaped,
                 "JSON-escaped, ASCII only": json.dumps(secret, ensure_ascii=True)[1:-1]}
    for name, text in list(spellings.items()):
        spellings.update({f"{name}, {how}": encoded for how, encoded in _percent_encodings(text).items()})
    spellings.update(_base64_cores(secret))
    return spellings


def spellings_found(text: str, secret: str) -> list[str]:
    """The names of the secret's spellings that occur in `text` (case-insensitively, and also with
    all whitespace removed from both: a wrapped line still counts)."""
    folded = text.lower()
    squeezed = _WHITESPACE.sub("", folded)
    found = []
    for name, spelling in secret_spellings(secret).items():
        wanted = spelling.lower()
        if wanted in folded or _WHITESPACE.sub("", wanted) in squeezed:
            found.append(name)
    return found


def where_found(text: str, secret: str, width: int = 60) -> list[str]:
    """Each spelling found, with the text around its first occurrence (for a failure message)."""
    places = []
    folded = text.lower()
    for name in spellings_found(text, secret):
        at = folded.find(secret_spellings(secret)[name].lower())
        around = text[max(0, at - width):at + width] if at >= 0 else "(across a line break)"
        places.append(f"{name}: ...{around}...")
    return places
