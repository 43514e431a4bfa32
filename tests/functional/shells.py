"""A real IPython shell with the extension loaded, as a notebook user has it."""

from __future__ import annotations

import contextlib
import typing as t
from pathlib import Path

import pytest
from IPython.utils.capture import CapturedIO, capture_output

from globus_jupyter import core

#: variables that would make a session use something other than the sandbox
_OUTSIDE_SOURCES = ("GLOBUS_DATA", "GLOBUS_CLIENT_ID", "GLOBUS_CLIENT_SECRET")


@contextlib.contextmanager
def globus_shell(
    monkeypatch: pytest.MonkeyPatch,
    *,
    data_dir: Path,
    sandbox_url: str | None = None,
    environment: str | None = None,
    poll_interval: float | None = None,
) -> t.Iterator[t.Any]:
    """
    An ``InteractiveShell`` after ``%load_ext globus_jupyter``, configured through
    the ``GLOBUS_JUPYTER_*`` variables, and torn down with its session.
    """
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("GLOBUS_JUPYTER_DATA_DIR", str(data_dir))
    if sandbox_url is not None:
        monkeypatch.setenv("GLOBUS_JUPYTER_SANDBOX_URL", sandbox_url)
    else:
        monkeypatch.delenv("GLOBUS_JUPYTER_SANDBOX_URL", raising=False)
    if environment is not None:
        monkeypatch.setenv("GLOBUS_JUPYTER_ENVIRONMENT", environment)
    else:
        monkeypatch.delenv("GLOBUS_JUPYTER_ENVIRONMENT", raising=False)
    for name in _OUTSIDE_SOURCES:
        monkeypatch.delenv(name, raising=False)
    core.use_session(None)

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "globus_jupyter")
    if poll_interval is not None:
        ip.run_line_magic("config", f"GlobusMagics.poll_interval = {poll_interval}")
    try:
        yield ip
    finally:
        ip.run_line_magic("unload_ext", "globus_jupyter")
        previous = core.use_session(None)
        if previous is not None:
            previous.close()
        InteractiveShell.clear_instance()


def run(ip: t.Any, source: str) -> tuple[t.Any, CapturedIO]:
    """Run a cell as the notebook would; its result and captured output."""
    with capture_output() as captured:
        result = ip.run_cell(source)
    return result, captured


def ok(ip: t.Any, source: str) -> CapturedIO:
    """Run a cell that must succeed; its captured output."""
    result, captured = run(ip, source)
    assert result.success, captured.stdout + captured.stderr
    return captured


def fails(ip: t.Any, source: str) -> str:
    """Run a cell that must fail with one line and no traceback; that line."""
    result, captured = run(ip, source)
    assert not result.success
    shown = captured.stdout + captured.stderr
    assert "Traceback" not in shown
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) == 1, shown
    return lines[0]


def shown_text(captured: CapturedIO) -> str:
    """Everything displayed (text/plain) during a cell, e.g. a login link."""
    return "".join(out.data.get("text/plain", "") for out in captured.outputs)
