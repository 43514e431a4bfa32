"""
``FileBrowser``: two collections side by side; pick files, transfer either way.

Each pane lists a directory with the session's Transfer ``ls`` in the button
callback that asked for it. A submitted transfer shows its :class:`TaskProgress`
below the panes; when it succeeds, the pane it went to lists its directory again
in a short-lived thread, so the new files appear without a click.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import logging
import posixpath
import threading
import typing as t

import ipywidgets as widgets

from globus_jupyter import core
from globus_jupyter.core.errors import UsageProblem
from globus_jupyter.core.transfer import BatchItem, TransferOptions, TransferService

from .login import PanelActions, error_html
from .progress import TaskProgress
from .text import human_bytes

if t.TYPE_CHECKING:
    import pandas as pd

    from globus_jupyter.core.watcher import TaskSnapshot

log = logging.getLogger(__name__)

#: Entries a pane shows at most; a longer listing says how many it left out.
MAX_SHOWN_ENTRIES = 2000

#: Progress views kept below the panes, newest first.
MAX_PROGRESS_VIEWS = 3

_NAME_WIDTH = 26

#: The core's sync levels in words, for the dropdown. A dropdown shows a None
#: value as no choice at all, so "always copy" is "".
SYNC_CHOICES: tuple[tuple[str, str], ...] = (
    ("always copy", ""),
    ("if missing", "exists"),
    ("if size differs", "size"),
    ("if newer", "mtime"),
    ("if checksum differs", "checksum"),
)

# a select shows its options in the page's font; columns need a fixed-width one
_STYLE = """<style>
.globus-listing select { font-family: var(--jp-code-font-family, monospace);
  font-size: var(--jp-code-font-size, 12px); }
.globus-listing-header { font-family: var(--jp-code-font-family, monospace);
  font-size: var(--jp-code-font-size, 12px); white-space: pre; padding-left: 4px; }
</style>"""


@dataclasses.dataclass(frozen=True)
class Place:
    """A directory of a collection, and the name the pane shows for it."""

    collection_id: str
    path: str
    title: str

    @property
    def reference(self) -> str:
        """What the core resolves: the collection by id, so no name is ambiguous."""
        return f"{self.collection_id}:{self.path}"

    def child(self, name: str) -> Place:
        return dataclasses.replace(self, path=posixpath.join(self.path, name) + "/")

    def parent(self) -> Place:
        return dataclasses.replace(self, path=parent_path(self.path))


def parent_path(path: str) -> str:
    """The directory above ``path``; ``/`` is its own parent, ``/~/`` is under it."""
    trimmed = path.rstrip("/")
    if trimmed in ("", "/~", "~"):
        return "/"
    parent = posixpath.dirname(trimmed)
    return parent if parent.endswith("/") else f"{parent}/"


@dataclasses.dataclass(frozen=True)
class Entry:
    """One row of a listing."""

    name: str
    type: str
    size: int
    last_modified: str

    @property
    def is_dir(self) -> bool:
        return self.type == "dir"

    def label(self) -> str:
        """``name  type  size  modified`` in fixed-width columns."""
        name = f"{self.name}/" if self.is_dir else self.name
        if len(name) > _NAME_WIDTH:
            name = name[: _NAME_WIDTH - 1] + "…"
        size = "-" if self.is_dir else human_bytes(self.size)
        return f"{name:<{_NAME_WIDTH}} {self.type:<4} {size:>8} {self.last_modified}"


def listing_header() -> str:
    return f"{'name':<{_NAME_WIDTH}} {'type':<4} {'size':>8} modified (UTC)"


def entries_of(frame: pd.DataFrame) -> list[Entry]:
    """A listing frame as entries, directories first, then by name."""
    modified = frame["last_modified"].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    entries = [
        Entry(str(name), str(kind), int(size), str(when))
        for name, kind, size, when in zip(
            frame["name"], frame["type"], frame["size"], modified, strict=True
        )
    ]
    entries.sort(key=lambda entry: (not entry.is_dir, entry.name.lower()))
    return entries


def collection_choices(service: TransferService) -> list[tuple[str, Place]]:
    """The collections a picker offers before any search: aliases, then bookmarks."""
    choices: list[tuple[str, Place]] = []
    for alias in service.history.aliases().values():
        choices.append(
            (
                f"{alias.name} (alias)",
                Place(alias.collection_id, alias.path or "/~/", alias.name),
            )
        )
    bookmarks = service.bookmark_list()
    for name, collection_id, path in zip(
        bookmarks["name"], bookmarks["endpoint_id"], bookmarks["path"], strict=True
    ):
        choices.append(
            (f"{name} (bookmark)", Place(str(collection_id), str(path), str(name)))
        )
    return choices


_PICK = "choose a collection…"


class CollectionPane(widgets.VBox):  # type: ignore[misc]
    """
    One side of a :class:`FileBrowser`: a collection picker, a path bar and a
    listing, with Up, Open, Refresh and New folder.

    Listings happen in the callback that asked for them (or, after a transfer
    into this pane, in a short-lived thread); a lock keeps the two apart.
    """

    def __init__(
        self,
        session: t.Callable[[], core.Session],
        *,
        title: str,
        choices: t.Sequence[tuple[str, Place]] = (),
        **kwargs: t.Any,
    ) -> None:
        self._session = session
        self._lock = threading.RLock()
        self._entries: dict[str, Entry] = {}
        self._syncing = False
        self._choices = list(choices)
        self.place: Place | None = None

        self.title = widgets.HTML(value=f"<b>{html.escape(title)}</b>")
        self.search = widgets.Text(
            placeholder="search collections", layout=widgets.Layout(flex="1 1 auto")
        )
        self.search_button = widgets.Button(
            description="Search", icon="search", layout=widgets.Layout(width="auto")
        )
        self.collection = widgets.Dropdown(
            options=[(_PICK, None), *self._choices],
            value=None,
            layout=widgets.Layout(width="100%"),
        )
        self.path = widgets.Text(
            value="",
            placeholder="/path/on/the/collection/",
            continuous_update=False,
            layout=widgets.Layout(flex="1 1 auto"),
        )
        self.up_button = widgets.Button(
            description="Up", icon="level-up", layout=widgets.Layout(width="auto")
        )
        self.open_button = widgets.Button(
            description="Open", icon="folder-open", layout=widgets.Layout(width="auto")
        )
        self.refresh_button = widgets.Button(
            description="Refresh", icon="refresh", layout=widgets.Layout(width="auto")
        )
        self.folder_name = widgets.Text(
            placeholder="new folder name", layout=widgets.Layout(flex="1 1 auto")
        )
        self.mkdir_button = widgets.Button(
            description="New folder", icon="plus", layout=widgets.Layout(width="auto")
        )
        self.header = widgets.HTML(
            value=f'<div class="globus-listing-header">{listing_header()}</div>'
        )
        self.listing = widgets.SelectMultiple(
            options=[], rows=14, layout=widgets.Layout(width="100%")
        )
        self.listing.add_class("globus-listing")
        self.status = widgets.HTML(value="Pick a collection, or search for one.")
        self.notice = widgets.HTML(value="")
        self.error = widgets.HTML(value="")
        self.login_area = widgets.VBox()
        self.actions = PanelActions(
            session, error=self.error, notice=self.notice, login_area=self.login_area
        )

        self.search_button.on_click(lambda _: self.actions.run(self._search))
        self.up_button.on_click(lambda _: self.actions.run(self._up))
        self.open_button.on_click(lambda _: self.actions.run(self._open))
        self.refresh_button.on_click(lambda _: self.actions.run(self.refresh))
        self.mkdir_button.on_click(lambda _: self.actions.run(self._mkdir))
        self.collection.observe(self._on_collection_picked, names="value")
        self.path.observe(self._on_path_entered, names="value")

        super().__init__(
            children=[
                self.title,
                widgets.HBox([self.search, self.search_button]),
                self.collection,
                widgets.HBox([self.path, self.up_button]),
                self.header,
                self.listing,
                widgets.HBox([self.open_button, self.refresh_button]),
                widgets.HBox([self.folder_name, self.mkdir_button]),
                self.status,
                self.notice,
                self.error,
                self.login_area,
            ],
            **kwargs,
        )
        self.add_class("globus-collection-pane")

    @property
    def selected(self) -> list[Entry]:
        """The entries picked in the listing, in listing order."""
        return [self._entries[name] for name in self.listing.value]

    # -- navigation ---------------------------------------------------------------

    def go(self, place: Place) -> None:
        """List ``place`` and show it; on failure the pane keeps what it showed."""
        with self._lock:
            frame = self._session().transfer.ls(place.reference)
            listed = dataclasses.replace(place, path=_directory(frame.attrs["path"]))
            self._show(listed, entries_of(frame))

    def refresh(self) -> None:
        if self.place is None:
            raise UsageProblem("no collection to refresh: expected one picked above")
        self.go(self.place)

    def refresh_if_showing(self, place: Place) -> None:
        """List again if the pane still shows ``place``; for a watcher's thread."""
        with self._lock:
            if self.place != place:
                return
            try:
                self.go(place)
            except Exception as error:
                self.error.value = error_html(error)

    def _show(self, place: Place, entries: list[Entry]) -> None:
        shown = entries[:MAX_SHOWN_ENTRIES]
        count = f"{len(entries)} item{'s' if len(entries) != 1 else ''}"
        if len(shown) < len(entries):
            count = f"the first {len(shown)} of {count}"
        with self.hold_sync():
            self.place = place
            self._entries = {entry.name: entry for entry in entries}
            self._syncing = True
            try:
                self.path.value = place.path
                self.listing.value = ()
                self.listing.options = [(entry.label(), entry.name) for entry in shown]
            finally:
                self._syncing = False
            self.status.value = (
                f"{count} in <code>{html.escape(place.path)}</code> on "
                f"<b>{html.escape(place.title)}</b>"
            )

    def _up(self) -> None:
        if self.place is None:
            raise UsageProblem("no folder to go up from: expected a collection picked")
        self.go(self.place.parent())

    def _open(self) -> None:
        if self.place is None:
            raise UsageProblem("nothing to open: expected a collection picked above")
        picked = self.selected
        if len(picked) != 1 or not picked[0].is_dir:
            raise UsageProblem(
                f"cannot open {_names(picked)}: expected one folder selected"
            )
        self.go(self.place.child(picked[0].name))

    def _mkdir(self) -> None:
        if self.place is None:
            raise UsageProblem(
                "no collection to make a folder on: expected one picked above"
            )
        name = self.folder_name.value.strip()
        if not name or "/" in name or name in (".", ".."):
            raise UsageProblem(
                f"cannot make a folder named {name!r}: expected a name without '/'"
            )
        folder = self.place.child(name)
        self._session().transfer.mkdir(folder.reference)
        self.folder_name.value = ""
        self.go(self.place)
        if name in self._entries:
            self.listing.value = (name,)

    def _search(self) -> None:
        text = self.search.value.strip()
        if not text:
            raise UsageProblem("nothing to search for: expected a word of the name")
        found = self._session().transfer.endpoint_search(text)
        results = [
            (f"{name} ({collection_id[:8]}…)", Place(str(collection_id), "/~/", name))
            for name, collection_id in zip(
                found["display_name"], found["id"], strict=True
            )
        ]
        with self.hold_sync():
            self._syncing = True
            try:
                self.collection.options = [(_PICK, None), *results, *self._choices]
                self.collection.value = None
            finally:
                self._syncing = False
            self.status.value = (
                f"{len(results)} collection{'s' if len(results) != 1 else ''} "
                f"found for <i>{html.escape(text)}</i>: pick one above"
            )

    def pick(self, label: str, place: Place) -> None:
        """Select ``place``'s collection in the picker (added if new), unlisted."""
        options = list(self.collection.options)
        same = [
            choice
            for _, choice in options
            if choice is not None and choice.collection_id == place.collection_id
        ]
        self._syncing = True
        try:
            if not same:
                options.append((label, place))
                self.collection.options = options
            self.collection.value = same[0] if same else place
        finally:
            self._syncing = False

    # -- observers ----------------------------------------------------------------

    def _on_collection_picked(self, change: dict[str, t.Any]) -> None:
        place = change["new"]
        if self._syncing or place is None:
            return
        self.actions.run(lambda: self.go(place))

    def _on_path_entered(self, change: dict[str, t.Any]) -> None:
        path = str(change["new"]).strip()
        if self._syncing or self.place is None or not path:
            return
        place = self.place
        self.actions.run(lambda: self.go(dataclasses.replace(place, path=path)))


class FileBrowser(widgets.VBox):  # type: ignore[misc]
    """
    Two collections side by side: navigate, select, transfer either way.

    :param session: defaults to the notebook's current session
    :param left: what the left pane shows first, as ``COLLECTION[:PATH]`` (an
        alias, bookmark name or collection id)
    :param right: the same for the right pane

    .. code-block:: python

        from globus_jupyter.widgets import FileBrowser
        FileBrowser(left="home:/~/", right="scratch:/")
    """

    def __init__(
        self,
        session: core.Session | None = None,
        *,
        left: str | None = None,
        right: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        self._session = session
        self.error = widgets.HTML(value="")
        self.notice = widgets.HTML(value="")
        self.login_area = widgets.VBox()
        self.actions = PanelActions(
            lambda: self.session,
            error=self.error,
            notice=self.notice,
            login_area=self.login_area,
        )

        choices: list[tuple[str, Place]] = []
        self.actions.run(lambda: choices.extend(collection_choices(self.transfer)))
        pane_layout = widgets.Layout(flex="1 1 0", min_width="22em")
        self.left = CollectionPane(
            lambda: self.session, title="Left", choices=choices, layout=pane_layout
        )
        self.right = CollectionPane(
            lambda: self.session, title="Right", choices=choices, layout=pane_layout
        )

        button_layout = widgets.Layout(width="10em")
        self.to_right_button = widgets.Button(
            description="transfer →",
            button_style="primary",
            tooltip="transfer the files selected on the left to the right",
            layout=button_layout,
        )
        self.to_left_button = widgets.Button(
            description="← transfer",
            button_style="primary",
            tooltip="transfer the files selected on the right to the left",
            layout=button_layout,
        )
        self.sync_level = widgets.Dropdown(
            options=SYNC_CHOICES, value="", layout=button_layout
        )
        self.label = widgets.Text(placeholder="task label", layout=button_layout)
        self.to_right_button.on_click(
            lambda _: self.actions.run(lambda: self.transfer_selected(self.left))
        )
        self.to_left_button.on_click(
            lambda _: self.actions.run(lambda: self.transfer_selected(self.right))
        )
        middle = widgets.VBox(
            [
                widgets.HTML(value="<br>"),
                self.to_right_button,
                self.to_left_button,
                self.sync_level,
                self.label,
            ],
            layout=widgets.Layout(align_items="center", padding="0 0.5em"),
        )
        self.progress_area = widgets.VBox()

        super().__init__(
            children=[
                widgets.HTML(value=_STYLE),
                widgets.HBox([self.left, middle, self.right]),
                self.notice,
                self.error,
                self.login_area,
                self.progress_area,
            ],
            **kwargs,
        )
        self.add_class("globus-file-browser")
        for pane, reference in ((self.left, left), (self.right, right)):
            if reference:
                pane.actions.run(functools.partial(self._start, pane, reference))

    @property
    def session(self) -> core.Session:
        return self._session if self._session is not None else core.session()

    @property
    def transfer(self) -> TransferService:
        return self.session.transfer

    def _start(self, pane: CollectionPane, reference: str) -> None:
        resolved = self.transfer.resolve(reference)
        place = Place(resolved.collection_id, resolved.path, resolved.name)
        pane.pick(resolved.name, place)
        pane.go(place)

    def transfer_selected(self, source: CollectionPane) -> None:
        """Transfer what is selected in ``source`` to the other pane's folder."""
        destination = self.right if source is self.left else self.left
        side = "left" if source is self.left else "right"
        picked = source.selected
        if source.place is None or not picked:
            raise UsageProblem(
                f"nothing to transfer: expected files or folders selected on the {side}"
            )
        if destination.place is None:
            raise UsageProblem(
                "nowhere to transfer to: expected a collection picked on the "
                + ("right" if side == "left" else "left")
            )
        items = [BatchItem(e.name, e.name, recursive=e.is_dir) for e in picked]
        options = TransferOptions(
            label=self.label.value.strip() or None,
            sync_level=self.sync_level.value or None,
        )
        target = destination.place
        task = self.transfer.submit(
            source.place.reference, target.reference, items, options
        )
        progress = TaskProgress(task)
        self.progress_area.children = (
            progress,
            *self.progress_area.children[: MAX_PROGRESS_VIEWS - 1],
        )
        self.notice.value = html.escape(
            f"Submitted task {task.task_id}: {_names(picked)} from "
            f"{source.place.title} to {target.title}."
        )

        def arrived(snapshot: TaskSnapshot) -> None:
            if snapshot.succeeded:
                threading.Thread(
                    target=destination.refresh_if_showing,
                    args=(target,),
                    name="globus-browser-refresh",
                    daemon=True,
                ).start()

        task.follow(arrived)


def _directory(path: str) -> str:
    return path if path.endswith("/") else f"{path}/"


def _names(entries: t.Sequence[Entry]) -> str:
    if not entries:
        return "nothing"
    names = [entry.name for entry in entries[:3]]
    more = len(entries) - len(names)
    return ", ".join(names) + (f" and {more} more" if more else "")
