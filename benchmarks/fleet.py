"""Fleet benchmark: N EnrolledAccount creates at once, stock behaviour ("naive") against fleet mode ("ours").

Why: fleet.py claims two things for stacks with many accounts, and this script measures both
against the REAL provider server (`python -m pulumi.dynamic`, driven over gRPC exactly as the
engine drives it) and the emulator in a separate process:

* wall time: the stock server runs 4 provider calls at once and every waiting create holds one,
  so N creates take about N/4 enrollment times; fleet mode widens that pool;
* API calls: a poll loop per waiting account against one shared sweep for everyone (a
  ListEnrolledAccounts, or a GetEnrolledAccount per waiting account when that is cheaper) plus a
  GetEnrolledAccount at the terminal status and, in long enrollments, now and then for progress.

It also probes how long an unrelated `check` waits while the creates run (the engine sends
those for the rest of the stack during `pulumi up`).

"naive" is stack config `alicloud-account-factory:fleetMode: "false"` (stock 4-worker server, one
GetEnrolledAccount loop per account); "ours" is `"true"`. Every (N, mode) run gets a fresh
emulator process, fake engine and provider server, so no state or cache is shared.

"Enrollment time" (D) is the emulator's `--enroll-seconds`: how long the service takes to enroll
one account. "wall / D" is the wall time of the whole batch divided by D.

Usage (from the repository root, HTTP proxies unset; `make bench` does both):

    .venv/bin/python benchmarks/fleet.py [--sizes 1,8,32,100] [--enroll-seconds 3] [--long]
                                         [--qps 10 [--qps-size 100]] [--markdown PATH]

`--sizes` also takes the sizes as separate words (`--sizes 1 8 32 100`).

`--long` adds N=16 with 20-second enrollments. With 3-second enrollments a per-account poll loop
only polls 3-4 times before it is done, so the short runs understate the gap; the real service
takes 10-30 minutes, where a per-account loop polls dozens of times (its delay grows to 30 s)
while the shared poller still needs one sweep for everyone plus about one GetEnrolledAccount per
baseline item and the final one. The long section shows which way the ratio moves as
enrollments get longer.

`--qps Q` adds a section against an emulator that answers `Throttling.User` above Q requests a
second (N = `--qps-size`): every create must still finish, and "refused" shows how many requests
per enrollment the limit turned away (the shared pace of `pacing.py` keeps that low).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

from account_factory_testing.accounts import provider_config
from account_factory_testing.emulator_process import EmulatorProcess
from account_factory_testing.engine import FakeEngine
from account_factory_testing.provider_server import JOURNAL_ENV, PROXY_VARIABLES, ProviderError, ProviderServer
from account_factory_testing.registration import Registration, capture_registrations
from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.resource import RESOURCE_TYPE
from pulumi.runtime.proto import engine_pb2

#: Stack config value of `alicloud-account-factory:fleetMode` per compared mode.
MODES: dict[str, str] = {"naive": "false", "ours": "true"}
FLEET_MODE_KEY = "alicloud-account-factory:fleetMode"
STOCK_WORKERS = 4  # the stock provider server's thread pool, used only to size timeouts
PROBE_INTERVAL = 0.1
PROBE_NAME = "check-probe"
ACTIONS = ("EnrollAccount", "GetEnrolledAccount", "ListEnrolledAccounts")
SHORT_ACTION = {"EnrollAccount": "Enroll", "GetEnrolledAccount": "Get", "ListEnrolledAccounts": "List"}
TARGET_WALL_RATIO = 1.5  # (a) ours at N=32: wall <= 1.5 D
TARGET_CALL_FRACTION = 0.2  # (b) ours at N=100: calls per enrollment <= naive / 5


# --- processes ---------------------------------------------------------------------------


def api_calls(emulator: EmulatorProcess) -> tuple[dict[str, int], dict[str, int]]:
    """API requests received per action: every request, and those answered without an error."""
    state = emulator.admin.state()
    return dict(state["calls"]), dict(state["calls_ok"])


@contextmanager
def provider_stack(enroll_seconds: float, fleet_mode: str,
                   qps: int | None = None) -> Iterator[tuple[EmulatorProcess, FakeEngine, ProviderServer]]:
    """A fresh emulator, fake engine and configured provider server, with an attempt record of its
    own (an earlier run's accounts, in another emulator, are no candidates); all stopped on exit."""
    with ExitStack() as stack:
        emulator = stack.enter_context(EmulatorProcess(enroll_seconds, qps))
        engine = stack.enter_context(FakeEngine())
        journal = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-journal-"))
        server = stack.enter_context(ProviderServer(engine.address, env={JOURNAL_ENV: journal}))
        server.configure(provider_config(emulator.endpoint, **{FLEET_MODE_KEY: fleet_mode}))
        yield emulator, engine, server


# --- the resources -----------------------------------------------------------------------


@dataclass(frozen=True)
class Fleet:
    """What the engine would send: N accounts to create, and one more resource to `check`."""

    accounts: list[Registration]
    probe: Registration


def capture_fleet(n: int) -> Fleet:
    """One mocks program constructing N new accounts (plus the probe resource)."""

    def program() -> None:
        for i in range(n):
            EnrolledAccount(f"acct-{i}", account_name_prefix=f"bench-{i}", display_name=f"Bench {i}",
                            folder_id="fd-Workload01")
        EnrolledAccount(PROBE_NAME, account_name_prefix="bench-probe", display_name="Bench probe",
                        folder_id="fd-Workload01")

    registrations = [r for r in capture_registrations(program) if r.type_ == RESOURCE_TYPE]
    probe = next(r for r in registrations if r.name == PROBE_NAME)
    return Fleet([r for r in registrations if r is not probe], probe)


def checked(server: ProviderServer, registration: Registration) -> dict[str, Any]:
    """The inputs the engine would send to Create: the provider's own Check result."""
    outcome = server.check(registration.urn, {}, registration.inputs)
    if outcome.failures:
        raise RuntimeError(f"check of {registration.urn} failed: {outcome.failures}")
    return outcome.inputs


# --- one measured run --------------------------------------------------------------------


@dataclass
class RunResult:
    mode: str
    n: int
    enroll_seconds: float
    wall: float
    failures: list[str]
    check_latencies: list[float]
    calls: dict[str, int]
    calls_ok: dict[str, int]
    engine_warnings: list[str] = field(default_factory=list)

    @property
    def wall_ratio(self) -> float:
        return self.wall / self.enroll_seconds

    def calls_per_enrollment(self, action: str | None = None) -> float:
        total = sum(self.calls.values()) if action is None else self.calls.get(action, 0)
        return total / self.n

    @property
    def refused_per_enrollment(self) -> float:
        """Requests answered with an error (throttling, under --qps) per enrollment."""
        return (sum(self.calls.values()) - sum(self.calls_ok.values())) / self.n

    @property
    def check_p99(self) -> float:
        return percentile(self.check_latencies, 99)

    @property
    def check_max(self) -> float:
        return max(self.check_latencies, default=math.nan)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (with few samples the p99 is the maximum, as it should be)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def create_deadline(n: int, enroll_seconds: float) -> float:
    """A gRPC deadline no run should reach: the naive run's N/4 waves, tripled, plus slack."""
    waves = math.ceil(n / STOCK_WORKERS)
    return 120.0 + 3.0 * waves * (enroll_seconds + 5.0)


def probe_checks(server: ProviderServer, urn: str, inputs: dict[str, Any], stop: threading.Event,
                 latencies: list[float]) -> None:
    """Send a `check` every PROBE_INTERVAL until `stop`; record each one's latency."""
    while not stop.wait(PROBE_INTERVAL):
        sent = time.perf_counter()
        try:
            server.check(urn, {}, inputs)
        except ProviderError:
            continue  # the server went away (interrupted run): nothing to measure
        latencies.append(time.perf_counter() - sent)


def create_all(server: ProviderServer, creates: list[tuple[str, dict[str, Any]]], deadline: float,
               while_waiting: Callable[[threading.Event], None]) -> tuple[float, list[str]]:
    """Send every create at once (one thread each); returns (first send → last answer, failures)."""
    go, done = threading.Event(), threading.Event()
    sent: list[float] = []
    answered: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def _record_failure(urn: str, text: str) -> None:
        with lock:
            failures.append(f"{urn.rsplit('::', 1)[-1]}: {text}")

    def one(urn: str, inputs: dict[str, Any]) -> None:
        go.wait()
        start = time.perf_counter()
        try:
            server.create(urn, inputs, deadline=deadline)
        except ProviderError as error:
            _record_failure(urn, f"{error.code.name}: {_last_line(error.details)}")
        except Exception as error:  # noqa: BLE001 - counted and shown, never lost in a thread
            _record_failure(urn, f"{type(error).__name__}: {error}")
        with lock:
            sent.append(start)
            answered.append(time.perf_counter())
            if len(answered) == len(creates):
                done.set()

    threads = [threading.Thread(target=one, args=item, daemon=True) for item in creates]
    for thread in threads:
        thread.start()
    prober = threading.Thread(target=while_waiting, args=(done,), daemon=True)
    go.set()
    prober.start()
    while not done.wait(0.5):  # a timed wait keeps Ctrl-C responsive
        pass
    prober.join()
    return max(answered) - min(sent), failures


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def run(mode: str, fleet: Fleet, enroll_seconds: float, qps: int | None = None) -> RunResult:
    """One (N, mode) measurement on fresh processes."""
    n = len(fleet.accounts)
    with provider_stack(enroll_seconds, MODES[mode], qps) as (emulator, engine, server):
        creates = [(r.urn, checked(server, r)) for r in fleet.accounts]  # untimed, as in a preview
        probe_inputs = checked(server, fleet.probe)
        latencies: list[float] = []
        wall, failures = create_all(
            server, creates, create_deadline(n, enroll_seconds),
            lambda stop: probe_checks(server, fleet.probe.urn, probe_inputs, stop, latencies),
        )
        warnings = sorted({m.message for m in engine.messages if m.severity == engine_pb2.WARNING})
        return RunResult(mode, n, enroll_seconds, wall, failures, latencies, *api_calls(emulator), warnings)


def run_all(sizes: Sequence[int], enroll_seconds: float, qps: int | None = None) -> list[RunResult]:
    """Every size in both modes; prints each run as it finishes (the naive ones are slow)."""
    results = []
    for n in sizes:
        fleet = capture_fleet(n)
        for mode in MODES:
            result = run(mode, fleet, enroll_seconds, qps)
            print_run(result)
            results.append(result)
    return results


def print_run(result: RunResult) -> None:
    split = ", ".join(f"{SHORT_ACTION[a]} {result.calls_per_enrollment(a):.2f}" for a in ACTIONS)
    print(f"  {result.mode:5} N={result.n:<3} D={result.enroll_seconds:g}s  wall {result.wall:6.1f}s "
          f"({result.wall_ratio:.2f} D)  calls/enrollment {result.calls_per_enrollment():.2f} ({split}; "
          f"refused {result.refused_per_enrollment:.2f})  "
          f"check p99 {_ms(result.check_p99)} ms, max {_ms(result.check_max)} ms, "
          f"{len(result.check_latencies)} samples  failures {len(result.failures)}", flush=True)
    for failure in result.failures:
        print(f"    FAILED {failure}")
    for warning in result.engine_warnings:
        print(f"    engine warning: {warning[:300]}")


# --- reporting ---------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return "n/a" if math.isnan(seconds) else f"{seconds * 1000:.0f}"


def _pair(results: list[RunResult], n: int) -> tuple[RunResult, RunResult] | None:
    by_mode = {r.mode: r for r in results if r.n == n}
    return (by_mode["naive"], by_mode["ours"]) if set(MODES) <= set(by_mode) else None


def _sizes(results: list[RunResult]) -> list[int]:
    return sorted({r.n for r in results})


Table = tuple[list[str], list[list[str]]]


def comparison_table(results: list[RunResult]) -> Table:
    """Naive and ours side by side, one row per N."""
    headers = ["N", "D (s)", "wall s naive", "wall s ours", "wall/D naive", "wall/D ours",
               "calls/enr naive", "calls/enr ours", "check p99 ms naive", "check p99 ms ours", "failures"]
    rows = []
    for n in _sizes(results):
        pair = _pair(results, n)
        if pair is None:
            continue
        naive, ours = pair
        rows.append([str(n), f"{naive.enroll_seconds:g}", f"{naive.wall:.1f}", f"{ours.wall:.1f}",
                     f"{naive.wall_ratio:.2f}", f"{ours.wall_ratio:.2f}",
                     f"{naive.calls_per_enrollment():.2f}", f"{ours.calls_per_enrollment():.2f}",
                     _ms(naive.check_p99), _ms(ours.check_p99),
                     f"{len(naive.failures)} / {len(ours.failures)}"])
    return headers, rows


def calls_table(results: list[RunResult]) -> Table:
    """Where the API calls go, per enrollment, and the check probe's spread."""
    headers = ["N", "mode", *(f"{SHORT_ACTION[a]}/enr" for a in ACTIONS), "total/enr", "refused/enr",
               "check max ms", "check samples"]
    rows = [[str(r.n), r.mode, *(f"{r.calls_per_enrollment(a):.2f}" for a in ACTIONS),
             f"{r.calls_per_enrollment():.2f}", f"{r.refused_per_enrollment:.2f}", _ms(r.check_max),
             str(len(r.check_latencies))]
            for r in sorted(results, key=lambda r: (r.n, list(MODES).index(r.mode)))]
    return headers, rows


def render_text(table: Table) -> str:
    headers, rows = table
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows)]
    line = lambda cells: "  ".join(cell.rjust(width) for cell, width in zip(cells, widths))  # noqa: E731
    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def render_markdown(table: Table) -> str:
    headers, rows = table
    line = lambda cells: "| " + " | ".join(cells) + " |"  # noqa: E731
    numeric = [all(_is_number(cell.split(" / ")[0]) for cell in column) for column in zip(*rows)] or [True] * len(headers)
    return "\n".join([line(headers), line(["---:" if right else "---" for right in numeric]), *map(line, rows)])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text == "n/a"
    return True


def verdict_lines(results: list[RunResult]) -> list[str]:
    """The two targets, judged on the measured numbers only."""
    lines = []
    pair = _pair(results, 32)
    if pair is None:
        lines.append("(a) N=32 wall <= 1.5 D: NOT MEASURED (32 not in --sizes)")
    else:
        naive, ours = pair
        met = ours.wall_ratio <= TARGET_WALL_RATIO and not ours.failures
        lines.append(f"(a) N=32 ours wall <= {TARGET_WALL_RATIO:g} D: {'MET' if met else 'NOT MET'} - ours "
                     f"{ours.wall:.1f}s = {ours.wall_ratio:.2f} D (naive {naive.wall:.1f}s = {naive.wall_ratio:.2f} D; "
                     f"speed-up {naive.wall / ours.wall:.1f}x; failures naive {len(naive.failures)}, ours {len(ours.failures)})")
    pair = _pair(results, 100)
    if pair is None:
        lines.append("(b) N=100 calls <= naive / 5: NOT MEASURED (100 not in --sizes)")
    else:
        naive, ours = pair
        ratio = ours.calls_per_enrollment() / naive.calls_per_enrollment()
        met = ratio <= TARGET_CALL_FRACTION and not ours.failures
        lines.append(f"(b) N=100 ours calls/enrollment <= naive / 5: {'MET' if met else 'NOT MET'} - ours "
                     f"{ours.calls_per_enrollment():.2f} / naive {naive.calls_per_enrollment():.2f} = {ratio:.2f} "
                     f"(target <= {TARGET_CALL_FRACTION:.2f}; that is {1 / ratio:.1f}x fewer calls)")
    return lines


def call_ratio_lines(results: list[RunResult]) -> list[str]:
    """ours/naive calls per enrollment for every size measured (used for the --long section)."""
    lines = []
    for n in _sizes(results):
        pair = _pair(results, n)
        if pair is not None:
            naive, ours = pair
            ratio = ours.calls_per_enrollment() / naive.calls_per_enrollment()
            lines.append(f"N={n}, D={naive.enroll_seconds:g}s: ours/naive calls per enrollment = "
                         f"{ours.calls_per_enrollment():.2f} / {naive.calls_per_enrollment():.2f} = {ratio:.2f}")
    return lines


def environment_lines() -> list[str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return [
        f"CPUs: {os.cpu_count()} (usable by this process: {usable})",
        f"Python: {platform.python_version()} ({platform.python_implementation()}, {platform.platform()})",
        f"pulumi: {metadata.version('pulumi')}, grpcio: {metadata.version('grpcio')}",
    ]


@dataclass
class Section:
    title: str
    results: list[RunResult]
    notes: list[str]


def print_report(sections: list[Section], markdown_path: Path | None) -> None:
    """Text tables, verdicts, then the same tables as markdown (stdout and optionally a file)."""
    print("\n=== Environment ===")
    print("\n".join(environment_lines()))
    markdown = ["Environment: " + "; ".join(environment_lines()), ""]
    for section in sections:
        print(f"\n=== {section.title} ===")
        print(render_text(comparison_table(section.results)))
        print()
        print(render_text(calls_table(section.results)))
        print()
        print("\n".join(section.notes))
        markdown += [f"### {section.title}", "", render_markdown(comparison_table(section.results)), "",
                     render_markdown(calls_table(section.results)), "", *(f"- {note}" for note in section.notes), ""]
    text = "\n".join(markdown)
    print("\n=== Markdown ===\n")
    print(text)
    if markdown_path is not None:
        markdown_path.write_text(text + "\n")
        print(f"(markdown written to {markdown_path})")


# --- command line ------------------------------------------------------------------------


def _sizes_arg(text: str) -> list[int]:
    """One `--sizes` word: `8` or `1,8,32` (so that both `--sizes 1,8` and `--sizes 1 8` work)."""
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r}: use positive integers, e.g. --sizes 1,8,32,100 or --sizes 1 8 32 100")
    return sizes


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: use a positive integer")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", type=_sizes_arg, nargs="+", default=[[1, 8, 32, 100]],
                        help="fleet sizes N, comma- or space-separated (default 1,8,32,100)")
    parser.add_argument("--enroll-seconds", type=float, default=3.0, help="the emulator's enrollment time D (default 3)")
    parser.add_argument("--long", action="store_true", help="also run the long-enrollment section")
    parser.add_argument("--long-size", type=int, default=16, help="N of the long section (default 16)")
    parser.add_argument("--long-enroll-seconds", type=float, default=20.0, help="D of the long section (default 20)")
    parser.add_argument("--qps", type=_positive_int, default=None, metavar="Q",
                        help="also run a rate-limited section: the emulator refuses above Q requests a second")
    parser.add_argument("--qps-size", type=_positive_int, default=100, help="N of the rate-limited section (default 100)")
    parser.add_argument("--markdown", type=Path, default=None, metavar="PATH", help="also write the markdown tables here")
    args = parser.parse_args(argv)
    args.sizes = [n for words in args.sizes for n in words]
    return args


def _interrupt_on_signals() -> None:
    """SIGINT and SIGTERM unwind as KeyboardInterrupt, so every child process is stopped on the way out.

    SIGINT is set explicitly because a shell starting us in the background leaves it ignored.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, handler)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    for name in PROXY_VARIABLES:  # the Alibaba SDK would send loopback traffic to a proxy
        os.environ.pop(name, None)
    _interrupt_on_signals()
    started = time.monotonic()
    try:
        print(f"Main section: N in {args.sizes}, D = {args.enroll_seconds:g}s", flush=True)
        main_results = run_all(args.sizes, args.enroll_seconds)
        sections = [Section(f"Fleet of N new accounts, D = {args.enroll_seconds:g}s", main_results,
                            ["D = emulator enrollment time; calls = every API request the emulator received / N; "
                             "check = latency of an unrelated `check` sent every 100 ms while the creates wait",
                             *verdict_lines(main_results)])]
        if args.long:
            print(f"\nLong section: N = {args.long_size}, D = {args.long_enroll_seconds:g}s", flush=True)
            long_results = run_all([args.long_size], args.long_enroll_seconds)
            sections.append(Section(f"Longer enrollments, D = {args.long_enroll_seconds:g}s", long_results,
                                    [*call_ratio_lines(main_results), *call_ratio_lines(long_results)]))
        if args.qps:
            print(f"\nRate-limited section: N = {args.qps_size}, D = {args.enroll_seconds:g}s, "
                  f"emulator --qps {args.qps}", flush=True)
            limited = run_all([args.qps_size], args.enroll_seconds, args.qps)
            sections.append(Section(f"Rate-limited API, --qps {args.qps}, D = {args.enroll_seconds:g}s", limited,
                                    ["refused = requests answered Throttling.User; every create must still "
                                     "finish (failures 0 / 0)"]))
    except KeyboardInterrupt:
        print("\ninterrupted: child processes stopped", file=sys.stderr)
        return 130
    print_report(sections, args.markdown)
    print(f"\n(benchmark took {time.monotonic() - started:.0f}s)")
    failed = sum(len(r.failures) for s in sections for r in s.results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
