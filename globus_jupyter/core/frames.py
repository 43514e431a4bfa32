"""
Turning Globus responses into DataFrames with stable columns and real dtypes.

pandas is imported here, on the first frame, never when the extension loads.
Frames are built column-wise from lists: listings can be very long.
"""

from __future__ import annotations

import typing as t

if t.TYPE_CHECKING:
    import pandas as pd

    from .session import TokenSummary

IDENTITY_COLUMNS = (
    "username",
    "name",
    "email",
    "identity_provider",
    "organization",
    "id",
    "primary",
)

TOKEN_COLUMNS = ("resource_server", "scopes", "expires_at", "expired", "refreshable")


def identity_frame(
    identities: t.Sequence[t.Mapping[str, t.Any]], *, primary_id: str
) -> pd.DataFrame:
    """One row per identity in a userinfo identity set, the primary one first."""
    import pandas as pd

    ordered = sorted(identities, key=lambda i: i.get("sub") != primary_id)
    columns: dict[str, list[t.Any]] = {
        "username": [i.get("username") or i.get("preferred_username") for i in ordered],
        "name": [i.get("name") for i in ordered],
        "email": [i.get("email") for i in ordered],
        "identity_provider": [
            i.get("identity_provider_display_name") or i.get("identity_provider")
            for i in ordered
        ],
        "organization": [i.get("organization") for i in ordered],
        "id": [i.get("sub") for i in ordered],
        "primary": [i.get("sub") == primary_id for i in ordered],
    }
    frame = pd.DataFrame(columns, columns=list(IDENTITY_COLUMNS))
    frame = frame.astype({"primary": "bool"})
    frame.attrs["primary_identity"] = primary_id
    return frame


def token_summary_frame(tokens: t.Sequence[TokenSummary]) -> pd.DataFrame:
    """Scopes and expiry per resource server; there is no column for token values."""
    import pandas as pd

    columns: dict[str, t.Any] = {
        "resource_server": [tok.resource_server for tok in tokens],
        "scopes": [" ".join(tok.scopes) for tok in tokens],
        "expires_at": pd.to_datetime([tok.expires_at for tok in tokens], utc=True),
        "expired": [tok.expired for tok in tokens],
        "refreshable": [tok.refreshable for tok in tokens],
    }
    frame = pd.DataFrame(columns, columns=list(TOKEN_COLUMNS))
    return frame.astype({"expired": "bool", "refreshable": "bool"})


# -- Transfer -----------------------------------------------------------------------

LS_COLUMNS = (
    "name",
    "type",
    "size",
    "last_modified",
    "permissions",
    "user",
    "group",
    "link_target",
)

TASK_COLUMNS = (
    "task_id",
    "label",
    "type",
    "status",
    "nice_status",
    "source",
    "destination",
    "files",
    "files_transferred",
    "files_skipped",
    "bytes_transferred",
    "bytes_per_second",
    "faults",
    "request_time",
    "completion_time",
)

EVENT_COLUMNS = ("time", "code", "is_error", "description", "details")

ENDPOINT_COLUMNS = (
    "display_name",
    "id",
    "entity_type",
    "owner_string",
    "description",
    "organization",
    "high_assurance",
)

BOOKMARK_COLUMNS = ("name", "endpoint_id", "path", "id", "pinned")

SUCCESSFUL_TRANSFER_COLUMNS = ("source_path", "destination_path")


def _column(rows: t.Sequence[t.Mapping[str, t.Any]], key: str) -> list[t.Any]:
    return [row.get(key) for row in rows]


def _utc_times(values: list[t.Any]) -> t.Any:
    import pandas as pd

    cleaned: t.Any = [
        v.replace(" ", "T", 1) if isinstance(v, str) else None for v in values
    ]
    return pd.to_datetime(cleaned, utc=True, format="ISO8601")


def _frame(columns: dict[str, t.Any], order: t.Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns, columns=list(order))


def ls_frame(
    entries: t.Sequence[t.Mapping[str, t.Any]],
    *,
    collection_id: str,
    path: str,
    request_id: str | None = None,
) -> pd.DataFrame:
    """A directory listing: one row per entry, sizes int64, times UTC."""
    import pandas as pd

    columns: dict[str, t.Any] = {
        "name": _column(entries, "name"),
        "type": pd.Categorical(
            _column(entries, "type"), categories=["dir", "file", "link"]
        ),
        "size": pd.array(
            [int(v or 0) for v in _column(entries, "size")], dtype="int64"
        ),
        "last_modified": _utc_times(_column(entries, "last_modified")),
        "permissions": _column(entries, "permissions"),
        "user": _column(entries, "user"),
        "group": _column(entries, "group"),
        "link_target": _column(entries, "link_target"),
    }
    frame = _frame(columns, LS_COLUMNS)
    frame.attrs.update(collection_id=collection_id, path=path, request_id=request_id)
    return frame


def tasks_frame(
    tasks: t.Sequence[t.Mapping[str, t.Any]], *, request_id: str | None = None
) -> pd.DataFrame:
    """Transfer task documents, newest first as the API gives them."""
    import pandas as pd

    def ints(key: str) -> t.Any:
        return pd.array([int(v or 0) for v in _column(tasks, key)], dtype="int64")

    columns: dict[str, t.Any] = {
        "task_id": _column(tasks, "task_id"),
        "label": _column(tasks, "label"),
        "type": pd.Categorical(
            _column(tasks, "type"), categories=["TRANSFER", "DELETE"]
        ),
        "status": pd.Categorical(
            _column(tasks, "status"),
            categories=["ACTIVE", "INACTIVE", "SUCCEEDED", "FAILED"],
        ),
        "nice_status": _column(tasks, "nice_status"),
        "source": [
            row.get("source_endpoint_display_name") or row.get("source_endpoint_id")
            for row in tasks
        ],
        "destination": [
            row.get("destination_endpoint_display_name")
            or row.get("destination_endpoint_id")
            for row in tasks
        ],
        "files": ints("files"),
        "files_transferred": ints("files_transferred"),
        "files_skipped": ints("files_skipped"),
        "bytes_transferred": ints("bytes_transferred"),
        "bytes_per_second": pd.array(
            [float(v or 0) for v in _column(tasks, "effective_bytes_per_second")],
            dtype="float64",
        ),
        "faults": ints("faults"),
        "request_time": _utc_times(_column(tasks, "request_time")),
        "completion_time": _utc_times(_column(tasks, "completion_time")),
    }
    frame = _frame(columns, TASK_COLUMNS)
    frame.attrs["request_id"] = request_id
    return frame


def events_frame(
    events: t.Sequence[t.Mapping[str, t.Any]], *, task_id: str
) -> pd.DataFrame:
    """A task's events, oldest first (Transfer lists them newest first)."""
    events = sorted(reversed(events), key=lambda event: event.get("time") or "")
    columns: dict[str, t.Any] = {
        "time": _utc_times(_column(events, "time")),
        "code": _column(events, "code"),
        "is_error": [bool(v) for v in _column(events, "is_error")],
        "description": _column(events, "description"),
        "details": _column(events, "details"),
    }
    frame = _frame(columns, EVENT_COLUMNS)
    frame.attrs["task_id"] = task_id
    return frame


def endpoints_frame(endpoints: t.Sequence[t.Mapping[str, t.Any]]) -> pd.DataFrame:
    """Collections and endpoints found by a search."""
    columns: dict[str, t.Any] = {
        "display_name": [
            row.get("display_name") or row.get("canonical_name") for row in endpoints
        ],
        "id": _column(endpoints, "id"),
        "entity_type": _column(endpoints, "entity_type"),
        "owner_string": _column(endpoints, "owner_string"),
        "description": _column(endpoints, "description"),
        "organization": _column(endpoints, "organization"),
        "high_assurance": [bool(v) for v in _column(endpoints, "high_assurance")],
    }
    return _frame(columns, ENDPOINT_COLUMNS)


def bookmarks_frame(bookmarks: t.Sequence[t.Mapping[str, t.Any]]) -> pd.DataFrame:
    columns: dict[str, t.Any] = {
        "name": _column(bookmarks, "name"),
        "endpoint_id": _column(bookmarks, "endpoint_id"),
        "path": _column(bookmarks, "path"),
        "id": _column(bookmarks, "id"),
        "pinned": [bool(v) for v in _column(bookmarks, "pinned")],
    }
    return _frame(columns, BOOKMARK_COLUMNS)


def successful_transfers_frame(
    transfers: t.Sequence[t.Mapping[str, t.Any]], *, task_id: str
) -> pd.DataFrame:
    columns: dict[str, t.Any] = {
        "source_path": _column(transfers, "source_path"),
        "destination_path": _column(transfers, "destination_path"),
    }
    frame = _frame(columns, SUCCESSFUL_TRANSFER_COLUMNS)
    frame.attrs["task_id"] = task_id
    return frame
