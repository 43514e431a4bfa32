"""Transfers through the magic that survive a flaky service, and consent on demand."""

from __future__ import annotations

import getpass
import hashlib
import os
import typing as t
from pathlib import Path

import pytest
from IPython.utils.capture import capture_output

from globus_jupyter import core
from globus_jupyter.sandbox import SANDBOX_COLLECTIONS, Sandbox

from .people import approve_in_browser, find_url
from .shells import globus_shell, ok, shown_text


@pytest.fixture
def flaky_sandbox(tmp_path: Path) -> t.Iterator[Sandbox]:
    with Sandbox(tmp_path / "sandbox", fault_seed=20261203) as sandbox:
        yield sandbox


@pytest.fixture
def shell(
    flaky_sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> t.Iterator[t.Any]:
    with globus_shell(
        monkeypatch,
        data_dir=tmp_path / "data",
        sandbox_url=flaky_sandbox.url,
        environment=core.SANDBOX_ENVIRONMENT,
        poll_interval=0.2,
    ) as ip:
        yield ip


def test_a_200_file_transfer_completes_once_with_10_percent_of_requests_failing(
    shell: t.Any, flaky_sandbox: Sandbox
) -> None:
    ok(shell, "%globus login --sandbox")
    ok(shell, f"%globus alias scratch={SANDBOX_COLLECTIONS['scratch']}:/")
    scratch = Path(flaky_sandbox.root) / "collections" / "scratch"
    source = scratch / "many"
    source.mkdir(parents=True)
    for number in range(200):
        (source / f"f{number:03d}.bin").write_bytes(os.urandom(1024 + number))

    import globus_sdk

    statuses: list[int] = []
    transfer = core.session().client(globus_sdk.TransferClient)
    send = transfer.transport.session.send

    def recording_send(request: t.Any, **kwargs: t.Any) -> t.Any:
        response = send(request, **kwargs)
        statuses.append(response.status_code)
        return response

    transfer.transport.session.send = recording_send  # type: ignore[method-assign]
    flaky_sandbox.fault_rate = 0.1
    captured = ok(
        shell,
        "%globus transfer scratch:/many scratch:/copied -r --label flaky-200 --wait",
    )
    flaky_sandbox.fault_rate = 0.0

    assert "SUCCEEDED" in captured.stdout
    # the service really failed some requests, and globus-sdk retried them
    assert {500, 502, 503, 429} & set(statuses)
    ok(shell, "tasks = %globus task list --filter-label flaky-200 --limit 50")
    assert len(shell.user_ns["tasks"]) == 1
    copied = scratch / "copied"
    assert sorted(p.name for p in copied.iterdir()) == sorted(
        p.name for p in source.iterdir()
    )
    for path in source.iterdir():
        expected = hashlib.sha256(path.read_bytes()).hexdigest()
        assert hashlib.sha256((copied / path.name).read_bytes()).hexdigest() == expected


def test_a_guarded_collection_asks_for_its_consent_once_and_goes_on(
    shell: t.Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[t.Any] = []

    def person(prompt: str = "") -> str:
        text = shown_text(shown[0])
        links = [line for line in text.splitlines() if "http" in line]
        return approve_in_browser(find_url(links[-1]))

    monkeypatch.setattr(getpass, "getpass", person)
    with capture_output() as captured:
        shown.append(captured)
        login = shell.run_cell("%globus login")
    assert login.success, captured.stdout
    ok(shell, f"%globus alias guarded={SANDBOX_COLLECTIONS['guarded']}:/")

    with capture_output() as captured:
        shown[0] = captured
        listing = shell.run_cell("guarded = %globus ls guarded:/")
    assert listing.success, captured.stdout + captured.stderr
    text = shown_text(captured)
    assert "Globus needs your consent for" in text
    assert f"{SANDBOX_COLLECTIONS['guarded']}/data_access" in text
    assert "search.api.globus.org" not in text

    # the consent is kept: the next listing asks nothing
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": pytest.fail("asked"))
    ok(shell, "again = %globus ls guarded:/")
