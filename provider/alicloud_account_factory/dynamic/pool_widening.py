"""Lifting the 4-worker limit of Pulumi's Python provider server, inside its own process.

`pulumi.dynamic`'s server runs provider calls on a pool of 4 threads, and each create holds one
while it waits: 32 accounts take 8 enrollment times, and check/diff/read calls queue behind them.
`widen_provider_server_pool` lifts that pool's limit: by default the pool starts a thread for
every call that finds none idle, so every create the engine sends (`pulumi up --parallel N`) is in
flight at once, however many (a waiting create costs a thread and its wait, about 0.16 MiB:
docs/fleets-at-scale.md). It reaches into private attributes of grpc (`grpc._server._ServerState`)
and concurrent.futures (`ThreadPoolExecutor._max_workers`), so it verifies everything it touches and, when anything is not as expected, leaves the server alone and
says so once: another grpcio or pulumi is never a crash, at worst 4 calls at a time. This is the
project's one real maintenance risk: VERIFIED_WITH names the versions the widening was proven with,
and tests/unit/test_pool_widening.py checks it with whatever is installed (`make test` runs it with
constraints.txt's pins, `make test-bounds` at both ends of the supported ranges).
"""

from __future__ import annotations

import gc
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

#: What the pool's limit becomes by default: no ceiling. `ThreadPoolExecutor` starts a thread for a
#: call that finds none idle while it has fewer threads than its limit, so every call the engine sends
#: runs at once; the engine's `--parallel` is what bounds them (a fixed 256 made a fleet of 300 wait
#: for a second round of enrollments).
NO_CEILING = sys.maxsize
#: The gRPC service the provider server serves (how its grpc server is told from others).
PROVIDER_SERVICE = "pulumirpc.ResourceProvider"
#: The versions of the distributions whose private internals the widening reaches, with which it was
#: proven to apply (tests/fleet: more than 4 blocking creates at once in the real provider server):
#: the lowest each supported range allows, constraints.txt's pins (also through the real `pulumi` CLI
#: in tests/e2e), and the newest the index served when last checked (`make test-bounds`).
VERIFIED_WITH: dict[str, tuple[str, ...]] = {
    "grpcio": ("1.66.2", "1.85.3", "1.85.4"),
    "pulumi": ("3.139.0", "3.260.0", "3.272.0"),
}


@dataclass(frozen=True)
class PoolWidening:
    """What `widen_provider_server_pool` did, for the log and for the test that guards it."""

    applied: bool
    detail: str


def provider_server_states() -> list[Any]:
    """The states (`grpc._server._ServerState`) of the running grpc servers of this process that
    serve ResourceProvider (`cancel_watch` uses them too).

    Found by looking at the live objects rather than at how the process was launched, so it
    works whatever started the server and finds nothing in a process that is not one.
    """
    from grpc import _server

    state_type = getattr(_server, "_ServerState", None)
    started = getattr(getattr(_server, "_ServerStage", None), "STARTED", None)
    if state_type is None or started is None:
        raise LookupError("grpc._server no longer has _ServerState/_ServerStage")
    return [state for state in gc.get_objects()
            if isinstance(state, state_type) and getattr(state, "stage", None) is started and _serves_provider(state)]


def provider_server_pools() -> list[Any]:
    """The thread pools of the running grpc servers of this process that serve ResourceProvider."""
    return [getattr(state, "thread_pool", None) for state in provider_server_states()]


def _serves_provider(state: Any) -> bool:
    """Whether a grpc server state serves ResourceProvider (generic or registered handlers)."""
    names = {getattr(h, "service_name", lambda: None)() for h in getattr(state, "generic_handlers", ())}
    methods = getattr(state, "registered_method_handlers", None) or {}
    return PROVIDER_SERVICE in names or any(str(m).startswith(f"/{PROVIDER_SERVICE}/") for m in methods)


class PoolWidener:
    """Decides once whether the provider server's pool can be widened, and warns once if not."""

    def __init__(self, find_pools: Callable[[], list[Any]] = provider_server_pools) -> None:
        self._find_pools = find_pools
        self._decision: PoolWidening | None = None
        self._warned = False
        self._lock = threading.Lock()

    def widen(self, workers: int = NO_CEILING, warn: Callable[[str], None] | None = None) -> PoolWidening:
        """Let the provider server run `workers` calls at once instead of 4 (by default, all it is sent).

        If it cannot, `warn` hears why (once per widener), and the stock server keeps working.
        """
        with self._lock:
            if self._decision is None:
                self._decision = self._decide(workers)
            if not self._decision.applied and warn is not None and not self._warned:
                self._warned = True
                warn(self._decision.detail)
            return self._decision

    def _decide(self, workers: int) -> PoolWidening:
        """Widen only when exactly one pool is found and it looks like the ThreadPoolExecutor we know."""
        try:
            pools = self._find_pools()
        except Exception as error:  # noqa: BLE001 - grpc internals changed: keep the stock server
            return _not_widened(f"looking for it failed: {type(error).__name__}: {error}")
        if len(pools) != 1:
            return _not_widened(f"found {len(pools)} running grpc servers serving {PROVIDER_SERVICE}, "
                                f"expected exactly 1")
        pool = pools[0]
        before = getattr(pool, "_max_workers", None)
        if not isinstance(pool, ThreadPoolExecutor) or not isinstance(before, int) \
                or not callable(getattr(pool, "_adjust_thread_count", None)):
            return _not_widened(f"its thread pool ({type(pool).__name__}) has no integer _max_workers "
                                f"and _adjust_thread_count")
        pool._max_workers = max(before, workers)
        limit = "every call it is sent" if pool._max_workers >= NO_CEILING else f"up to {pool._max_workers} calls"
        return PoolWidening(True, f"provider server runs {limit} at once (was {before})")


def _not_widened(problem: str) -> PoolWidening:
    verified = "; ".join(f"{name} {', '.join(versions)}" for name, versions in VERIFIED_WITH.items())
    return PoolWidening(
        False,
        f"could not widen the provider server's thread pool ({problem}); enrollments run at most "
        f"4 at a time in this process. Please report this with your pulumi and grpcio versions "
        f"(the widening was verified with {verified}).",
    )


_PROCESS_WIDENER = PoolWidener()


def widen_provider_server_pool(workers: int = NO_CEILING,
                               warn: Callable[[str], None] | None = None) -> PoolWidening:
    """`PoolWidener.widen` for this process's provider server: decided once per process."""
    return _PROCESS_WIDENER.widen(workers, warn)
