"""A tiny stdlib client of the emulator's ``/_emulator/`` control API.

Why: tests and demos running the emulator in another process (CLI, CI service) need to
inspect state, inject faults and queue outcomes without speaking raw HTTP. It never uses
an HTTP proxy, whatever the environment says (a proxy cannot reach 127.0.0.1 anyway).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, cast


class EmulatorAdminError(RuntimeError):
    """The control API refused a request (``status`` is its HTTP status)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class EmulatorAdmin:
    """``EmulatorAdmin("http://127.0.0.1:PORT")`` (``127.0.0.1:PORT`` works too)."""

    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        endpoint = endpoint.rstrip("/")
        if "://" not in endpoint:
            endpoint = "http://" + endpoint
        self.endpoint = endpoint
        self.timeout = timeout
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _call(self, method: str, route: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(f"{self.endpoint}/_emulator/{route}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raw = exc.read().decode("utf-8", "replace")
            try:
                message = json.loads(raw).get("error", raw)
            except (ValueError, AttributeError):
                message = raw
            raise EmulatorAdminError(exc.code, message) from None

    def health(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self._call("GET", "health"))

    def state(self) -> dict[str, Any]:
        """``{"accounts": [...], "directory": {...}, "calls": {...}, "calls_ok": {...}}``."""
        return cast("dict[str, Any]", self._call("GET", "state"))

    def set_faults(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replace the fault rules (``[]`` clears); returns the rules now in force."""
        return cast("list[dict[str, Any]]", self._call("POST", "faults", rules))

    def faults(self) -> list[dict[str, Any]]:
        """The current rules, with how many times each has fired (``injected``)."""
        return cast("list[dict[str, Any]]", self._call("GET", "faults"))

    def clear_faults(self) -> None:
        self.set_faults([])

    def release_held(self) -> int:
        """Let go of the requests `until_released` delay rules hold; returns how often they fired."""
        return cast("dict[str, int]", self._call("POST", "faults/release"))["released"]

    def add_outcome(self, outcome: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue how the next matching enrollment(s) end; returns the whole queue."""
        return cast("list[dict[str, Any]]", self._call("POST", "outcomes", outcome))

    def outcomes(self) -> list[dict[str, Any]]:
        return cast("list[dict[str, Any]]", self._call("GET", "outcomes"))

    def clear_outcomes(self) -> None:
        self._call("DELETE", "outcomes")

    def settings(self) -> dict[str, Any]:
        """Runtime settings: ``{"list_lag_seconds": S}``."""
        return cast("dict[str, Any]", self._call("GET", "settings"))

    def update_settings(self, **changes: Any) -> dict[str, Any]:
        """Change some settings (``list_lag_seconds=S``); returns all of them."""
        return cast("dict[str, Any]", self._call("POST", "settings", changes))

    def catalog(self) -> list[dict[str, Any]]:
        """Every baseline item the emulator knows, as definitions, each with its ``source`` (builtin, file, api)."""
        return cast("list[dict[str, Any]]", self._call("GET", "catalog"))

    def add_catalog_items(self, definitions: dict[str, Any] | list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Add baseline items to the catalog (all or none); returns the whole catalog."""
        return cast("list[dict[str, Any]]", self._call("POST", "catalog", definitions))

    def reset(self) -> None:
        """Back to the seeded directory, start settings and start catalog: no enrollments, faults, outcomes or call counts."""
        self._call("POST", "reset", {})

    def issue_sts(self, duration_seconds: float | None = None) -> dict[str, Any]:
        """STS credentials: ``AccessKeyId``, ``AccessKeySecret``, ``SecurityToken``, ``Expiration``."""
        payload = {} if duration_seconds is None else {"duration_seconds": duration_seconds}
        return cast("dict[str, Any]", self._call("POST", "sts", payload))

    def requests(self) -> list[dict[str, Any]]:
        """The most recent requests the emulator answered (no headers, no secrets)."""
        return cast("list[dict[str, Any]]", self._call("GET", "requests"))
