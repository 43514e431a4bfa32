"""The tutorial notebooks, executed end to end by a real kernel."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import typing as t
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def execute(path: Path, data_dir: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GLOBUS_", "GLOBUS_JUPYTER_"))
    }
    env["GLOBUS_JUPYTER_DATA_DIR"] = str(data_dir)
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    # the kernel starts with this environment, as under `jupyter execute`
    client.execute(env=env)
    return notebook


def issued_secret_digests(sandbox_db: Path) -> set[str]:
    """Digests of every token and code the sandbox ever issued."""
    with sqlite3.connect(sandbox_db) as db:
        tokens = {row[0] for row in db.execute("SELECT token_digest FROM tokens")}
        codes = {
            row[0] for row in db.execute("SELECT code_digest FROM authorization_codes")
        }
    return tokens | codes


def widget_states(notebook: nbformat.NotebookNode) -> list[dict[str, t.Any]]:
    """The widget models nbclient saved with the notebook, as a frontend sees them."""
    saved = notebook.metadata.get("widgets", {})
    state = saved.get("application/vnd.jupyter.widget-state+json", {})
    return [model["state"] for model in state.get("state", {}).values()]


def test_quickstart_runs_and_shows_no_token(tmp_path: Path) -> None:
    notebook = execute(NOTEBOOKS / "01-quickstart.ipynb", tmp_path / "data")

    outputs = [out for cell in notebook.cells for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.output_type == "error"]
    text = json.dumps(outputs)
    assert "Logged in as ada@sandbox.example.org" in text
    html_tables = [
        out["data"]["text/html"]
        for out in outputs
        if 'class="dataframe"' in out.get("data", {}).get("text/html", "")
    ]
    # whoami and the directory listing are DataFrames, rendered as pandas does
    assert any("ada@sandbox.example.org" in table for table in html_tables)
    assert any("README.txt" in table for table in html_tables)

    # the progress widget rendered, and its saved state is the final one
    assert any(
        "application/vnd.jupyter.widget-view+json" in out.get("data", {})
        for out in outputs
    )
    states = widget_states(notebook)
    bars = [s for s in states if s.get("_model_name") == "FloatProgressModel"]
    assert bars
    assert all(bar["value"] == 1.0 for bar in bars)
    assert any(bar["bar_style"] == "success" for bar in bars)
    assert any("SUCCEEDED" in str(s.get("value", "")) for s in states)
    assert "Logged out; revoked tokens for" in text

    digests = issued_secret_digests(tmp_path / "data" / "sandbox" / "sandbox.sqlite")
    assert digests, "the sandbox issued tokens during the run"
    whole_notebook = nbformat.writes(notebook)
    words = set(re.findall(r"[A-Za-z0-9_\-\.~]{12,}", whole_notebook))
    leaked = [w for w in words if hashlib.sha256(w.encode()).hexdigest() in digests]
    assert leaked == []


@pytest.mark.parametrize("name", ["01-quickstart.ipynb"])
def test_notebooks_are_stored_without_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.get("outputs") for cell in code_cells)
