"""The panels and the quickstart in JupyterLab 4, driven in headless Chromium."""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

from .jupyterlab import (
    code_cell,
    element_screenshot,
    error_outputs,
    notebook,
    open_notebook,
    run_all_cells,
    run_cell,
    screenshot,
    wait_until_cells_ran,
    widget_placeholders,
)

ADA = "ada@sandbox.example.org"


def pane(page: t.Any, side: int) -> t.Any:
    return notebook(page).locator(".globus-collection-pane").nth(side)


def listing(side: t.Any) -> t.Any:
    return side.locator(".globus-listing select")


def option_labels(side: t.Any, *names: str) -> list[str]:
    """The listing's labels for ``names`` (each label starts with its name)."""
    labels = listing(side).locator("option").all_inner_texts()
    picked = [label for label in labels if label.split()[0] in names]
    assert len(picked) == len(names), f"{names} in {labels}"
    return picked


def open_folder(side: t.Any, name: str) -> None:
    listing(side).select_option(label=option_labels(side, f"{name}/"))
    side.get_by_role("button", name="Open").click()
    side.locator(".widget-html", has_text=re.compile(rf"{name}/ on")).wait_for()


def test_login_panel_logs_in_with_the_code_from_the_consent_page(
    page: t.Any, lab: str, artifacts: Path
) -> None:
    open_notebook(page, lab, "login-panel.ipynb")
    run_all_cells(page)
    panel = notebook(page).locator(".globus-login-panel")
    panel.wait_for()
    if panel.get_by_role("button", name="Log out").is_visible():
        panel.get_by_role("button", name="Log out").click()  # tokens from a rerun
    panel.get_by_text("Not logged in to Globus.").wait_for()
    screenshot(page, artifacts, "a1-login-panel")

    panel.get_by_role("button", name="Log in").click()
    link = panel.locator("a.globus-login-link")
    link.wait_for()
    screenshot(page, artifacts, "a2-login-link")
    with page.context.expect_page() as opened:
        link.click()
    consent = opened.value
    consent.wait_for_load_state()
    consent.locator("#username").select_option(ADA)
    screenshot(consent, artifacts, "a3-consent-page")
    consent.get_by_role("button", name="Allow").click()
    code = consent.locator("#auth-code").inner_text().strip()
    screenshot(consent, artifacts, "a4-code-shown")
    consent.close()

    panel.locator("input[type=password]").fill(code)
    panel.get_by_role("button", name="Finish login").click()
    panel.get_by_text("Logged in as").wait_for()
    assert ADA in panel.inner_text()
    assert code not in page.content()
    screenshot(page, artifacts, "a5-logged-in")


def test_file_browser_transfers_three_files_and_shows_them_across(
    page: t.Any, lab: str, artifacts: Path
) -> None:
    open_notebook(page, lab, "file-browser.ipynb")
    run_all_cells(page)
    wait_until_cells_ran(page)
    left, right = pane(page, 0), pane(page, 1)
    listing(left).wait_for()
    assert not error_outputs(page)
    screenshot(page, artifacts, "b1-browser")

    # a fresh folder on the right to transfer into
    right.get_by_placeholder("new folder name").fill("from-the-browser")
    right.get_by_role("button", name="New folder").click()
    right.locator("option", has_text="from-the-browser/").wait_for()
    open_folder(right, "from-the-browser")

    open_folder(left, "datasets")
    open_folder(left, "ocean-temperature")
    picked = ("2023-01.csv", "2023-02.csv", "README.txt")
    listing(left).select_option(label=option_labels(left, *picked))
    notebook(page).get_by_placeholder("task label").fill("three from the browser")
    screenshot(page, artifacts, "b2-selected")

    notebook(page).get_by_role("button", name="transfer →").click()
    progress = notebook(page).locator(".globus-task-progress")
    progress.get_by_text("SUCCEEDED").wait_for()
    assert "3/3 files" in progress.inner_text()
    element_screenshot(
        notebook(page).locator(".globus-file-browser"), artifacts, "b3-succeeded"
    )

    # the right pane lists its folder again once the files arrived
    for label in [f"{name} " for name in picked]:
        right.locator("option", has_text=label).wait_for()
    assert option_labels(right, *picked)
    element_screenshot(
        notebook(page).locator(".globus-file-browser"), artifacts, "b4-arrived"
    )

    # the task board, opened before the transfer, finds it on Refresh
    board = notebook(page).locator(".globus-task-board")
    board.get_by_role("button", name="Refresh").click()
    row = board.locator(".globus-task-row", has_text="three from the browser")
    row.get_by_text("SUCCEEDED").wait_for()
    row.get_by_role("button", name="three from the browser").click()
    board.locator(".globus-task-details").wait_for()
    assert "destination_endpoint_display_name" in board.inner_text()
    element_screenshot(board, artifacts, "b5-task-board")


def test_quickstart_runs_all_cells_and_renders_the_progress_widget(
    page: t.Any, lab: str, artifacts: Path
) -> None:
    open_notebook(page, lab, "01-quickstart.ipynb")
    run_all_cells(page)
    wait_until_cells_ran(page)

    assert error_outputs(page) == []
    # the transfer cell's widget, rendered by JupyterLab as a real progress bar
    progress = notebook(page).locator(".globus-task-progress").first
    bar = progress.locator(".widget-hprogress .progress .progress-bar")
    bar.wait_for()
    assert "progress-bar-success" in (bar.get_attribute("class") or "")
    progress.get_by_text("SUCCEEDED").wait_for()
    assert re.search(r"\b(\d+)/\1 files", progress.inner_text()), "all files done"
    assert widget_placeholders(page) == []
    assert "Logged out; revoked tokens for" in notebook(page).inner_text()
    element_screenshot(progress, artifacts, "c1-quickstart-progress")
    screenshot(page, artifacts, "c2-quickstart-end")


def test_kernel_runs_cells_while_the_panel_transfers(
    page: t.Any, lab: str, artifacts: Path
) -> None:
    open_notebook(page, lab, "busy-transfer.ipynb")
    run_all_cells(page)
    wait_until_cells_ran(page)
    answer = code_cell(page, 2).locator(".jp-OutputArea")
    answer.get_by_text("the kernel answered 1 time(s)").wait_for()

    left = pane(page, 0)
    listing(left).select_option(label=option_labels(left, "ocean-temperature/"))
    notebook(page).get_by_role("button", name="transfer →").click()
    progress = notebook(page).locator(".globus-task-progress")
    progress.get_by_text("ACTIVE").wait_for()
    element_screenshot(progress, artifacts, "d1-transfer-active")

    run_cell(page, code_cell(page, 2))
    answer.get_by_text("the kernel answered 2 time(s)").wait_for()
    status_then = progress.inner_text()
    screenshot(page, artifacts, "d2-kernel-answered")
    # the cell ran to the end while the transfer was still going
    assert "ACTIVE" in status_then
    assert "SUCCEEDED" not in status_then

    progress.get_by_role("button", name="Cancel").click()
    progress.get_by_text("FAILED").wait_for()
    element_screenshot(progress, artifacts, "d3-canceled")
