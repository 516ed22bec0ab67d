"""What each provider call is doing, told to the person running `pulumi up`, and when it must stop.

The provider's methods run inside `provider_call`, which makes an `Operation` current for the call
(a context variable: the API client and the waits below it find it without being handed it):

* every API call is told at debug severity (`pulumi up --debug`): action, endpoint host, attempt,
  outcome (HTTP status and code, or the transport failure), RequestId and duration; never a
  parameter, so never a secret;
* a run of connection failures (a wrong endpoint, a service or emulator that is down) is told on the
  resource's line at every try (what fails, where, since when, the next try), and once, from the
  second try on, as a warning;
* an operation that has sent nothing that changes anything stops at its next try or pause once the
  engine cancels it (the first Ctrl-C, heard by `cancel_watch`), or once nothing but connection
  failures came for `unreachableTimeout`. One that has sent something goes on: its outcome belongs
  in the state (a second Ctrl-C still ends everything, and the next `pulumi up` resumes it);
* a failure reaches the user reason first. Pulumi's dynamic provider server sends
  `traceback.format_exc()` as the error, which prints a chained cause before the exception itself:
  so the error raised to it is a short `ProviderCallFailed` raised from the reason, the reason
  stripped of its traceback. The full traceback is told at debug severity.

Calls made outside any provider method (the shared listing and status poller threads) get a
`BACKGROUND` operation: their API calls are told at debug severity, without a resource, and nothing
stops them.
"""

from __future__ import annotations

import functools
import threading
import time
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Mapping, TypeVar

from .errors import EndpointUnreachable, OperationCancelled, ProviderCallFailed
from .field_kit import RESOURCE_URN  # (a baseline's is the same input)
from .progress import Reporter, process_engine_log
from .settings import UNREACHABLE_TIMEOUT_KEY, EndpointInfo, ProviderSettings

#: How long the debug messages of a call (its API calls, its traceback) may take to reach the engine
#: before the call returns: the engine may stop the process right after the last one.
FLUSH_SECONDS = 2.0
#: How often a wait that nothing wakes looks whether its operation must stop (a shared listing's waiters).
LOOK_SECONDS = 1.0
#: Tries of a run of connection failures after which an operation also warns: one is a blip, two an outage.
WARN_AFTER_TRIES = 2

_cancelled = threading.Event()


def clock_time(wall: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(wall))


def _seconds(value: float) -> str:
    return f"{value:.0f}s" if value >= 10 else f"{value:.1f}s"


@dataclass(frozen=True)
class Outage:
    """An endpoint's current run of connection failures, with no answer in between."""

    since: float  # monotonic
    since_wall: float
    tries: int
    action: str  # of the last failed call
    cause: str  # of the last failed call
    next_try: float | None  # monotonic; None when whoever failed last does not try again

    def describe(self, endpoint: EndpointInfo) -> str:
        tries = f"{self.tries} tr{'y' if self.tries == 1 else 'ies'}"
        return f"cannot reach {endpoint.url} ({self.cause}) since {clock_time(self.since_wall)}, {tries}"


class EndpointHealth:
    """Whether an endpoint answers, from every call made to it in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outage: Outage | None = None

    @property
    def outage(self) -> Outage | None:
        with self._lock:
            return self._outage

    def answered(self) -> None:
        """An answer came (any HTTP status): the endpoint is reachable."""
        with self._lock:
            self._outage = None

    def failed(self, action: str, cause: str, retry_in: float | None) -> None:
        """A call got no answer (connection refused, reset, timed out...)."""
        now = time.monotonic()
        with self._lock:
            last = self._outage
            self._outage = Outage(
                since=last.since if last else now, since_wall=last.since_wall if last else time.time(),
                tries=(last.tries if last else 0) + 1, action=action, cause=cause,
                next_try=None if retry_in is None else now + retry_in)


_health: dict[str, EndpointHealth] = {}
_health_lock = threading.Lock()


def endpoint_health(url: str) -> EndpointHealth:
    """The process's one record of an endpoint's health."""
    with _health_lock:
        return _health.setdefault(url, EndpointHealth())


class Operation:
    """One provider call (a create, an update, a read...) of one resource; see the module."""

    def __init__(self, kind: str, reporter: Reporter | None) -> None:
        self.kind = kind
        self._reporter = reporter  # None: a background thread's calls, nothing to tell nor to stop
        self.started = time.monotonic()
        #: Whether a request that changes something may have reached the service.
        self.sent = False
        self._endpoint: EndpointInfo | None = None
        self._told: tuple[float, int] | None = None  # the outage (since, tries) last told
        self._warned = False

    # --- what the client tells ---------------------------------------------------------------

    def attempting(self, endpoint: EndpointInfo) -> None:
        """Before each try of an API call: an operation that must stop stops here."""
        self._endpoint = endpoint
        self.check()

    def wrote(self) -> None:
        """A request that changes something may have reached the service: from now on, nothing stops it."""
        self.sent = True

    def debug(self, message: str) -> None:
        if self._reporter is not None:
            self._reporter.debug(message)
        else:
            process_engine_log().debug(message)

    # --- waiting -----------------------------------------------------------------------------

    @property
    def watching(self) -> bool:
        return self._reporter is not None

    def waiting(self, endpoint: EndpointInfo | None) -> None:
        """From a wait that nothing wakes (at least every LOOK_SECONDS): tells what fails, stops if it must."""
        if endpoint is not None:
            self._endpoint = endpoint
        self.tell()
        self.check()

    def wait_for(self, event: threading.Event, seconds: float, endpoint: EndpointInfo | None) -> bool:
        """`event.wait(seconds)`, telling what fails meanwhile and stopping if this operation must."""
        if not self.watching:
            return event.wait(timeout=seconds)
        end = time.monotonic() + seconds
        while not event.wait(timeout=max(0.0, min(end - time.monotonic(), LOOK_SECONDS))):
            if time.monotonic() >= end:
                return False
            self.waiting(endpoint)
        return True

    def pause(self, seconds: float) -> None:
        """Sleep, but stop as soon as this operation must (cancelled, or the endpoint unreachable too long)."""
        end = time.monotonic() + seconds
        while True:
            self.check()
            left = end - time.monotonic()
            if left <= 0:
                return
            if not self.watching or self.sent:
                time.sleep(left)
                return
            _cancelled.wait(min(left, self._until_unreachable()))

    def check(self) -> None:
        """Raise if this operation has sent nothing and must stop."""
        if not self.watching or self.sent:
            return
        if _cancelled.is_set():
            raise OperationCancelled(self._cancelled_text())
        endpoint, outage = self._endpoint, self._outage()
        if endpoint is not None and outage is not None and self._until_unreachable() <= 0:
            raise EndpointUnreachable(
                f"{endpoint.url} could not be reached for {endpoint.unreachable_timeout} (since "
                f"{clock_time(outage.since_wall)}, {outage.tries} tries; the last, {outage.action}: {outage.cause}), "
                f"so this {self.kind} stopped; it had sent nothing, so nothing was changed. The endpoint comes from "
                f"{endpoint.origin}: check it, and that the service (or the emulator) runs there, then run "
                f"`pulumi up` again. To ride out a longer outage, raise {UNREACHABLE_TIMEOUT_KEY} (now "
                f"{endpoint.unreachable_timeout}).")

    def tell(self) -> None:
        """The current outage of this operation's endpoint on the resource's line, when it changed."""
        endpoint, outage = self._endpoint, self._outage()
        if not self.watching or endpoint is None or outage is None or self._told == (outage.since, outage.tries):
            return
        assert self._reporter is not None
        self._told = (outage.since, outage.tries)
        now = time.monotonic()
        next_try = (f"next try in {_seconds(max(0.0, outage.next_try - now))}" if outage.next_try is not None
                    else "retrying")
        if self.sent:
            after = f"a request was sent, so it keeps trying until the {self.kind} timeout"
        else:
            gives_up = time.time() + self._until_unreachable()
            after = f"gives up at {clock_time(gives_up)} unless a call gets through (nothing sent yet)"
        self._reporter.status(f"{outage.describe(endpoint)}; {next_try}; {after}")
        if outage.tries >= WARN_AFTER_TRIES and not self._warned:
            self._warned = True
            if self.sent:
                rest = f"A request was already sent: the {self.kind} keeps trying until its timeout."
            else:
                rest = (f"Nothing has been sent yet: the {self.kind} stops if no call gets through within "
                        f"{endpoint.unreachable_timeout} ({UNREACHABLE_TIMEOUT_KEY}).")
            self._reporter.warn(f"cannot reach {endpoint.url} (it comes from {endpoint.origin}): {outage.cause} since "
                                f"{clock_time(outage.since_wall)}; retrying. {rest}")

    def cancel_requested(self) -> None:
        """The engine cancelled: an operation that sent something says why it goes on."""
        if self.watching and self.sent:
            assert self._reporter is not None
            self._reporter.status(f"cancel requested: a request of this {self.kind} was already sent, so it waits "
                                  f"for its outcome (a second Ctrl-C stops at once; the next `pulumi up` resumes it)")

    # --- helpers -----------------------------------------------------------------------------

    def _outage(self) -> Outage | None:
        return endpoint_health(self._endpoint.url).outage if self._endpoint is not None else None

    def _until_unreachable(self) -> float:
        """Seconds until this operation has met nothing but connection failures for the endpoint's timeout."""
        outage = self._outage()
        if self._endpoint is None or outage is None:
            return float("inf")
        return max(outage.since, self.started) + self._endpoint.unreachable_seconds - time.monotonic()

    def _cancelled_text(self) -> str:
        text = (f"cancelled: the engine asked the provider to stop (Ctrl-C) before this {self.kind} had sent "
                f"anything, so nothing was sent and nothing was changed.")
        endpoint, outage = self._endpoint, self._outage()
        if endpoint is not None and outage is not None:
            text += (f" It was retrying {endpoint.url}, which comes from {endpoint.origin}: {outage.cause} since "
                     f"{clock_time(outage.since_wall)}, {outage.tries} tries.")
        return text + " Run `pulumi up` again when ready."


#: The operation of calls made outside any provider method.
BACKGROUND = Operation("background", None)
_current: ContextVar[Operation] = ContextVar("alicloud_account_factory_operation", default=BACKGROUND)
_active: set[Operation] = set()
_active_lock = threading.Lock()


def current_operation() -> Operation:
    return _current.get()


def pause(seconds: float) -> None:
    """`Operation.pause` of the current operation (a plain sleep outside provider methods)."""
    current_operation().pause(seconds)


def engine_cancelled() -> None:
    """The engine sent Cancel (`cancel_watch`): every operation that has sent nothing stops at its next
    try or pause. Called on grpc's serving thread: it only sets a flag and queues status lines."""
    _cancelled.set()
    with _active_lock:
        active = list(_active)
    for operation in active:
        operation.cancel_requested()


F = TypeVar("F", bound=Callable[..., Any])


def provider_call(kind: str) -> Callable[[F], F]:
    """Runs a provider method (whose last argument holds the resource's properties) as an Operation
    (see the module); `kind` names it in messages ("create", "read", ...)."""

    def decorate(method: F) -> F:
        @functools.wraps(method)
        def wrapper(provider: Any, *args: Any) -> Any:
            props = args[-1] if args and isinstance(args[-1], Mapping) else {}
            urn = str(props.get(RESOURCE_URN) or "")
            reporter = Reporter(process_engine_log(), urn, _secrets_of(provider))
            operation = Operation(kind, reporter)
            token = _current.set(operation)
            with _active_lock:
                _active.add(operation)
            try:
                return method(provider, *args)
            except Exception as error:
                short = _reason_first(error, kind, urn, reporter)  # (tells the traceback before it is taken off)
                raise short from _without_traceback(error)
            finally:
                with _active_lock:
                    _active.discard(operation)
                _current.reset(token)
                engine = process_engine_log()  # what it told reaches the engine before it answers
                engine.flush(FLUSH_SECONDS, through=engine.queued())

        return wrapper  # type: ignore[return-value]

    return decorate


def _secrets_of(provider: Any) -> tuple[str, ...]:
    settings = getattr(provider, "_settings_value", None)
    return settings.credentials.secrets() if isinstance(settings, ProviderSettings) else ()


def _reason_first(error: Exception, kind: str, urn: str, reporter: Reporter) -> ProviderCallFailed:
    """Tells the whole traceback at debug severity; returns the short error to raise from the reason."""
    # Its own frames only: a chained exception may be an SDK's, whose text can quote a request's parameters.
    told = "".join(traceback.format_exception(type(error), error, error.__traceback__, chain=False))
    reporter.debug(f"the {kind} failed: {told.rstrip()}")
    name = urn.rsplit("::", 1)[-1] or "this resource"
    return ProviderCallFailed(f"the {kind} of {name!r} failed for the reason above (its full traceback: "
                              f"`pulumi up --debug`)")


def _without_traceback(error: Exception) -> Exception:
    """The error as the reason the server prints first: its text only, no traceback and no chain."""
    error.__cause__ = None
    error.__suppress_context__ = True
    return error.with_traceback(None)
