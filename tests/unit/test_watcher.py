"""The task watcher, with a poller that stands in for Transfer's task_list."""

from __future__ import annotations

import itertools
import threading
import typing as t

import pytest

from globus_jupyter.core.watcher import TaskSnapshot, TaskWatcher


def task_doc(
    task_id: str, status: str = "ACTIVE", done: int = 0, files: int = 4
) -> dict[str, t.Any]:
    return {
        "task_id": task_id,
        "status": status,
        "nice_status": "OK" if status == "ACTIVE" else None,
        "type": "TRANSFER",
        "files": files,
        "files_transferred": done,
        "files_skipped": 0,
        "bytes_transferred": done * 100,
        "effective_bytes_per_second": 50,
        "faults": 0,
        "request_time": "2026-12-03T12:00:00+00:00",
        "completion_time": "2026-12-03T12:00:08+00:00"
        if status == "SUCCEEDED"
        else None,
    }


class ScriptedTransfer:
    """Answers each poll from a script of task states, recording every call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.progress: dict[str, int] = {}
        self.lock = threading.Lock()
        self.moving = True

    def __call__(self, task_ids: t.Sequence[str]) -> dict[str, TaskSnapshot]:
        with self.lock:
            self.calls.append(list(task_ids))
            found = {}
            for task_id in task_ids:
                done = self.progress.setdefault(task_id, 0)
                if not self.moving:
                    done = -1
                else:
                    self.progress[task_id] = done + 1
                status = "SUCCEEDED" if done + 1 >= 4 else "ACTIVE"
                found[task_id] = TaskSnapshot.from_transfer_task(
                    task_doc(task_id, status, min(done + 1, 4))
                )
            return found


def test_one_request_per_poll_for_many_tasks() -> None:
    transfer = ScriptedTransfer()
    transfer.moving = False  # every task waits in the queue until all are watched
    watcher = TaskWatcher(transfer, interval=0.01)
    ids = [f"task-{n}" for n in range(200)]
    for task_id in ids:
        watcher.watch(task_id)
    with transfer.lock:
        all_watched = len(transfer.calls)
        transfer.moving = True

    final = [watcher.wait(task_id, timeout=10) for task_id in ids]

    assert all(snapshot is not None and snapshot.succeeded for snapshot in final)
    assert watcher.polls == len(transfer.calls)
    # once all are watched, each poll asks for every unfinished task at once:
    # the tasks need four polls each, not four requests each
    later = transfer.calls[all_watched:]
    assert 4 <= len(later) <= 8
    assert len(later[0]) == 200


def test_listeners_get_each_change_and_the_thread_stops_when_done() -> None:
    transfer = ScriptedTransfer()
    watcher = TaskWatcher(transfer, interval=0.01)
    seen: list[int] = []
    watcher.watch("t1", lambda snapshot: seen.append(snapshot.files_transferred))

    final = watcher.wait("t1", timeout=10)

    assert final is not None
    assert final.succeeded
    assert seen == [1, 2, 3, 4]
    assert (
        seen[-1] == final.files_transferred
    )  # views were updated before wait returned
    for _ in range(100):
        if not watcher.running:
            break
        threading.Event().wait(0.02)
    assert not watcher.running
    assert watcher.watched == []


def test_interval_backs_off_while_nothing_changes() -> None:
    calls: list[float] = []

    def unchanging(task_ids: t.Sequence[str]) -> dict[str, TaskSnapshot]:
        import time

        calls.append(time.monotonic())
        return {"t": TaskSnapshot.from_transfer_task(task_doc("t"))}

    watcher = TaskWatcher(unchanging, interval=0.02, max_interval=0.2)
    watcher.watch("t")
    threading.Event().wait(1.0)
    watcher.unwatch("t")

    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert len(gaps) >= 3
    assert gaps[-1] > gaps[0] * 2


def test_a_failing_poll_is_retried_and_a_broken_listener_harms_no_other() -> None:
    attempts = {"n": 0}
    transfer = ScriptedTransfer()

    def flaky(task_ids: t.Sequence[str]) -> dict[str, TaskSnapshot]:
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise ConnectionError("dropped")
        return transfer(task_ids)

    watcher = TaskWatcher(flaky, interval=0.01, max_interval=0.02)
    good: list[str] = []

    def broken(snapshot: TaskSnapshot) -> None:
        raise RuntimeError("view bug")

    watcher.watch("t", broken)
    watcher.watch("t", lambda snapshot: good.append(snapshot.status))
    final = watcher.wait("t", timeout=10)

    assert final is not None
    assert final.succeeded
    assert good[-1] == "SUCCEEDED"


def test_snapshot_fields_and_estimates() -> None:
    snapshot = TaskSnapshot.from_transfer_task(task_doc("t", "ACTIVE", 1, files=4))
    assert snapshot.fraction == pytest.approx(0.25)
    assert snapshot.eta is not None
    done = TaskSnapshot.from_transfer_task(task_doc("t", "SUCCEEDED", 4))
    assert done.fraction == 1.0
    assert done.eta is None
    assert done.elapsed is not None
    assert done.elapsed.total_seconds() == 8
    failed = TaskSnapshot.from_transfer_task(
        {**task_doc("t", "FAILED"), "nice_status": "CANCELED"}
    )
    assert failed.fatal_error == "CANCELED"
    with pytest.raises(AttributeError):
        done.status = "ACTIVE"  # type: ignore[misc]
