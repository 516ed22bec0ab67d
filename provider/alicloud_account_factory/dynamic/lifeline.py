"""Ends the provider process once the engine that started it is gone for good.

A killed `pulumi up` (kill -9, a cancelled CI job) leaves its provider process behind: the engine
starts plugins in a process group of their own, and Pulumi's Python provider server never
notices that its engine died, so a create would go on polling the API for an answer nobody will
read, and the process would stay forever. Pulumi's own plugins watch the engine with a health
check; this watches it with a TCP connect to the engine's address. It only arms once the engine
has answered, and it only counts a refused connection (nothing listens on the engine's port any
more), so a busy machine (a connect that times out, no file descriptors left) never ends a
healthy provider, nor does a provider started without a reachable engine (tests, a bare
server). The parent process proves nothing: the engine starts the provider through a shell
launcher that outlives it. Ending the process is safe: the enrollment goes on in the service, and the next
`pulumi up` finds it by its enrollment key.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from typing import Callable

#: How often the engine is looked for, and after how many refusals in a row it is taken as gone.
CHECK_SECONDS = 5.0
REFUSALS_BEFORE_EXIT = 3


def engine_answers(address: str, timeout: float = 2.0) -> bool:
    """Whether the engine may still be there: False only when a TCP connect to `host:port` is refused
    (any other failure, a timeout or a lack of file descriptors, proves nothing)."""
    host, _, port = address.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except ConnectionRefusedError:
        return False
    except (OSError, ValueError):
        return True


class EngineLifeline:
    """A daemon thread that calls `on_gone` once an engine that answered stops answering."""

    def __init__(self, address: str, *, interval: float = CHECK_SECONDS, refusals: int = REFUSALS_BEFORE_EXIT,
                 answers: Callable[[str], bool] = engine_answers, on_gone: Callable[[str], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.address = address
        self._interval = interval
        self._refusals = refusals
        self._answers = answers
        self._on_gone = on_gone or _exit_process
        self._sleep = sleep
        self._thread: threading.Thread | None = None

    def start(self) -> "EngineLifeline":
        self._thread = threading.Thread(target=self.watch, name="engine-lifeline", daemon=True)
        self._thread.start()
        return self

    def watch(self) -> None:
        """Wait for the engine to answer once, then for `refusals` failed looks in a row."""
        while not self._answers(self.address):
            self._sleep(self._interval)
        refused = 0
        while refused < self._refusals:
            self._sleep(self._interval)
            refused = 0 if self._answers(self.address) else refused + 1
        self._on_gone(self.address)


def _exit_process(address: str) -> None:
    try:  # stderr was the dead engine's pipe: saying so may fail, ending must not
        print(f"alicloud-account-factory: the Pulumi engine at {address} is gone (the `pulumi` command was killed); "
              f"this provider process ends. Enrollments go on in the service; the next `pulumi up` resumes them.",
              file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    os._exit(0)


_started: EngineLifeline | None = None
_lock = threading.Lock()


def watch_engine(address: str | None) -> EngineLifeline | None:
    """Start the process's one lifeline (a second call does nothing); None without an address."""
    global _started
    with _lock:
        if _started is None and address:
            _started = EngineLifeline(address).start()
        return _started
