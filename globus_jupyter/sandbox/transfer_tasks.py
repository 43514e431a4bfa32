"""
Transfer tasks, their events and successful transfers, and bookmarks, in SQLite.

A task row holds what was submitted (``document``, as JSON) and every progress
counter the Task document shows, so that a task survives a restart: a task that
was ``ACTIVE`` when the sandbox stopped is picked up again when it starts. The
worker changes counters in batches (:meth:`TransferStore.record_progress`), never
per chunk of data.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import time
import typing as t
import uuid

from .collections import collection_by_id
from .state import SandboxState

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transfer_tasks (
    task_id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    username TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    nice_status TEXT,
    nice_status_short_description TEXT,
    fatal_error TEXT,
    label TEXT,
    submission_id TEXT NOT NULL,
    request_time REAL NOT NULL,
    completion_time REAL,
    deadline REAL NOT NULL,
    source_endpoint_id TEXT NOT NULL,
    destination_endpoint_id TEXT,
    document TEXT NOT NULL,
    files INTEGER NOT NULL DEFAULT 0,
    directories INTEGER NOT NULL DEFAULT 0,
    symlinks INTEGER NOT NULL DEFAULT 0,
    files_transferred INTEGER NOT NULL DEFAULT 0,
    files_skipped INTEGER NOT NULL DEFAULT 0,
    bytes_transferred INTEGER NOT NULL DEFAULT 0,
    bytes_checksummed INTEGER NOT NULL DEFAULT 0,
    subtasks_total INTEGER NOT NULL DEFAULT 0,
    subtasks_succeeded INTEGER NOT NULL DEFAULT 0,
    subtasks_failed INTEGER NOT NULL DEFAULT 0,
    subtasks_retrying INTEGER NOT NULL DEFAULT 0,
    subtasks_canceled INTEGER NOT NULL DEFAULT 0,
    subtasks_expired INTEGER NOT NULL DEFAULT 0,
    subtasks_skipped_errors INTEGER NOT NULL DEFAULT 0,
    faults INTEGER NOT NULL DEFAULT 0,
    active_seconds REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS transfer_tasks_by_owner
    ON transfer_tasks (owner_id, request_time);
CREATE INDEX IF NOT EXISTS transfer_tasks_by_status ON transfer_tasks (status);
CREATE TABLE IF NOT EXISTS transfer_submissions (
    owner_id TEXT NOT NULL,
    submission_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    PRIMARY KEY (owner_id, submission_id)
);
CREATE TABLE IF NOT EXISTS transfer_task_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    time REAL NOT NULL,
    code TEXT NOT NULL,
    is_error INTEGER NOT NULL,
    description TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transfer_task_events_by_task
    ON transfer_task_events (task_id);
CREATE TABLE IF NOT EXISTS transfer_successful (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id TEXT NOT NULL,
    source_path TEXT NOT NULL,
    destination_path TEXT NOT NULL,
    size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS transfer_successful_by_task
    ON transfer_successful (task_id);
CREATE TABLE IF NOT EXISTS transfer_bookmarks (
    id TEXT PRIMARY KEY,
    owner_id TEXT NOT NULL,
    name TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    path TEXT NOT NULL,
    pinned INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    UNIQUE (owner_id, name)
);
"""

#: Progress counters of a task: the Task document shows each under this name.
COUNTERS = (
    "files",
    "directories",
    "symlinks",
    "files_transferred",
    "files_skipped",
    "bytes_transferred",
    "bytes_checksummed",
    "subtasks_total",
    "subtasks_succeeded",
    "subtasks_failed",
    "subtasks_retrying",
    "subtasks_canceled",
    "subtasks_expired",
    "subtasks_skipped_errors",
    "faults",
)

ACTIVE, INACTIVE, SUCCEEDED, FAILED = "ACTIVE", "INACTIVE", "SUCCEEDED", "FAILED"
#: the nice status of a submitted task that no worker has started yet
QUEUED = "Queued"
#: the nice status of a task working without trouble
OK = "OK"
#: fatal error codes (and nice statuses) of tasks stopped before they finished
CANCELED = "CANCELED"
DEADLINE_EXPIRED = "DEADLINE_EXPIRED"


@dataclasses.dataclass(frozen=True)
class TaskEvent:
    """One entry of a task's event list."""

    code: str
    description: str
    details: str = ""
    is_error: bool = False
    time: float = dataclasses.field(default_factory=time.time)


@dataclasses.dataclass(frozen=True)
class SuccessfulTransfer:
    source_path: str
    destination_path: str
    size: int


@dataclasses.dataclass(frozen=True)
class NewTask:
    """A task about to be created from a submission."""

    owner_id: str
    username: str
    type: str
    submission_id: str
    label: str | None
    deadline: float
    source_endpoint_id: str
    destination_endpoint_id: str | None
    document: dict[str, t.Any]


class TransferStore:
    """Transfer's tables in the sandbox state."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        state.add_schema(_SCHEMA)

    # submitting

    def submit(self, task: NewTask) -> tuple[str, bool]:
        """
        Create a task, unless this owner already submitted this submission id.

        :returns: the task id and whether it is new; a repeated submission gets
            the id of the task the first one made
        """
        with self._state.transaction() as db:
            found = db.execute(
                "SELECT task_id FROM transfer_submissions"
                " WHERE owner_id = ? AND submission_id = ?",
                (task.owner_id, task.submission_id),
            ).fetchone()
            if found is not None:
                return str(found["task_id"]), False
            task_id = str(uuid.uuid4())
            now = time.time()
            db.execute(
                "INSERT INTO transfer_tasks (task_id, owner_id, username, type,"
                " status, nice_status, nice_status_short_description, label,"
                " submission_id, request_time, deadline, source_endpoint_id,"
                " destination_endpoint_id, document)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task_id,
                    task.owner_id,
                    task.username,
                    task.type,
                    ACTIVE,
                    QUEUED,
                    QUEUED,
                    task.label,
                    task.submission_id,
                    now,
                    task.deadline,
                    task.source_endpoint_id,
                    task.destination_endpoint_id,
                    json.dumps(task.document),
                ),
            )
            db.execute(
                "INSERT INTO transfer_submissions VALUES (?, ?, ?)",
                (task.owner_id, task.submission_id, task_id),
            )
        log.debug("created %s task %s", task.type, task_id)
        return task_id, True

    # reading

    def task(self, task_id: str) -> dict[str, t.Any] | None:
        with self._state.transaction() as db:
            row = db.execute(
                "SELECT * FROM transfer_tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
        return None if row is None else dict(row)

    def tasks_of(self, owner_id: str) -> list[dict[str, t.Any]]:
        with self._state.transaction() as db:
            rows = db.execute(
                "SELECT * FROM transfer_tasks WHERE owner_id = ?", (owner_id,)
            ).fetchall()
        return [dict(row) for row in rows]

    def active_task_ids(self) -> list[str]:
        """Tasks still to run, oldest first: the queue after a restart."""
        with self._state.transaction() as db:
            rows = db.execute(
                "SELECT task_id FROM transfer_tasks WHERE status = ?"
                " ORDER BY request_time",
                (ACTIVE,),
            ).fetchall()
        return [str(row["task_id"]) for row in rows]

    def events(self, task_id: str) -> list[dict[str, t.Any]]:
        """A task's events, newest first, as the event list shows them."""
        with self._state.transaction() as db:
            rows = db.execute(
                "SELECT * FROM transfer_task_events WHERE task_id = ? ORDER BY id DESC",
                (task_id,),
            ).fetchall()
        return [
            {
                "DATA_TYPE": "event",
                "code": row["code"],
                "is_error": bool(row["is_error"]),
                "description": row["description"],
                "details": row["details"],
                "time": api_time(row["time"]),
            }
            for row in rows
        ]

    def successful_transfers(
        self, task_id: str, *, offset: int, limit: int
    ) -> list[dict[str, t.Any]]:
        with self._state.transaction() as db:
            rows = db.execute(
                "SELECT source_path, destination_path FROM transfer_successful"
                " WHERE task_id = ? ORDER BY id LIMIT ? OFFSET ?",
                (task_id, limit, offset),
            ).fetchall()
        return [
            {
                "DATA_TYPE": "successful_transfer",
                "source_path": row["source_path"],
                "destination_path": row["destination_path"],
            }
            for row in rows
        ]

    def completed_files(self, task_id: str) -> dict[str, int]:
        """Destination paths a task already wrote, with their sizes."""
        with self._state.transaction() as db:
            rows = db.execute(
                "SELECT destination_path, size FROM transfer_successful"
                " WHERE task_id = ?",
                (task_id,),
            ).fetchall()
        return {str(row["destination_path"]): int(row["size"]) for row in rows}

    # the worker's updates

    def start(
        self, task_id: str, counters: t.Mapping[str, int], event: TaskEvent
    ) -> bool:
        """
        Mark a task as running with fresh counters.

        :returns: false if the task is no longer active (canceled while queued)
        """
        assignments = ", ".join(f"{name} = ?" for name in counters)
        with self._state.transaction() as db:
            updated = db.execute(
                f"UPDATE transfer_tasks SET {assignments}, nice_status = ?,"  # noqa: S608
                " nice_status_short_description = ?"
                " WHERE task_id = ? AND status = ?",
                (*counters.values(), OK, OK, task_id, ACTIVE),
            ).rowcount
            if updated:
                _insert_events(db, task_id, [event])
        return bool(updated)

    def record_progress(
        self,
        task_id: str,
        counters: t.Mapping[str, float],
        *,
        successful: t.Sequence[SuccessfulTransfer] = (),
        events: t.Sequence[TaskEvent] = (),
        nice_status: str | None = None,
    ) -> None:
        """
        Store a batch of progress: counters, finished files and events. The nice
        status changes only while the task is active: a canceled task keeps its.
        """
        assignments = ", ".join(f"{name} = ?" for name in counters)
        with self._state.transaction() as db:
            db.execute(
                f"UPDATE transfer_tasks SET {assignments}"  # noqa: S608
                " WHERE task_id = ?",
                (*counters.values(), task_id),
            )
            if nice_status is not None:
                db.execute(
                    "UPDATE transfer_tasks SET nice_status = ?,"
                    " nice_status_short_description = ?"
                    " WHERE task_id = ? AND status = ?",
                    (nice_status, nice_status, task_id, ACTIVE),
                )
            db.executemany(
                "INSERT INTO transfer_successful"
                " (task_id, source_path, destination_path, size) VALUES (?, ?, ?, ?)",
                [
                    (task_id, done.source_path, done.destination_path, done.size)
                    for done in successful
                ],
            )
            _insert_events(db, task_id, events)

    def finish(
        self,
        task_id: str,
        status: str,
        *,
        event: TaskEvent,
        fatal_code: str | None = None,
    ) -> bool:
        """
        End an active task as ``SUCCEEDED`` or ``FAILED`` (with ``fatal_code``).

        :returns: false if it had already ended (it was canceled meanwhile)
        """
        fatal = (
            None
            if fatal_code is None
            else json.dumps({"code": fatal_code, "description": event.description})
        )
        with self._state.transaction() as db:
            row = db.execute(
                "SELECT subtasks_total, subtasks_succeeded, subtasks_failed,"
                " subtasks_canceled, subtasks_expired, subtasks_skipped_errors"
                " FROM transfer_tasks WHERE task_id = ? AND status = ?",
                (task_id, ACTIVE),
            ).fetchone()
            if row is None:
                return False
            pending = _pending(dict(row))
            expired = pending if fatal_code == DEADLINE_EXPIRED else 0
            failed = pending - expired if status == FAILED else 0
            db.execute(
                "UPDATE transfer_tasks SET status = ?, nice_status = ?,"
                " nice_status_short_description = ?, fatal_error = ?,"
                " completion_time = ?, subtasks_expired = subtasks_expired + ?,"
                " subtasks_failed = subtasks_failed + ?, subtasks_retrying = 0"
                " WHERE task_id = ?",
                (
                    status,
                    fatal_code,
                    None if fatal_code is None else event.description,
                    fatal,
                    time.time(),
                    expired,
                    failed,
                    task_id,
                ),
            )
            _insert_events(db, task_id, [event])
        return True

    def cancel(self, task_id: str) -> bool:
        """
        Cancel a task that has not ended.

        :returns: false if it had already ended
        """
        event = TaskEvent(CANCELED, "The task was canceled by its owner")
        with self._state.transaction() as db:
            row = db.execute(
                "SELECT * FROM transfer_tasks WHERE task_id = ? AND status IN (?, ?)",
                (task_id, ACTIVE, INACTIVE),
            ).fetchone()
            if row is None:
                return False
            db.execute(
                "UPDATE transfer_tasks SET status = ?, nice_status = ?,"
                " nice_status_short_description = ?, fatal_error = ?,"
                " completion_time = ?, subtasks_canceled = subtasks_canceled + ?,"
                " subtasks_retrying = 0 WHERE task_id = ?",
                (
                    FAILED,
                    CANCELED,
                    "canceled",
                    json.dumps({"code": CANCELED, "description": "canceled"}),
                    time.time(),
                    _pending(dict(row)),
                    task_id,
                ),
            )
            _insert_events(db, task_id, [event])
        return True

    def update(
        self, task_id: str, *, label: str | None, deadline: float | None
    ) -> None:
        with self._state.transaction() as db:
            if label is not None:
                db.execute(
                    "UPDATE transfer_tasks SET label = ? WHERE task_id = ?",
                    (label, task_id),
                )
            if deadline is not None:
                db.execute(
                    "UPDATE transfer_tasks SET deadline = ? WHERE task_id = ?",
                    (deadline, task_id),
                )

    # bookmarks

    def bookmarks(self, owner_id: str) -> list[dict[str, t.Any]]:
        with self._state.transaction() as db:
            rows = db.execute(
                "SELECT * FROM transfer_bookmarks WHERE owner_id = ?"
                " ORDER BY created, name",
                (owner_id,),
            ).fetchall()
        return [_bookmark_document(dict(row)) for row in rows]

    def bookmark(self, owner_id: str, bookmark_id: str) -> dict[str, t.Any] | None:
        with self._state.transaction() as db:
            row = db.execute(
                "SELECT * FROM transfer_bookmarks WHERE owner_id = ? AND id = ?",
                (owner_id, bookmark_id.lower()),
            ).fetchone()
        return None if row is None else _bookmark_document(dict(row))

    def create_bookmark(
        self, owner_id: str, *, name: str, endpoint_id: str, path: str, pinned: bool
    ) -> dict[str, t.Any] | None:
        """The new bookmark, or ``None`` if the owner has one of that name."""
        bookmark_id = str(uuid.uuid4())
        with self._state.transaction() as db:
            if _bookmark_named(db, owner_id, name):
                return None
            db.execute(
                "INSERT INTO transfer_bookmarks VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    bookmark_id,
                    owner_id,
                    name,
                    endpoint_id,
                    path,
                    int(pinned),
                    time.time(),
                ),
            )
        return self.bookmark(owner_id, bookmark_id)

    def update_bookmark(
        self,
        owner_id: str,
        bookmark_id: str,
        *,
        name: str | None,
        pinned: bool | None,
    ) -> dict[str, t.Any] | None:
        """
        Rename or pin a bookmark.

        :raises BookmarkNameTaken: if another bookmark has the new name
        """
        with self._state.transaction() as db:
            if name is not None:
                same = _bookmark_named(db, owner_id, name)
                if same is not None and same != bookmark_id.lower():
                    raise BookmarkNameTaken(name)
                db.execute(
                    "UPDATE transfer_bookmarks SET name = ?"
                    " WHERE owner_id = ? AND id = ?",
                    (name, owner_id, bookmark_id.lower()),
                )
            if pinned is not None:
                db.execute(
                    "UPDATE transfer_bookmarks SET pinned = ?"
                    " WHERE owner_id = ? AND id = ?",
                    (int(pinned), owner_id, bookmark_id.lower()),
                )
        return self.bookmark(owner_id, bookmark_id)

    def delete_bookmark(self, owner_id: str, bookmark_id: str) -> bool:
        with self._state.transaction() as db:
            deleted = db.execute(
                "DELETE FROM transfer_bookmarks WHERE owner_id = ? AND id = ?",
                (owner_id, bookmark_id.lower()),
            ).rowcount
        return bool(deleted)


class BookmarkNameTaken(ValueError):
    """Another bookmark of the same owner already has this name."""


def _insert_events(db: t.Any, task_id: str, events: t.Sequence[TaskEvent]) -> None:
    db.executemany(
        "INSERT INTO transfer_task_events"
        " (task_id, time, code, is_error, description, details)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (task_id, e.time, e.code, int(e.is_error), e.description, e.details)
            for e in events
        ],
    )


def _bookmark_named(db: t.Any, owner_id: str, name: str) -> str | None:
    row = db.execute(
        "SELECT id FROM transfer_bookmarks WHERE owner_id = ? AND name = ?",
        (owner_id, name),
    ).fetchone()
    return None if row is None else str(row["id"])


def _bookmark_document(row: dict[str, t.Any]) -> dict[str, t.Any]:
    return {
        "DATA_TYPE": "bookmark",
        "id": row["id"],
        "name": row["name"],
        "endpoint_id": row["endpoint_id"],
        "path": row["path"],
        "pinned": bool(row["pinned"]),
    }


def _pending(row: t.Mapping[str, t.Any]) -> int:
    done = sum(
        int(row[name])
        for name in (
            "subtasks_succeeded",
            "subtasks_failed",
            "subtasks_canceled",
            "subtasks_expired",
            "subtasks_skipped_errors",
        )
    )
    return max(0, int(row["subtasks_total"]) - done)


# --- documents ----------------------------------------------------------------------


def api_time(seconds: float | None) -> str | None:
    """A task time as Transfer shows it: ``2026-01-31T12:00:00+00:00``."""
    if seconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc)
    return moment.isoformat()


def task_document(row: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A task row as the Task document ``get_task`` and ``task_list`` show."""
    document = json.loads(row["document"])
    source = collection_by_id(row["source_endpoint_id"])
    destination_id = row["destination_endpoint_id"]
    destination = collection_by_id(destination_id) if destination_id else None
    is_transfer = row["type"] == "TRANSFER"
    active_seconds = float(row["active_seconds"])
    bytes_transferred = int(row["bytes_transferred"])
    status = row["status"]
    fatal = json.loads(row["fatal_error"]) if row["fatal_error"] else None
    doc: dict[str, t.Any] = {
        "DATA_TYPE": "task",
        "task_id": row["task_id"],
        "type": row["type"],
        "status": status,
        "label": row["label"],
        "owner_id": row["owner_id"],
        "username": row["username"],
        "command": "API 0.10",
        "request_time": api_time(row["request_time"]),
        "completion_time": api_time(row["completion_time"]),
        "deadline": api_time(row["deadline"]),
        "source_endpoint": source.display_name if source else None,
        "source_endpoint_id": row["source_endpoint_id"],
        "source_endpoint_display_name": source.display_name if source else None,
        "destination_endpoint": destination.display_name if destination else None,
        "destination_endpoint_id": destination_id,
        "destination_endpoint_display_name": (
            destination.display_name if destination else None
        ),
        "source_local_user": None,
        "destination_local_user": None,
        "source_base_path": None,
        "destination_base_path": None,
        "sync_level": document.get("sync_level") if is_transfer else None,
        "verify_checksum": bool(document.get("verify_checksum", False)),
        "preserve_timestamp": bool(document.get("preserve_timestamp", False)),
        "encrypt_data": bool(document.get("encrypt_data", False)),
        "delete_destination_extra": bool(
            document.get("delete_destination_extra", False)
        ),
        "skip_source_errors": bool(document.get("skip_source_errors", False)),
        "fail_on_quota_errors": bool(document.get("fail_on_quota_errors", False)),
        "recursive_symlinks": "ignore",
        "filter_rules": document.get("filter_rules"),
        "is_paused": False,
        "is_ok": (row["faults"] == 0) if status == ACTIVE else None,
        "nice_status": row["nice_status"],
        "nice_status_short_description": row["nice_status_short_description"],
        "nice_status_details": None,
        "nice_status_expires_in": None,
        "fatal_error": fatal,
        "history_deleted": False,
        "canceled_by_admin": None,
        "canceled_by_admin_message": None,
        "effective_bytes_per_second": (
            int(bytes_transferred / active_seconds) if active_seconds > 0 else 0
        ),
    }
    for name in COUNTERS:
        doc[name] = int(row[name])
    doc["subtasks_pending"] = _pending(row) if status == ACTIVE else 0
    return doc
