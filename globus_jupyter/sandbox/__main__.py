"""
Run the sandbox in the foreground until SIGTERM or Ctrl-C.

Usage: ``python -m globus_jupyter.sandbox --root DIR [--port N]
[--access-token-lifetime SECONDS] [--remote-bandwidth BYTES_PER_SECOND]
[--fault-rate RATE] [--faults KINDS] [--fault-seed N] [--latency SECONDS]
[--workers N]``

It prints one line, ``Globus sandbox serving at http://127.0.0.1:N/``, once it
answers, so a script can start it with ``--port 0`` and read the port back.
Transfer tasks left active by an earlier run on the same root carry on.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
import types
from pathlib import Path

from .faults import FAULT_KINDS
from .server import (
    DEFAULT_ACCESS_TOKEN_LIFETIME,
    DEFAULT_REMOTE_BANDWIDTH,
    DEFAULT_TRANSFER_WORKERS,
    Sandbox,
    SandboxError,
)

_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]i?B?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def bytes_per_second(text: str) -> int:
    """``4194304``, ``4MiB``, ``512K`` or ``1G``: binary units."""
    match = _SIZE.match(text)
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a rate: expected bytes per second such as 4194304, "
            "512K or 4MiB"
        )
    unit = (match.group(2) or "")[:1].upper()
    return int(match.group(1)) * _UNITS[unit]


def fault_kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(kind.strip() for kind in text.split(",") if kind.strip())
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"unknown fault kinds {', '.join(unknown) or '(none)'}: expected a "
            f"comma-separated list of {', '.join(FAULT_KINDS)}"
        )
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m globus_jupyter.sandbox",
        description="Serve the offline Globus look-alike on 127.0.0.1.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        required=True,
        help="directory for the sandbox's state; reused on the next start",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on; 0 picks a free one"
    )
    parser.add_argument(
        "--access-token-lifetime",
        type=int,
        default=DEFAULT_ACCESS_TOKEN_LIFETIME,
        metavar="SECONDS",
        help="how long access tokens live (default: 48 hours, as at Globus)",
    )
    parser.add_argument(
        "--no-refresh-tokens",
        action="store_true",
        help="never issue refresh tokens, like tokens handed over by a hub",
    )
    parser.add_argument(
        "--remote-bandwidth",
        type=bytes_per_second,
        default=DEFAULT_REMOTE_BANDWIDTH,
        metavar="BYTES_PER_SECOND",
        help="rate of copies into or out of the remote collection (default: 4MiB)",
    )
    parser.add_argument(
        "--fault-rate",
        type=float,
        default=0.0,
        metavar="RATE",
        help="share of Transfer requests that fail, from 0 to 1 (default: 0)",
    )
    parser.add_argument(
        "--faults",
        type=fault_kinds,
        default=FAULT_KINDS,
        metavar="KINDS",
        help=f"kinds of fault to inject (default: {','.join(FAULT_KINDS)})",
    )
    parser.add_argument(
        "--fault-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed for the choice of faults, to repeat them",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="delay before every Transfer request is served (default: 0)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_TRANSFER_WORKERS,
        metavar="N",
        help="Transfer tasks run at the same time (default: 2)",
    )
    args = parser.parse_args(argv)

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: types.FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    try:
        sandbox = Sandbox(
            args.root,
            port=args.port,
            access_token_lifetime=args.access_token_lifetime,
            refresh_tokens=not args.no_refresh_tokens,
            remote_bandwidth=args.remote_bandwidth,
            fault_rate=args.fault_rate,
            faults=args.faults,
            fault_seed=args.fault_seed,
            latency=args.latency,
            workers=args.workers,
        ).start()
    except (SandboxError, ValueError, OSError) as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")

    try:
        sys.stdout.write(f"Globus sandbox serving at {sandbox.url}\n")
        sys.stdout.flush()
        stop_requested.wait()
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
