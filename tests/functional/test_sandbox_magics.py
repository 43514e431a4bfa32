"""Running the sandbox from a notebook with %globus sandbox."""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
import requests

from globus_jupyter import core

from .shells import globus_shell, ok


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Iterator[t.Any]:
    """A shell with no sandbox configured: the magics start their own."""
    with globus_shell(monkeypatch, data_dir=tmp_path / "data") as ip:
        yield ip
        ip.run_cell("%globus sandbox stop")


def run(ip: t.Any, source: str) -> t.Any:
    return ok(ip, source)


def test_sandbox_start_status_and_stop(shell: t.Any, tmp_path: Path) -> None:
    started = run(shell, "%globus sandbox start")
    shown = "".join(out.data["text/plain"] for out in started.outputs)
    assert "Sandbox running at http://127.0.0.1:" in shown
    assert core.session().environment == core.SANDBOX_ENVIRONMENT

    status = run(shell, "%globus sandbox status")
    assert "ada@sandbox.example.org, grace@sandbox.example.org" in status.stdout
    url = status.stdout.split("Sandbox running at ", 1)[1].split()[0]
    discovery = requests.get(f"{url}auth/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    assert (tmp_path / "data" / "sandbox" / "sandbox.sqlite").exists()

    stopped = run(shell, "%globus sandbox stop")
    assert "Sandbox stopped." in stopped.stdout
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}auth/.well-known/openid-configuration", timeout=10)
    assert "No sandbox is running" in run(shell, "%globus sandbox status").stdout


def test_login_sandbox_starts_the_sandbox_and_picks_a_user(shell: t.Any) -> None:
    captured = run(
        shell, "%globus login --sandbox --sandbox-user grace@sandbox.example.org"
    )
    assert "Logged in as grace@sandbox.example.org" in captured.stdout
    assert "Sandbox running" in run(shell, "%globus sandbox status").stdout


def test_config_changes_take_effect_on_the_next_command(
    shell: t.Any, tmp_path: Path
) -> None:
    run(shell, "%globus login --sandbox")
    other = tmp_path / "elsewhere"
    run(shell, f"%config GlobusMagics.data_dir = {str(other)!r}")
    run(shell, "%globus login --sandbox")

    assert (other / "tokens.db").exists()
    assert core.session().settings.data_dir == other
