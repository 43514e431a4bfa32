"""
Globus Transfer for notebooks: listings and tasks as DataFrames, transfers that
are watched from the moment they are submitted.

Every method is one call the magics make, so ``%globus ls home:/data`` and
``session.transfer.ls("home:/data")`` are the same thing.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import typing as t

import globus_sdk

from .errors import UsageProblem
from .history import Alias, LocalHistory
from .references import Reference, check_alias_name, resolve, split_reference
from .watcher import TaskPoller, TaskSnapshot, TaskWatcher

if t.TYPE_CHECKING:
    import pandas as pd

    from .session import Session

log = logging.getLogger(__name__)

SYNC_LEVELS = ("exists", "size", "mtime", "checksum")
TASK_STATUSES = ("ACTIVE", "INACTIVE", "SUCCEEDED", "FAILED")
TASK_TYPES = ("TRANSFER", "DELETE")

#: the most task ids one ``task_list`` page can answer for
_TASK_LIST_PAGE = 1000


@dataclasses.dataclass(frozen=True)
class BatchItem:
    """One line of a batch: a source path, a destination path, recursive or not."""

    source_path: str
    destination_path: str
    recursive: bool = False


@dataclasses.dataclass(frozen=True)
class TransferOptions:
    """The globus-cli transfer options that make sense in a notebook."""

    label: str | None = None
    sync_level: str | None = None
    verify_checksum: bool = True
    preserve_timestamp: bool = False
    encrypt_data: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    deadline: str | None = None
    delete_destination_extra: bool = False
    skip_source_errors: bool = False
    fail_on_quota_errors: bool = False

    def __post_init__(self) -> None:
        if self.sync_level is not None and self.sync_level not in SYNC_LEVELS:
            raise UsageProblem(
                f"unknown sync level {self.sync_level!r}: expected one of "
                + ", ".join(SYNC_LEVELS)
            )
        if self.deadline is not None:
            object.__setattr__(self, "deadline", _parse_deadline(self.deadline))


def _parse_deadline(text: str) -> str:
    try:
        when = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageProblem(
            f"cannot read the deadline {text!r}: expected an ISO date and time, "
            "e.g. 2026-12-31T18:00 or 2026-12-31 18:00+00:00"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when.isoformat()


class TransferTask:
    """
    A submitted Transfer task, followed by the session's watcher.

    ``snapshot()`` is the latest known progress; ``wait()`` blocks until the task
    is done; ``cancel()`` asks Transfer to stop it.
    """

    def __init__(
        self,
        service: TransferService,
        task_id: str,
        *,
        submission_id: str | None = None,
        label: str | None = None,
    ) -> None:
        self._service = service
        self.task_id = task_id
        self.submission_id = submission_id
        self.label = label

    def __repr__(self) -> str:
        snapshot = self.snapshot()
        status = snapshot.status if snapshot else "submitted"
        return f"TransferTask({self.task_id!r}, status={status!r})"

    def snapshot(self) -> TaskSnapshot | None:
        return self._service.watcher.snapshot(self.task_id)

    def follow(self, listener: t.Callable[[TaskSnapshot], None]) -> None:
        """Call ``listener`` with every new snapshot of this task, from the watcher."""
        self._service.watcher.watch(self.task_id, listener)

    def wait(self, timeout: float | None = None) -> TaskSnapshot | None:
        return self._service.watcher.wait(self.task_id, timeout=timeout)

    def cancel(self) -> str:
        return self._service.task_cancel(self.task_id)


class TransferService:
    """Transfer operations of one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def client(self) -> globus_sdk.TransferClient:
        return self._session.client(globus_sdk.TransferClient)

    @property
    def history(self) -> LocalHistory:
        return self._session.history

    @property
    def watcher(self) -> TaskWatcher:
        return self._session.watcher

    # -- references ---------------------------------------------------------------

    def resolve(self, text: str) -> Reference:
        """``home:/data``, ``<uuid>:/~/x`` or ``My Bookmark:sub`` to an id and path."""
        aliases = {
            name: (alias.collection_id, alias.path)
            for name, alias in self.history.aliases().items()
        }
        return resolve(text, aliases=aliases, bookmarks=self._bookmarks_by_name)

    def _bookmarks_by_name(self) -> dict[str, tuple[str, str]]:
        return {
            bookmark["name"]: (bookmark["endpoint_id"], bookmark["path"])
            for bookmark in self.client.bookmark_list()
        }

    def set_alias(self, name: str, target: str) -> Alias:
        """Name a collection (and a base path): ``set_alias("home", "<uuid>:/~/")``."""
        check_alias_name(name)
        _, path = split_reference(target)
        reference = self.resolve(target)
        alias = Alias(name, reference.collection_id, reference.path if path else None)
        self.history.set_alias(alias)
        return alias

    def remove_alias(self, name: str) -> None:
        if not self.history.remove_alias(name):
            raise UsageProblem(
                f"no alias named {name!r}: expected one of "
                + (", ".join(self.history.aliases()) or "(none defined yet)")
            )

    def aliases_frame(self) -> pd.DataFrame:
        import pandas as pd

        aliases = list(self.history.aliases().values())
        return pd.DataFrame(
            {
                "name": [a.name for a in aliases],
                "collection_id": [a.collection_id for a in aliases],
                "path": [a.path for a in aliases],
            },
            columns=["name", "collection_id", "path"],
        )

    # -- collections and files ----------------------------------------------------

    def endpoint_search(
        self, text: str | None = None, *, scope: str | None = None, limit: int = 25
    ) -> pd.DataFrame:
        """Collections and endpoints matching ``text`` (or in ``scope``)."""
        from .frames import endpoints_frame

        if limit < 1:
            raise UsageProblem(f"limit {limit} is too small: expected at least 1")
        if text is None and scope is None:
            scope = "my-endpoints"
        found: list[dict[str, t.Any]] = []
        pages = self.client.paginated.endpoint_search(
            filter_fulltext=text if text is not None else globus_sdk.MISSING,
            filter_scope=scope if scope is not None else globus_sdk.MISSING,
        )
        for page in pages:
            found.extend(page["DATA"])
            if len(found) >= limit:
                break
        return endpoints_frame(found[:limit])

    def ls(
        self,
        reference: str,
        *,
        show_hidden: bool = False,
        filter: str | None = None,
        orderby: str | None = None,
        limit: int | None = None,
    ) -> pd.DataFrame:
        """A directory listing as a DataFrame; its ``attrs`` say what was listed."""
        from .frames import ls_frame

        where = self.resolve(reference)
        kwargs: dict[str, t.Any] = {"path": where.path, "show_hidden": show_hidden}
        if filter:
            kwargs["filter"] = filter if ":" in filter else f"name:{filter}"
        if orderby:
            kwargs["orderby"] = orderby
        if limit is not None:
            kwargs["limit"] = limit
        response = self.client.operation_ls(where.collection_id, **kwargs)
        return ls_frame(
            response["DATA"],
            collection_id=where.collection_id,
            path=response.get("path") or where.path,
            request_id=_request_id(response),
        )

    def stat(self, reference: str) -> dict[str, t.Any]:
        where = self.resolve(reference)
        return dict(
            self.client.operation_stat(where.collection_id, path=where.path).data
        )

    def mkdir(self, reference: str) -> str:
        where = self.resolve(reference)
        self.client.operation_mkdir(where.collection_id, path=where.path)
        return f"Created directory {where.path} on {where.name}."

    def rename(self, collection: str, source_path: str, destination_path: str) -> str:
        where = self.resolve(collection)
        self.client.operation_rename(
            where.collection_id, oldpath=source_path, newpath=destination_path
        )
        return f"Renamed {source_path} to {destination_path} on {where.name}."

    # -- tasks ----------------------------------------------------------------------

    def rm(
        self,
        reference: str,
        *,
        recursive: bool = False,
        label: str | None = None,
        ignore_missing: bool = False,
    ) -> TransferTask:
        """Submit a delete task for one path."""
        where = self.resolve(reference)
        client = self.client
        submission_id = client.get_submission_id()["value"]
        delete = globus_sdk.DeleteData(
            endpoint=where.collection_id,
            label=label if label is not None else globus_sdk.MISSING,
            recursive=recursive,
            ignore_missing=ignore_missing,
            submission_id=submission_id,
        )
        delete.add_item(where.path)
        result = client.submit_delete(delete)
        return self._watch_submitted(
            result,
            kind="DELETE",
            label=label,
            source=str(where),
            destination=None,
            submission_id=submission_id,
        )

    def transfer_document(
        self,
        source: str,
        destination: str,
        items: t.Sequence[BatchItem],
        options: TransferOptions,
    ) -> globus_sdk.TransferData:
        """The document a transfer would submit, items resolved against both ends."""
        if not items:
            raise UsageProblem(
                "nothing to transfer: expected at least one SOURCE_PATH DEST_PATH item"
            )
        source_ref = self.resolve(source)
        destination_ref = self.resolve(destination)
        data = globus_sdk.TransferData(
            source_endpoint=source_ref.collection_id,
            destination_endpoint=destination_ref.collection_id,
            label=_or_missing(options.label),
            sync_level=_or_missing(options.sync_level),
            verify_checksum=options.verify_checksum,
            preserve_timestamp=options.preserve_timestamp,
            encrypt_data=options.encrypt_data,
            deadline=_or_missing(options.deadline),
            delete_destination_extra=options.delete_destination_extra,
            skip_source_errors=options.skip_source_errors,
            fail_on_quota_errors=options.fail_on_quota_errors,
        )
        if (options.include or options.exclude) and not any(
            item.recursive for item in items
        ):
            raise UsageProblem(
                "--include and --exclude apply to directories: expected a recursive "
                "transfer (-r)"
            )
        for pattern in options.include:
            data.add_filter_rule(pattern, method="include")
        for pattern in options.exclude:
            data.add_filter_rule(pattern, method="exclude")
        for item in items:
            data.add_item(
                _relative_to(source_ref.path, item.source_path),
                _relative_to(destination_ref.path, item.destination_path),
                recursive=item.recursive,
            )
        return data

    def transfer(
        self,
        source: str,
        destination: str,
        *,
        recursive: bool = False,
        options: TransferOptions | None = None,
    ) -> TransferTask:
        """
        Transfer one file or directory: ``transfer("home:/~/data", "remote:/in")``.

        The task is watched from the moment it is submitted.
        """
        item = BatchItem("", "", recursive)
        return self.submit(source, destination, [item], options or TransferOptions())

    def submit(
        self,
        source: str,
        destination: str,
        items: t.Sequence[BatchItem],
        options: TransferOptions,
    ) -> TransferTask:
        """
        Submit a transfer of ``items`` (paths relative to the two references).

        The submission id is fetched first and sent with the document, so a
        request that globus-sdk retries after a lost answer makes no second task.
        """
        data = self.transfer_document(source, destination, items, options)
        client = self.client
        submission_id = client.get_submission_id()["value"]
        data["submission_id"] = submission_id
        result = client.submit_transfer(data)
        return self._watch_submitted(
            result,
            kind="TRANSFER",
            label=options.label,
            source=source,
            destination=destination,
            submission_id=submission_id,
        )

    def _watch_submitted(
        self,
        result: globus_sdk.GlobusHTTPResponse,
        *,
        kind: str,
        label: str | None,
        source: str | None,
        destination: str | None,
        submission_id: str,
    ) -> TransferTask:
        task_id = str(result["task_id"])
        self.history.record_task(
            task_id,
            kind=kind,
            label=label,
            source=source,
            destination=destination,
            submission_id=submission_id,
        )
        self.watcher.watch(task_id)
        return TransferTask(self, task_id, submission_id=submission_id, label=label)

    def task(self, task_id: str) -> TransferTask:
        """A handle on any task, e.g. one found in the history after a restart."""
        self.watcher.watch(task_id)
        return TransferTask(self, task_id)

    def task_list(
        self,
        *,
        limit: int = 25,
        status: t.Sequence[str] = (),
        type: t.Sequence[str] = (),
        label: str | None = None,
        task_ids: t.Sequence[str] = (),
        history_only: bool = False,
    ) -> pd.DataFrame:
        """Tasks newest first; ``history_only`` keeps those submitted from here."""
        import pandas as pd

        from .frames import tasks_frame

        for value in status:
            _check_choice("status", value, TASK_STATUSES)
        for value in type:
            _check_choice("type", value, TASK_TYPES)
        ids = list(task_ids)
        if history_only:
            ids = ids or [entry.task_id for entry in self.history.tasks(limit=limit)]
            if not ids:
                empty = tasks_frame([])
                empty["submitted_here"] = pd.Series(dtype="bool")
                return empty

        filters: dict[str, str | list[str]] = {}
        if ids:
            filters["task_id"] = ids[:_TASK_LIST_PAGE]
        if status:
            filters["status"] = [s.upper() for s in status]
        if type:
            filters["type"] = [s.upper() for s in type]
        if label:
            filters["label"] = label
        response = self.client.task_list(
            limit=min(limit, _TASK_LIST_PAGE),
            filter=filters if filters else globus_sdk.MISSING,
        )
        frame = tasks_frame(response["DATA"], request_id=_request_id(response))
        known = self.history.task_ids()
        frame["submitted_here"] = frame["task_id"].isin(known)
        return frame

    def task_show(self, task_id: str) -> dict[str, t.Any]:
        return dict(self.client.get_task(task_id).data)

    def task_wait(self, task_id: str, *, timeout: float | None = None) -> TaskSnapshot:
        snapshot = self.watcher.wait(task_id, timeout=timeout)
        if snapshot is None:
            snapshot = TaskSnapshot.from_transfer_task(
                self.client.get_task(task_id).data
            )
        return snapshot

    def task_cancel(self, task_id: str) -> str:
        response = self.client.cancel_task(task_id)
        self.watcher.poll_now()
        return str(response.get("message") or response.get("code") or "Canceled")

    def task_events(self, task_id: str, *, limit: int = 100) -> pd.DataFrame:
        from .frames import events_frame

        events: list[dict[str, t.Any]] = []
        for page in self.client.paginated.task_event_list(task_id):
            events.extend(page["DATA"])
            if len(events) >= limit:
                break
        return events_frame(events[:limit], task_id=task_id)

    def successful_transfers(self, task_id: str) -> pd.DataFrame:
        from .frames import successful_transfers_frame

        transfers: list[dict[str, t.Any]] = []
        for page in self.client.paginated.task_successful_transfers(task_id):
            transfers.extend(page["DATA"])
        return successful_transfers_frame(transfers, task_id=task_id)

    def bookmark_list(self) -> pd.DataFrame:
        from .frames import bookmarks_frame

        return bookmarks_frame(list(self.client.bookmark_list()))


def transfer_poller(session: Session) -> TaskPoller:
    """The watcher's batched request: one ``task_list`` for every watched task."""

    def poll(task_ids: t.Sequence[str]) -> dict[str, TaskSnapshot]:
        client = session.client(globus_sdk.TransferClient)
        found: dict[str, TaskSnapshot] = {}
        for start in range(0, len(task_ids), _TASK_LIST_PAGE):
            chunk = list(task_ids[start : start + _TASK_LIST_PAGE])
            response = client.task_list(
                filter={"task_id": chunk}, limit=_TASK_LIST_PAGE
            )
            for doc in response["DATA"]:
                snapshot = TaskSnapshot.from_transfer_task(doc)
                found[snapshot.task_id] = snapshot
        return found

    return poll


def _relative_to(base: str, path: str) -> str:
    """An item path: ``""`` means the reference's own path."""
    import posixpath

    if not path:
        return base
    if path.startswith("/"):
        return path
    return posixpath.join(base, path)


def _or_missing(value: t.Any) -> t.Any:
    return globus_sdk.MISSING if value is None else value


def _check_choice(name: str, value: str, choices: t.Sequence[str]) -> None:
    if value.upper() not in choices:
        raise UsageProblem(
            f"unknown task {name} {value!r}: expected one of " + ", ".join(choices)
        )


def _request_id(response: globus_sdk.GlobusHTTPResponse) -> str | None:
    headers = response.headers if hasattr(response, "headers") else {}
    return headers.get("X-Request-Id") or headers.get("x-request-id")
