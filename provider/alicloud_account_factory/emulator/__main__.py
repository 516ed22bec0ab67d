"""Command line: ``python -m alicloud_account_factory.emulator`` / ``account-factory-emulator``.

Prints the endpoint URL as the first stdout line (so a parent process can read it even
with ``--port 0``), logs one line per request to stderr and exits 0 on SIGINT/SIGTERM
after flushing the state file.
"""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

from .server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    DEFAULT_ENROLL_SECONDS,
    Emulator,
    StateFileError,
)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError("must be a finite number >= 0")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535 (0: any free port)")
    return value


def _say(message: str) -> None:
    """A line on stderr; a reader that went away must not turn a clean stop into a crash.

    Started with fd 2 closed, ``sys.stderr`` is None and print() would fall back to stdout,
    the channel a parent reads the endpoint from: say nothing then.
    """
    if sys.stderr is None:
        return
    try:
        print(f"account-factory-emulator: {message}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # broken pipe, closed file, EIO
        pass


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="account-factory-emulator",
        description="Local emulator of Alibaba Cloud Cloud Governance Center (governance 2021-01-20).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port to listen on (default: 0 = any free port)")
    parser.add_argument("--access-key-id", default=DEFAULT_ACCESS_KEY_ID,
                        help=f"accepted AccessKey id (default: {DEFAULT_ACCESS_KEY_ID})")
    parser.add_argument("--access-key-secret", default=DEFAULT_ACCESS_KEY_SECRET,
                        help="accepted AccessKey secret (default: the documented test secret)")
    parser.add_argument("--enroll-seconds", type=_non_negative_float, default=DEFAULT_ENROLL_SECONDS,
                        help=f"how long one enrollment takes (default: {DEFAULT_ENROLL_SECONDS:g})")
    parser.add_argument("--list-lag-seconds", type=_non_negative_float, default=0.0, metavar="S",
                        help="a newly enrolled account shows up in ListEnrolledAccounts only S seconds "
                             "later (eventual consistency; default: 0)")
    parser.add_argument("--state-file", default=None, metavar="PATH",
                        help="persist state to this JSON file and resume from it (default: in memory)")
    parser.add_argument("--qps", type=_positive_int, default=None, metavar="N",
                        help="answer Throttling.User above N API requests per second (default: unlimited)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="RNG seed for fault probabilities and new account uids")
    parser.add_argument("--catalog", default=None, metavar="FILE",
                        help="a JSON file of baseline items to add to the built-in catalog (see docs/emulator.md)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGINT or SIGTERM; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            access_key_id=args.access_key_id,
            access_key_secret=args.access_key_secret,
            enroll_seconds=args.enroll_seconds,
            state_file=args.state_file,
            qps=args.qps,
            seed=args.seed,
            list_lag_seconds=args.list_lag_seconds,
            log_stream=sys.stderr,
            catalog_file=args.catalog,
        )
    except ValueError as exc:  # the catalog file: unreadable, not JSON, or an item malformed
        _say(str(exc))
        return 2
    stopping: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Takes no lock: a handler that set a threading.Event could deadlock with the main
        # thread waiting on that Event's lock when the signal arrives.
        stopping.append(signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        emulator.start()
    except StateFileError as exc:
        _say(str(exc))
        return 2
    except OSError as exc:
        where = f"cannot write state file {args.state_file}" if exc.filename and args.state_file \
            else f"cannot listen on {args.host}:{args.port}"
        _say(f"{where}: {exc}")
        return 2
    print(emulator.endpoint, flush=True)
    _say(f"serving on {emulator.endpoint} (access key id {args.access_key_id}, enroll {args.enroll_seconds:g}s"
         f"{f', list lag {args.list_lag_seconds:g}s' if args.list_lag_seconds else ''}"
         f"{', state ' + args.state_file if args.state_file else ''}"
         f"{', catalog ' + args.catalog if args.catalog else ''})")
    try:
        while not stopping:
            time.sleep(0.2)
    finally:
        emulator.stop()
    _say("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
