"""Fixtures of the reliability suite, the per-test secret scan, and the run summary.

The summary (crashes survived, faults injected, bad inputs rejected, ...) is written as JSON to
`.pytest_cache/d/reliability/summary.json` (the temp dir when the cache is disabled) and
printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import JOURNAL_ENV
from alicloud_account_factory import __version__
from tests.reliability.reliability_support import ENROLL_SECONDS, EVIDENCE, SUMMARY, dump_json

HERE = Path(__file__).resolve().parent
LAST_MODULE = "test_secret_scan.py"
_durations: dict[str, float] = {}


@pytest.fixture(scope="session", autouse=True)
def _no_provider_process_left_behind() -> Iterator[None]:
    """A test that fails half-way must not leave provider servers running after the session."""
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
    """The final secret scan runs after every other reliability test, whatever the file order."""
    last = [item for item in items if item.path.parent == HERE and item.path.name == LAST_MODULE]
    if last:
        items[:] = [item for item in items if item not in last] + last


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if Path(str(report.fspath)).resolve().parent == HERE:
        _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def _totals() -> dict[str, Any]:
    """The headline figures, across sections (absent sections count as 0)."""
    def get(section: str, key: str) -> Any:
        return SUMMARY.get(section, {}).get(key, 0)

    return {
        "crashes_survived": get("crash_safety", "crashes_survived"),
        "creates_after_crash": get("crash_safety", "creates_after_crash"),
        "enrollments_under_faults": get("faults", "enrollments"),
        "faults_injected": get("faults", "faults_injected"),
        "service_restarts_survived": get("emulator_restarts", "restarts"),
        "bad_inputs_rejected": get("bad_inputs", "rejected"),
        "unknowns_accepted_in_preview": get("bad_inputs", "unknowns_accepted_in_preview"),
        "fuzz_examples_run": get("fuzz", "examples_run"),
        "past_blobs_through_full_lifecycle": get("state_compatibility", "past_blobs_through_full_lifecycle"),
        "failed_or_timed_out_creates_resumed": get("failure_recovery", "failed_then_resumed")
        + get("failure_recovery", "timed_out_then_resumed"),
        "duplicates_found": sum(get(s, "duplicates_found")
                                for s in ("crash_safety", "faults", "emulator_restarts", "failure_recovery")),
        "secret_leaks_found": get("secrets", "leaks_found"),
    }


def _summary_path(config: pytest.Config) -> Path:
    cache = getattr(config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("reliability")) / "summary.json"
    return Path(tempfile.gettempdir()) / "alicloud-account-factory-reliability-summary.json"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Write the machine-readable summary of this run and print it."""
    if not SUMMARY:
        return
    summary = {
        "package_version": __version__,
        "suite_seconds": round(sum(_durations.values()), 1),
        "tests_run": len(_durations),
        "exit_status": int(exitstatus),
        "totals": _totals(),
        **SUMMARY,
    }
    path = _summary_path(config)
    dump_json(path, summary)
    terminalreporter.write_sep("-", f"reliability summary ({path})")
    terminalreporter.write_line(json.dumps(summary, indent=2, sort_keys=True))
