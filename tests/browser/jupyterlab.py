"""What a person does in JupyterLab: open a notebook, run cells, look at outputs."""

from __future__ import annotations

import typing as t
from pathlib import Path

#: the texts ipywidgets shows instead of a widget it could not render
WIDGET_PLACEHOLDERS = (
    "Loading widget...",
    "Error displaying widget",
    "model not found",
    "Failed to load model",
)


#: the notebook on show; others restored from the workspace are hidden
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"


def open_notebook(page: t.Any, lab: str, name: str) -> None:
    """Open ``name`` alone (``reset`` drops the saved workspace), kernel idle."""
    page.goto(f"{lab}lab/tree/{name}?reset")
    page.wait_for_selector(f"{NOTEBOOK} .jp-Cell")
    wait_for_idle_kernel(page)


def notebook(page: t.Any) -> t.Any:
    return page.locator(NOTEBOOK)


def wait_for_idle_kernel(page: t.Any) -> None:
    page.locator("#jp-main-statusbar").get_by_text(
        "Python 3 (ipykernel) | Idle"
    ).wait_for()


def run_all_cells(page: t.Any) -> None:
    """Run > Run All Cells, from the menu bar."""
    page.locator(".lm-MenuBar-item", has_text="Run").click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()


def wait_until_cells_ran(page: t.Any) -> None:
    """Every code cell has an execution count (none is queued or running)."""
    page.wait_for_function(
        """(notebook) => {
            const prompts = [...document.querySelectorAll(
                notebook + ' .jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length > 0 &&
                prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        arg=NOTEBOOK,
    )
    wait_for_idle_kernel(page)


def code_cell(page: t.Any, index: int) -> t.Any:
    """The ``index``-th code cell (from 0)."""
    return notebook(page).locator(".jp-CodeCell").nth(index)


def run_cell(page: t.Any, cell: t.Any) -> None:
    """Select ``cell`` and run it with Shift+Enter, as from the keyboard."""
    cell.locator(".jp-InputArea-prompt").click()
    page.keyboard.press("Shift+Enter")


def error_outputs(page: t.Any) -> list[str]:
    errors = notebook(page).locator(
        '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'
    )
    return [str(text) for text in errors.all_inner_texts()]


def widget_placeholders(page: t.Any) -> list[str]:
    outputs = " ".join(notebook(page).locator(".jp-OutputArea").all_inner_texts())
    return [text for text in WIDGET_PLACEHOLDERS if text in outputs]


def screenshot(page: t.Any, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def element_screenshot(element: t.Any, folder: Path, name: str) -> Path:
    """A picture of one output (a whole panel), scrolled into view."""
    path = folder / f"{name}.png"
    element.screenshot(path=str(path))
    return path
