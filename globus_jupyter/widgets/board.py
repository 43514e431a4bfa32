"""
``TaskBoard``: this user's Transfer tasks and the local history in one live table.

The table is read in the callback that asks for it (Refresh, or opening the
board); after that each row of an active task follows the session's watcher, so
the one watcher thread keeps every row current with one request per interval.
"""

from __future__ import annotations

import datetime
import functools
import html
import logging
import math
import threading
import typing as t

import ipywidgets as widgets

from globus_jupyter import core
from globus_jupyter.core.watcher import TaskSnapshot

from .login import ERROR_COLOR, PanelActions
from .text import human_bytes, status_text

if t.TYPE_CHECKING:
    import pandas as pd

    from globus_jupyter.core.transfer import TransferService

log = logging.getLogger(__name__)

_LONG_AGO = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

_STATUS_COLORS = {"SUCCEEDED": "#1b7f3b", "FAILED": ERROR_COLOR}
_BAR_STYLES = {"SUCCEEDED": "success", "FAILED": "danger"}

#: column titles and widths, shared by the header and every row
_COLUMNS = (
    ("label", "16em"),
    ("status", "11em"),
    ("files", "6em"),
    ("bytes", "7em"),
    ("progress", "9em"),
    ("submitted", "10em"),
)

#: what the details show of a task document, in this order
_DETAIL_FIELDS = (
    "task_id",
    "label",
    "type",
    "status",
    "nice_status",
    "source_endpoint_display_name",
    "destination_endpoint_display_name",
    "request_time",
    "completion_time",
    "deadline",
    "sync_level",
    "verify_checksum",
    "files",
    "directories",
    "files_transferred",
    "files_skipped",
    "bytes_transferred",
    "effective_bytes_per_second",
    "faults",
    "fatal_error",
)


def snapshots_of(frame: pd.DataFrame) -> list[TaskSnapshot]:
    """Rows of a ``task_list`` frame as the snapshots the watcher would give."""
    return [
        TaskSnapshot(
            task_id=str(row["task_id"]),
            status=str(row["status"]),
            nice_status=_text_or_none(row["nice_status"]),
            label=_text_or_none(row["label"]),
            type=str(row["type"]),
            files=int(row["files"]),
            files_transferred=int(row["files_transferred"]),
            files_skipped=int(row["files_skipped"]),
            bytes_transferred=int(row["bytes_transferred"]),
            bytes_per_second=float(row["bytes_per_second"]),
            faults=int(row["faults"]),
            request_time=_time_or_none(row["request_time"]),
            completion_time=_time_or_none(row["completion_time"]),
        )
        for row in frame.to_dict("records")
    ]


def _text_or_none(value: t.Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _time_or_none(value: t.Any) -> datetime.datetime | None:
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).to_pydatetime()


def _cell(value: str, width: str) -> widgets.HTML:
    return widgets.HTML(value=value, layout=widgets.Layout(width=width))


class TaskRow(widgets.HBox):  # type: ignore[misc]
    """One task: label, status, files n/N, bytes, a small bar, when submitted."""

    def __init__(
        self, snapshot: TaskSnapshot, *, submitted_here: bool, **kwargs: t.Any
    ) -> None:
        self.task_id = snapshot.task_id
        self.snapshot = snapshot
        widths = dict(_COLUMNS)
        self.select_button = widgets.Button(
            description=snapshot.label or snapshot.task_id[:8],
            tooltip=f"show task {snapshot.task_id}",
            icon="star" if submitted_here else "",
            layout=widgets.Layout(width=widths["label"]),
        )
        self.status = _cell("", widths["status"])
        self.files = _cell("", widths["files"])
        self.bytes = _cell("", widths["bytes"])
        self.bar = widgets.FloatProgress(
            value=0.0, min=0.0, max=1.0, layout=widgets.Layout(width=widths["progress"])
        )
        self.submitted = _cell("", widths["submitted"])
        super().__init__(
            children=[
                self.select_button,
                self.status,
                self.files,
                self.bytes,
                self.bar,
                self.submitted,
            ],
            **kwargs,
        )
        self.add_class("globus-task-row")
        self.update(snapshot)

    def update(self, snapshot: TaskSnapshot) -> None:
        """Show ``snapshot``; called from the watcher thread too."""
        self.snapshot = snapshot
        color = _STATUS_COLORS.get(snapshot.status, "inherit")
        fraction = snapshot.fraction
        when = snapshot.request_time
        with self.hold_sync():
            self.status.value = (
                f'<span style="color:{color}">'
                f"{html.escape(status_text(snapshot))}</span>"
            )
            self.files.value = f"{snapshot.files_done}/{snapshot.files or '?'}"
            self.bytes.value = human_bytes(snapshot.bytes_transferred)
            self.bar.value = fraction if fraction is not None else 0.0
            self.bar.bar_style = _BAR_STYLES.get(snapshot.status, "info")
            self.submitted.value = when.strftime("%Y-%m-%d %H:%M") if when else ""


class TaskBoard(widgets.VBox):  # type: ignore[misc]
    """
    Recent Transfer tasks and those submitted from here, with live progress.

    Rows marked with a star were submitted from this machine (the local history
    keeps them across kernel restarts). Pick a row to see the task's details and
    events, and to cancel it.

    :param session: defaults to the notebook's current session
    :param limit: how many tasks the table shows, newest first

    .. code-block:: python

        from globus_jupyter.widgets import TaskBoard
        TaskBoard()
    """

    def __init__(
        self, session: core.Session | None = None, *, limit: int = 25, **kwargs: t.Any
    ) -> None:
        self._session = session
        self.limit = limit
        self.rows: dict[str, TaskRow] = {}
        # the watcher thread drops the listeners of tasks that finish
        self._lock = threading.Lock()
        self._listeners: dict[str, t.Callable[[TaskSnapshot], None]] = {}
        self.selected: str | None = None

        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.summary = widgets.HTML(value="")
        self.table = widgets.VBox()
        self.details = widgets.HTML(value="")
        self.events = widgets.HTML(value="")
        self.cancel_button = widgets.Button(
            description="Cancel task", icon="stop", button_style="warning"
        )
        self.cancel_button.layout.display = "none"
        self.detail_area = widgets.VBox([self.details, self.cancel_button, self.events])
        self.notice = widgets.HTML(value="")
        self.error = widgets.HTML(value="")
        self.login_area = widgets.VBox()
        self.actions = PanelActions(
            lambda: self.session,
            error=self.error,
            notice=self.notice,
            login_area=self.login_area,
        )

        self.refresh_button.on_click(lambda _: self.actions.run(self.refresh))
        self.cancel_button.on_click(lambda _: self.actions.run(self._cancel))

        super().__init__(
            children=[
                widgets.HBox([self.refresh_button, self.summary]),
                self.table,
                self.notice,
                self.error,
                self.login_area,
                self.detail_area,
            ],
            **kwargs,
        )
        self.add_class("globus-task-board")
        self.actions.run(self.refresh)

    @property
    def session(self) -> core.Session:
        return self._session if self._session is not None else core.session()

    @property
    def transfer(self) -> TransferService:
        return self.session.transfer

    # -- the table ----------------------------------------------------------------

    def refresh(self) -> None:
        """Read the task list and the history again; follow the active tasks."""
        service = self.transfer
        recent = service.task_list(limit=self.limit)
        mine = service.task_list(limit=self.limit, history_only=True)
        snapshots = {s.task_id: s for s in snapshots_of(mine)}
        snapshots.update({s.task_id: s for s in snapshots_of(recent)})
        here = set(mine["task_id"]) | set(recent[recent["submitted_here"]]["task_id"])
        newest = sorted(
            snapshots.values(),
            key=lambda s: s.request_time or _LONG_AGO,
            reverse=True,
        )[: self.limit]

        rows: list[TaskRow] = []
        for snapshot in newest:
            row = self.rows.get(snapshot.task_id)
            if row is None:
                row = TaskRow(snapshot, submitted_here=snapshot.task_id in here)
                row.select_button.on_click(
                    functools.partial(self._on_row_clicked, snapshot.task_id)
                )
            else:
                row.update(snapshot)
            rows.append(row)
        self._follow(rows)

        active = sum(not row.snapshot.done for row in rows)
        with self.hold_sync():
            self.rows = {row.task_id: row for row in rows}
            self.table.children = [self._header(), *rows]
            self.summary.value = (
                f"{len(rows)} task{'s' if len(rows) != 1 else ''}, {active} active"
                if rows
                else "No tasks yet."
            )
        if self.selected is not None and self.selected in self.rows:
            self.select(self.selected)

    def _follow(self, rows: list[TaskRow]) -> None:
        """Watch every active row; stop watching rows that left the table."""
        watcher = self.transfer.watcher
        keep = {row.task_id for row in rows}
        with self._lock:
            gone = {
                task_id: self._listeners.pop(task_id)
                for task_id in list(self._listeners)
                if task_id not in keep
            }
            fresh = {
                row.task_id: self._listener(row)
                for row in rows
                if not row.snapshot.done and row.task_id not in self._listeners
            }
            self._listeners.update(fresh)
        for task_id, listener in gone.items():
            watcher.unwatch(task_id, listener)
        for task_id, listener in fresh.items():
            watcher.watch(task_id, listener)

    def _listener(self, row: TaskRow) -> t.Callable[[TaskSnapshot], None]:
        def changed(snapshot: TaskSnapshot) -> None:
            row.update(snapshot)
            if snapshot.done:
                with self._lock:
                    self._listeners.pop(snapshot.task_id, None)
                if self.selected == snapshot.task_id:
                    self.cancel_button.layout.display = "none"

        return changed

    @staticmethod
    def _header() -> widgets.HBox:
        return widgets.HBox(
            [_cell(f"<b>{title}</b>", width) for title, width in _COLUMNS]
        )

    # -- one task -----------------------------------------------------------------

    def _on_row_clicked(self, task_id: str, _button: t.Any = None) -> None:
        self.actions.run(lambda: self.select(task_id))

    def select(self, task_id: str) -> None:
        """Show a task's details and events."""
        service = self.transfer
        document = service.task_show(task_id)
        events = service.task_events(task_id)
        self.selected = task_id
        with self.hold_sync():
            for row_id, row in self.rows.items():
                row.select_button.button_style = "info" if row_id == task_id else ""
            self.details.value = _details_html(document)
            self.events.value = (
                "<b>Events</b>" + events.to_html(index=False, max_rows=50)
                if len(events)
                else "<b>Events</b>: none yet"
            )
            active = document.get("status") not in ("SUCCEEDED", "FAILED")
            self.cancel_button.layout.display = None if active else "none"

    def _cancel(self) -> None:
        if self.selected is None:
            return
        message = self.transfer.task_cancel(self.selected)
        self.notice.value = html.escape(f"Task {self.selected}: {message}")
        self.cancel_button.layout.display = "none"


def _details_html(document: t.Mapping[str, t.Any]) -> str:
    rows = []
    for field in _DETAIL_FIELDS:
        value: t.Any = document.get(field)
        if value is None or value == "":
            continue
        if field == "fatal_error" and isinstance(value, dict):
            value = value.get("description") or value.get("code")
        if field in ("bytes_transferred", "effective_bytes_per_second"):
            value = human_bytes(float(value)) + ("/s" if "second" in field else "")
        rows.append(
            f"<tr><th style='text-align:left;padding-right:1em'>"
            f"{html.escape(field)}</th><td>{html.escape(str(value))}</td></tr>"
        )
    return "<b>Task</b><table class='globus-task-details'>" + "".join(rows) + "</table>"
