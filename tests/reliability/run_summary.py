"""The reliability suite's run summary: collected in every process that runs its tests, merged and
written once, at the end of the run.

A plugin of tests/conftest.py rather than hooks of tests/reliability/conftest.py: under
pytest-xdist the controller process runs no test and loads only the top conftest, yet it is the
one that ends the run. Each worker hands the figures its tests recorded (`SUMMARY`) to the
controller (xdist's `workeroutput`), which adds them up with the same rule as `record`.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from alicloud_account_factory import __version__
from tests.reliability.reliability_support import SUMMARY, dump_json, merge_figures

HERE = Path(__file__).resolve().parent
WORKER_OUTPUT_KEY = "reliability_summary"
_durations: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Test time of the reliability tests (the controller hears every worker's reports)."""
    if Path(str(report.fspath)).resolve().parent == HERE:
        _durations[report.nodeid] = _durations.get(report.nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In an xdist worker: hand what this worker's tests recorded to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[WORKER_OUTPUT_KEY] = json.loads(json.dumps(SUMMARY))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """In the xdist controller: add up a finished worker's figures."""
    part = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if part:
        merge_figures(SUMMARY, part)


def _totals(summary: Mapping[str, Any]) -> dict[str, Any]:
    """The headline figures, across sections (absent sections count as 0)."""
    def get(section: str, key: str) -> Any:
        return summary.get(section, {}).get(key, 0)

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
    if not SUMMARY or hasattr(config, "workeroutput"):
        return
    summary = {
        "package_version": __version__,
        "suite_seconds": round(sum(_durations.values()), 1),
        "tests_run": len(_durations),
        "exit_status": int(exitstatus),
        "totals": _totals(SUMMARY),
        **SUMMARY,
    }
    path = _summary_path(config)
    dump_json(path, summary)
    terminalreporter.write_sep("-", f"reliability summary ({path})")
    terminalreporter.write_line(json.dumps(summary, indent=2, sort_keys=True))
