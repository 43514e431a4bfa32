"""
Sandbox copy throughput against ``cp -r`` of the same data (default 1 GiB in
1,000 files), both on this machine's disk, in the same run.

    python benchmarks/bench_copy.py [--files 1000] [--total-mib 1024]

The target is at least 0.7x the speed of ``cp -r``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import time

from _sandbox import collection_dir, logged_in_sandbox

from globus_jupyter.core.transfer import TransferOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--total-mib", type=int, default=1024)
    args = parser.parse_args()
    size = args.total_mib * 1024 * 1024 // args.files

    with logged_in_sandbox() as (root, _, session):
        scratch = collection_dir(root, "scratch")
        source = scratch / "data"
        source.mkdir(parents=True)
        block = os.urandom(size)
        for number in range(args.files):
            (source / f"part-{number:04d}.bin").write_bytes(
                block[number:] + block[:number]
            )
        os.sync()

        start = time.perf_counter()
        subprocess.run(["cp", "-r", str(source), str(scratch / "cp-copy")], check=True)
        os.sync()
        cp_seconds = time.perf_counter() - start
        shutil.rmtree(scratch / "cp-copy")

        start = time.perf_counter()
        task = session.transfer.transfer(
            "scratch:/data",
            "scratch:/sandbox-copy",
            recursive=True,
            options=TransferOptions(label="copy benchmark", verify_checksum=True),
        )
        snapshot = task.wait()
        os.sync()
        sandbox_seconds = time.perf_counter() - start
        if snapshot is None or not snapshot.succeeded:
            raise SystemExit(f"the sandbox copy did not succeed: {snapshot}")

    total = size * args.files
    print(f"copy of {total / 2**20:.0f} MiB in {args.files} files")
    print(
        f"  cp -r          {cp_seconds:7.2f} s  {total / cp_seconds / 2**20:8.1f} MiB/s"
    )
    print(
        f"  sandbox task   {sandbox_seconds:7.2f} s  "
        f"{total / sandbox_seconds / 2**20:8.1f} MiB/s (checksums verified)"
    )
    print(f"  ratio {cp_seconds / sandbox_seconds:.2f}x of cp -r (target >= 0.7x)")


if __name__ == "__main__":
    main()
