"""FileBrowser and TaskBoard driven through their buttons, against the sandbox."""

from __future__ import annotations

import hashlib
import html
import re
import time
import typing as t
from pathlib import Path

import pytest

from globus_jupyter import core
from globus_jupyter.core.login import terminal_prompt
from globus_jupyter.sandbox import SANDBOX_COLLECTIONS
from globus_jupyter.widgets import FileBrowser, LoginPanel, TaskBoard, TaskProgress

from .people import approve_in_browser

ADA = "ada@sandbox.example.org"


@pytest.fixture
def session(sandbox: t.Any, tmp_path: Path) -> t.Iterator[core.Session]:
    """Ada's session, whose prompt approves logins on the consent page."""
    session = core.Session(
        core.Settings.for_sandbox(
            sandbox.url, data_dir=tmp_path / "data", poll_interval=0.2
        )
    )
    session.prompt = lambda request: approve_in_browser(request.url)
    session.login()
    for name, collection_id in SANDBOX_COLLECTIONS.items():
        base = "/~/" if name == "home" else "/"
        session.transfer.set_alias(name, f"{collection_id}:{base}")
    yield session
    session.close()


def on_disk(sandbox: t.Any, collection: str, *parts: str) -> Path:
    root = Path(sandbox.root) / "collections" / collection
    if collection == "home":
        root = root / ADA
    return root.joinpath(*parts)


def names(pane: t.Any) -> list[str]:
    return [value for _, value in pane.listing.options]


def select(pane: t.Any, *wanted: str) -> None:
    pane.listing.value = tuple(wanted)


def choose(pane: t.Any, label_start: str) -> None:
    """Pick a collection in the pane's dropdown, as a person would."""
    matches = [
        v for label, v in pane.collection.options if label.startswith(label_start)
    ]
    assert matches, f"{label_start!r} is offered in {pane.collection.options}"
    pane.collection.value = matches[0]


def shown(widget: t.Any) -> str:
    """The text an HTML widget shows, without its markup."""
    return html.unescape(re.sub(r"<[^>]+>", "", widget.value))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def until(condition: t.Callable[[], bool], what: str) -> None:
    """Wait for something a background thread does; fail saying what never came."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


# -- LoginPanel -------------------------------------------------------------------


def test_login_panel_says_where_the_tokens_came_from(session: core.Session) -> None:
    panel = LoginPanel(session)
    assert f"Logged in as <b>{ADA}</b>" in panel.status.value
    assert "tokens from interactive login in this kernel" in shown(panel.status)
    assert panel.logout_button in panel.children


def test_login_panel_cancel_goes_back_to_log_in(sandbox: t.Any, tmp_path: Path) -> None:
    fresh = core.Session(
        core.Settings.for_sandbox(sandbox.url, data_dir=tmp_path / "fresh")
    )
    panel = LoginPanel(fresh)
    panel.login_button.click()
    assert "Log in to Globus" in panel.link.value
    panel.code.value = "half-typed"

    panel.cancel_button.click()
    assert "Not logged in" in panel.status.value
    assert panel.login_button in panel.children
    assert panel.code.value == ""
    fresh.close()


# -- FileBrowser ------------------------------------------------------------------


def test_browser_navigates_with_open_and_up(session: core.Session) -> None:
    browser = FileBrowser(session, left="home:/~/", right="scratch:/")
    left = browser.left
    assert "datasets" in names(left)
    assert "datasets/" in left.listing.options[0][0]  # folders first, marked

    select(left, "datasets")
    left.open_button.click()
    select(left, "ocean-temperature")
    left.open_button.click()

    assert left.path.value.endswith("/datasets/ocean-temperature/")
    assert "README.txt" in names(left)
    assert "items in" in left.status.value

    left.up_button.click()
    assert left.path.value.endswith("/datasets/")
    assert names(left) == ["ocean-temperature"]
    assert left.error.value == ""


def test_browser_goes_where_the_path_bar_says(session: core.Session) -> None:
    browser = FileBrowser(session, left="home:/~/")
    browser.left.path.value = "/~/datasets/ocean-temperature"
    assert "2024-12.csv" in names(browser.left)

    browser.left.path.value = "/~/no/such/place"
    assert "Globus Transfer error 404" in browser.left.error.value
    assert "2024-12.csv" in names(browser.left), "the last listing stays"


def test_browser_refuses_to_open_a_file_in_one_line(session: core.Session) -> None:
    browser = FileBrowser(session, left="home:/~/datasets/ocean-temperature")
    select(browser.left, "README.txt")
    browser.left.open_button.click()
    assert "cannot open README.txt: expected one folder selected" in (
        browser.left.error.value
    )


def test_browser_makes_a_new_folder(session: core.Session, sandbox: t.Any) -> None:
    browser = FileBrowser(session, right="scratch:/")
    browser.right.folder_name.value = "made-here"
    browser.right.mkdir_button.click()

    assert on_disk(sandbox, "scratch", "made-here").is_dir()
    assert "made-here" in names(browser.right)
    assert browser.right.listing.value == ("made-here",)

    browser.right.folder_name.value = "a/b"
    browser.right.mkdir_button.click()
    assert "expected a name without '/'" in shown(browser.right.error)


def test_browser_finds_collections_by_search(session: core.Session) -> None:
    browser = FileBrowser(session)
    pane = browser.left
    pane.search.value = "Sandbox"
    pane.search_button.click()
    assert "found for" in pane.status.value

    choose(pane, "Sandbox Scratch")
    assert pane.place is not None
    assert pane.place.collection_id == SANDBOX_COLLECTIONS["scratch"]
    assert "on <b>Sandbox Scratch</b>" in pane.status.value


def test_picker_offers_aliases_and_bookmarks(session: core.Session) -> None:
    transfer = session.transfer.client
    transfer.create_bookmark(
        {
            "name": "Ocean data",
            "endpoint_id": SANDBOX_COLLECTIONS["home"],
            "path": "/~/datasets/ocean-temperature/",
        }
    )
    browser = FileBrowser(session)
    labels = [label for label, _ in browser.left.collection.options]
    assert "home (alias)" in labels
    assert "Ocean data (bookmark)" in labels

    choose(browser.left, "Ocean data")
    assert "README.txt" in names(browser.left)


def test_transfer_right_copies_the_selected_files_and_lists_them_there(
    session: core.Session, sandbox: t.Any
) -> None:
    browser = FileBrowser(
        session, left="home:/~/datasets/ocean-temperature", right="scratch:/"
    )
    picked = ("2023-01.csv", "2023-02.csv", "README.txt")
    select(browser.left, *picked)
    browser.label.value = "three files"
    browser.to_right_button.click()

    assert browser.error.value == ""
    assert "Submitted task" in browser.notice.value
    (progress,) = browser.progress_area.children
    assert isinstance(progress, TaskProgress)
    assert "three files" in progress.title.value

    session.transfer.task_wait(progress.task_id, timeout=60)
    assert "SUCCEEDED" in progress.status.value
    for name in picked:
        copied = on_disk(sandbox, "scratch", name)
        source = on_disk(sandbox, "home", "datasets", "ocean-temperature", name)
        assert digest(copied) == digest(source)
    until(
        lambda: set(picked) <= set(names(browser.right)),
        "the right pane lists the files that arrived",
    )


def test_transfer_left_copies_folders_recursively_with_the_sync_level(
    session: core.Session, sandbox: t.Any
) -> None:
    browser = FileBrowser(session, left="scratch:/", right="home:/~/")
    select(browser.right, "datasets")
    browser.sync_level.value = "checksum"
    browser.to_left_button.click()

    (progress,) = browser.progress_area.children
    session.transfer.task_wait(progress.task_id, timeout=60)
    assert "SUCCEEDED" in progress.status.value
    assert session.transfer.task_show(progress.task_id)["sync_level"] in (3, "checksum")
    copied = on_disk(sandbox, "scratch", "datasets", "ocean-temperature", "README.txt")
    assert copied.is_file()


def test_transfer_with_nothing_selected_says_what_is_missing(
    session: core.Session,
) -> None:
    browser = FileBrowser(session, left="home:/~/")
    browser.to_right_button.click()
    assert "nothing to transfer: expected files or folders selected on the left" in (
        browser.error.value
    )

    select(browser.left, "datasets")
    browser.to_right_button.click()
    assert "nowhere to transfer to: expected a collection picked on the right" in (
        browser.error.value
    )
    assert browser.progress_area.children == ()


def test_consent_is_given_by_the_sessions_prompt(session: core.Session) -> None:
    browser = FileBrowser(session)
    choose(browser.left, "guarded")

    assert browser.left.error.value == ""
    assert "consent" in browser.left.notice.value
    assert SANDBOX_COLLECTIONS["guarded"] in browser.left.notice.value
    assert "on <b>guarded</b>" in browser.left.status.value


def test_consent_that_needs_a_person_is_asked_in_the_pane(
    session: core.Session,
) -> None:
    # the kernel's own prompt would wait for a terminal; a panel asks inline
    session.prompt = terminal_prompt
    browser = FileBrowser(session)
    choose(browser.left, "guarded")

    pane = browser.left
    assert "Globus needs your consent to access the collection" in pane.error.value
    assert SANDBOX_COLLECTIONS["guarded"] in pane.error.value
    (consent,) = pane.login_area.children
    assert isinstance(consent, LoginPanel)
    assert consent.login_button.description == "Give consent"

    consent.login_button.click()
    match = re.search(r'href="([^"]+)"', consent.link.value)
    assert match
    consent.code.value = approve_in_browser(match.group(1).replace("&amp;", "&"))
    consent.finish_button.click()

    # the listing that needed the consent is done again, and works
    assert pane.error.value == ""
    assert pane.login_area.children == ()
    assert "on <b>guarded</b>" in pane.status.value


# -- TaskBoard --------------------------------------------------------------------


def test_board_shows_tasks_with_progress_and_details(session: core.Session) -> None:
    done = session.transfer.transfer(
        "home:/~/datasets/ocean-temperature/README.txt",
        "scratch:/readme.txt",
        options=core_options(label="readme copy"),
    )
    session.transfer.task_wait(done.task_id, timeout=60)

    board = TaskBoard(session)
    assert board.error.value == ""
    assert "1 task, 0 active" in board.summary.value
    row = board.rows[done.task_id]
    assert row.select_button.description == "readme copy"
    assert row.select_button.icon == "star"  # submitted from here
    assert "SUCCEEDED" in row.status.value
    assert row.files.value == "1/1"
    assert row.bar.value == 1.0

    row.select_button.click()
    assert "readme copy" in board.details.value
    assert "SUCCEEDED" in board.details.value
    assert "<table" in board.events.value
    assert board.cancel_button.layout.display == "none"


def test_board_follows_an_active_task_and_cancels_it(
    session: core.Session, sandbox: t.Any
) -> None:
    sandbox.remote_bandwidth = 64 * 1024
    slow = session.transfer.transfer(
        "home:/~/datasets",
        "remote:/slow",
        recursive=True,
        options=core_options(label="slow one"),
    )
    board = TaskBoard(session)
    row = board.rows[slow.task_id]
    assert "1 active" in board.summary.value

    row.select_button.click()
    assert board.cancel_button.layout.display != "none"
    board.cancel_button.click()
    assert f"Task {slow.task_id}" in board.notice.value

    session.transfer.task_wait(slow.task_id, timeout=60)
    # the watcher updated the row: no Refresh needed
    assert "FAILED" in row.status.value
    assert row.bar.bar_style == "danger"


def test_board_refresh_adds_new_tasks(session: core.Session) -> None:
    board = TaskBoard(session)
    assert "No tasks yet." in board.summary.value

    task = session.transfer.transfer(
        "home:/~/datasets/ocean-temperature/README.txt", "scratch:/again.txt"
    )
    board.refresh_button.click()
    assert task.task_id in board.rows
    assert board.table.children[1] is board.rows[task.task_id]


def core_options(**values: t.Any) -> t.Any:
    from globus_jupyter.core.transfer import TransferOptions

    return TransferOptions(**values)


# -- magics -----------------------------------------------------------------------


@pytest.fixture
def shell(sandbox: t.Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Any:
    """A shell logged in to the sandbox, with an alias for two collections."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("GLOBUS_JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("GLOBUS_JUPYTER_SANDBOX_URL", sandbox.url)
    for name in ("GLOBUS_DATA", "GLOBUS_CLIENT_ID", "GLOBUS_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    core.use_session(None)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "globus_jupyter")
    for line in (
        "login --sandbox",
        f"alias home={SANDBOX_COLLECTIONS['home']}:/~/",
        f"alias scratch={SANDBOX_COLLECTIONS['scratch']}:/",
    ):
        ip.run_line_magic("globus", line)
    yield ip
    ip.run_line_magic("unload_ext", "globus_jupyter")
    previous = core.use_session(None)
    if previous is not None:
        previous.close()
    InteractiveShell.clear_instance()


def test_globus_browse_returns_a_file_browser(shell: t.Any) -> None:
    browser = shell.run_line_magic("globus", "browse home:datasets scratch:")
    assert isinstance(browser, FileBrowser)
    assert names(browser.left) == ["ocean-temperature"]
    assert "on <b>scratch</b>" in browser.right.status.value


def test_globus_task_board_returns_a_task_board(shell: t.Any) -> None:
    task = shell.run_line_magic(
        "globus", "transfer home:datasets/ocean-temperature/README.txt scratch:r.txt"
    )
    board = shell.run_line_magic("globus", "task board")
    assert isinstance(board, TaskBoard)
    assert task.task_id in board.rows
