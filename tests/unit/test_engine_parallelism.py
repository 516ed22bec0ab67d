"""The count behind the parallelism warning: once, with the program's whole count, only beyond the parallelism.

The warning itself, through the real CLI and the parallelism the engine passes, is tested in
tests/e2e/test_cli_parallelism.py.
"""

from __future__ import annotations

import asyncio
from typing import Optional

from alicloud_account_factory.engine_parallelism import DeclaredAccounts, engine_parallelism


def declare(count: int, parallel: Optional[int]) -> list[str]:
    """What a program body declaring `count` accounts is warned, run as the SDK runs it: inside its event loop."""
    said: list[str] = []
    accounts = DeclaredAccounts(lambda: parallel, said.append)

    async def program() -> None:
        for _ in range(count):
            accounts.declared()
        assert said == []  # not while the body runs: it has not declared them all yet
        await asyncio.sleep(0)

    asyncio.run(program())
    return said


def test_more_accounts_than_the_parallelism_are_warned_about_once_with_the_whole_count() -> None:
    said = declare(10, 4)
    assert len(said) == 1 and "declares 10 EnrolledAccounts" in said[0] and "takes 3 enrollment times" in said[0]
    assert "`pulumi up --parallel 10`" in said[0] and "PULUMI_PARALLEL=10" in said[0]


def test_as_many_as_the_parallelism_or_an_unknown_parallelism_say_nothing() -> None:
    assert declare(4, 4) == []
    assert declare(10, None) == []


def test_outside_a_pulumi_program_the_parallelism_is_unknown() -> None:
    assert engine_parallelism() is None
