"""Telling the user, once, when the engine will run fewer creates at once than the program declares accounts.

Why: the engine runs at most `--parallel` resource operations at once (the CLI's default is 4 per
CPU, or PULUMI_PARALLEL), and every EnrolledAccount create waits for its whole enrollment (10-30
minutes at Alibaba Cloud). A program of N new accounts under a parallelism P takes ceil(N/P)
enrollment times where one would do, and nothing in the CLI says why.

The program knows P: the language host passes the engine's `--parallel` to the program, which the
Python SDK keeps in its runtime settings (`pulumi.runtime.settings.SETTINGS.parallel`; there is no
public getter, so it is read defensively and a program without it says nothing). Mocks
(`pulumi.runtime.set_mocks`) set none. The count is taken as each EnrolledAccount is constructed,
and the warning goes out once the program's body has run (the SDK runs it inside its event loop:
a callback scheduled then runs when the body returns), with the program's whole count. The
program cannot tell which accounts exist already (their creates do not wait), so the warning says
so instead of guessing.
"""

from __future__ import annotations

import asyncio
import math
import threading
from typing import Callable, Optional

import pulumi

#: Where the CLI documents the two ways to raise the engine's parallelism (named in the warning).
PARALLEL_FLAG = "pulumi up --parallel"
PARALLEL_VARIABLE = "PULUMI_PARALLEL"


def engine_parallelism() -> Optional[int]:
    """The engine's `--parallel` as the program's runtime settings hold it, or None when unknown."""
    try:
        from pulumi.runtime import settings
        value = getattr(settings.SETTINGS, "parallel", None)
    except Exception:  # noqa: BLE001 - another SDK layout: say nothing rather than fail the program
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def parallelism_warning(accounts: int, parallel: int) -> str:
    """What a program of `accounts` EnrolledAccounts under an engine running `parallel` operations is told."""
    rounds = math.ceil(accounts / parallel)
    return (
        f"This program declares {accounts} EnrolledAccounts, and the engine runs at most {parallel} resource "
        f"operations at once (`--parallel`; the CLI's default is 4 per CPU). Each new account's create waits for "
        f"its whole enrollment (10-30 minutes at Alibaba Cloud), so creating them all takes {rounds} enrollment "
        f"times one after another instead of one: run `{PARALLEL_FLAG} {accounts}` (or set "
        f"{PARALLEL_VARIABLE}={accounts}; add the stack's other resources that change in the same run). Accounts "
        f"that already exist and are not replaced do not wait: if at most {parallel} are new, this costs nothing."
    )


class DeclaredAccounts:
    """Counts the EnrolledAccounts a program declares; warns once when they outnumber the engine's parallelism."""

    def __init__(self, parallelism: Callable[[], Optional[int]] = engine_parallelism,
                 warn: Callable[[str], None] = pulumi.log.warn) -> None:
        self._parallelism = parallelism
        self._warn = warn
        self._lock = threading.Lock()
        self._count = 0
        self._parallel: Optional[int] = None
        self._scheduled = False

    def declared(self) -> None:
        """One more EnrolledAccount; the first that outnumbers the parallelism schedules the warning."""
        parallel = self._parallelism()
        if parallel is None:
            return
        with self._lock:
            self._count += 1
            self._parallel = parallel
            if self._scheduled or self._count <= parallel:
                return
            self._scheduled = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not inside the SDK's event loop: the count is what it is now
            self._say()
            return
        loop.call_soon(self._say)  # after the program's body: the whole count

    def _say(self) -> None:
        with self._lock:
            count, parallel = self._count, self._parallel
        if parallel is not None:
            self._warn(parallelism_warning(count, parallel))


_PROGRAM_ACCOUNTS = DeclaredAccounts()


def account_declared() -> None:
    """`DeclaredAccounts.declared` for this program (one program runs per process)."""
    _PROGRAM_ACCOUNTS.declared()
