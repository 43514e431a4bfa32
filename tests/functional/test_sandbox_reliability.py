"""
The sandbox's Transfer when things go wrong: paths that try to leave a
collection, a service that fails some requests, and a sandbox killed mid-copy.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
import typing as t
from pathlib import Path

import globus_sdk
import pytest
import requests

from globus_jupyter.sandbox import SANDBOX_COLLECTIONS, Sandbox
from globus_jupyter.sandbox.process import SandboxProcess

from .conftest import register_sdk_environment, transfer_client_for, wait_for_task

SCRATCH = SANDBOX_COLLECTIONS["scratch"]
REMOTE = SANDBOX_COLLECTIONS["remote"]
INJECTED_STATUSES = {429, 500, 502, 503}


def tree(directory: Path) -> dict[str, bytes | None]:
    """Every path under ``directory`` with its bytes (``None`` for directories)."""
    return {
        path.relative_to(directory).as_posix(): (
            None if path.is_dir() else path.read_bytes()
        )
        for path in sorted(directory.rglob("*"))
    }


# paths that try to leave a collection


@pytest.fixture
def outside(tmp_path: Path, collections_dir: Path) -> Path:
    """
    A directory next to the sandbox that no path may reach, and ways out of the
    scratch collection towards it: a link to it (``/escape``) and a link to the
    file in it (``/secret-link``).
    """
    secret = tmp_path / "outside"
    (secret / "sub").mkdir(parents=True)
    (secret / "secret.txt").write_bytes(b"not for the sandbox")
    scratch = collections_dir / "scratch"
    (scratch / "escape").symlink_to(secret, target_is_directory=True)
    (scratch / "secret-link").symlink_to(secret / "secret.txt")
    (scratch / "inside.txt").write_bytes(b"inside")
    return secret


#: for each way out, a file and a directory path that go through it
ROUTES = {
    "dot-dot": ("/../../../outside/secret.txt", "/~/../../../outside"),
    "symlink-out": ("/secret-link", "/escape"),
    "symlinked-parent": ("/escape/secret.txt", "/escape/sub"),
}


def _transfer(
    client: globus_sdk.TransferClient, source: str, destination: str
) -> t.Any:
    data = globus_sdk.TransferData(SCRATCH, SCRATCH)
    data.add_item(source, destination)
    return client.submit_transfer(data)


def _refused(call: t.Callable[[], t.Any]) -> globus_sdk.TransferAPIError:
    with pytest.raises(globus_sdk.TransferAPIError) as refused:
        call()
    return refused.value


def _delete(client: globus_sdk.TransferClient, path: str) -> t.Any:
    data = globus_sdk.DeleteData(SCRATCH, recursive=True)
    data.add_item(path)
    return client.submit_delete(data)


OPERATIONS: dict[str, t.Callable[[globus_sdk.TransferClient, str, str], t.Any]] = {
    "ls": lambda client, file, directory: client.operation_ls(SCRATCH, path=directory),
    "stat": lambda client, file, directory: client.operation_stat(SCRATCH, file),
    "mkdir": lambda client, file, directory: client.operation_mkdir(
        SCRATCH, f"{directory}/new-dir"
    ),
    "rename-out-of": lambda client, file, directory: client.operation_rename(
        SCRATCH, file, "/stolen.txt"
    ),
    "rename-into": lambda client, file, directory: client.operation_rename(
        SCRATCH, "/inside.txt", f"{directory}/planted.txt"
    ),
    "transfer-from": lambda client, file, directory: _transfer(
        client, file, "/stolen.txt"
    ),
    "transfer-to": lambda client, file, directory: _transfer(
        client, "/inside.txt", f"{directory}/planted.txt"
    ),
    "delete": lambda client, file, directory: _delete(client, f"{directory}/sub"),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_path_leading_out_of_the_collection_is_refused(
    ada_transfer: globus_sdk.TransferClient,
    outside: Path,
    collections_dir: Path,
    route: str,
    operation: str,
) -> None:
    file, directory = ROUTES[route]
    before = tree(outside)

    refused = _refused(lambda: OPERATIONS[operation](ada_transfer, file, directory))

    if route == "dot-dot":
        assert refused.http_status == 400
        assert refused.code == "InvalidPath"
        assert "'..'" in refused.message
    else:
        assert refused.http_status == 403
        assert refused.code == "EndpointPermissionDenied"
        assert "leads outside the collection" in refused.message
    assert tree(outside) == before
    assert list(ada_transfer.task_list()) == []
    assert not (collections_dir / "scratch" / "stolen.txt").exists()


def test_a_link_out_is_listed_as_a_link_and_never_followed(
    ada_transfer: globus_sdk.TransferClient, outside: Path
) -> None:
    listed = {entry["name"]: entry for entry in ada_transfer.operation_ls(SCRATCH)}

    assert listed["escape"]["type"] == "link"
    assert listed["secret-link"]["type"] == "link"
    assert listed["secret-link"]["size"] != len(b"not for the sandbox")
    assert listed["secret-link"]["link_size"] is None


def test_deleting_a_link_out_removes_the_link_not_what_it_points_to(
    ada_transfer: globus_sdk.TransferClient, outside: Path, collections_dir: Path
) -> None:
    before = tree(outside)

    task = wait_for_task(ada_transfer, _delete(ada_transfer, "/escape")["task_id"])

    assert task["status"] == "SUCCEEDED"
    assert not os.path.lexists(collections_dir / "scratch" / "escape")
    assert tree(outside) == before


def test_a_transfer_onto_a_link_out_replaces_the_link_not_the_file_outside(
    ada_transfer: globus_sdk.TransferClient, outside: Path, collections_dir: Path
) -> None:
    before = tree(outside)

    task = wait_for_task(
        ada_transfer, _transfer(ada_transfer, "/inside.txt", "/secret-link")["task_id"]
    )

    landed = collections_dir / "scratch" / "secret-link"
    assert task["status"] == "SUCCEEDED"
    assert not landed.is_symlink()
    assert landed.read_bytes() == b"inside"
    assert tree(outside) == before


def test_absolute_paths_name_places_in_the_collection_never_on_the_host(
    ada_transfer: globus_sdk.TransferClient, outside: Path, collections_dir: Path
) -> None:
    host_file = str(outside / "secret.txt")
    before = tree(outside)

    listing = _refused(lambda: ada_transfer.operation_ls(SCRATCH, path=str(outside)))
    stat = _refused(lambda: ada_transfer.operation_stat(SCRATCH, host_file))
    mkdir = _refused(
        lambda: ada_transfer.operation_mkdir(SCRATCH, str(outside / "new-dir"))
    )
    copy_from = wait_for_task(
        ada_transfer, _transfer(ada_transfer, host_file, "/stolen.txt")["task_id"]
    )
    copy_to = wait_for_task(
        ada_transfer,
        _transfer(ada_transfer, "/inside.txt", str(outside / "planted.txt"))["task_id"],
    )
    delete = wait_for_task(ada_transfer, _delete(ada_transfer, host_file)["task_id"])

    assert listing.http_status == stat.http_status == 404
    assert mkdir.http_status == 404
    assert copy_from["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert copy_to["status"] == "SUCCEEDED"
    scratch = collections_dir / "scratch"
    planted = scratch / str(outside / "planted.txt").lstrip("/")
    assert planted.read_bytes() == b"inside"
    assert delete["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert tree(outside) == before


# a service that fails some requests


@pytest.fixture
def flaky_sandbox(tmp_path: Path) -> t.Iterator[Sandbox]:
    with Sandbox(tmp_path / "flaky", fault_seed=4242) as running:
        register_sdk_environment(running)
        yield running


def _recording_outcomes(client: globus_sdk.TransferClient) -> list[str]:
    """What each HTTP attempt of ``client`` met: a status code or a dropped line."""
    outcomes: list[str] = []
    send = client.transport.session.send

    def recording_send(request: t.Any, **kwargs: t.Any) -> t.Any:
        try:
            response = send(request, **kwargs)
        except requests.ConnectionError:
            outcomes.append("dropped")
            raise
        outcomes.append(str(response.status_code))
        return response

    client.transport.session.send = recording_send  # type: ignore[method-assign]
    return outcomes


def test_a_200_file_transfer_completes_once_while_a_tenth_of_requests_fail(
    flaky_sandbox: Sandbox,
) -> None:
    client = transfer_client_for(register_sdk_environment(flaky_sandbox))
    source = Path(flaky_sandbox.root) / "collections" / "scratch" / "many"
    for number in range(200):
        path = source / f"part-{number:03d}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(512 + number * 7))
    outcomes = _recording_outcomes(client)
    flaky_sandbox.fault_rate = 0.1

    data = globus_sdk.TransferData(SCRATCH, SCRATCH, label="through the storm")
    data.add_item("/many/", "/copied/", recursive=True)
    task = wait_for_task(client, client.submit_transfer(data)["task_id"])
    tasks = client.task_list(filter="label:through the storm")

    assert task["status"] == "SUCCEEDED"
    assert tasks["total"] == 1
    copied = source.parent / "copied"
    assert sorted(p.name for p in copied.iterdir()) == sorted(
        p.name for p in source.iterdir()
    )
    for path in source.iterdir():
        assert (copied / path.name).read_bytes() == path.read_bytes()
    # the service did fail requests along the way, and globus-sdk retried them
    failed = [o for o in outcomes if o == "dropped" or int(o) in INJECTED_STATUSES]
    assert failed
    assert len(failed) < len(outcomes)


def test_a_submission_whose_answer_was_lost_is_not_made_twice(
    flaky_sandbox: Sandbox,
) -> None:
    client = transfer_client_for(register_sdk_environment(flaky_sandbox))
    (Path(flaky_sandbox.root) / "collections" / "scratch" / "in.txt").write_text("x")
    flaky_sandbox.faults = ("drop",)

    # drop submissions until one was lost on its way in and one on its way out
    lost_answer: globus_sdk.TransferData | None = None
    never_arrived: globus_sdk.TransferData | None = None
    for attempt in range(40):
        data = globus_sdk.TransferData(
            SCRATCH,
            SCRATCH,
            label=f"attempt {attempt}",
            submission_id=client.get_submission_id()["value"],
        )
        data.add_item("/in.txt", f"/out-{attempt}.txt")
        flaky_sandbox.fault_rate = 1.0
        with (
            client.retry_config.tune(max_retries=0),
            pytest.raises(globus_sdk.NetworkError),
        ):
            client.submit_transfer(data)
        flaky_sandbox.fault_rate = 0.0
        if client.task_list(filter=f"label:attempt {attempt}")["total"]:
            lost_answer = lost_answer or data
        else:
            never_arrived = never_arrived or data
        if lost_answer and never_arrived:
            break
    assert lost_answer is not None
    assert never_arrived is not None
    made = client.task_list(filter=f"label:{lost_answer['label']}")["DATA"][0]

    again = client.submit_transfer(lost_answer)
    late = client.submit_transfer(never_arrived)

    assert again["code"] == "Duplicate"
    assert again["task_id"] == made["task_id"]
    assert late["code"] == "Accepted"
    assert client.task_list(filter=f"label:{lost_answer['label']}")["total"] == 1
    wait_for_task(client, again["task_id"])
    wait_for_task(client, late["task_id"])


def _raw_outcomes(sandbox: Sandbox, token: str, count: int) -> list[str]:
    url = f"{sandbox.service_url('transfer')}v0.10/submission_id"
    headers = {"Authorization": f"Bearer {token}"}
    outcomes = []
    for _ in range(count):
        try:
            answer = requests.get(url, headers=headers, timeout=30)
        except requests.ConnectionError:
            outcomes.append("dropped")
            continue
        retry_after = answer.headers.get("Retry-After")
        outcomes.append(f"{answer.status_code} {retry_after or ''}".strip())
    return outcomes


def test_the_same_fault_seed_brings_the_same_faults(tmp_path: Path) -> None:
    runs = []
    for number in range(2):
        with Sandbox(tmp_path / f"seeded-{number}", fault_seed=7) as sandbox:
            client = transfer_client_for(register_sdk_environment(sandbox))
            authorizer = client.authorizer
            assert isinstance(authorizer, globus_sdk.AccessTokenAuthorizer)
            sandbox.fault_rate = 0.5
            runs.append(_raw_outcomes(sandbox, authorizer.access_token, 40))

    first, second = runs
    assert first == second
    assert "200" in first
    assert {"500", "502", "503", "429 1", "dropped"} <= set(first)


# a sandbox killed in the middle of a copy


class _Watcher(threading.Thread):
    """Reads every file that appears in a directory and checks it is whole."""

    def __init__(self, directory: Path, expected: dict[str, bytes]) -> None:
        super().__init__(daemon=True)
        self.directory = directory
        self.expected = expected
        self.seen: set[str] = set()
        self.torn: list[str] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            if self.directory.is_dir():
                for path in self.directory.iterdir():
                    try:
                        found = path.read_bytes()
                    except FileNotFoundError:
                        continue
                    self.seen.add(path.name)
                    if found != self.expected.get(path.name):
                        self.torn.append(path.name)
            time.sleep(0.005)


def test_a_transfer_survives_a_killed_sandbox_and_never_shows_a_partial_file(
    tmp_path: Path,
) -> None:
    root = tmp_path / "killed"
    source = root / "collections" / "scratch" / "src"
    source.mkdir(parents=True)
    expected = {f"part-{n:02d}.bin": os.urandom(48 * 1024) for n in range(12)}
    for name, data in expected.items():
        (source / name).write_bytes(data)
    destination = root / "collections" / "remote" / "in"
    watcher = _Watcher(destination, expected)

    first = SandboxProcess(root, "--remote-bandwidth", "256K")
    try:
        client = transfer_client_for(register_sdk_environment(first.url))
        data = globus_sdk.TransferData(SCRATCH, REMOTE, label="interrupted")
        data.add_item("/src/", "/in/", recursive=True)
        task_id = client.submit_transfer(data)["task_id"]
        watcher.start()
        while (before_kill := client.get_task(task_id))["files_transferred"] < 2:
            time.sleep(0.02)
    finally:
        first.stop(kill=True)

    second = SandboxProcess(root, "--remote-bandwidth", "256K")
    try:
        resumed = globus_sdk.TransferClient(
            environment=register_sdk_environment(second.url),
            authorizer=client.authorizer,
        )
        task = wait_for_task(resumed, task_id)
        events = [event["description"] for event in resumed.task_event_list(task_id)]
    finally:
        watcher.done.set()
        watcher.join()
        second.stop()

    assert before_kill["status"] == "ACTIVE"
    assert before_kill["files_transferred"] < before_kill["files"] == 12
    assert task["status"] == "SUCCEEDED"
    assert task["files_transferred"] == 12
    assert task["bytes_transferred"] == 12 * 48 * 1024
    assert watcher.torn == []
    assert watcher.seen == set(expected)
    for name, data in expected.items():
        assert hashlib.sha256((destination / name).read_bytes()).digest() == (
            hashlib.sha256(data).digest()
        )
    assert "The transfer started again after a restart" in events
    assert not any((root / ".staging").iterdir())


# settings


def test_fault_settings_are_checked_and_explained(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path / "unused")

    with pytest.raises(ValueError, match="fault_rate must be from 0 to 1"):
        sandbox.fault_rate = 1.5
    with pytest.raises(ValueError, match="faults must be one or more of 500, 502"):
        sandbox.faults = ("404",)
    with pytest.raises(ValueError, match="remote_bandwidth must be a whole number"):
        sandbox.remote_bandwidth = 0
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "globus_jupyter.sandbox",
            "--root",
            str(tmp_path / "unused"),
            "--faults",
            "500,teapot",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert cli.returncode == 2
    assert cli.stderr.splitlines()[-1].endswith(
        "unknown fault kinds teapot: expected a comma-separated list of "
        "500, 502, 503, 429, drop"
    )
    assert sandbox.fault_rate == 0.0
