"""
Plain-text progress, for terminals and for the text under each widget.

Imports neither ipywidgets nor pandas.
"""

from __future__ import annotations

import datetime
import sys
import threading
import typing as t

if t.TYPE_CHECKING:
    from globus_jupyter.core.transfer import TransferTask
    from globus_jupyter.core.watcher import TaskSnapshot

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def human_bytes(count: float) -> str:
    """``1234567`` -> ``"1.2 MB"`` (decimal units, as Globus shows them)."""
    value = float(count)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def human_duration(delta: datetime.timedelta | None) -> str:
    if delta is None:
        return "-"
    seconds = int(delta.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


def status_text(snapshot: TaskSnapshot) -> str:
    if snapshot.status == "FAILED":
        reason = snapshot.fatal_error or snapshot.nice_status or "failed"
        return f"FAILED: {reason}"
    if snapshot.status == "ACTIVE" and snapshot.nice_status not in (
        None,
        "OK",
        "Queued",
    ):
        return f"ACTIVE ({snapshot.nice_status})"
    return snapshot.status


def progress_details(snapshot: TaskSnapshot) -> str:
    """``12/24 files · 5.1 MB · 2.0 MB/s · ETA 6s · 0 faults · 3s elapsed``"""
    files = f"{snapshot.files_done}/{snapshot.files or '?'} files"
    if snapshot.files_skipped:
        files += f" ({snapshot.files_skipped} skipped)"
    parts = [
        files,
        human_bytes(snapshot.bytes_transferred),
        f"{human_bytes(snapshot.bytes_per_second)}/s",
    ]
    if not snapshot.done:
        parts.append(f"ETA {human_duration(snapshot.eta)}")
    parts += [
        f"{snapshot.faults} fault{'s' if snapshot.faults != 1 else ''}",
        f"{human_duration(snapshot.elapsed)} elapsed",
    ]
    return " · ".join(parts)


def progress_line(snapshot: TaskSnapshot, *, width: int = 24) -> str:
    fraction = snapshot.fraction or 0.0
    filled = round(fraction * width)
    bar = "#" * filled + "-" * (width - filled)
    return f"[{bar}] {status_text(snapshot)} · {progress_details(snapshot)}"


class TextProgress:
    """
    A one-line progress bar rewritten in place, for terminal IPython.

    Updated from the watcher thread; a lock keeps lines whole.
    """

    def __init__(self, task: TransferTask, *, stream: t.TextIO | None = None) -> None:
        self.task = task
        self.task_id = task.task_id
        self._stream = stream or sys.stdout
        self._lock = threading.Lock()
        self.last: TaskSnapshot | None = None
        task.follow(self._on_snapshot)

    def _on_snapshot(self, snapshot: TaskSnapshot) -> None:
        with self._lock:
            self.last = snapshot
            end = "\n" if snapshot.done else ""
            self._stream.write(f"\r{progress_line(snapshot)}{end}")
            self._stream.flush()

    def __repr__(self) -> str:
        if self.last is None:
            return f"task {self.task_id}: submitted"
        return f"task {self.task_id}: {progress_line(self.last)}"
