"""Fleets through the real Pulumi engine: one `pulumi up` of N accounts, ours against the stock behaviour.

Why: benchmarks/fleet.py measures the provider server alone; a user runs the CLI, whose engine
adds its own limits (`--parallel`, by default 4 per CPU) and its own fixed cost. This script runs
the real `pulumi` (what `make pulumi` provides) on a program of N EnrolledAccounts against the
emulator in a separate process, and prints, per row:

* wall: the `pulumi up --skip-preview` wall time, and (wall - overhead) / D, where the overhead is
  the same `up` of a program without accounts and D the emulator's enrollment time;
* API calls per enrollment: every request the emulator answered, divided by N (the floor is 2:
  EnrollAccount and the GetEnrolledAccount whose answer becomes the outputs);
* parallel: the engine's `--parallel` (default: the CLI's own, measured as the most
  EnrollAccount requests in flight before the first enrollment ended).

"naive" is `alicloud-account-factory:fleetMode: false` (the stock 4-worker provider server and a
GetEnrolledAccount loop per account); "ours" is the default; "ours, no checkpoints" adds
`PULUMI_SKIP_CHECKPOINTS=true`, with which the engine writes the state once at the end instead of
after every step (on a file backend each write is the whole state, so N creates cost N writes of
up to N resources); the provider refuses it on a stack's first `up`, so a first `up` creates only
the stack's identity. "floor" is an `up` of N resources that create at once: the engine's own cost
per resource, under any provider. It also times `pulumi preview` of the largest program against
the empty one's.

Usage (from the repository root, with the CLI and .venv/bin first on PATH; `make bench-engine`):

    .venv/bin/python benchmarks/engine.py [--sizes 32,100] [--enroll-seconds 3] [--long-seconds 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from account_factory_testing.accounts import ACCESS_KEY_ID, SECRET
from account_factory_testing.emulator_process import EmulatorProcess
from account_factory_testing.sandbox import PROGRAMS, PulumiSandbox, locate_cli
from alicloud_account_factory.emulator import EmulatorAdmin
from alicloud_account_factory.resource import STACK_IDENTITY_NAME


@dataclass
class Row:
    size: int
    enroll_seconds: float
    mode: str
    parallel: Optional[int]
    wall: float
    overhead: float
    calls: int
    in_flight: int

    def cells(self) -> list[str]:
        beyond = (self.wall - self.overhead) / self.enroll_seconds
        return [str(self.size), f"{self.enroll_seconds:g} s", self.mode,
                "default" if self.parallel is None else str(self.parallel), str(self.in_flight),
                f"{self.wall:.1f} s", f"{beyond:.2f} D", f"{self.calls / self.size:.2f}"]


HEADER = ["N", "D", "mode", "--parallel", "creates in flight", "wall", "(wall - overhead) / D",
          "API calls per enrollment"]


def sandbox(root: Path, cli_dir: Path, endpoint: str, *, fleet_mode: bool) -> PulumiSandbox:
    box = PulumiSandbox(root, cli_dir, PROGRAMS / "accounts")
    box.set_config("alicloud-account-factory:endpoint", endpoint)
    box.set_config("alicloud-account-factory:fleetMode", "true" if fleet_mode else "false")
    box.set_config("alicloud:accessKey", ACCESS_KEY_ID, secret=True)
    box.set_config("alicloud:secretKey", SECRET, secret=True)
    return box


def accounts(size: int) -> dict[str, dict[str, str]]:
    return {f"acct{i:03d}": {"account_name_prefix": f"bench-{i}", "display_name": f"Bench {i}"} for i in range(size)}


def timed(box: PulumiSandbox, *args: str) -> float:
    started = time.monotonic()
    box.pulumi(*args, timeout=3600)
    return time.monotonic() - started


def most_in_flight(admin: EmulatorAdmin, enroll_seconds: float) -> int:
    """EnrollAccount requests sent before the first enrollment could have ended."""
    times = sorted(r["time"] for r in admin.requests() if r.get("action") == "EnrollAccount")
    return sum(1 for t in times if t < times[0] + enroll_seconds * 0.9) if times else 0


def overhead(cli_dir: Path, work: Path, command: tuple[str, ...]) -> float:
    """The CLI's fixed cost: the median of three runs of `command` on a program without accounts."""
    with EmulatorProcess(1.0) as emulator:
        box = sandbox(work / f"empty-{command[0]}", cli_dir, emulator.endpoint, fleet_mode=True)
        box.set_accounts({})
        return statistics.median(timed(box, *command) for _ in range(3))


NO_CHECKPOINTS = "ours, no checkpoints"


def identity_urn(box: PulumiSandbox) -> str:
    return (f"urn:pulumi:{box.stack}::{box.project}::pulumi-python:dynamic/alicloud-account-factory:StackIdentity"
            f"::{STACK_IDENTITY_NAME}")


def measure(cli_dir: Path, work: Path, size: int, enroll_seconds: float, mode: str,
            parallel: Optional[int], up_overhead: float) -> Row:
    with EmulatorProcess(enroll_seconds) as emulator:
        box = sandbox(work / f"{mode}-{size}-{enroll_seconds:g}-{parallel}".replace(" ", "_").replace(",", ""),
                      cli_dir, emulator.endpoint, fleet_mode=mode != "naive")
        box.set_accounts(accounts(size))
        if mode == NO_CHECKPOINTS:
            # Refused on a stack's first up (it could lose the stack's identity): the identity first.
            box.pulumi("up", "--yes", "--skip-preview", "--target", identity_urn(box))
            box.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
        admin = emulator.admin
        wall = timed(box, "up", "--yes", "--skip-preview", *(("--parallel", str(parallel)) if parallel else ()))
        state = admin.state()
        finished = sum(1 for a in state["accounts"] if a["Status"] == "Finished")
        if finished != size:
            raise RuntimeError(f"{finished} of {size} accounts finished")
        return Row(size, enroll_seconds, mode, parallel, wall, up_overhead, sum(state["calls"].values()),
                   most_in_flight(admin, enroll_seconds))


INSTANT = Path(__file__).resolve().parent / "programs" / "instant"
FLOOR = "floor: instant resources"


def measure_floor(cli_dir: Path, work: Path, size: int, enroll_seconds: float, up_overhead: float) -> Row:
    """The same `up` of N resources that create at once: what the engine alone costs beyond the
    empty program, which bounds any provider's (wall - overhead) / D from below by 1 + floor / D."""
    box = PulumiSandbox(work / f"floor-{size}-{enroll_seconds:g}", cli_dir, INSTANT)
    box.set_config("count", str(size))
    wall = timed(box, "up", "--yes", "--skip-preview", "--parallel", str(size))
    return Row(size, enroll_seconds, FLOOR, size, wall, up_overhead, 0, size)


def preview_rows(cli_dir: Path, work: Path, size: int, preview_overhead: float) -> list[str]:
    with EmulatorProcess(1.0) as emulator:
        box = sandbox(work / f"preview-{size}", cli_dir, emulator.endpoint, fleet_mode=True)
        box.set_accounts(accounts(size))
        seconds = statistics.median(timed(box, "preview") for _ in range(3))
    return [f"`pulumi preview` of {size} new accounts: {seconds:.1f} s (a program without accounts: "
            f"{preview_overhead:.1f} s), {(seconds - preview_overhead) * 1000 / size:.0f} ms per account"]


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---:|" * len(HEADER)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="32,100", help="fleet sizes at D = --enroll-seconds (default 32,100)")
    parser.add_argument("--enroll-seconds", type=float, default=3.0)
    parser.add_argument("--long-seconds", type=float, default=20.0,
                        help="a longer D, run with the smallest size (0: skip)")
    parser.add_argument("--without-naive", action="store_true",
                        help="skip the stock rows (they take N/4 enrollment times)")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--sizes takes positive integers separated by commas, not {args.sizes!r}")
    if not args.sizes or min(args.sizes) < 1 or args.enroll_seconds <= 0 or args.long_seconds < 0:
        parser.error("sizes must be positive integers and enrollment times positive")
    return args


def main(argv: Optional[list[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    cli_dir, why_not = locate_cli()
    if cli_dir is None:
        print(f"no Pulumi CLI: {why_not}", file=sys.stderr)
        return 2
    version = subprocess.run([str(cli_dir / "pulumi"), "version"], capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as temp:
        work = Path(temp)
        up_overhead = overhead(cli_dir, work, ("up", "--yes", "--skip-preview"))
        preview_overhead = overhead(cli_dir, work, ("preview",))
        print(f"pulumi {version}; overhead of `pulumi up` without accounts: {up_overhead:.1f} s", flush=True)
        plan = [(size, args.enroll_seconds) for size in args.sizes]
        if args.long_seconds:
            plan.append((min(args.sizes), args.long_seconds))
        rows: list[Row] = []
        for size, seconds in plan:
            runs = [("ours", None), ("ours", size), (NO_CHECKPOINTS, size)]
            runs += [] if args.without_naive else [("naive", size)]
            for mode, parallel in runs:
                rows.append(measure(cli_dir, work, size, seconds, mode, parallel, up_overhead))
                print(table(rows[-1:]).splitlines()[-1], flush=True)
            rows.append(measure_floor(cli_dir, work, size, seconds, up_overhead))
            print(table(rows[-1:]).splitlines()[-1], flush=True)
        notes = preview_rows(cli_dir, work, max(args.sizes), preview_overhead)
    print()
    print(table(rows))
    print()
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
