"""Logging in, and the commands that need it, in a real IPython shell."""

from __future__ import annotations

import getpass
import sqlite3
import typing as t
from pathlib import Path

import globus_sdk
import pandas as pd
import pytest
from IPython.core.error import StdinNotImplementedError
from IPython.utils.capture import capture_output

from globus_jupyter import core

from .people import approve_in_browser, find_url
from .shells import globus_shell, run, shown_text


@pytest.fixture
def shell(sandbox: t.Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Any:
    """A fresh IPython shell with the extension loaded, pointed at the sandbox."""
    with globus_shell(
        monkeypatch,
        data_dir=tmp_path / "data",
        sandbox_url=sandbox.url,
        environment=core.SANDBOX_ENVIRONMENT,
    ) as ip:
        yield ip


def stored_tokens(data_dir: Path) -> list[str]:
    """Every token value in the token database, to look for leaks."""
    with sqlite3.connect(data_dir / "tokens.db") as db:
        rows = db.execute("SELECT token_data_json FROM token_storage").fetchall()
    import json

    values = []
    for (raw,) in rows:
        data = json.loads(raw)
        values += [v for k, v in data.items() if k.endswith("token") and v]
    return values


def user_pastes_code(
    monkeypatch: pytest.MonkeyPatch, captured: list[t.Any], username: str | None = None
) -> list[str]:
    """
    Answer the hidden code prompt as a person would: follow the link shown in
    the notebook, approve, and paste the code back.
    """
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        shown = shown_text(captured[0])
        return approve_in_browser(find_url(shown), username=username)

    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    return prompts


def login_by_pasting(ip: t.Any, monkeypatch: pytest.MonkeyPatch, **kw: t.Any) -> t.Any:
    holder: list[t.Any] = []
    prompts = user_pastes_code(monkeypatch, holder, **kw)
    with capture_output() as captured:
        holder.append(captured)
        result = ip.run_cell("%globus login")
    assert prompts, "the code was asked for"
    return result, captured


def test_login_by_pasting_the_code_then_whoami_session_logout(
    shell: t.Any, sandbox: t.Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result, captured = login_by_pasting(shell, monkeypatch)
    assert result.success
    assert "Logged in as ada@sandbox.example.org" in captured.stdout
    assert "Log in to Globus" in captured.outputs[0].data["text/html"]

    result, _ = run(shell, "me = %globus whoami")
    me = shell.user_ns["me"]
    assert isinstance(me, pd.DataFrame)
    assert me.loc[me["primary"], "username"].tolist() == ["ada@sandbox.example.org"]

    result, captured = run(shell, "%globus session")
    shown = captured.stdout + "".join(str(out.data) for out in captured.outputs)
    assert "auth.globus.org" in shown
    assert "interactive login" in shown

    tokens = stored_tokens(tmp_path / "data")
    assert tokens, "the login stored tokens for later kernels"
    for token in tokens:
        assert token not in shown

    result, captured = run(shell, "%globus logout")
    assert result.success
    assert "revoked tokens for auth.globus.org" in captured.stdout
    assert stored_tokens(tmp_path / "data") == []

    # the revoked token is rejected by the sandbox
    revoked = globus_sdk.AuthClient(
        authorizer=globus_sdk.AccessTokenAuthorizer(tokens[0]),
        environment=core.SANDBOX_ENVIRONMENT,
    )
    with pytest.raises(globus_sdk.GlobusAPIError) as rejected:
        revoked.userinfo()
    assert rejected.value.http_status == 401


def test_stored_tokens_are_used_by_a_new_kernel_without_asking(
    shell: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_by_pasting(shell, monkeypatch)
    core.use_session(None).close()  # as after a kernel restart

    def no_prompt(prompt: str = "") -> str:
        raise AssertionError("a stored login must not ask for a code")

    monkeypatch.setattr(getpass, "getpass", no_prompt)
    result, captured = run(shell, "%globus login")
    assert result.success
    assert "tokens stored by an earlier login" in captured.stdout


def test_login_as_the_second_sandbox_user(
    shell: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    login_by_pasting(shell, monkeypatch, username="grace@sandbox.example.org")
    result, _ = run(shell, "who = %globus whoami")
    assert result.success
    assert shell.user_ns["who"]["username"].iloc[0] == "grace@sandbox.example.org"


def test_login_sandbox_needs_no_code(
    shell: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_prompt(prompt: str = "") -> str:
        raise AssertionError("--sandbox must not ask for a code")

    monkeypatch.setattr(getpass, "getpass", no_prompt)
    result, captured = run(shell, "%globus login --sandbox")
    assert result.success, captured.stdout
    assert "Logged in as ada@sandbox.example.org" in captured.stdout


def test_login_without_stdin_names_the_other_ways(
    shell: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_stdin(prompt: str = "") -> str:
        raise StdinNotImplementedError("getpass called with no stdin")

    monkeypatch.setattr(getpass, "getpass", no_stdin)
    result, captured = run(shell, "%globus login")
    assert not result.success
    assert "Traceback" not in captured.stdout + captured.stderr
    shown = captured.stdout + captured.stderr
    assert "no stdin" in shown
    for way in ("GLOBUS_CLIENT_SECRET", "GLOBUS_DATA", "--sandbox"):
        assert way in shown


def test_a_wrong_code_is_one_line(
    shell: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "not-a-real-code")
    result, captured = run(shell, "%globus login")
    shown = captured.stdout + captured.stderr
    assert not result.success
    assert "Traceback" not in shown
    assert "Globus Auth error 400" in shown
    assert "not-a-real-code" not in shown


def test_an_api_error_is_one_line_with_status_and_request_id(
    shell: t.Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    login_by_pasting(shell, monkeypatch)
    # the tokens are revoked behind the session's back
    session = core.session()
    for token in stored_tokens(tmp_path / "data"):
        session.app._login_client.oauth2_revoke_token(token)

    result, captured = run(shell, "%globus whoami")
    shown = captured.stdout + captured.stderr
    assert not result.success
    assert "Traceback" not in shown
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "Globus Auth error" in lines[0]
    assert "request id" in lines[0]
