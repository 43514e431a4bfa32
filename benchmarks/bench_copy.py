"""
Sandbox copy throughput against ``cp -r`` of the same data (default 1 GiB in
1,000 files), on this machine's disk, in the same run.

    python benchmarks/bench_copy.py [--files 1000] [--total-mib 1024] [--rounds 3]

Each round copies with ``cp -r``, with a sandbox transfer task, and with a sandbox
task that verifies checksums (globus-cli's default), each timed to the end of an
``os.sync()``. The medians are printed with their ratios to ``cp -r``; the target
for the copy itself is at least 0.7x. Verification reads every file twice more
and hashes it, which ``cp -r`` does not do: its cost is shown on its own line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import time
import typing as t
from pathlib import Path

from _sandbox import collection_dir, logged_in_sandbox

from globus_jupyter import core
from globus_jupyter.core.transfer import TransferOptions


def timed(action: t.Callable[[], None]) -> float:
    os.sync()
    start = time.perf_counter()
    action()
    os.sync()
    return time.perf_counter() - start


def sandbox_copy(session: core.Session, destination: str, verify: bool) -> None:
    task = session.transfer.transfer(
        "scratch:/data",
        f"scratch:/{destination}",
        recursive=True,
        options=TransferOptions(label=destination, verify_checksum=verify),
    )
    snapshot = task.wait()
    if snapshot is None or not snapshot.succeeded:
        raise SystemExit(f"the sandbox copy did not succeed: {snapshot}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--total-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.total_mib * 1024 * 1024 // args.files

    # polling often keeps the wait for the watcher's next look out of the timing
    with logged_in_sandbox(poll_interval=0.05) as (root, _, session):
        scratch = collection_dir(root, "scratch")
        source = scratch / "data"
        source.mkdir(parents=True)
        block = os.urandom(size)
        for number in range(args.files):
            part = block[number:] + block[:number]
            (source / f"part-{number:04d}.bin").write_bytes(part)

        def cp(destination: Path) -> None:
            subprocess.run(["cp", "-r", str(source), str(destination)], check=True)

        times: dict[str, list[float]] = {"cp -r": [], "sandbox": [], "verified": []}
        for round_number in range(args.rounds):
            copies = {
                "cp -r": lambda: cp(scratch / "by-cp"),
                "sandbox": lambda: sandbox_copy(session, "by-sandbox", False),
                "verified": lambda: sandbox_copy(session, "by-sandbox-verified", True),
            }
            for name, action in copies.items():
                times[name].append(timed(action))
            for leftover in ("by-cp", "by-sandbox", "by-sandbox-verified"):
                shutil.rmtree(scratch / leftover)
            print(
                f"  round {round_number + 1}: "
                + ", ".join(
                    f"{name} {values[-1]:.2f} s" for name, values in times.items()
                )
            )

    total = size * args.files
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(
        f"copy of {total / 2**20:.0f} MiB in {args.files} files, median of "
        f"{args.rounds} rounds"
    )
    labels = {
        "cp -r": "cp -r",
        "sandbox": "sandbox task",
        "verified": "sandbox task, checksums verified",
    }
    for name, seconds in medians.items():
        ratio = medians["cp -r"] / seconds
        print(
            f"  {labels[name]:34s} {seconds:6.2f} s {total / seconds / 2**20:8.1f} "
            f"MiB/s  {ratio:.2f}x of cp -r"
        )
    print("  target: the sandbox task at >= 0.7x of cp -r")


if __name__ == "__main__":
    main()
