"""``TaskProgress``: a live progress bar for one task, with a Cancel button."""

from __future__ import annotations

import html
import logging
import typing as t

import ipywidgets as widgets

from globus_jupyter.core.errors import describe_error

from .text import progress_details, status_text

if t.TYPE_CHECKING:
    from globus_jupyter.core.transfer import TransferTask
    from globus_jupyter.core.watcher import TaskSnapshot

log = logging.getLogger(__name__)

_BAR_STYLE = {"SUCCEEDED": "success", "FAILED": "danger"}


class TaskProgress(widgets.VBox):  # type: ignore[misc]
    """
    Status, files n/N, bytes, rate, ETA, faults and elapsed time of one task.

    The session's watcher thread calls :meth:`update`; each update changes all
    fields in one message (``hold_sync``) and never writes to an ``Output``
    widget, so it is safe from that thread.

    .. code-block:: python

        task = session.transfer.transfer("home:/~/data", "remote:/in", recursive=True)
        TaskProgress(task)
    """

    def __init__(self, task: TransferTask, **kwargs: t.Any) -> None:
        self.task = task
        self.task_id = task.task_id
        self.title = widgets.HTML(value=self._title_html())
        self.bar = widgets.FloatProgress(
            value=0.0,
            min=0.0,
            max=1.0,
            bar_style="info",
            layout=widgets.Layout(width="32em"),
        )
        self.status = widgets.HTML(value="<b>submitted</b>")
        self.details = widgets.HTML(value="")
        self.cancel_button = widgets.Button(
            description="Cancel", icon="stop", button_style="warning"
        )
        self.cancel_button.on_click(self._on_cancel)
        self.error = widgets.HTML(value="")
        super().__init__(
            children=[
                self.title,
                widgets.HBox([self.bar, self.status]),
                self.details,
                self.cancel_button,
                self.error,
            ],
            **kwargs,
        )
        self.add_class("globus-task-progress")
        task.follow(self.update)

    def _title_html(self, label: str | None = None) -> str:
        label = label or self.task.label
        shown = html.escape(label) if label else "Globus task"
        return f"{shown} <code>{html.escape(self.task_id)}</code>"

    def update(self, snapshot: TaskSnapshot) -> None:
        """Show ``snapshot``; called from the watcher thread."""
        with self.hold_sync():
            # a task found again (e.g. after a restart) learns its label here
            self.title.value = self._title_html(snapshot.label)
            fraction = snapshot.fraction
            if snapshot.status == "FAILED":
                # a failed task shows a full red bar, whatever it had done
                fraction = 1.0
            self.bar.value = fraction if fraction is not None else 0.0
            self.bar.bar_style = _BAR_STYLE.get(snapshot.status, "info")
            color = {"SUCCEEDED": "#1b7f3b", "FAILED": "#b00020"}.get(
                snapshot.status, "inherit"
            )
            self.status.value = (
                f'<b style="color:{color}">{html.escape(status_text(snapshot))}</b>'
            )
            self.details.value = html.escape(progress_details(snapshot))
            if snapshot.done:
                self.cancel_button.disabled = True
                self.cancel_button.layout.display = "none"

    def _on_cancel(self, _button: t.Any = None) -> None:
        self.cancel_button.disabled = True
        self.error.value = ""
        try:
            message = self.task.cancel()
        except Exception as error:
            self.cancel_button.disabled = False
            text = describe_error(error) or f"unexpected {type(error).__name__}"
            self.error.value = f'<span style="color:#b00020">{html.escape(text)}</span>'
            return
        self.status.value = f"<b>{html.escape(message)}</b>"
