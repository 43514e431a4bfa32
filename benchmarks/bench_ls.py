"""
``%globus ls`` of a 100,000-entry directory against the plain SDK call plus
``pd.DataFrame`` of its entries, in the same process and the same sandbox.

    python benchmarks/bench_ls.py [--entries 100000] [--rounds 5]

Prints the median time of each and their ratio; the target is at most 1.3x.
"""

from __future__ import annotations

import argparse
import statistics
import time

import globus_sdk
import pandas as pd
from _sandbox import collection_dir, logged_in_sandbox
from IPython.core.interactiveshell import InteractiveShell

from globus_jupyter import core
from globus_jupyter.sandbox import SANDBOX_COLLECTIONS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with logged_in_sandbox(separate_process=True) as (root, _, session):
        big = collection_dir(root, "scratch") / "big"
        big.mkdir(parents=True)
        for number in range(args.entries):
            (big / f"file-{number:06d}.dat").write_bytes(b"x" * (number % 97))

        core.use_session(session)
        shell = InteractiveShell.instance()
        shell.run_line_magic("load_ext", "globus_jupyter")
        client = session.client(globus_sdk.TransferClient)
        scratch = SANDBOX_COLLECTIONS["scratch"]

        def baseline() -> pd.DataFrame:
            response = client.operation_ls(scratch, path="/big/")
            return pd.DataFrame(response["DATA"])

        def magic() -> pd.DataFrame:
            result = shell.run_line_magic("globus", "ls scratch:/big/")
            assert isinstance(result, pd.DataFrame)
            return result

        # one untimed call each warms caches and connections
        assert len(baseline()) == len(magic()) == args.entries
        times: dict[str, list[float]] = {"sdk + pd.DataFrame": [], "%globus ls": []}
        for _ in range(args.rounds):
            for name, run in (("sdk + pd.DataFrame", baseline), ("%globus ls", magic)):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)

    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"ls of {args.entries:,} entries, median of {args.rounds} rounds")
    for name, value in medians.items():
        print(f"  {name:20s} {value:7.3f} s")
    ratio = medians["%globus ls"] / medians["sdk + pd.DataFrame"]
    print(f"  ratio {ratio:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
