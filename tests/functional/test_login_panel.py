"""LoginPanel driven through its buttons, as the frontend would drive it."""

from __future__ import annotations

import re
import typing as t
from pathlib import Path

from globus_jupyter import core
from globus_jupyter.widgets import LoginPanel

from .people import approve_in_browser


def sandbox_session(sandbox: t.Any, tmp_path: Path) -> core.Session:
    return core.Session(
        core.Settings.for_sandbox(sandbox.url, data_dir=tmp_path / "data")
    )


def link_in(panel: LoginPanel) -> str:
    match = re.search(r'href="([^"]+)"', panel.link.value)
    assert match, "the panel shows a login link"
    return match.group(1).replace("&amp;", "&")


def test_panel_logs_in_with_the_pasted_code_and_logs_out(
    sandbox: t.Any, tmp_path: Path
) -> None:
    session = sandbox_session(sandbox, tmp_path)
    panel = LoginPanel(session)
    assert "Not logged in" in panel.status.value

    panel.login_button.click()
    code = approve_in_browser(link_in(panel))
    panel.code.value = code
    panel.finish_button.click()

    assert "Logged in as <b>ada@sandbox.example.org</b>" in panel.status.value
    assert panel.logout_button in panel.children
    assert panel.code.value == ""
    assert code not in repr(panel.get_state())

    panel.logout_button.click()
    assert "Not logged in" in panel.status.value
    assert session.describe().tokens == ()


def test_panel_shows_a_bad_code_inline(sandbox: t.Any, tmp_path: Path) -> None:
    panel = LoginPanel(sandbox_session(sandbox, tmp_path))
    panel.login_button.click()
    panel.code.value = "wrong-code"
    panel.finish_button.click()

    assert "Globus Auth error 400" in panel.error.value
    assert "wrong-code" not in panel.error.value
    assert "Not logged in" not in panel.status.value  # still waiting for a code


def test_panel_opens_logged_in_when_tokens_are_stored(
    sandbox: t.Any, tmp_path: Path
) -> None:
    session = sandbox_session(sandbox, tmp_path)
    session.login(prompt=lambda request: approve_in_browser(request.url))

    panel = LoginPanel(sandbox_session(sandbox, tmp_path))

    assert "ada@sandbox.example.org" in panel.status.value
