"""Transfer from the notebook: %globus ls, transfer, task ... against the sandbox."""

from __future__ import annotations

import hashlib
import typing as t
from pathlib import Path

import pandas as pd
import pytest

from globus_jupyter import core
from globus_jupyter.sandbox import SANDBOX_COLLECTIONS

from .shells import fails, globus_shell, ok

ADA = "ada@sandbox.example.org"


@pytest.fixture
def shell(sandbox: t.Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> t.Any:
    """A shell logged in to the sandbox as ada, with aliases for its collections."""
    with globus_shell(
        monkeypatch,
        data_dir=tmp_path / "data",
        sandbox_url=sandbox.url,
        poll_interval=0.2,
    ) as ip:
        ok(ip, "%globus login --sandbox")
        ok(ip, f"%globus alias home={SANDBOX_COLLECTIONS['home']}:/~/")
        ok(ip, f"%globus alias scratch={SANDBOX_COLLECTIONS['scratch']}:/")
        ok(ip, f"%globus alias remote={SANDBOX_COLLECTIONS['remote']}:/")
        yield ip


def collection_dir(sandbox: t.Any, name: str, user: str | None = None) -> Path:
    root = Path(sandbox.root) / "collections" / name
    return root / user if user else root


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_endpoint_search_finds_the_sandbox_collections(shell: t.Any) -> None:
    ok(shell, "found = %globus endpoint search Sandbox")
    found = shell.user_ns["found"]
    assert isinstance(found, pd.DataFrame)
    assert set(SANDBOX_COLLECTIONS.values()) <= set(found["id"])
    assert "Sandbox Home" in set(found["display_name"])


def test_ls_gives_a_typed_dataframe(shell: t.Any) -> None:
    ok(shell, "listing = %globus ls home:datasets/ocean-temperature")
    listing = shell.user_ns["listing"]
    assert "README.txt" in set(listing["name"])
    assert listing["size"].dtype == "int64"
    assert str(listing["last_modified"].dtype).startswith("datetime64")
    assert str(listing["last_modified"].dt.tz) == "UTC"
    assert isinstance(listing["type"].dtype, pd.CategoricalDtype)
    assert listing.attrs["collection_id"] == SANDBOX_COLLECTIONS["home"]
    assert listing.attrs["path"].rstrip("/").endswith("datasets/ocean-temperature")

    ok(shell, "csv = %globus ls home:datasets/ocean-temperature --filter '~*.csv'")
    assert all(name.endswith(".csv") for name in shell.user_ns["csv"]["name"])


def test_stat_shows_one_entry(shell: t.Any) -> None:
    ok(shell, "readme = %globus stat home:datasets/ocean-temperature/README.txt")
    readme = shell.user_ns["readme"]
    assert readme["name"] == "README.txt"
    assert readme["type"] == "file"
    assert int(readme["size"]) > 0


def test_mkdir_rename_and_rm(shell: t.Any, sandbox: t.Any) -> None:
    scratch = collection_dir(sandbox, "scratch")
    assert "Created directory" in ok(shell, "%globus mkdir scratch:/made-here").stdout
    assert (scratch / "made-here").is_dir()

    ok(shell, "%globus rename scratch /made-here /renamed")
    assert (scratch / "renamed").is_dir()
    assert not (scratch / "made-here").exists()

    ok(shell, "%globus rm scratch:/renamed --recursive --wait")
    assert not (scratch / "renamed").exists()


def test_transfer_wait_copies_the_files_and_shows_progress(
    shell: t.Any, sandbox: t.Any
) -> None:
    captured = ok(
        shell,
        "%globus transfer home:datasets/ocean-temperature scratch:/ocean -r "
        "--label 'to scratch' --wait",
    )
    assert "SUCCEEDED" in captured.stdout
    source = collection_dir(sandbox, "home", ADA) / "datasets" / "ocean-temperature"
    copied = collection_dir(sandbox, "scratch") / "ocean"
    names = sorted(p.name for p in source.iterdir())
    assert sorted(p.name for p in copied.iterdir()) == names
    for name in names:
        assert digest(copied / name) == digest(source / name)


def test_batch_transfer_from_the_cell_body(shell: t.Any, sandbox: t.Any) -> None:
    ok(shell, "listing = %globus ls home:datasets/ocean-temperature --filter '~*.csv'")
    first, second = sorted(shell.user_ns["listing"]["name"])[:2]
    source = collection_dir(sandbox, "home", ADA) / "datasets" / "ocean-temperature"
    ok(
        shell,
        "%%globus transfer home:datasets/ocean-temperature scratch:/picked --wait\n"
        f"# two files, renamed on the way\n{first} one.csv\n{second} two.csv\n",
    )
    picked = collection_dir(sandbox, "scratch") / "picked"
    assert digest(picked / "one.csv") == digest(source / first)
    assert digest(picked / "two.csv") == digest(source / second)


def test_task_commands(shell: t.Any, sandbox: t.Any) -> None:
    sandbox.remote_bandwidth = 256 * 1024
    ok(
        shell,
        "progress = %globus transfer home:datasets remote:/slow -r --label slow-one",
    )
    task_id = shell.user_ns["progress"].task_id

    ok(shell, "tasks = %globus task list --filter-status ACTIVE")
    assert task_id in set(shell.user_ns["tasks"]["task_id"])
    ok(shell, f"shown = %globus task show {task_id}")
    assert shell.user_ns["shown"]["label"] == "slow-one"

    assert ok(shell, f"%globus task cancel {task_id}").stdout.strip()
    ok(shell, f"%globus task wait {task_id} --timeout 30")
    ok(shell, f"events = %globus task event-list {task_id}")
    events = shell.user_ns["events"]
    assert isinstance(events, pd.DataFrame)
    assert len(events) >= 1
    ok(shell, f"final = %globus task show {task_id}")
    assert shell.user_ns["final"]["status"] == "FAILED"


def test_history_finds_tasks_after_a_kernel_restart(shell: t.Any) -> None:
    ok(
        shell,
        "done = %globus transfer home:datasets/ocean-temperature/README.txt "
        "scratch:/readme.txt --wait",
    )
    task_id = shell.user_ns["done"].task_id

    core.use_session(None).close()  # the kernel restarts: a new session
    ok(shell, "%globus login --sandbox")
    ok(shell, "mine = %globus task list --history")
    mine = shell.user_ns["mine"]
    assert task_id in set(mine["task_id"])
    assert mine.set_index("task_id").loc[task_id, "status"] == "SUCCEEDED"
    assert bool(mine["submitted_here"].all())


def test_dry_run_submits_nothing(shell: t.Any) -> None:
    ok(shell, "doc = %globus transfer home:datasets scratch:/dry -r --dry-run")
    document = shell.user_ns["doc"]
    assert document["DATA_TYPE"] == "transfer"
    assert document["DATA"][0]["recursive"] is True
    ok(shell, "after = %globus task list --filter-label dry")
    assert shell.user_ns["after"].empty


def test_bad_lines_are_one_line(shell: t.Any) -> None:
    assert "unknown collection 'nowhere'" in fails(shell, "%globus ls nowhere:/x")
    assert "--sync-level" in fails(
        shell, "%globus transfer home:a scratch:b --sync-level sometimes"
    )
    assert "deadline" in fails(
        shell, "%globus transfer home:a scratch:b --deadline tomorrow"
    )
    assert "expected [--recursive] SOURCE_PATH DEST_PATH" in fails(
        shell, "%%globus transfer home: scratch:\na b c\n"
    )
    assert "Globus Transfer error 404" in fails(
        shell, "%globus ls home:/~/does/not/exist"
    )
