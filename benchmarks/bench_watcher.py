"""
Transfer requests per poll interval while the watcher follows 1, 10, 100 and 200
tasks: the target is one request per interval whatever the number of tasks.

    python benchmarks/bench_watcher.py [--seconds 6]

Tasks are slow transfers to the throttled collection, so they stay active while
the requests are counted on the session's Transfer client.
"""

from __future__ import annotations

import argparse
import time
import typing as t

import globus_sdk
from _sandbox import collection_dir, logged_in_sandbox

from globus_jupyter.core.transfer import TransferOptions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--counts", default="1,10,100,200")
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]

    # a trickle of bandwidth keeps every task active while we count
    with logged_in_sandbox(remote_bandwidth=1024) as (root, _, session):
        (collection_dir(root, "scratch") / "big.bin").write_bytes(b"\0" * 4_000_000)
        client = session.client(globus_sdk.TransferClient)
        requests_seen: list[str] = []
        send = client.transport.session.send

        def counting_send(request: t.Any, **kwargs: t.Any) -> t.Any:
            requests_seen.append(request.url)
            return send(request, **kwargs)

        client.transport.session.send = counting_send  # type: ignore[method-assign]

        print(f"Transfer requests per poll, watching for {args.seconds:.0f} s")
        print(f"  {'tasks':>6} {'polls':>6} {'requests':>9} {'per poll':>9}")
        watcher = session.watcher
        for count in counts:
            tasks = [
                session.transfer.transfer(
                    "scratch:/big.bin",
                    f"remote:/bench-{count}-{n}.bin",
                    options=TransferOptions(label=f"bench {count}"),
                )
                for n in range(count)
            ]
            polls_before = watcher.polls
            requests_seen.clear()
            time.sleep(args.seconds)
            polls = watcher.polls - polls_before
            task_lists = sum("/task_list" in url for url in requests_seen)
            print(
                f"  {count:>6} {polls:>6} {task_lists:>9} "
                f"{task_lists / max(polls, 1):>9.2f}"
            )
            for task in tasks:
                client.cancel_task(task.task_id)
            for task in tasks:
                watcher.wait(task.task_id, timeout=60)


if __name__ == "__main__":
    main()
