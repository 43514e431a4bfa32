"""
Run the sandbox in the foreground until SIGTERM or Ctrl-C.

Usage: ``python -m globus_jupyter.sandbox --root DIR [--port N]
[--access-token-lifetime SECONDS]``

It prints one line, ``Globus sandbox serving at http://127.0.0.1:N/``, once it
answers, so a script can start it with ``--port 0`` and read the port back.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import types
from pathlib import Path

from .server import DEFAULT_ACCESS_TOKEN_LIFETIME, Sandbox, SandboxError


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
