"""DataFrames of Transfer responses, from globus-sdk's own response fixtures."""

from __future__ import annotations

import pandas as pd
from globus_sdk.testing import load_response

from globus_jupyter.core.frames import (
    LS_COLUMNS,
    TASK_COLUMNS,
    endpoints_frame,
    ls_frame,
    tasks_frame,
)


def listing_entry(name: str, kind: str, size: int) -> dict[str, object]:
    """One entry of an operation_ls answer, as the Transfer API documents it."""
    return {
        "DATA_TYPE": "file",
        "name": name,
        "type": kind,
        "size": size,
        "last_modified": "2026-11-30 08:15:00+00:00",
        "permissions": "0644",
        "user": "ada",
        "group": "ada",
        "link_target": None,
    }


def test_ls_frame_has_stable_columns_and_real_dtypes() -> None:
    entries = [
        listing_entry("data", "dir", 4096),
        listing_entry("a.csv", "file", 12_000_000_000),
        listing_entry("latest", "link", 7),
    ]

    frame = ls_frame(entries, collection_id="c", path="/~/", request_id="r")

    assert tuple(frame.columns) == LS_COLUMNS
    assert len(frame) == len(entries)
    assert frame["size"].dtype == "int64"
    assert str(frame["last_modified"].dt.tz) == "UTC"
    assert isinstance(frame["type"].dtype, pd.CategoricalDtype)
    assert frame["size"].tolist() == [4096, 12_000_000_000, 7]
    assert frame["last_modified"].iloc[0] == pd.Timestamp("2026-11-30 08:15", tz="UTC")
    assert frame.attrs == {"collection_id": "c", "path": "/~/", "request_id": "r"}


def test_empty_listing_keeps_its_columns() -> None:
    frame = ls_frame([], collection_id="c", path="/")
    assert tuple(frame.columns) == LS_COLUMNS
    assert frame.empty


def test_tasks_frame_from_the_task_list_fixture() -> None:
    tasks = load_response("transfer.task_list").json["DATA"]

    frame = tasks_frame(tasks)

    assert tuple(frame.columns) == TASK_COLUMNS
    assert list(frame["task_id"]) == [task["task_id"] for task in tasks]
    assert frame["bytes_transferred"].dtype == "int64"
    assert str(frame["request_time"].dt.tz) == "UTC"
    assert set(frame["status"].dropna()) <= {
        "ACTIVE",
        "INACTIVE",
        "SUCCEEDED",
        "FAILED",
    }


def test_endpoints_frame_from_the_endpoint_fixture() -> None:
    found = [load_response("transfer.get_endpoint").json]
    frame = endpoints_frame(found)
    assert list(frame["id"]) == [item["id"] for item in found]
    assert frame["display_name"].notna().all()
