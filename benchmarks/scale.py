"""Fleets at scale through the real Pulumi engine: N accounts with `--parallel N`, beside the engine's floor.

Why: issue 23's targets are stated against what the engine itself costs. For each N this runs, in
one process and one after another, on emulators in processes of their own:

* floor: `pulumi up --parallel N` of N instant resources (benchmarks/programs/instant): what the
  engine and the provider server spend per resource, which no provider can take away;
* ours: `pulumi up --parallel N` of N EnrolledAccounts whose enrollments take D seconds;
* with `--qps Q` (once, at the largest N by default): the same against an emulator that refuses
  above Q requests a second (`Throttling.User`);
* with `--no-checkpoints`: ours again with `PULUMI_SKIP_CHECKPOINTS=true` after a first `up` of the
  stack's identity (the provider refuses it on a stack's first `up`): how much of the wall is the
  engine writing the whole state after every step.

Per row: wall; (wall - floor - overhead) / D, where overhead is an `up` of a program without
accounts and floor the instant row's wall less that overhead (the target is at most 1.3; the overhead
cancels out: it is (wall - the floor row's wall) / D, so a noisy overhead does not move it); API calls
and refusals per enrollment (the floor is 2: EnrollAccount and the GetEnrolledAccount whose answer
becomes the outputs); the provider process's peak resident memory (VmHWM of `python -m
pulumi.dynamic`, sampled until it ends); and the latency of `check` for an unrelated resource, sent
to that same provider process (found by its listening port) every PROBE_INTERVAL while the fleet
waits, as the engine sends it for the rest of a stack. The rate-limited row also shows the rate
floor: every call the fleet made that the service answered, divided by Q a second (the target:
wall - floor - overhead <= 1.2 x rate floor + D, the engine's own floor being no provider's to cut;
the whole wall is shown beside it).

Usage (from the repository root, the CLI and .venv/bin first on PATH; `make bench-scale`):

    .venv/bin/python -m benchmarks.scale [--sizes 100,300,1000] [--enroll-seconds 60]
                                         [--qps 10] [--qps-size 1000] [--no-checkpoints] [--markdown PATH]

A quick run to try it out: `make bench-scale BENCH_ARGS="--sizes 20 --enroll-seconds 10 --qps-size 20"`.
"""

from __future__ import annotations

import argparse
import calendar
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import grpc

from account_factory_testing.emulator_process import EmulatorProcess
from account_factory_testing.provider_server import CHANNEL_OPTIONS, PROXY_VARIABLES, split_urn, to_struct
from account_factory_testing.registration import Registration, capture_registrations
from account_factory_testing.sandbox import PulumiSandbox, locate_cli, processes_left_by
from alicloud_account_factory import EnrolledAccount
from alicloud_account_factory.resource import RESOURCE_TYPE
from benchmarks.engine import INSTANT, accounts, identity_urn, overhead, sandbox, timed
from benchmarks.fleet import _sizes_arg
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

PROBE_INTERVAL = 0.5
WATCH_INTERVAL = 0.2
TARGET_BEYOND_FLOOR = 1.3  # (wall - floor - overhead) / D
TARGET_RATE_FACTOR = 1.2  # wall <= 1.2 x rate floor + D under --qps
TARGET_REFUSED = 0.2  # refused requests per enrollment under --qps
TARGET_MEMORY = 1024 ** 3  # provider peak memory


# --- the provider process the engine started -------------------------------------------------


def provider_pids(box: PulumiSandbox) -> list[int]:
    """The sandbox's `python -m pulumi.dynamic` processes (not the wrapper script that starts them)."""
    pids = []
    for pid in processes_left_by(box, b"pulumi.dynamic"):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"-m" in argv and b"pulumi.dynamic" in argv:
            pids.append(pid)
    return pids


def peak_resident(pid: int) -> Optional[int]:
    """VmHWM (the most the process has held in memory), in bytes; None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def listening_port(pid: int) -> Optional[int]:
    """The TCP port the process listens on (the provider server's gRPC port), from /proc."""
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
                  if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
        # grpc listens on an IPv6 socket where it can (127.0.0.1 as an IPv4-mapped address: tcp6)
        rows = [row for table in ("tcp", "tcp6") for row in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]]
    except OSError:
        return None
    for row in rows:
        cells = row.split()
        if cells[3] == "0A" and cells[9] in inodes:  # LISTEN
            return int(cells[1].rsplit(":", 1)[1], 16)
    return None


def probe_registration() -> Registration:
    """An EnrolledAccount outside the fleet, whose `check` the probe sends."""
    def program() -> None:
        EnrolledAccount("check-probe", account_name_prefix="bench-probe", display_name="Bench probe")

    registrations = capture_registrations(program)
    return next(r for r in registrations if r.type_ == RESOURCE_TYPE)


@dataclass
class Watch:
    """What a watcher thread saw of the provider process during one `up`."""

    peak_memory: int = 0
    check_latencies: list[float] = field(default_factory=list)
    check_errors: int = 0


def watch_provider(box: PulumiSandbox, probe: Optional[Registration], stop: threading.Event, seen: Watch) -> None:
    """Sample the provider's peak memory; once it listens, send the probe's `check` every PROBE_INTERVAL."""
    stub = None
    next_probe = 0.0
    while not stop.wait(WATCH_INTERVAL):
        pids = provider_pids(box)
        for pid in pids:
            seen.peak_memory = max(seen.peak_memory, peak_resident(pid) or 0)
        if probe is None or not pids:
            continue
        if stub is None:
            port = listening_port(pids[0])
            if port is None:
                continue
            channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=CHANNEL_OPTIONS)
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
        if time.monotonic() < next_probe:
            continue
        type_, name = split_urn(probe.urn)
        request = provider_pb2.CheckRequest(urn=probe.urn, name=name, type=type_, olds=to_struct({}),
                                            news=to_struct(probe.inputs))
        sent = time.perf_counter()
        try:
            stub.Check(request, timeout=60)
        except grpc.RpcError:
            seen.check_errors += 1  # the process ended (the up is over) or refused
            stub = None
            continue
        seen.check_latencies.append(time.perf_counter() - sent)
        next_probe = time.monotonic() + PROBE_INTERVAL


# --- one row ---------------------------------------------------------------------------------


@dataclass
class Row:
    size: int
    enroll_seconds: float
    kind: str  # "floor", "ours" or "ours, --qps Q"
    wall: float
    overhead: float
    floor: Optional[float] = None  # the instant row's wall less the overhead, same N
    calls: int = 0
    refused: int = 0
    qps: Optional[int] = None
    watch: Watch = field(default_factory=Watch)
    #: Where the wall went (1-s resolution, the emulator's timestamps): `up` start -> first
    #: EnrollAccount, first -> last EnrollAccount, last enrollment finished -> `up` end.
    phases: Optional[tuple[float, float, float]] = None

    @property
    def beyond(self) -> Optional[float]:
        if self.floor is None:
            return None
        return (self.wall - self.floor - self.overhead) / self.enroll_seconds

    @property
    def rate_floor(self) -> Optional[float]:
        return None if self.qps is None else (self.calls - self.refused) / self.qps


HEADER = ["N", "D", "row", "wall", "floor's wall", "(wall - floor - overhead) / D", "calls/enr",
          "refused/enr", "provider peak MiB", "check p50 / p99 / max ms (samples)", "rate floor", "wall / (rate floor + D)",
          "to 1st enroll / enrolls spread / after last finish"]


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    return f"{ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] * 1000:.0f}"


def cells(row: Row) -> list[str]:
    fleet = row.kind != "floor"
    latencies = row.watch.check_latencies
    return [
        str(row.size), f"{row.enroll_seconds:g} s", row.kind, f"{row.wall:.1f} s",
        "" if row.floor is None else f"{row.floor + row.overhead:.1f} s",
        "" if row.beyond is None or not fleet else f"{row.beyond:.2f}",
        f"{row.calls / row.size:.2f}" if fleet else "",
        f"{row.refused / row.size:.2f}" if fleet else "",
        f"{row.watch.peak_memory / 2 ** 20:.0f}" if row.watch.peak_memory else "n/a",
        (f"{_ms(latencies, 50)} / {_ms(latencies, 99)} / {_ms(latencies, 100)} ({len(latencies)})"
         if fleet else ""),
        "" if row.rate_floor is None else f"{row.rate_floor:.0f} s",
        "" if row.rate_floor is None else f"{row.wall / (row.rate_floor + row.enroll_seconds):.2f}",
        "" if row.phases is None else " / ".join(f"{seconds:.0f} s" for seconds in row.phases),
    ]


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---:|" * len(HEADER)]
    return "\n".join(lines + ["| " + " | ".join(cells(row)) + " |" for row in rows])


def watched_up(box: PulumiSandbox, size: int, probe: Optional[Registration]) -> tuple[float, Watch, float]:
    """`pulumi up --parallel N` with the provider process watched; (wall, what was seen, when it ended)."""
    seen, stop = Watch(), threading.Event()
    watcher = threading.Thread(target=watch_provider, args=(box, probe, stop, seen), daemon=True)
    watcher.start()
    try:
        wall = timed(box, "up", "--yes", "--skip-preview", "--parallel", str(size))
    finally:
        stop.set()
        watcher.join()
    return wall, seen, time.time()


def phases(accounts: list[dict[str, Any]], started: float, ended: float) -> Optional[tuple[float, float, float]]:
    """`up` start -> first EnrollAccount, first -> last EnrollAccount, last finish -> `up` end (seconds)."""
    def epoch(stamp: str) -> float:
        return calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))

    try:
        created = sorted(epoch(a["CreateTime"]) for a in accounts)
        finished = max(epoch(a["UpdateTime"]) for a in accounts)
    except (KeyError, ValueError):
        return None
    if not created:
        return None
    return created[0] - started, created[-1] - created[0], ended - finished


def measure_floor(cli_dir: Path, work: Path, size: int, enroll_seconds: float, up_overhead: float) -> Row:
    box = PulumiSandbox(work / f"floor-{size}", cli_dir, INSTANT)
    box.set_config("count", str(size))
    wall, seen, _ended = watched_up(box, size, None)
    return Row(size, enroll_seconds, "floor", wall, up_overhead, floor=wall - up_overhead, watch=seen)


def measure_fleet(cli_dir: Path, work: Path, size: int, enroll_seconds: float, up_overhead: float,
                  floor: float, probe: Registration, qps: Optional[int] = None, checkpoints: bool = True) -> Row:
    with EmulatorProcess(enroll_seconds, qps) as emulator:
        box = sandbox(work / f"fleet-{size}-{qps}-{checkpoints}", cli_dir, emulator.endpoint, fleet_mode=True)
        box.set_accounts(accounts(size))
        if not checkpoints:
            # Refused on a stack's first up (it could lose the stack's identity): the identity first.
            box.pulumi("up", "--yes", "--skip-preview", "--target", identity_urn(box))
            box.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
        wall, seen, ended = watched_up(box, size, probe)
        state = emulator.admin.state()
    finished = sum(1 for a in state["accounts"] if a["Status"] == "Finished")
    if finished != size:
        raise RuntimeError(f"{finished} of {size} accounts finished")
    calls = sum(state["calls"].values())
    refused = calls - sum(state["calls_ok"].values())
    kind = ("ours" if qps is None else f"ours, --qps {qps}") + ("" if checkpoints else ", no checkpoints")
    return Row(size, enroll_seconds, kind, wall, up_overhead, floor=floor, calls=calls, refused=refused,
               qps=qps, watch=seen, phases=phases(state["accounts"], ended - wall, ended))


def verdicts(rows: list[Row]) -> list[str]:
    """Issue 23's targets, judged on the measured numbers only."""
    lines = []
    for row in rows:
        if row.kind == "floor" or row.beyond is None or row.floor is None:
            continue
        memory = f"peak memory {row.watch.peak_memory / 2 ** 20:.0f} MiB (target < 1024)"
        met = row.watch.peak_memory < TARGET_MEMORY
        if row.qps is None or row.rate_floor is None:
            checks = [f"(wall - floor - overhead) / D = {row.beyond:.2f} (target <= {TARGET_BEYOND_FLOOR})", memory]
            met = met and row.beyond <= TARGET_BEYOND_FLOOR
        else:
            bound = TARGET_RATE_FACTOR * row.rate_floor + row.enroll_seconds
            ours = row.wall - row.floor - row.overhead  # the engine's own floor is no provider's to cut
            checks = [f"wall - floor - overhead = {ours:.0f} s against 1.2 x rate floor + D = {bound:.0f} s "
                      f"(the whole wall: {row.wall:.0f} s)",
                      f"refused/enr {row.refused / row.size:.2f} (target <= {TARGET_REFUSED})", memory]
            met = met and ours <= bound and row.refused / row.size <= TARGET_REFUSED
        lines.append(f"N={row.size} {row.kind}: {'MET' if met else 'NOT MET'} - " + "; ".join(checks))
    return lines


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_sizes_arg, default=[100, 300, 1000], help="fleet sizes N (default 100,300,1000)")
    parser.add_argument("--enroll-seconds", type=float, default=60.0, help="the emulator's enrollment time D")
    parser.add_argument("--qps", type=int, default=10, help="the rate-limited row's limit (0: no such row)")
    parser.add_argument("--qps-size", type=int, default=None, help="N of the rate-limited row (default: the largest)")
    parser.add_argument("--markdown", type=Path, default=None, metavar="PATH", help="also write the table here")
    parser.add_argument("--no-checkpoints", action="store_true",
                        help="also a row per N with PULUMI_SKIP_CHECKPOINTS=true: the engine's checkpoint share")
    args = parser.parse_args(argv)
    if args.enroll_seconds <= 0 or args.qps < 0:
        parser.error("the enrollment time must be positive and --qps at least 0")
    if args.qps_size is None:
        args.qps_size = max(args.sizes)
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    for name in PROXY_VARIABLES:  # the Alibaba SDK would send loopback traffic to a proxy
        os.environ.pop(name, None)
    cli_dir, why_not = locate_cli()
    if cli_dir is None:
        print(f"no Pulumi CLI: {why_not}", file=sys.stderr)
        return 2
    version = subprocess.run([str(cli_dir / "pulumi"), "version"], capture_output=True, text=True).stdout.strip()
    probe = probe_registration()
    started = time.monotonic()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temp:
        work = Path(temp)
        up_overhead = overhead(cli_dir, work, ("up", "--yes", "--skip-preview"))
        print(f"pulumi {version}; {os.cpu_count()} CPUs; overhead of `pulumi up` without accounts: "
              f"{up_overhead:.1f} s", flush=True)
        floors: dict[int, float] = {}
        plan = [(size, None) for size in args.sizes] + ([(args.qps_size, args.qps)] if args.qps else [])
        for size, qps in plan:
            if size not in floors:
                rows.append(measure_floor(cli_dir, work, size, args.enroll_seconds, up_overhead))
                floors[size] = rows[-1].wall - up_overhead
                print(table(rows[-1:]).splitlines()[-1], flush=True)
            rows.append(measure_fleet(cli_dir, work, size, args.enroll_seconds, up_overhead, floors[size], probe, qps))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
            if qps is None and args.no_checkpoints:
                rows.append(measure_fleet(cli_dir, work, size, args.enroll_seconds, up_overhead, floors[size], probe,
                                          checkpoints=False))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
    text = "\n".join([f"pulumi v{version.lstrip('v')}, {os.cpu_count()} CPUs, overhead {up_overhead:.1f} s, "
                      f"D = {args.enroll_seconds:g} s", "", table(rows), "", *(f"- {line}" for line in verdicts(rows))])
    print()
    print(text)
    if args.markdown is not None:
        args.markdown.write_text(text + "\n")
    print(f"\n(benchmark took {time.monotonic() - started:.0f} s, one run per row)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
