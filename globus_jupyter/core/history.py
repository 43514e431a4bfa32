"""
A small local record of what this user submitted and named, in SQLite.

Task ids are written at submission so that after a kernel restart the task list
and the progress widgets can find them again; aliases (``home=<uuid>:/~/``) live
here too so they last across kernels.
"""

from __future__ import annotations

import dataclasses
import datetime
import sqlite3
import threading
from pathlib import Path

from .storage import ensure_private_dir

HISTORY_DATABASE_NAME = "history.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    task_id TEXT PRIMARY KEY,
    environment TEXT NOT NULL,
    service TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT,
    source TEXT,
    destination TEXT,
    submission_id TEXT,
    submitted_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_time ON tasks (environment, submitted_at);
CREATE TABLE IF NOT EXISTS aliases (
    environment TEXT NOT NULL,
    name TEXT NOT NULL,
    collection_id TEXT NOT NULL,
    path TEXT,
    PRIMARY KEY (environment, name)
);
"""


@dataclasses.dataclass(frozen=True)
class HistoryEntry:
    task_id: str
    service: str
    kind: str
    label: str | None
    source: str | None
    destination: str | None
    submitted_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Alias:
    name: str
    collection_id: str
    path: str | None


class LocalHistory:
    """
    Submitted tasks and aliases for one environment, shared by all kernels.

    One connection, used by one thread at a time: the watcher thread and the
    kernel thread both read it.
    """

    def __init__(self, data_dir: Path, environment: str) -> None:
        ensure_private_dir(data_dir)
        self.path = data_dir / HISTORY_DATABASE_NAME
        self.environment = environment
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        self.path.chmod(0o600)
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- tasks --------------------------------------------------------------------

    def record_task(
        self,
        task_id: str,
        *,
        service: str = "transfer",
        kind: str,
        label: str | None = None,
        source: str | None = None,
        destination: str | None = None,
        submission_id: str | None = None,
    ) -> None:
        now = datetime.datetime.now(datetime.timezone.utc).isoformat()
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO tasks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task_id,
                    self.environment,
                    service,
                    kind,
                    label,
                    source,
                    destination,
                    submission_id,
                    now,
                ),
            )

    def tasks(
        self, *, service: str = "transfer", limit: int = 100
    ) -> list[HistoryEntry]:
        """The most recently submitted tasks first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT task_id, service, kind, label, source, destination, "
                "submitted_at FROM tasks WHERE environment = ? AND service = ? "
                "ORDER BY submitted_at DESC LIMIT ?",
                (self.environment, service, limit),
            ).fetchall()
        return [
            HistoryEntry(
                task_id=row[0],
                service=row[1],
                kind=row[2],
                label=row[3],
                source=row[4],
                destination=row[5],
                submitted_at=datetime.datetime.fromisoformat(row[6]),
            )
            for row in rows
        ]

    def task_ids(self, *, service: str = "transfer") -> set[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT task_id FROM tasks WHERE environment = ? AND service = ?",
                (self.environment, service),
            ).fetchall()
        return {row[0] for row in rows}

    # -- aliases ------------------------------------------------------------------

    def set_alias(self, alias: Alias) -> None:
        with self._lock, self._db:
            self._db.execute(
                "REPLACE INTO aliases VALUES (?, ?, ?, ?)",
                (self.environment, alias.name, alias.collection_id, alias.path),
            )

    def remove_alias(self, name: str) -> bool:
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM aliases WHERE environment = ? AND name = ?",
                (self.environment, name),
            )
        return cursor.rowcount > 0

    def aliases(self) -> dict[str, Alias]:
        with self._lock:
            rows = self._db.execute(
                "SELECT name, collection_id, path FROM aliases WHERE environment = ? "
                "ORDER BY name",
                (self.environment,),
            ).fetchall()
        return {row[0]: Alias(row[0], row[1], row[2]) for row in rows}
