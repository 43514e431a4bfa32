"""
The sandbox's Transfer, driven by the real globus-sdk over HTTP.

Each test logs in through the sandbox's consent page, then uses a plain
``globus_sdk.TransferClient``; what it checks is what a user sees: the API's
answers, and files that really arrive on the sandbox's disk.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import time
import typing as t
from pathlib import Path

import globus_sdk
import pytest
import requests
from globus_sdk.gare import to_gare
from globus_sdk.scopes import GCSCollectionScopes, TransferScopes

from globus_jupyter.sandbox import (
    SANDBOX_COLLECTIONS,
    SANDBOX_SERVICE_CLIENT_ID,
    SANDBOX_SERVICE_CLIENT_SECRET,
    SANDBOX_USERS,
    Sandbox,
)

from .conftest import transfer_client_for, wait_for_task

HOME = SANDBOX_COLLECTIONS["home"]
SCRATCH = SANDBOX_COLLECTIONS["scratch"]
REMOTE = SANDBOX_COLLECTIONS["remote"]
GUARDED = SANDBOX_COLLECTIONS["guarded"]
ADA, GRACE = SANDBOX_USERS
DATASET = "/~/datasets/ocean-temperature/"
LS_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+00:00$")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_files(directory: Path, contents: dict[str, bytes]) -> None:
    for name, data in contents.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def transfer_and_wait(
    client: globus_sdk.TransferClient, data: globus_sdk.TransferData
) -> dict[str, t.Any]:
    return wait_for_task(client, client.submit_transfer(data)["task_id"])


def api_error(call: t.Callable[[], t.Any]) -> globus_sdk.TransferAPIError:
    with pytest.raises(globus_sdk.TransferAPIError) as raised:
        call()
    return raised.value


# collections


def test_endpoint_search_finds_the_sandbox_collections_by_their_text(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    everything = ada_transfer.endpoint_search("sandbox")
    throttled = ada_transfer.endpoint_search("throttled")

    assert {doc["id"] for doc in everything} == set(SANDBOX_COLLECTIONS.values())
    assert everything["DATA_TYPE"] == "endpoint_list"
    assert everything["has_next_page"] is False
    assert [doc["display_name"] for doc in throttled] == ["Sandbox Remote (throttled)"]
    assert all(doc["entity_type"] == "GCSv5_mapped_collection" for doc in everything)


def test_endpoint_search_pages_like_transfer(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    pages = [
        ada_transfer.endpoint_search("sandbox", limit=3, offset=offset)
        for offset in (0, 3)
    ]
    paginated = [
        doc["id"] for doc in ada_transfer.paginated.endpoint_search("sandbox").items()
    ]

    assert [page["has_next_page"] for page in pages] == [True, False]
    assert [page["offset"] for page in pages] == [0, 3]
    assert [len(page["DATA"]) for page in pages] == [3, 1]
    assert paginated == [doc["id"] for page in pages for doc in page]


def test_recently_used_collections_are_those_of_my_tasks(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    assert list(ada_transfer.endpoint_search(filter_scope="recently-used")) == []
    data = globus_sdk.TransferData(HOME, SCRATCH)
    data.add_item(f"{DATASET}README.txt", "/readme.txt")
    transfer_and_wait(ada_transfer, data)

    used = ada_transfer.endpoint_search(filter_scope="recently-used")

    assert {doc["id"] for doc in used} == {HOME, SCRATCH}


def test_get_endpoint_describes_a_collection_and_refuses_unknown_ones(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    remote = ada_transfer.get_endpoint(REMOTE)
    unknown = api_error(
        lambda: ada_transfer.get_endpoint("00000000-0000-4000-8000-000000000000")
    )

    assert remote["display_name"] == "Sandbox Remote (throttled)"
    assert remote["default_directory"] == "/~/"
    assert unknown.http_status == 404
    assert unknown.code == "EndpointNotFound"


# listings and file operations


def test_home_starts_with_the_ocean_temperature_dataset(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    top = ada_transfer.operation_ls(HOME, path="/~/")
    dataset = ada_transfer.operation_ls(HOME, path=DATASET)

    assert [(entry["name"], entry["type"]) for entry in top] == [
        ("datasets", "dir"),
        ("results", "dir"),
    ]
    assert list(ada_transfer.operation_ls(HOME, path="/~/results/")) == []
    names = [entry["name"] for entry in dataset]
    assert names.count("README.txt") == 1
    assert len([name for name in names if name.endswith(".csv")]) == 24
    sizes = [entry["size"] for entry in dataset if entry["name"].endswith(".csv")]
    assert min(sizes) > 100 * 1024
    assert max(sizes) <= 2 * 1024 * 1024
    assert 15 * 2**20 < sum(sizes) < 25 * 2**20
    assert dataset["DATA_TYPE"] == "file_list"
    assert dataset["path"] == DATASET
    assert dataset["endpoint"] == HOME
    assert dataset["total"] == len(names)
    first = dataset["DATA"][0]
    assert first["DATA_TYPE"] == "file"
    assert LS_TIME.match(first["last_modified"])
    assert re.fullmatch(r"0[0-7]{3}", first["permissions"])
    assert set(first) >= {"user", "group", "link_target", "size", "type", "name"}


def test_ls_filters_orders_and_pages(ada_transfer: globus_sdk.TransferClient) -> None:
    ls = ada_transfer.operation_ls
    csv = ls(HOME, path=DATASET, filter="name:~*.csv")
    readme = ls(HOME, path=DATASET, filter={"name": "=README.txt"})
    not_csv = ls(HOME, path=DATASET, filter="name:!~*.csv")
    dirs = ls(HOME, path="/~/", filter="type:dir")
    biggest = ls(HOME, path=DATASET, orderby="size DESC", limit=3)
    by_name = ls(HOME, path=DATASET, orderby=["name DESC"])
    second_page = ls(HOME, path=DATASET, orderby="name", limit=10, offset=10)
    everything = ls(HOME, path=DATASET, orderby="name")

    assert len(csv["DATA"]) == 24
    assert [entry["name"] for entry in readme] == ["README.txt"]
    assert [entry["name"] for entry in not_csv] == ["README.txt"]
    assert {entry["name"] for entry in dirs} == {"datasets", "results"}
    sizes = [entry["size"] for entry in everything]
    assert [entry["size"] for entry in biggest] == sorted(sizes, reverse=True)[:3]
    assert biggest["total"] == 25
    assert biggest["length"] == 3
    names = [entry["name"] for entry in everything]
    assert [entry["name"] for entry in by_name] == sorted(names, reverse=True)
    assert [entry["name"] for entry in second_page] == names[10:20]


def test_ls_shows_dot_files_unless_told_not_to(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    write_files(collections_dir / "scratch", {".hidden": b"x", "shown": b"y"})

    default = ada_transfer.operation_ls(SCRATCH, path="/")
    visible = ada_transfer.operation_ls(SCRATCH, path="/", show_hidden=False)

    # as real Transfer: hidden files are listed unless show_hidden is false
    assert [entry["name"] for entry in default] == [".hidden", "shown"]
    assert [entry["name"] for entry in visible] == ["shown"]


def test_ls_of_a_missing_directory_or_a_file_is_an_error(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    missing = api_error(lambda: ada_transfer.operation_ls(HOME, path="/~/nowhere/"))
    a_file = api_error(
        lambda: ada_transfer.operation_ls(HOME, path=f"{DATASET}README.txt")
    )

    assert missing.http_status == 404
    assert missing.code == "ClientError.NotFound"
    assert missing.request_id
    assert a_file.code == "ExternalError.DirListingFailed.NotDirectory"


def test_stat_describes_a_file_or_says_not_found(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    readme = ada_transfer.operation_stat(HOME, f"{DATASET}README.txt")
    datasets = ada_transfer.operation_stat(HOME, "/~/datasets")
    missing = api_error(lambda: ada_transfer.operation_stat(HOME, "/~/nothing"))

    assert readme["name"] == "README.txt"
    assert readme["type"] == "file"
    assert readme["size"] > 0
    assert LS_TIME.match(readme["last_modified"])
    assert datasets["type"] == "dir"
    assert missing.http_status == 404
    assert missing.code == "NotFound"


def test_mkdir_makes_a_directory_once(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    made = ada_transfer.operation_mkdir(SCRATCH, "/~/new-dir")
    again = api_error(lambda: ada_transfer.operation_mkdir(SCRATCH, "/new-dir"))
    orphan = api_error(lambda: ada_transfer.operation_mkdir(SCRATCH, "/no/such/dir"))

    assert made["code"] == "DirectoryCreated"
    assert (collections_dir / "scratch" / "new-dir").is_dir()
    assert again.code == "ExternalError.MkdirFailed.Exists"
    assert orphan.http_status == 404
    assert not (collections_dir / "scratch" / "no").exists()


def test_rename_moves_a_file_and_refuses_to_overwrite(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    scratch = collections_dir / "scratch"
    write_files(scratch, {"a.txt": b"alpha", "b.txt": b"beta"})

    renamed = ada_transfer.operation_rename(SCRATCH, "/a.txt", "/~/moved.txt")
    clash = api_error(
        lambda: ada_transfer.operation_rename(SCRATCH, "/b.txt", "/moved.txt")
    )
    missing = api_error(
        lambda: ada_transfer.operation_rename(SCRATCH, "/gone.txt", "/x.txt")
    )

    assert renamed["code"] == "FileRenamed"
    assert (scratch / "moved.txt").read_bytes() == b"alpha"
    assert not (scratch / "a.txt").exists()
    assert clash.code == "ExternalError.RenameFailed.Exists"
    assert (scratch / "b.txt").read_bytes() == b"beta"
    assert missing.http_status == 404


# who sees what


def test_each_user_sees_only_their_own_home(
    sandbox_environment: str, ada_transfer: globus_sdk.TransferClient
) -> None:
    grace = transfer_client_for(sandbox_environment, username=GRACE.username)
    ada_transfer.operation_mkdir(HOME, "/~/ada-private")

    ada_sees = {entry["name"] for entry in ada_transfer.operation_ls(HOME)}
    grace_sees = {entry["name"] for entry in grace.operation_ls(HOME)}
    through_parent = api_error(
        lambda: grace.operation_ls(HOME, path=f"/~/../{ADA.username}/")
    )

    assert "ada-private" in ada_sees
    assert "ada-private" not in grace_sees
    assert "datasets" in grace_sees
    assert through_parent.http_status == 400


def test_an_identity_without_a_home_is_refused_it(sandbox_environment: str) -> None:
    service = globus_sdk.ConfidentialAppAuthClient(
        SANDBOX_SERVICE_CLIENT_ID,
        SANDBOX_SERVICE_CLIENT_SECRET,
        environment=sandbox_environment,
    )
    tokens = service.oauth2_client_credentials_tokens(
        requested_scopes=TransferScopes.all
    )
    client = globus_sdk.TransferClient(
        environment=sandbox_environment,
        authorizer=globus_sdk.AccessTokenAuthorizer(
            tokens.by_resource_server["transfer.api.globus.org"]["access_token"]
        ),
    )

    refused = api_error(lambda: client.operation_ls(HOME))

    assert refused.http_status == 403
    assert refused.code == "PermissionDenied"
    assert client.operation_ls(SCRATCH)["DATA_TYPE"] == "file_list"


def test_tasks_are_seen_only_by_their_owner(
    sandbox_environment: str, ada_transfer: globus_sdk.TransferClient
) -> None:
    grace = transfer_client_for(sandbox_environment, username=GRACE.username)
    data = globus_sdk.TransferData(HOME, SCRATCH)
    data.add_item(f"{DATASET}README.txt", "/ada-readme.txt")
    task_id = ada_transfer.submit_transfer(data)["task_id"]

    refused = api_error(lambda: grace.get_task(task_id))

    assert [task["task_id"] for task in ada_transfer.task_list()] == [task_id]
    assert list(grace.task_list()) == []
    assert refused.http_status == 403
    wait_for_task(ada_transfer, task_id)


def test_the_guarded_collection_asks_for_consent_and_works_once_given(
    sandbox_environment: str, ada_transfer: globus_sdk.TransferClient
) -> None:
    data_access = GCSCollectionScopes(GUARDED).data_access.with_optional(True)
    needed = str(TransferScopes.all.with_dependency(data_access))

    refused = api_error(lambda: ada_transfer.operation_ls(GUARDED, path="/"))
    gare = to_gare(refused)
    described = ada_transfer.get_endpoint(GUARDED)
    consented = transfer_client_for(
        sandbox_environment,
        scopes=[TransferScopes.all.with_dependency(data_access)],
    )

    assert refused.http_status == 403
    assert refused.code == "ConsentRequired"
    assert refused.raw_json is not None
    assert refused.raw_json["required_scopes"] == [needed]
    assert gare is not None
    assert gare.authorization_parameters.required_scopes == [needed]
    assert described["display_name"] == "Sandbox Guarded (consent)"
    assert consented.operation_ls(GUARDED, path="/")["DATA"] == []
    consented.operation_mkdir(GUARDED, "/inbox")
    assert [entry["name"] for entry in consented.operation_ls(GUARDED)] == ["inbox"]


# transfers


def test_a_recursive_transfer_copies_every_byte_and_says_what_it_did(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    data = globus_sdk.TransferData(
        HOME, SCRATCH, label="dataset to scratch", verify_checksum=True
    )
    data.add_item("/~/datasets/", "/copy/", recursive=True)

    task = transfer_and_wait(ada_transfer, data)

    source = collections_dir / "home" / ADA.username / "datasets"
    copied = collections_dir / "scratch" / "copy"
    source_files = sorted(
        p.relative_to(source) for p in source.rglob("*") if p.is_file()
    )
    assert sorted(p.relative_to(copied) for p in copied.rglob("*") if p.is_file()) == (
        source_files
    )
    for relative in source_files:
        assert digest(copied / relative) == digest(source / relative)
    total = sum((source / relative).stat().st_size for relative in source_files)
    assert task["status"] == "SUCCEEDED"
    assert task["label"] == "dataset to scratch"
    assert task["files"] == task["files_transferred"] == len(source_files) == 25
    assert task["directories"] == 2
    assert task["bytes_transferred"] == total
    assert task["bytes_checksummed"] == total
    assert task["subtasks_total"] == task["subtasks_succeeded"] == 27
    assert task["subtasks_pending"] == 0
    assert task["source_endpoint_display_name"] == "Sandbox Home"
    assert task["destination_endpoint_id"] == SCRATCH
    assert task["completion_time"] >= task["request_time"]
    assert task["fatal_error"] is None

    events = [event["code"] for event in ada_transfer.task_event_list(task["task_id"])]
    assert events[0] == "SUCCEEDED"
    assert events[-1] == "STARTED"
    assert "PROGRESS" in events
    transfers = list(ada_transfer.task_successful_transfers(task["task_id"]))
    assert len(transfers) == 25
    assert {
        "source_path": "/~/datasets/ocean-temperature/README.txt",
        "destination_path": "/copy/ocean-temperature/README.txt",
        "DATA_TYPE": "successful_transfer",
    } in transfers


def test_a_submission_id_used_twice_makes_one_task(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    submission_id = ada_transfer.get_submission_id()["value"]
    data = globus_sdk.TransferData(HOME, SCRATCH, submission_id=submission_id)
    data.add_item(f"{DATASET}README.txt", "/readme.txt")

    first = ada_transfer.submit_transfer(data)
    second = ada_transfer.submit_transfer(data)

    assert first["code"] == "Accepted"
    assert first.http_status == 202
    assert second["code"] == "Duplicate"
    assert second["task_id"] == first["task_id"]
    assert ada_transfer.task_list()["total"] == 1
    wait_for_task(ada_transfer, first["task_id"])


@pytest.mark.parametrize(
    ("sync_level", "copied"),
    [
        ("exists", {"new.txt"}),
        ("size", {"new.txt", "resized.txt"}),
        ("mtime", {"new.txt", "resized.txt", "older-there.txt"}),
        ("checksum", {"new.txt", "resized.txt", "older-there.txt", "edited.txt"}),
    ],
)
def test_sync_levels_skip_the_files_that_already_match(
    ada_transfer: globus_sdk.TransferClient,
    collections_dir: Path,
    sync_level: str,
    copied: set[str],
) -> None:
    scratch = collections_dir / "scratch"
    write_files(
        scratch / "src",
        {
            "new.txt": b"only at the source",
            "resized.txt": b"longer at the source",
            "older-there.txt": b"same size",
            "edited.txt": b"same size, same time",
            "same.txt": b"identical",
        },
    )
    already_there = {
        "resized.txt": b"short",
        "older-there.txt": b"SAME SIZE",
        "edited.txt": b"SAME SIZE, SAME TIME",
        "same.txt": b"identical",
    }
    write_files(scratch / "dst", already_there)
    a_day_ago = time.time() - 86400
    os.utime(scratch / "dst" / "older-there.txt", (a_day_ago, a_day_ago))
    for name in ("edited.txt", "same.txt"):
        when = (scratch / "src" / name).stat().st_mtime
        os.utime(scratch / "dst" / name, (when, when))
    data = globus_sdk.TransferData(SCRATCH, SCRATCH, sync_level=sync_level)
    data.add_item("/src/", "/dst/", recursive=True)

    task = transfer_and_wait(ada_transfer, data)

    transferred = {
        Path(done["destination_path"]).name
        for done in ada_transfer.task_successful_transfers(task["task_id"])
    }
    assert transferred == copied
    assert task["files"] == 5
    assert task["files_transferred"] == len(copied)
    assert task["files_skipped"] == 5 - len(copied)
    for path in (scratch / "src").iterdir():
        arrived = (scratch / "dst" / path.name).read_bytes()
        if path.name in copied:
            assert arrived == path.read_bytes()
        else:
            assert arrived == already_there[path.name]


def test_filter_rules_include_and_exclude_by_name_like_transfer(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    scratch = collections_dir / "scratch"
    write_files(
        scratch / "src",
        {
            "keep.csv": b"1",
            "drop.tmp": b"2",
            "notes.txt": b"3",
            "cache/inside.csv": b"4",
            "sub/nested.csv": b"5",
            "sub/nested.txt": b"6",
        },
    )
    data = globus_sdk.TransferData(SCRATCH, SCRATCH)
    data.add_item("/src/", "/dst/", recursive=True)
    data.add_filter_rule("cache", method="exclude", type="dir")
    data.add_filter_rule("*.csv", method="include", type="file")
    data.add_filter_rule("*", method="exclude", type="file")

    task = transfer_and_wait(ada_transfer, data)

    arrived = sorted(
        path.relative_to(scratch / "dst").as_posix()
        for path in (scratch / "dst").rglob("*")
        if path.is_file()
    )
    assert arrived == ["keep.csv", "sub/nested.csv"]
    assert task["files"] == 2
    assert task["filter_rules"] == [
        {
            "DATA_TYPE": "filter_rule",
            "method": "exclude",
            "name": "cache",
            "type": "dir",
        },
        {
            "DATA_TYPE": "filter_rule",
            "method": "include",
            "name": "*.csv",
            "type": "file",
        },
        {"DATA_TYPE": "filter_rule", "method": "exclude", "name": "*", "type": "file"},
    ]


def test_delete_destination_extra_removes_what_the_source_does_not_have(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    scratch = collections_dir / "scratch"
    write_files(scratch / "src", {"a.txt": b"a", "sub/b.txt": b"b"})
    write_files(
        scratch / "dst",
        {"a.txt": b"old", "extra.txt": b"x", "sub/stale.txt": b"s", "gone/c.txt": b"c"},
    )
    data = globus_sdk.TransferData(SCRATCH, SCRATCH, delete_destination_extra=True)
    data.add_item("/src/", "/dst/", recursive=True)

    task = transfer_and_wait(ada_transfer, data)

    remaining = sorted(
        path.relative_to(scratch / "dst").as_posix()
        for path in (scratch / "dst").rglob("*")
    )
    assert task["status"] == "SUCCEEDED"
    assert remaining == ["a.txt", "sub", "sub/b.txt"]
    assert (scratch / "dst" / "a.txt").read_bytes() == b"a"


def test_preserve_timestamp_keeps_modification_times(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    scratch = collections_dir / "scratch"
    write_files(scratch / "src", {"old.txt": b"from 2001"})
    september_2001 = datetime.datetime(2001, 9, 1, tzinfo=datetime.timezone.utc)
    stamp = september_2001.timestamp()
    os.utime(scratch / "src" / "old.txt", (stamp, stamp))
    kept = globus_sdk.TransferData(SCRATCH, SCRATCH, preserve_timestamp=True)
    kept.add_item("/src/old.txt", "/kept.txt")
    fresh = globus_sdk.TransferData(SCRATCH, SCRATCH)
    fresh.add_item("/src/old.txt", "/fresh.txt")

    transfer_and_wait(ada_transfer, kept)
    transfer_and_wait(ada_transfer, fresh)

    listed = {entry["name"]: entry for entry in ada_transfer.operation_ls(SCRATCH)}
    assert listed["kept.txt"]["last_modified"] == "2001-09-01 00:00:00+00:00"
    assert listed["fresh.txt"]["last_modified"] > "2020"


@pytest.mark.parametrize("algorithm", ["MD5", "SHA1", "SHA256", "SHA512", "ADLER32"])
def test_a_verified_copy_can_use_each_checksum_algorithm(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path, algorithm: str
) -> None:
    data = globus_sdk.TransferData(HOME, SCRATCH, verify_checksum=True)
    data.add_item(f"{DATASET}2024-01.csv", "/checked.csv", checksum_algorithm=algorithm)

    task = transfer_and_wait(ada_transfer, data)

    copied = collections_dir / "scratch" / "checked.csv"
    source = collections_dir / "home" / ADA.username / DATASET[3:] / "2024-01.csv"
    assert task["status"] == "SUCCEEDED"
    assert task["bytes_checksummed"] == task["bytes_transferred"] > 0
    assert copied.read_bytes() == source.read_bytes()


def test_an_unknown_checksum_algorithm_is_refused(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    data = globus_sdk.TransferData(HOME, SCRATCH, verify_checksum=True)
    data.add_item(f"{DATASET}README.txt", "/readme.txt", checksum_algorithm="CRC64")

    refused = api_error(lambda: ada_transfer.submit_transfer(data))

    assert refused.http_status == 400
    assert "ADLER32, MD5, SHA1, SHA256, SHA512" in refused.message


def test_a_source_changed_during_a_verified_copy_is_a_fault_and_copied_again(
    sandbox: Sandbox, ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    sandbox.remote_bandwidth = 256 * 1024
    source = collections_dir / "remote" / "growing.bin"
    source.write_bytes(os.urandom(256 * 1024))
    data = globus_sdk.TransferData(REMOTE, SCRATCH, verify_checksum=True)
    data.add_item("/growing.bin", "/grown.bin")
    task_id = ada_transfer.submit_transfer(data)["task_id"]
    while ada_transfer.get_task(task_id)["bytes_transferred"] == 0:
        time.sleep(0.02)
    with source.open("ab") as appended:
        appended.write(b"written while the copy ran")

    task = wait_for_task(ada_transfer, task_id)

    assert task["status"] == "SUCCEEDED"
    assert task["faults"] == 1
    assert task["nice_status"] is None
    assert (collections_dir / "scratch" / "grown.bin").read_bytes() == (
        source.read_bytes()
    )
    faults = list(
        ada_transfer.task_event_list(task_id, query_params={"filter": "is_error:1"})
    )
    assert [event["code"] for event in faults] == ["VERIFY_CHECKSUM"]
    assert "the source changed during the copy" in faults[0]["description"]


def test_a_single_file_needs_no_recursion_and_a_directory_does(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    data = globus_sdk.TransferData(HOME, SCRATCH)
    data.add_item("/~/datasets/", "/flat/", recursive=False)

    task = transfer_and_wait(ada_transfer, data)

    assert task["status"] == "FAILED"
    assert task["fatal_error"]["code"] == "IS_A_DIRECTORY"
    assert task["nice_status"] == "IS_A_DIRECTORY"


def test_a_missing_source_fails_the_task_unless_source_errors_are_skipped(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    def submit(skip: bool) -> dict[str, t.Any]:
        data = globus_sdk.TransferData(HOME, SCRATCH, skip_source_errors=skip)
        data.add_item("/~/missing.txt", "/missing.txt")
        data.add_item(f"{DATASET}README.txt", f"/readme-{skip}.txt")
        return transfer_and_wait(ada_transfer, data)

    failed = submit(False)
    skipped = submit(True)

    assert failed["status"] == "FAILED"
    assert failed["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert skipped["status"] == "SUCCEEDED"
    assert skipped["subtasks_skipped_errors"] == 1
    assert (collections_dir / "scratch" / "readme-True.txt").exists()


def test_progress_moves_visibly_on_the_throttled_collection(
    sandbox: Sandbox, ada_transfer: globus_sdk.TransferClient
) -> None:
    sandbox.remote_bandwidth = 512 * 1024
    data = globus_sdk.TransferData(HOME, REMOTE)
    data.add_item(f"{DATASET}2023-01.csv", "/slow.csv")
    task_id = ada_transfer.submit_transfer(data)["task_id"]

    seen: list[int] = []
    while (task := ada_transfer.get_task(task_id))["status"] == "ACTIVE":
        seen.append(task["bytes_transferred"])
        time.sleep(0.1)

    size = ada_transfer.operation_stat(HOME, f"{DATASET}2023-01.csv")["size"]
    assert task["status"] == "SUCCEEDED"
    assert any(0 < value < size for value in seen)
    assert seen == sorted(seen)
    assert task["effective_bytes_per_second"] > 0


def test_cancel_stops_a_running_transfer(
    sandbox: Sandbox, ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    sandbox.remote_bandwidth = 256 * 1024
    data = globus_sdk.TransferData(HOME, REMOTE, label="to be canceled")
    data.add_item("/~/datasets/", "/canceled/", recursive=True)
    task_id = ada_transfer.submit_transfer(data)["task_id"]
    while ada_transfer.get_task(task_id)["bytes_transferred"] == 0:
        time.sleep(0.05)

    canceled = ada_transfer.cancel_task(task_id)
    task = ada_transfer.get_task(task_id)
    again = ada_transfer.cancel_task(task_id)

    assert canceled["code"] == "Canceled"
    assert task["status"] == "FAILED"
    assert task["nice_status"] == "CANCELED"
    assert task["fatal_error"]["code"] == "CANCELED"
    assert task["files_transferred"] < task["files"]
    assert task["subtasks_canceled"] > 0
    assert again["code"] == "TaskComplete"
    events = [event["code"] for event in ada_transfer.task_event_list(task_id)]
    assert events[0] == "CANCELED"
    copied = collections_dir / "remote" / "canceled"
    assert len(list(copied.rglob("*.csv"))) < 24


def test_a_task_past_its_deadline_fails(
    sandbox: Sandbox, ada_transfer: globus_sdk.TransferClient
) -> None:
    sandbox.remote_bandwidth = 128 * 1024
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=2)
    data = globus_sdk.TransferData(HOME, REMOTE, deadline=soon)
    data.add_item("/~/datasets/", "/late/", recursive=True)

    task = transfer_and_wait(ada_transfer, data)

    assert task["status"] == "FAILED"
    assert task["nice_status"] == "DEADLINE_EXPIRED"
    assert task["subtasks_expired"] > 0
    assert task["deadline"].startswith(soon.strftime("%Y-%m-%dT%H:%M"))


def test_a_deadline_in_the_past_is_refused(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    data = globus_sdk.TransferData(HOME, SCRATCH, deadline="2001-01-01T00:00:00Z")
    data.add_item(f"{DATASET}README.txt", "/readme.txt")

    refused = api_error(lambda: ada_transfer.submit_transfer(data))

    assert refused.http_status == 400
    assert "deadline" in refused.message


def test_delete_tasks_remove_files_and_directories(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    scratch = collections_dir / "scratch"
    write_files(scratch, {"one.txt": b"1", "tree/a.txt": b"a", "tree/sub/b.txt": b"b"})

    def delete(*paths: str, **options: t.Any) -> dict[str, t.Any]:
        data = globus_sdk.DeleteData(SCRATCH, **options)
        for path in paths:
            data.add_item(path)
        return wait_for_task(ada_transfer, ada_transfer.submit_delete(data)["task_id"])

    not_recursive = delete("/tree")
    deleted = delete("/tree", "/one.txt", recursive=True)
    missing = delete("/gone.txt")
    ignored = delete("/gone.txt", ignore_missing=True)

    assert not_recursive["status"] == "FAILED"
    assert not_recursive["fatal_error"]["code"] == "IS_A_DIRECTORY"
    assert deleted["status"] == "SUCCEEDED"
    assert deleted["type"] == "DELETE"
    assert deleted["files"] == 3
    assert deleted["directories"] == 2
    assert deleted["destination_endpoint_id"] is None
    assert list(scratch.iterdir()) == []
    assert missing["fatal_error"]["code"] == "FILE_NOT_FOUND"
    assert ignored["status"] == "SUCCEEDED"


def test_task_list_filters_orders_and_pages(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    task_ids = []
    for number in range(3):
        data = globus_sdk.TransferData(HOME, SCRATCH, label=f"copy {number}")
        data.add_item(f"{DATASET}README.txt", f"/readme-{number}.txt")
        task_ids.append(ada_transfer.submit_transfer(data)["task_id"])
    delete = globus_sdk.DeleteData(SCRATCH, label="cleanup", ignore_missing=True)
    delete.add_item("/nothing-here.txt")
    task_ids.append(ada_transfer.submit_delete(delete)["task_id"])
    for task_id in task_ids:
        wait_for_task(ada_transfer, task_id)

    newest_first = [task["task_id"] for task in ada_transfer.task_list(limit=10)]
    by_type = ada_transfer.task_list(filter={"type": ["DELETE"]})
    by_ids = ada_transfer.task_list(filter={"task_id": task_ids[:2]})
    by_label = ada_transfer.task_list(filter="label:~COPY*")
    by_status = ada_transfer.task_list(filter="status:FAILED,INACTIVE")
    page = ada_transfer.task_list(limit=2, offset=2, orderby="request_time ASC")
    paged = [task["task_id"] for task in ada_transfer.paginated.task_list().items()]
    narrow = ada_transfer.task_list(query_params={"fields": "task_id,status"})

    assert newest_first == list(reversed(task_ids))
    assert [task["label"] for task in by_type] == ["cleanup"]
    assert {task["task_id"] for task in by_ids} == set(task_ids[:2])
    assert by_label["total"] == 3
    assert list(by_status) == []
    assert [task["task_id"] for task in page] == task_ids[2:]
    assert page["total"] == 4
    assert page["offset"] == 2
    assert paged == newest_first
    assert all(set(task) == {"task_id", "status"} for task in narrow)


def test_a_finished_task_has_every_progress_field(
    ada_transfer: globus_sdk.TransferClient,
) -> None:
    data = globus_sdk.TransferData(HOME, SCRATCH)
    data.add_item(f"{DATASET}README.txt", "/readme.txt")

    task = transfer_and_wait(ada_transfer, data)

    assert set(task) >= {
        "bytes_transferred",
        "bytes_checksummed",
        "files",
        "files_transferred",
        "files_skipped",
        "directories",
        "subtasks_total",
        "subtasks_succeeded",
        "subtasks_pending",
        "subtasks_retrying",
        "subtasks_failed",
        "subtasks_canceled",
        "subtasks_expired",
        "subtasks_skipped_errors",
        "effective_bytes_per_second",
        "nice_status",
        "nice_status_short_description",
        "faults",
        "status",
        "request_time",
        "completion_time",
        "deadline",
        "label",
        "source_endpoint_id",
        "destination_endpoint_id",
        "source_endpoint_display_name",
        "destination_endpoint_display_name",
        "sync_level",
        "verify_checksum",
        "preserve_timestamp",
        "encrypt_data",
        "delete_destination_extra",
        "is_paused",
        "canceled_by_admin",
        "owner_id",
        "username",
        "type",
        "task_id",
    }
    assert task["username"] == ADA.username
    assert task["owner_id"] == ADA.id
    assert task["type"] == "TRANSFER"


def test_successful_transfers_come_in_pages(
    ada_transfer: globus_sdk.TransferClient, collections_dir: Path
) -> None:
    write_files(
        collections_dir / "scratch" / "many",
        {f"f{number:03d}.txt": b"%d" % number for number in range(150)},
    )
    data = globus_sdk.TransferData(SCRATCH, SCRATCH)
    data.add_item("/many/", "/copies/", recursive=True)
    task = transfer_and_wait(ada_transfer, data)

    first = ada_transfer.task_successful_transfers(task["task_id"])
    pages = list(ada_transfer.paginated.task_successful_transfers(task["task_id"]))
    every = [done["destination_path"] for page in pages for done in page]

    assert first["next_marker"] is not None
    assert len(pages) == 2
    assert sorted(every) == [f"/copies/f{number:03d}.txt" for number in range(150)]


# bookmarks


def test_bookmarks_can_be_made_renamed_and_removed(
    sandbox_environment: str, ada_transfer: globus_sdk.TransferClient
) -> None:
    made = ada_transfer.create_bookmark(
        {"endpoint_id": HOME, "path": DATASET, "name": "ocean"}
    )
    clash = api_error(
        lambda: ada_transfer.create_bookmark(
            {"endpoint_id": SCRATCH, "path": "/", "name": "ocean"}
        )
    )
    renamed = ada_transfer.update_bookmark(made["id"], {"name": "sea"})
    listed = list(ada_transfer.bookmark_list())
    grace = transfer_client_for(sandbox_environment, username=GRACE.username)

    assert made["endpoint_id"] == HOME
    assert made["path"] == DATASET
    assert clash.http_status == 409
    assert renamed["name"] == "sea"
    assert ada_transfer.get_bookmark(made["id"])["name"] == "sea"
    assert [bookmark["name"] for bookmark in listed] == ["sea"]
    assert list(grace.bookmark_list()) == []
    assert api_error(lambda: grace.get_bookmark(made["id"])).http_status == 404

    ada_transfer.delete_bookmark(made["id"])
    assert list(ada_transfer.bookmark_list()) == []
    assert api_error(lambda: ada_transfer.get_bookmark(made["id"])).http_status == 404


# errors


def test_errors_have_transfers_shape_and_name_the_request(
    sandbox: Sandbox, ada_transfer: globus_sdk.TransferClient
) -> None:
    unknown_task = api_error(
        lambda: ada_transfer.get_task("00000000-0000-4000-8000-000000000000")
    )
    no_token = requests.get(
        f"{sandbox.service_url('transfer')}v0.10/task_list", timeout=30
    )
    no_items = api_error(
        lambda: ada_transfer.submit_transfer(globus_sdk.TransferData(HOME, SCRATCH))
    )

    assert unknown_task.http_status == 404
    assert unknown_task.code == "ClientError.NotFound"
    assert unknown_task.raw_json is not None
    assert set(unknown_task.raw_json) == {"code", "message", "request_id", "resource"}
    assert unknown_task.raw_json["request_id"] == unknown_task.headers["X-Request-Id"]
    assert no_token.status_code == 401
    assert no_token.json()["code"] == "AuthenticationFailed"
    assert no_items.code == "ClientError.BadRequest.NoTransferItems"
