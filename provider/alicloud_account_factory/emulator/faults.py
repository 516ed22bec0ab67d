"""Fault rules: make the emulator misbehave the way a real network and gateway do.

Why: retry, timeout and idempotency logic can only be tested if errors, dropped
connections and slow answers can be produced on demand, including the nasty case where
the service did the work but the client never heard back (``after_processing``), and a
service that goes away between two calls of a client (``outage``: the next call cannot connect).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("error", "drop", "delay", "outage")

# code -> (HTTP status, message) for errors the real gateway and service are known to send
# (the gateway's throttling codes, and the error table of the EnrollAccount reference), so that
# a rule naming only a code answers with the status a client will really see.
KNOWN_ERRORS: dict[str, tuple[int, str]] = {
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "Throttling": (400, "Request was denied due to request throttling."),
    "Throttling.Api": (400, "Request was denied due to api flow control."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "InternalError": (500, "A system error occurred."),
    "InvalidParameter": (400, "The specified parameter is not valid."),
    "DeployConflict.Blueprint": (400, "The blueprint is being deployed. Please wait for its deployment "
                                      "to complete and try again."),
    "DependencyViolation.Blueprint": (400, "The blueprint has not been deployed. Please deploy the "
                                           "resource structure first."),
    "DependencyViolation.BaselineItem": (400, "The dependency of the baseline item has not been configured."),
    "IncorrectBlueprintStatus": (400, "The current status of the blueprint does not support this operation."),
    "InvalidUser.NotResourceDirectoryMaster": (403, "The specified account is not a master account of "
                                                    "resource directory."),
    "InvalidUser.NotFound": (404, "The specified user does not exist."),
    "InvalidBlueprint.NotFound": (404, "The specified blueprint does not exist."),
    "InvalidBaselineItem.NotFound": (404, "The specified baseline item does not exist."),
    "InvalidEnterpriseRealName.NotFound": (404, "The specified account has not passed enterprise real name "
                                                "verification. Please complete the verification for the "
                                                "account first."),
}

_FIELDS = {"action", "kind", "code", "http_status", "message", "probability", "times",
           "after_processing", "delay_seconds", "retry_after", "until_released"}


@dataclass
class FaultRule:
    """One rule; see docs/emulator.md for the JSON format."""

    action: str = "*"
    kind: str = "error"
    code: str = "InternalError"
    http_status: int = 500
    message: str = ""
    probability: float = 1.0
    times: int | None = None
    after_processing: bool = False
    delay_seconds: float = 0.0
    retry_after: int | None = None
    #: A delay that ends early when the control API releases held requests (`delay_seconds` is then
    #: its bound): a test holds a request at the gateway until the event it waits for, not for a guess.
    until_released: bool = False
    injected: int = 0

    @classmethod
    def from_spec(cls, spec: Any, actions: frozenset[str] | None = None) -> FaultRule:
        """Validate one control-API rule object (raises ValueError with a readable reason).

        With `actions`, a rule must name one of them or '*': a misspelt action would
        otherwise never fire, and the test relying on it would prove nothing.
        """
        if not isinstance(spec, dict):
            raise ValueError("a fault rule must be a JSON object")
        unknown = sorted(set(spec) - _FIELDS)
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(unknown)}")
        action = spec.get("action", "*")
        if not isinstance(action, str) or not action:
            raise ValueError("action must be an action name or '*'")
        if actions is not None and action != "*" and action not in actions:
            raise ValueError(f"unknown action {action!r}: use '*' or one of {', '.join(sorted(actions))}")
        kind = spec.get("kind", "error")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        code = spec.get("code", "InternalError")
        if not isinstance(code, str) or not code:
            raise ValueError("code must be a non-empty string")
        known_status, known_message = KNOWN_ERRORS.get(code, (500, f"Injected fault {code}."))
        http_status = spec.get("http_status", known_status)
        if not isinstance(http_status, int) or isinstance(http_status, bool) or not 400 <= http_status <= 599:
            raise ValueError("http_status must be an integer between 400 and 599")
        message = spec.get("message", known_message)
        if not isinstance(message, str):
            raise ValueError("message must be a string")
        probability = spec.get("probability", 1.0)
        if not isinstance(probability, (int, float)) or isinstance(probability, bool) or not 0 <= probability <= 1:
            raise ValueError("probability must be a number between 0 and 1")
        times = spec.get("times")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise ValueError("times must be a positive integer")
        after = spec.get("after_processing", False)
        if not isinstance(after, bool):
            raise ValueError("after_processing must be true or false")
        delay = spec.get("delay_seconds", 0.0)
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 3600:
            raise ValueError("delay_seconds must be a number between 0 and 3600")
        if kind == "delay" and "delay_seconds" not in spec:
            raise ValueError("a delay rule needs delay_seconds")
        until_released = spec.get("until_released", False)
        if not isinstance(until_released, bool) or (until_released and kind != "delay"):
            raise ValueError("until_released must be true or false, and only on a delay rule")
        retry_after = spec.get("retry_after")
        if retry_after is not None and (not isinstance(retry_after, int) or isinstance(retry_after, bool)):
            raise ValueError("retry_after must be an integer")
        return cls(action=action, kind=kind, code=code, http_status=http_status, message=message,
                   probability=float(probability), times=times, after_processing=after,
                   delay_seconds=float(delay), retry_after=retry_after, until_released=until_released)

    @property
    def spent(self) -> bool:
        return self.times is not None and self.injected >= self.times

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.kind != "error":
            for key in ("code", "http_status", "message", "retry_after"):
                out.pop(key)
        if self.kind != "delay":
            out.pop("delay_seconds")
            out.pop("until_released")
        return out


class FaultInjector:
    """Holds the current rules and decides, request by request, which one fires."""

    def __init__(self, seed: int | None = None, actions: frozenset[str] | None = None) -> None:
        self._rng = random.Random(seed)
        self._actions = actions
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._released = threading.Event()

    def set_rules(self, specs: Any) -> list[dict[str, Any]]:
        """Replace all rules (all-or-nothing validation); ``[]`` clears."""
        if isinstance(specs, dict):
            specs = [specs]
        if not isinstance(specs, list):
            raise ValueError("fault rules must be a JSON list of objects")
        rules = [FaultRule.from_spec(s, self._actions) for s in specs]
        with self._lock:
            self._rules = rules
            self._released = threading.Event()
            return [r.to_dict() for r in self._rules]

    def rules_view(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def delay(self, rule: FaultRule) -> None:
        """Hold a request for a delay rule: its seconds, or until released when it says so."""
        if rule.until_released:
            with self._lock:
                released = self._released
            released.wait(rule.delay_seconds)
        else:
            time.sleep(rule.delay_seconds)

    def release(self) -> int:
        """End every hold of an `until_released` rule, now and for the rest of the current rules;
        returns how many times such rules have fired."""
        with self._lock:
            self._released.set()
            return sum(rule.injected for rule in self._rules if rule.until_released)

    def pick(self, action: str, after_processing: bool) -> FaultRule | None:
        """The first live rule for this action and phase that wins its dice roll (counted)."""
        with self._lock:
            for rule in self._rules:
                if rule.after_processing != after_processing or rule.spent:
                    continue
                if rule.action not in ("*", action):
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.injected += 1
                return FaultRule(**{**asdict(rule)})
        return None
