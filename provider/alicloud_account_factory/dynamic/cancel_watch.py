"""Hears the engine's Cancel call (the first Ctrl-C of `pulumi up`) in Pulumi's Python provider server.

On the first Ctrl-C the engine starts no new step, waits for those in flight, and sends Cancel to
every provider. Pulumi's dynamic provider server answers Cancel and does nothing else, so a create
retrying a dead endpoint kept the engine (and the user) waiting for its whole timeout. This puts a
`grpc.GenericRpcHandler` (grpc's public handler type) in front of that server's own: it notes each
Cancel call as it arrives, on grpc's serving thread (so even while every worker thread is taken by
a waiting create), and leaves the answer to Pulumi's server. Finding the running server reaches the
same grpc internals as `pool_widening` (`_ServerState`, found among the live objects), and this puts
the handler first in its `generic_handlers` list under its `lock`. When any of it is not as
expected, the server is left alone and the reason is logged at debug severity: a Ctrl-C then waits,
as before, for what runs (at most `unreachableTimeout` for a create retrying a dead endpoint).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import grpc

from .pool_widening import PROVIDER_SERVICE, provider_server_states

CANCEL_METHOD = f"/{PROVIDER_SERVICE}/Cancel"


class CancelListener(grpc.GenericRpcHandler):
    """Calls `on_cancel` for each Cancel call; answers nothing itself (the next handler does)."""

    def __init__(self, on_cancel: Callable[[], None]) -> None:
        self._on_cancel = on_cancel

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> None:
        if getattr(handler_call_details, "method", None) == CANCEL_METHOD:
            self._on_cancel()
        return None


def listen(on_cancel: Callable[[], None], find_states: Callable[[], list[Any]] = provider_server_states) -> str | None:
    """Put a CancelListener first in the provider server's handlers; None when done, else why it was not."""
    try:
        states = find_states()
    except Exception as error:  # noqa: BLE001 - grpc internals changed: keep the stock server
        return f"looking for the provider server failed: {type(error).__name__}: {error}"
    if len(states) != 1:
        return f"found {len(states)} running grpc servers serving {PROVIDER_SERVICE}, expected exactly 1"
    state = states[0]
    handlers, lock = getattr(state, "generic_handlers", None), getattr(state, "lock", None)
    if not isinstance(handlers, list) or not hasattr(lock, "__enter__"):
        return "its grpc state has no generic_handlers list and lock"
    with lock:
        if not any(isinstance(handler, CancelListener) for handler in handlers):
            handlers.insert(0, CancelListener(on_cancel))
    return None


_problem: str | None = None
_listened = False
_lock = threading.Lock()


def listen_once(on_cancel: Callable[[], None], report: Callable[[str], None]) -> None:
    """`listen`, once per process; `report` hears why not, once."""
    global _listened, _problem
    with _lock:
        if _listened:
            return
        _listened = True
        _problem = listen(on_cancel)
    if _problem is not None:
        report(f"a Ctrl-C cannot end a waiting create early in this process: the provider server's Cancel call "
               f"cannot be heard ({_problem})")
