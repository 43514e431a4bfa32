"""TaskProgress and the text bar, driven by the watcher thread against the sandbox."""

from __future__ import annotations

import _thread
import threading
import typing as t
from pathlib import Path

import pytest

from globus_jupyter import core
from globus_jupyter.core.transfer import TransferOptions
from globus_jupyter.sandbox import SANDBOX_COLLECTIONS
from globus_jupyter.widgets import TaskProgress

from .shells import globus_shell, ok


@pytest.fixture
def session(sandbox: t.Any, tmp_path: Path) -> t.Iterator[core.Session]:
    session = core.Session(
        core.Settings.for_sandbox(
            sandbox.url, data_dir=tmp_path / "data", poll_interval=0.2
        )
    )
    session.login(prompt=core.approve_in_sandbox)
    session.transfer.set_alias("home", f"{SANDBOX_COLLECTIONS['home']}:/~/")
    session.transfer.set_alias("remote", f"{SANDBOX_COLLECTIONS['remote']}:/")
    yield session
    session.close()


def slow_transfer(session: core.Session, sandbox: t.Any, label: str) -> t.Any:
    sandbox.remote_bandwidth = 128 * 1024
    return session.transfer.transfer(
        "home:datasets",
        f"remote:/{label}",
        recursive=True,
        options=TransferOptions(label=label),
    )


def test_progress_widget_follows_the_task_to_success(
    session: core.Session, sandbox: t.Any
) -> None:
    task = session.transfer.transfer(
        "home:datasets/ocean-temperature",
        "remote:/ocean",
        recursive=True,
        options=TransferOptions(label="watched"),
    )
    view = TaskProgress(task)
    seen: list[float] = []
    view.bar.observe(lambda change: seen.append(change["new"]), names="value")

    final = task.wait(timeout=120)

    assert final is not None
    assert final.succeeded
    assert view.bar.value == 1.0
    assert view.bar.bar_style == "success"
    assert "SUCCEEDED" in view.status.value
    assert f"{final.files}/{final.files} files" in view.details.value
    assert view.cancel_button.disabled
    assert len(seen) >= 2  # the bar moved on the way, not only at the end
    assert "watched" in view.title.value


def test_cancel_button_cancels_the_task(session: core.Session, sandbox: t.Any) -> None:
    task = slow_transfer(session, sandbox, "to-cancel")
    view = TaskProgress(task)

    view.cancel_button.click()
    final = task.wait(timeout=60)

    assert final is not None
    assert final.status == "FAILED"
    assert view.bar.bar_style == "danger"
    assert "FAILED" in view.status.value
    assert view.error.value == ""


def test_interrupting_a_wait_leaves_the_task_and_the_watcher_running(
    sandbox: t.Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with globus_shell(
        monkeypatch, data_dir=tmp_path / "shell-data", sandbox_url=sandbox.url
    ) as ip:
        ok(ip, "%globus login --sandbox")
        ok(ip, f"%globus alias home={SANDBOX_COLLECTIONS['home']}:/~/")
        ok(ip, f"%globus alias remote={SANDBOX_COLLECTIONS['remote']}:/")
        sandbox.remote_bandwidth = 256 * 1024
        ok(ip, "p = %globus transfer home:datasets remote:/interrupted -r")
        task_id = ip.user_ns["p"].task_id

        # the user presses "interrupt kernel" while the cell waits
        threading.Timer(1.0, _thread.interrupt_main).start()
        captured = ok(ip, f"%globus task wait {task_id}")

        assert "Stopped waiting; task" in captured.stdout
        watcher = core.session().watcher
        assert watcher.running
        assert task_id in watcher.watched
        sandbox.remote_bandwidth = 64 * 1024 * 1024
        final = watcher.wait(task_id, timeout=120)
        assert final is not None
        assert final.succeeded
