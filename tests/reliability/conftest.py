"""Fixtures of the reliability suite and its secret scans: after each test, and once more over
everything a test process saw when its last test is done.

The run summary (crashes survived, faults injected, bad inputs rejected, ...) the tests record is
written as JSON to `.pytest_cache/d/reliability/summary.json` (the temp dir when the cache is
disabled) and printed at the end of the run, merged across xdist workers: see run_summary.py.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import JOURNAL_ENV
from tests.reliability.reliability_support import ENROLL_SECONDS, EVIDENCE, record

HERE = Path(__file__).resolve().parent
LAST_MODULE = "test_secret_scan.py"


@pytest.fixture(scope="session", autouse=True)
def _last_secret_scan() -> Iterator[None]:
    """Once this process's last reliability test is done (its servers stopped, their stderr complete),
    scan everything it collected once more; each xdist worker scans its own, the summary adds them up."""
    yield
    everything = EVIDENCE.everything()
    leaks = EVIDENCE.leaks(everything)
    record("secrets", texts_scanned=len(everything), leaks_found=len(leaks),
           by_kind=dict(sorted(Counter(kind for kind, _ in everything).items())),
           bytes_scanned=sum(len(text) for _, text in everything))
    assert not leaks, f"the secret key leaked into: {leaks}"


@pytest.fixture(scope="session", autouse=True)
def _no_provider_process_left_behind(_last_secret_scan: None) -> Iterator[None]:
    """A test that fails half-way must not leave provider servers running after the session (stopped
    before the last scan, which then reads their whole stderr)."""
    yield
    for server in list(EVIDENCE.servers):
        server.stop()


@pytest.fixture(autouse=True)
def _own_attempt_journal(tmp_path: Path) -> Iterator[Path]:
    """Each test's provider processes share a record of EnrollAccount attempts, and no other test's."""
    saved = os.environ.get(JOURNAL_ENV)
    os.environ[JOURNAL_ENV] = str(tmp_path / "journal")
    yield tmp_path / "journal"
    if saved is None:
        os.environ.pop(JOURNAL_ENV, None)
    else:
        os.environ[JOURNAL_ENV] = saved


@pytest.fixture(scope="module")
def engine(engine: FakeEngine) -> FakeEngine:
    """The shared engine stand-in; what providers tell the user lands there (and is scanned)."""
    EVIDENCE.watch_engine(engine)
    return engine


@pytest.fixture(scope="module")
def enroll_seconds() -> float:
    return ENROLL_SECONDS


@pytest.fixture(autouse=True)
def _no_secret_in_what_this_test_saw() -> Iterator[None]:
    """Fail the test that let the secret key reach a blob, an output, an error or a log."""
    before = len(EVIDENCE.items)
    yield
    seen = EVIDENCE.items[before:] + EVIDENCE.streams()
    leaks = EVIDENCE.leaks(seen)
    assert not leaks, f"the secret key leaked into: {leaks}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """test_secret_scan runs after every other reliability test of its process, whatever the file order."""
    last = [item for item in items if item.path.parent == HERE and item.path.name == LAST_MODULE]
    if last:
        items[:] = [item for item in items if item not in last] + last
