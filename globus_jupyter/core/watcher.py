"""
The task watcher: one background thread that follows every watched task.

Each interval it makes one batched request per service (for Transfer, one
``task_list`` filtered by the watched task ids), turns the answers into immutable
:class:`TaskSnapshot` objects, and hands the changed ones to listeners. The
interval backs off while nothing changes and the thread ends when nothing is
watched. Interrupting the kernel only interrupts the kernel's thread: the watcher
finishes the update it is in and carries on.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import threading
import time
import typing as t

log = logging.getLogger(__name__)

#: statuses after which a task never changes again
FINAL_STATUSES = frozenset({"SUCCEEDED", "FAILED"})

Listener = t.Callable[["TaskSnapshot"], None]


@dataclasses.dataclass(frozen=True)
class TaskSnapshot:
    """One task's progress at one moment. Never changes once made."""

    task_id: str
    status: str
    nice_status: str | None
    label: str | None
    type: str
    files: int
    files_transferred: int
    files_skipped: int
    bytes_transferred: int
    bytes_per_second: float
    faults: int
    request_time: datetime.datetime | None
    completion_time: datetime.datetime | None
    fatal_error: str | None = None
    observed_at: float = dataclasses.field(default_factory=time.monotonic)

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    @property
    def files_done(self) -> int:
        return self.files_transferred + self.files_skipped

    @property
    def fraction(self) -> float | None:
        """Share of files done, ``None`` before the task knows how many there are."""
        if self.succeeded:
            return 1.0
        if self.files <= 0:
            return None
        return min(1.0, self.files_done / self.files)

    @property
    def elapsed(self) -> datetime.timedelta | None:
        if self.request_time is None:
            return None
        end = self.completion_time or datetime.datetime.now(datetime.timezone.utc)
        return max(datetime.timedelta(0), end - self.request_time)

    @property
    def eta(self) -> datetime.timedelta | None:
        """Time left, estimated from the files done so far at the average pace."""
        fraction, elapsed = self.fraction, self.elapsed
        if self.done or not fraction or elapsed is None:
            return None
        return elapsed * ((1 - fraction) / fraction)

    def _same_progress(self, other: TaskSnapshot) -> bool:
        return dataclasses.replace(self, observed_at=0) == dataclasses.replace(
            other, observed_at=0
        )

    @classmethod
    def from_transfer_task(cls, doc: t.Mapping[str, t.Any]) -> TaskSnapshot:
        """A snapshot of a Transfer task document (``get_task`` / ``task_list``)."""
        return cls(
            task_id=str(doc["task_id"]),
            status=str(doc.get("status") or "UNKNOWN"),
            nice_status=doc.get("nice_status"),
            label=doc.get("label"),
            type=str(doc.get("type") or "TRANSFER"),
            files=int(doc.get("files") or 0),
            files_transferred=int(doc.get("files_transferred") or 0),
            files_skipped=int(doc.get("files_skipped") or 0),
            bytes_transferred=int(doc.get("bytes_transferred") or 0),
            bytes_per_second=float(doc.get("effective_bytes_per_second") or 0),
            faults=int(doc.get("faults") or 0),
            request_time=parse_time(doc.get("request_time")),
            completion_time=parse_time(doc.get("completion_time")),
            fatal_error=_fatal_error(doc),
        )


def parse_time(value: t.Any) -> datetime.datetime | None:
    """Transfer's ``2026-12-03T13:00:00+00:00`` (or with a space) as UTC."""
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.datetime.fromisoformat(value.replace(" ", "T"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.astimezone(datetime.timezone.utc)


def _fatal_error(doc: t.Mapping[str, t.Any]) -> str | None:
    fatal = doc.get("fatal_error")
    if isinstance(fatal, dict):
        return str(fatal.get("description") or fatal.get("code") or "")
    if doc.get("status") == "FAILED":
        return str(doc.get("nice_status") or "FAILED")
    return None


#: Fetches many tasks of one service in one request.
TaskPoller = t.Callable[[t.Sequence[str]], dict[str, "TaskSnapshot"]]


class TaskWatcher:
    """
    Follows watched tasks from one background thread.

    :param poller: the batched request, e.g. one Transfer ``task_list``
    :param interval: seconds between polls while tasks change
    :param max_interval: the longest wait once nothing has changed for a while
    """

    def __init__(
        self,
        poller: TaskPoller,
        *,
        interval: float = 2.0,
        max_interval: float = 30.0,
    ) -> None:
        self._poller = poller
        self.interval = interval
        self.max_interval = max_interval
        self._lock = threading.Condition()
        self._listeners: dict[str, list[Listener]] = {}
        self._snapshots: dict[str, TaskSnapshot] = {}
        self._thread: threading.Thread | None = None
        self._wakeup = threading.Event()
        self.polls = 0
        self.last_error: BaseException | None = None

    # -- what is watched ----------------------------------------------------------

    def watch(self, task_id: str, listener: Listener | None = None) -> None:
        """Follow ``task_id``; ``listener`` gets every new snapshot of it."""
        with self._lock:
            known = self._snapshots.get(task_id)
            new = task_id not in self._listeners
            if known is not None and known.done:
                # nothing more will happen to it: show the end, poll nothing
                new = False
            else:
                self._listeners.setdefault(task_id, [])
            if listener is not None:
                if task_id in self._listeners:
                    self._listeners[task_id].append(listener)
                if known is not None:
                    listener(known)
            if task_id in self._listeners:
                self._ensure_thread()
        if new:
            # a newly watched task gets its first snapshot without waiting
            self._wakeup.set()

    def unwatch(self, task_id: str, listener: Listener | None = None) -> None:
        with self._lock:
            if listener is None:
                self._listeners.pop(task_id, None)
            elif listener in self._listeners.get(task_id, []):
                self._listeners[task_id].remove(listener)

    @property
    def watched(self) -> list[str]:
        with self._lock:
            return list(self._listeners)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def snapshot(self, task_id: str) -> TaskSnapshot | None:
        with self._lock:
            return self._snapshots.get(task_id)

    def wait(
        self, task_id: str, *, timeout: float | None = None
    ) -> TaskSnapshot | None:
        """
        Block until ``task_id`` is done or ``timeout`` passes; the last snapshot.

        A kernel interrupt ends the wait, not the watching.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        self.watch(task_id)
        with self._lock:
            while True:
                known = self._snapshots.get(task_id)
                if known is not None and known.done:
                    return known
                if task_id not in self._listeners:
                    self._listeners[task_id] = []
                self._ensure_thread()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return known
                # short waits so that a KeyboardInterrupt is seen promptly
                self._lock.wait(0.2 if left is None else min(left, 0.2))

    def poll_now(self) -> None:
        """Ask the thread to poll at once instead of at the end of its interval."""
        self._wakeup.set()

    # -- the thread ---------------------------------------------------------------

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._run, name="globus-task-watcher", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        interval = self.interval
        while True:
            with self._lock:
                task_ids = list(self._listeners)
                if not task_ids:
                    self._thread = None
                    self._lock.notify_all()
                    return
            changed = self._poll_once(task_ids)
            interval = (
                self.interval if changed else min(interval * 1.5, self.max_interval)
            )
            self._wakeup.wait(interval)
            self._wakeup.clear()

    def _poll_once(self, task_ids: list[str]) -> bool:
        try:
            found = self._poller(task_ids)
        except Exception as error:  # the next poll may succeed; keep watching
            log.debug("task poll failed", exc_info=True)
            self.last_error = error
            return False
        self.polls += 1
        self.last_error = None

        notify: list[tuple[Listener, TaskSnapshot]] = []
        changed = False
        with self._lock:
            for task_id, new in found.items():
                old = self._snapshots.get(task_id)
                if old is not None and old._same_progress(new):
                    continue
                changed = True
                self._snapshots[task_id] = new
                notify += [
                    (listener, new) for listener in self._listeners.get(task_id, [])
                ]
                if new.done:
                    self._listeners.pop(task_id, None)

        # views first, waiters after: when wait() returns, every view shows
        # the state it returned
        for listener, snapshot in notify:
            try:
                listener(snapshot)
            except Exception:  # a broken view must not stop the others
                log.debug("task listener failed", exc_info=True)
        with self._lock:
            self._lock.notify_all()
        return changed
