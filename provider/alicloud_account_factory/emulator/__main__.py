"""Command line: ``python -m alicloud_account_factory.emulator`` / ``account-factory-emulator``.

Prints the endpoint URL as the first stdout line (so a parent process can read it even
with ``--port 0``), logs one line per request to stderr and exits 0 on SIGINT/SIGTERM
after flushing the state file.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
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
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="account-factory-emulator",
        description="Local emulator of Alibaba Cloud Cloud Governance Center (governance 2021-01-20).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: 0 = any free port)")
    parser.add_argument("--access-key-id", default=DEFAULT_ACCESS_KEY_ID,
                        help=f"accepted AccessKey id (default: {DEFAULT_ACCESS_KEY_ID})")
    parser.add_argument("--access-key-secret", default=DEFAULT_ACCESS_KEY_SECRET,
                        help="accepted AccessKey secret (default: the documented test secret)")
    parser.add_argument("--enroll-seconds", type=_non_negative_float, default=DEFAULT_ENROLL_SECONDS,
                        help=f"how long one enrollment takes (default: {DEFAULT_ENROLL_SECONDS:g})")
    parser.add_argument("--state-file", default=None, metavar="PATH",
                        help="persist state to this JSON file and resume from it (default: in memory)")
    parser.add_argument("--qps", type=_positive_int, default=None, metavar="N",
                        help="answer Throttling.User above N API requests per second (default: unlimited)")
    parser.add_argument("--seed", type=int, default=None, metavar="N",
                        help="RNG seed for fault probabilities and new account uids")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run until SIGINT or SIGTERM; returns the process exit code."""
    args = build_parser().parse_args(argv)
    emulator = Emulator(
        host=args.host,
        port=args.port,
        access_key_id=args.access_key_id,
        access_key_secret=args.access_key_secret,
        enroll_seconds=args.enroll_seconds,
        state_file=args.state_file,
        qps=args.qps,
        seed=args.seed,
        log_stream=sys.stderr,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        emulator.start()
    except StateFileError as exc:
        print(f"account-factory-emulator: {exc}", file=sys.stderr, flush=True)
        return 2
    except OSError as exc:
        print(f"account-factory-emulator: cannot listen on {args.host}:{args.port}: {exc}",
              file=sys.stderr, flush=True)
        return 2
    print(emulator.endpoint, flush=True)
    print(f"account-factory-emulator: serving on {emulator.endpoint} "
          f"(access key id {args.access_key_id}, enroll {args.enroll_seconds:g}s"
          f"{', state ' + args.state_file if args.state_file else ''})", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        emulator.stop()
    print("account-factory-emulator: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
