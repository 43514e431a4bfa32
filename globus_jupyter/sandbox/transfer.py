"""
The sandbox's Globus Transfer, under ``transfer/v0.10/``.

It answers the paths globus-sdk's ``TransferClient`` calls, in Transfer's shapes:

- ``endpoint_search`` and ``endpoint/<id>``: the sandbox collections
  (:data:`~.collections.SANDBOX_COLLECTIONS`)
- ``operation/endpoint/<id>/{ls,stat,mkdir,rename}``: file operations
- ``submission_id``, ``transfer`` and ``delete``: task submission; a submission id
  used twice makes one task
- ``task_list``, ``task/<id>``, its ``cancel``, ``event_list`` and
  ``successful_transfers``: tasks, run by :mod:`.transfer_worker`
- ``bookmark_list`` and ``bookmark[/<id>]``: bookmarks

Every request needs a token for ``transfer.api.globus.org`` with Transfer's
``all`` scope. Errors are Transfer's: ``{"code", "message", "request_id",
"resource"}``, plus ``required_scopes`` and ``authorization_parameters`` for a
collection that needs a ``data_access`` consent the caller has not given.
"""

from __future__ import annotations

import datetime
import logging
import os
import typing as t
import uuid

from globus_sdk.scopes import TransferScopes
from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from .auth import Principal, authenticate, consent_granted
from .collections import (
    COLLECTIONS,
    SANDBOX_GCS_ENDPOINT_ID,
    SANDBOX_GCS_ENDPOINT_NAME,
    Collection,
    CollectionDirectories,
    CollectionView,
    collection_by_id,
    directory_documents,
    directory_path,
    file_document,
    home_user,
    owner_name,
    path_parts,
)
from .service import (
    GlobusError,
    SandboxContext,
    SandboxRequest,
    ServiceApp,
    json_response,
)
from .transfer_filters import (
    EVENT_FIELDS,
    LS_FIELDS,
    TASK_FIELDS,
    bad_request,
    compile_filters,
    sort_documents,
)
from .transfer_tasks import (
    ACTIVE,
    BookmarkNameTaken,
    NewTask,
    TransferStore,
    task_document,
)
from .transfer_worker import CHECKSUM_ALGORITHMS, TransferWorkers

log = logging.getLogger(__name__)

TRANSFER_RESOURCE_SERVER = TransferScopes.resource_server

#: a task's deadline when its submission names none, as at Globus
DEFAULT_TASK_LIFETIME = 24 * 3600
LS_LIMIT = 100_000
ENDPOINT_SEARCH_LIMIT = 100
ENDPOINT_SEARCH_MAX_RESULTS = 1000
TASK_LIST_LIMIT = 1000
SUCCESSFUL_TRANSFERS_PAGE = 100
LABEL_MAX_LENGTH = 128

_LS_ORDER_FIELDS = (
    *("name", "type", "size", "last_modified"),
    *("permissions", "user", "group"),
)
_TASK_ORDER_FIELDS = (
    *("request_time", "completion_time", "deadline", "label"),
    *("status", "type", "task_id", "bytes_transferred", "files"),
)
_ENDPOINT_SCOPES = (
    "all",
    "my-endpoints",
    "my-gcp-endpoints",
    "recently-used",
    "in-use",
    "shared-by-me",
    "shared-with-me",
    "administered-by-me",
)
_SYNC_LEVELS = {"exists": 0, "size": 1, "mtime": 2, "checksum": 3}


class TransferService(ServiceApp):
    """Globus Transfer, under ``transfer/``."""

    name = "transfer"
    injects_faults = True

    def __init__(self, context: SandboxContext) -> None:
        super().__init__(context)
        self.directories = CollectionDirectories(context.root)
        self.store = TransferStore(context.state)
        self.workers = TransferWorkers(
            store=self.store,
            directories=self.directories,
            settings=context.settings,
            workers=context.settings.transfer_workers,
        )

    def rules(self) -> t.Iterable[Rule]:
        def rule(path: str, endpoint: str, *methods: str) -> Rule:
            return Rule(f"/v0.10/{path}", endpoint=endpoint, methods=list(methods))

        return [
            rule("endpoint_search", "endpoint_search", "GET"),
            rule("endpoint/<endpoint_id>", "get_endpoint", "GET"),
            rule("operation/endpoint/<endpoint_id>/ls", "ls", "GET"),
            rule("operation/endpoint/<endpoint_id>/stat", "stat", "GET"),
            rule("operation/endpoint/<endpoint_id>/mkdir", "mkdir", "POST"),
            rule("operation/endpoint/<endpoint_id>/rename", "rename", "POST"),
            rule("submission_id", "submission_id", "GET"),
            rule("transfer", "submit_transfer", "POST"),
            rule("delete", "submit_delete", "POST"),
            rule("task_list", "task_list", "GET"),
            rule("task/<task_id>", "get_task", "GET"),
            rule("task/<task_id>", "update_task", "PUT"),
            rule("task/<task_id>/cancel", "cancel_task", "POST"),
            rule("task/<task_id>/event_list", "task_event_list", "GET"),
            rule(
                "task/<task_id>/successful_transfers",
                "task_successful_transfers",
                "GET",
            ),
            rule("bookmark_list", "bookmark_list", "GET"),
            rule("bookmark", "create_bookmark", "POST"),
            rule("bookmark/<bookmark_id>", "get_bookmark", "GET"),
            rule("bookmark/<bookmark_id>", "update_bookmark", "PUT"),
            rule("bookmark/<bookmark_id>", "delete_bookmark", "DELETE"),
        ]

    def start(self) -> None:
        self.directories.create()
        self.workers.start()

    def stop(self) -> None:
        self.workers.stop()

    def error_response(self, request: SandboxRequest, error: GlobusError) -> Response:
        """Transfer's error document: a dotted code, a message and the resource."""
        body = {
            "code": _TRANSFER_CODES.get(error.code, error.code),
            "message": error.detail,
            "request_id": request.request_id,
            "resource": request.path,
            **error.extra,
        }
        return json_response(body, status=error.status, headers=error.headers)

    # who is asking, and where

    def _caller(self, request: SandboxRequest) -> Principal:
        return authenticate(request, TRANSFER_RESOURCE_SERVER, TransferScopes.all)

    def _view(
        self, request: SandboxRequest, principal: Principal, collection: Collection
    ) -> CollectionView:
        """The collection as the caller sees it, once any consent it needs is given."""
        if collection.needs_data_access and not consent_granted(
            request, principal, collection.data_access_scope
        ):
            raise _consent_required(collection)
        return self.directories.view(collection, home_user(principal))

    # collections

    def on_endpoint_search(self, request: SandboxRequest) -> Response:
        principal = self._caller(request)
        args = request.args
        fulltext = (args.get("filter_fulltext") or "").strip()
        scope = args.get("filter_scope") or "all"
        if scope not in _ENDPOINT_SCOPES:
            raise bad_request(
                f"unknown filter_scope {scope!r}: expected one of "
                + ", ".join(_ENDPOINT_SCOPES)
            )
        if scope == "all" and not fulltext:
            raise bad_request("filter_fulltext is required when filter_scope is all")
        limit = _int_arg(args, "limit", 25, low=1, high=ENDPOINT_SEARCH_LIMIT)
        offset = _int_arg(args, "offset", 0, low=0, high=ENDPOINT_SEARCH_MAX_RESULTS)
        if offset + limit > ENDPOINT_SEARCH_MAX_RESULTS:
            raise bad_request(
                f"offset + limit may be at most {ENDPOINT_SEARCH_MAX_RESULTS}"
            )

        found = [
            collection
            for collection in self._collections_in_scope(principal, scope)
            if _matches_fulltext(collection, fulltext)
            and _matches_endpoint_filters(collection, args)
        ]
        page = found[offset : offset + limit]
        return json_response(
            {
                "DATA_TYPE": "endpoint_list",
                "DATA": [endpoint_document(collection) for collection in page],
                "has_next_page": offset + limit < len(found),
                "offset": offset,
                "limit": limit,
            }
        )

    def _collections_in_scope(
        self, principal: Principal, scope: str
    ) -> list[Collection]:
        if scope == "all":
            return list(COLLECTIONS)
        if scope in ("recently-used", "in-use"):
            rows = sorted(
                self.store.tasks_of(principal.id),
                key=lambda row: float(row["request_time"]),
                reverse=True,
            )
            if scope == "in-use":
                rows = [row for row in rows if row["status"] == ACTIVE]
            seen: list[Collection] = []
            for row in rows:
                for collection_id in (
                    row["source_endpoint_id"],
                    row["destination_endpoint_id"],
                ):
                    collection = collection_by_id(collection_id or "")
                    if collection is not None and collection not in seen:
                        seen.append(collection)
            return seen
        # the sandbox's collections belong to its GCS endpoint, not to any user
        return []

    def on_get_endpoint(self, request: SandboxRequest, endpoint_id: str) -> Response:
        self._caller(request)
        return json_response(endpoint_document(_collection(endpoint_id)))

    # file operations

    def on_ls(self, request: SandboxRequest, endpoint_id: str) -> Response:
        principal = self._caller(request)
        collection = _collection(endpoint_id)
        view = self._view(request, principal, collection)
        path = request.args.get("path") or "/~/"
        local = view.locate(path)
        if not local.exists():
            raise GlobusError(
                404,
                "ClientError.NotFound",
                f"Directory {directory_path(path)!r} not found on "
                f"{collection.display_name}",
            )
        if not local.is_dir():
            raise GlobusError(
                502,
                "ExternalError.DirListingFailed.NotDirectory",
                f"Cannot list {path!r} on {collection.display_name}: it is a file, "
                "not a directory",
            )

        show_hidden = _flag(request.args.get("show_hidden"), default=True)
        limit = _int_arg(request.args, "limit", LS_LIMIT, low=0, high=LS_LIMIT)
        offset = _int_arg(request.args, "offset", 0, low=0)
        matches = compile_filters(request.args.getlist("filter"), LS_FIELDS)
        owner = owner_name(collection, home_user(principal))
        entries = [
            entry
            for entry in directory_documents(
                local, view, owner, show_hidden=show_hidden
            )
            if matches(entry)
        ]
        sort_documents(
            entries,
            request.args.get("orderby"),
            allowed=_LS_ORDER_FIELDS,
            default="name ASC",
        )
        page = entries[offset : offset + limit]
        return json_response(
            {
                "DATA_TYPE": "file_list",
                "DATA": page,
                "path": directory_path(path),
                "absolute_path": directory_path("/" + "/".join(path_parts(path))),
                "endpoint": collection.id,
                "rename_supported": True,
                "symlink_supported": False,
                "length": len(page),
                "total": len(entries),
                "offset": offset,
                "limit": limit,
            }
        )

    def on_stat(self, request: SandboxRequest, endpoint_id: str) -> Response:
        principal = self._caller(request)
        collection = _collection(endpoint_id)
        view = self._view(request, principal, collection)
        path = request.args.get("path") or "/~/"
        parts = path_parts(path)
        local = view.locate(path)
        if not os.path.lexists(local):
            raise GlobusError(
                404,
                "NotFound",
                f"Path not found: {path!r} does not exist on {collection.display_name}",
            )
        owner = owner_name(collection, home_user(principal))
        name = parts[-1] if parts else "/"
        return json_response(file_document(local, view, owner, name))

    def on_mkdir(self, request: SandboxRequest, endpoint_id: str) -> Response:
        principal = self._caller(request)
        collection = _collection(endpoint_id)
        view = self._view(request, principal, collection)
        body = _json_body(request, "mkdir")
        path = _required_string(body, "path")
        local = view.locate(path, follow_final=False)
        if not path_parts(path) or os.path.lexists(local):
            raise GlobusError(
                502,
                "ExternalError.MkdirFailed.Exists",
                f"Cannot create {path!r} on {collection.display_name}: it exists",
            )
        if not local.parent.is_dir():
            raise GlobusError(
                404,
                "ClientError.NotFound",
                f"Cannot create {path!r} on {collection.display_name}: No such file "
                "or directory (its parent directory does not exist)",
            )
        local.mkdir(mode=0o755)
        return _result(
            request,
            202,
            "mkdir_result",
            "DirectoryCreated",
            "The directory was created successfully",
        )

    def on_rename(self, request: SandboxRequest, endpoint_id: str) -> Response:
        principal = self._caller(request)
        collection = _collection(endpoint_id)
        view = self._view(request, principal, collection)
        body = _json_body(request, "rename")
        old_path = _required_string(body, "old_path")
        new_path = _required_string(body, "new_path")
        if not path_parts(old_path) or not path_parts(new_path):
            raise bad_request("the top of a collection cannot be renamed or replaced")
        old = view.locate(old_path, follow_final=False)
        new = view.locate(new_path, follow_final=False)
        view.refuse_link_outside(old_path, old)
        if not os.path.lexists(old):
            raise GlobusError(
                404,
                "ClientError.NotFound",
                f"Cannot rename {old_path!r}: No such file or directory",
            )
        if os.path.lexists(new):
            raise GlobusError(
                502,
                "ExternalError.RenameFailed.Exists",
                f"Cannot rename to {new_path!r}: it exists",
            )
        if not new.parent.is_dir():
            raise GlobusError(
                404,
                "ClientError.NotFound",
                f"Cannot rename to {new_path!r}: its parent directory does not exist",
            )
        try:
            os.rename(old, new)
        except OSError as error:
            raise bad_request(
                f"Cannot rename {old_path!r} to {new_path!r}: {error.strerror}"
            ) from None
        return _result(
            request,
            200,
            "result",
            "FileRenamed",
            "File or directory renamed successfully",
        )

    # submitting tasks

    def on_submission_id(self, request: SandboxRequest) -> Response:
        self._caller(request)
        return json_response({"value": str(uuid.uuid4())})

    def on_submit_transfer(self, request: SandboxRequest) -> Response:
        principal = self._caller(request)
        body = _json_body(request, "transfer")
        submission_id = _submission_id(body)
        source = _collection(_required_string(body, "source_endpoint"))
        destination = _collection(_required_string(body, "destination_endpoint"))
        source_view = self._view(request, principal, source)
        destination_view = self._view(request, principal, destination)
        items = _transfer_items(body)
        for item in items:
            source_view.locate(item["source_path"])
            destination_view.locate(item["destination_path"], follow_final=False)

        document: dict[str, t.Any] = {
            "items": items,
            "sync_level": _sync_level(body.get("sync_level")),
            "filter_rules": _filter_rules(body.get("filter_rules")),
            "home_user": home_user(principal),
        }
        for option in (
            "verify_checksum",
            "preserve_timestamp",
            "encrypt_data",
            "delete_destination_extra",
            "skip_source_errors",
            "fail_on_quota_errors",
        ):
            document[option] = _bool_field(body, option)
        task = NewTask(
            owner_id=principal.id,
            username=principal.username,
            type="TRANSFER",
            submission_id=submission_id,
            label=_label(body),
            deadline=_deadline(body),
            source_endpoint_id=source.id,
            destination_endpoint_id=destination.id,
            document=document,
        )
        return self._submit(request, task, "transfer")

    def on_submit_delete(self, request: SandboxRequest) -> Response:
        principal = self._caller(request)
        body = _json_body(request, "delete")
        submission_id = _submission_id(body)
        target = _collection(_required_string(body, "endpoint"))
        view = self._view(request, principal, target)
        items = _delete_items(body)
        for item in items:
            if not path_parts(item["path"]):
                raise bad_request("the top of a collection cannot be deleted")
            view.locate(item["path"], follow_final=False)

        document: dict[str, t.Any] = {
            "items": items,
            "home_user": home_user(principal),
        }
        for option in ("recursive", "ignore_missing", "interpret_globs"):
            document[option] = _bool_field(body, option)
        task = NewTask(
            owner_id=principal.id,
            username=principal.username,
            type="DELETE",
            submission_id=submission_id,
            label=_label(body),
            deadline=_deadline(body),
            source_endpoint_id=target.id,
            destination_endpoint_id=None,
            document=document,
        )
        return self._submit(request, task, "delete")

    def _submit(self, request: SandboxRequest, task: NewTask, kind: str) -> Response:
        task_id, created = self.store.submit(task)
        if created:
            self.workers.enqueue(task_id)
            code, status = "Accepted", 202
            message = (
                f"The {kind} has been accepted and a task has been created and "
                "queued for execution"
            )
        else:
            code, status = "Duplicate", 200
            message = (
                f"A {kind} with submission_id {task.submission_id} was already "
                f"accepted as task {task_id}"
            )
        return json_response(
            {
                "DATA_TYPE": f"{kind}_result",
                "code": code,
                "message": message,
                "request_id": request.request_id,
                "resource": request.path,
                "submission_id": task.submission_id,
                "task_id": task_id,
                "task_link": {
                    "DATA_TYPE": "link",
                    "href": f"/v0.10/task/{task_id}?format=json",
                    "rel": "related",
                    "resource": "task",
                    "title": "related task",
                },
            },
            status=status,
        )

    # tasks

    def on_task_list(self, request: SandboxRequest) -> Response:
        principal = self._caller(request)
        args = request.args
        limit = _int_arg(args, "limit", 10, low=1, high=TASK_LIST_LIMIT)
        offset = _int_arg(args, "offset", 0, low=0)
        matches = compile_filters(args.getlist("filter"), TASK_FIELDS)
        rows = {row["task_id"]: row for row in self.store.tasks_of(principal.id)}
        tasks = [task_document(row) for row in rows.values()]
        tasks = [task for task in tasks if matches(task)]
        sort_documents(
            tasks,
            args.get("orderby"),
            allowed=_TASK_ORDER_FIELDS,
            default="request_time DESC",
            exact={
                "request_time": lambda task: rows[task["task_id"]]["request_time"],
                "completion_time": (
                    lambda task: rows[task["task_id"]]["completion_time"]
                ),
            },
        )
        page = tasks[offset : offset + limit]
        fields = [name for name in (args.get("fields") or "").split(",") if name]
        if fields:
            page = [{name: task.get(name) for name in fields} for task in page]
        return json_response(
            {
                "DATA_TYPE": "task_list",
                "DATA": page,
                "length": len(page),
                "limit": limit,
                "offset": offset,
                "total": len(tasks),
            }
        )

    def on_get_task(self, request: SandboxRequest, task_id: str) -> Response:
        principal = self._caller(request)
        return json_response(task_document(self._own_task(principal, task_id)))

    def on_update_task(self, request: SandboxRequest, task_id: str) -> Response:
        principal = self._caller(request)
        row = self._own_task(principal, task_id)
        body = _json_body(request, "task")
        if row["status"] != ACTIVE:
            raise GlobusError(
                409,
                "ClientError.Conflict",
                "Only a task that has not ended can be changed",
            )
        label = _label(body) if "label" in body else None
        deadline = _deadline(body) if body.get("deadline") else None
        self.store.update(task_id, label=label, deadline=deadline)
        return _result(request, 200, "result", "Updated", "Task updated successfully")

    def on_cancel_task(self, request: SandboxRequest, task_id: str) -> Response:
        principal = self._caller(request)
        self._own_task(principal, task_id)
        if not self.store.cancel(task_id):
            return _result(
                request,
                200,
                "result",
                "TaskComplete",
                "Can't cancel a task that has already completed",
            )
        self.workers.cancel(task_id)
        return _result(
            request,
            200,
            "result",
            "Canceled",
            "The task has been cancelled successfully.",
        )

    def on_task_event_list(self, request: SandboxRequest, task_id: str) -> Response:
        principal = self._caller(request)
        self._own_task(principal, task_id)
        args = request.args
        limit = _int_arg(args, "limit", 10, low=1, high=TASK_LIST_LIMIT)
        offset = _int_arg(args, "offset", 0, low=0)
        matches = compile_filters(args.getlist("filter"), EVENT_FIELDS)
        events = [event for event in self.store.events(task_id) if matches(event)]
        page = events[offset : offset + limit]
        return json_response(
            {
                "DATA_TYPE": "event_list",
                "DATA": page,
                "length": len(page),
                "limit": limit,
                "offset": offset,
                "total": len(events),
            }
        )

    def on_task_successful_transfers(
        self, request: SandboxRequest, task_id: str
    ) -> Response:
        principal = self._caller(request)
        self._own_task(principal, task_id)
        marker = _int_arg(request.args, "marker", 0, low=0)
        limit = _int_arg(
            request.args, "limit", SUCCESSFUL_TRANSFERS_PAGE, low=1, high=1000
        )
        found = self.store.successful_transfers(task_id, offset=marker, limit=limit + 1)
        page = found[:limit]
        return json_response(
            {
                "DATA_TYPE": "successful_transfers",
                "marker": marker,
                "next_marker": marker + len(page) if len(found) > limit else None,
                "DATA": page,
            }
        )

    def _own_task(self, principal: Principal, task_id: str) -> dict[str, t.Any]:
        row = self.store.task(task_id.lower())
        if row is None:
            raise GlobusError(404, "ClientError.NotFound", f"Task {task_id} not found")
        if row["owner_id"] != principal.id:
            raise GlobusError(
                403,
                "PermissionDenied",
                f"Task {task_id} belongs to another identity; you can only see "
                "your own tasks",
            )
        return row

    # bookmarks

    def on_bookmark_list(self, request: SandboxRequest) -> Response:
        principal = self._caller(request)
        return json_response(
            {"DATA_TYPE": "bookmark_list", "DATA": self.store.bookmarks(principal.id)}
        )

    def on_create_bookmark(self, request: SandboxRequest) -> Response:
        principal = self._caller(request)
        body = _json_body(request, "bookmark")
        name = _bookmark_name(body)
        collection = _collection(_required_string(body, "endpoint_id"))
        path = _required_string(body, "path")
        path_parts(path)
        created = self.store.create_bookmark(
            principal.id,
            name=name,
            endpoint_id=collection.id,
            path=path,
            pinned=bool(body.get("pinned", False)),
        )
        if created is None:
            raise _bookmark_exists(name)
        return json_response(created)

    def on_get_bookmark(self, request: SandboxRequest, bookmark_id: str) -> Response:
        principal = self._caller(request)
        return json_response(self._own_bookmark(principal, bookmark_id))

    def on_update_bookmark(self, request: SandboxRequest, bookmark_id: str) -> Response:
        principal = self._caller(request)
        self._own_bookmark(principal, bookmark_id)
        body = _json_body(request, "bookmark")
        name = _bookmark_name(body) if "name" in body else None
        pinned = bool(body["pinned"]) if "pinned" in body else None
        try:
            updated = self.store.update_bookmark(
                principal.id, bookmark_id, name=name, pinned=pinned
            )
        except BookmarkNameTaken:
            raise _bookmark_exists(str(name)) from None
        assert updated is not None
        return json_response(updated)

    def on_delete_bookmark(self, request: SandboxRequest, bookmark_id: str) -> Response:
        principal = self._caller(request)
        self._own_bookmark(principal, bookmark_id)
        self.store.delete_bookmark(principal.id, bookmark_id)
        return _result(
            request, 200, "result", "Deleted", "Bookmark deleted successfully"
        )

    def _own_bookmark(self, principal: Principal, bookmark_id: str) -> dict[str, t.Any]:
        found = self.store.bookmark(principal.id, bookmark_id)
        if found is None:
            raise GlobusError(
                404, "ClientError.NotFound", f"Bookmark {bookmark_id} not found"
            )
        return found


# --- documents -----------------------------------------------------------------


def endpoint_document(collection: Collection) -> dict[str, t.Any]:
    """A sandbox collection as Transfer's endpoint document for a GCS collection."""
    owner = f"{SANDBOX_GCS_ENDPOINT_ID}@clients.auth.globus.org"
    document: dict[str, t.Any] = {
        "DATA_TYPE": "endpoint",
        "id": collection.id,
        "name": collection.id,
        "canonical_name": f"{owner}#{collection.id}",
        "display_name": collection.display_name,
        "description": collection.description,
        "entity_type": "GCSv5_mapped_collection",
        "owner_id": SANDBOX_GCS_ENDPOINT_ID,
        "owner_string": owner,
        "organization": "Globus Jupyter Sandbox",
        "department": None,
        "keywords": "sandbox,tutorial",
        "contact_email": None,
        "contact_info": None,
        "info_link": None,
        "default_directory": "/~/",
        "gcs_version": "5.4.0",
        "gcs_manager_url": None,
        "https_server": None,
        "tlsftp_server": None,
        "non_functional_endpoint_id": SANDBOX_GCS_ENDPOINT_ID,
        "non_functional_endpoint_display_name": SANDBOX_GCS_ENDPOINT_NAME,
        "host_endpoint_id": None,
        "host_endpoint_display_name": None,
        "host_path": None,
        "mapped_collection_id": None,
        "mapped_collection_display_name": None,
        "subscription_id": None,
        "my_effective_roles": [],
        "public": True,
        "shareable": False,
        "high_assurance": False,
        "non_functional": False,
        "is_globus_connect": False,
        "gcp_connected": None,
        "gcp_paused": None,
        "activated": False,
        "expires_in": -1,
        "expire_time": None,
        "force_encryption": False,
        "force_verify": False,
        "disable_verify": False,
        "mfa_required": False,
        "acl_available": False,
        "acl_editable": False,
        "in_use": False,
        "local_user_info_available": False,
        "authentication_timeout_mins": None,
        "DATA": [],
    }
    return document


# --- reading requests --------------------------------------------------------------

#: Auth-style codes (from token checks and routing) as Transfer names them
_TRANSFER_CODES = {
    "UNAUTHORIZED": "AuthenticationFailed",
    "FORBIDDEN": "PermissionDenied",
    "NOT_FOUND": "ClientError.NotFound",
    "METHOD_NOT_ALLOWED": "ClientError.MethodNotAllowed",
    "BAD_REQUEST": "ClientError.BadRequest",
    "INTERNAL_ERROR": "InternalError",
}


def _collection(endpoint_id: str) -> Collection:
    collection = collection_by_id(endpoint_id)
    if collection is None:
        raise GlobusError(
            404,
            "EndpointNotFound",
            f"No collection with id {endpoint_id!r}; the sandbox serves "
            + ", ".join(c.id for c in COLLECTIONS),
        )
    return collection


def _consent_required(collection: Collection) -> GlobusError:
    scope = collection.data_access_scope
    message = "Missing required data_access consent"
    return GlobusError(
        403,
        "ConsentRequired",
        message,
        extra={
            "required_scopes": [scope],
            "authorization_parameters": {
                "session_message": message,
                "required_scopes": [scope],
            },
        },
    )


def _bookmark_exists(name: str) -> GlobusError:
    return GlobusError(
        409,
        "ClientError.Conflict",
        f"You already have a bookmark named {name!r}; expected a new name",
    )


def _result(
    request: SandboxRequest, status: int, data_type: str, code: str, message: str
) -> Response:
    return json_response(
        {
            "DATA_TYPE": data_type,
            "code": code,
            "message": message,
            "request_id": request.request_id,
            "resource": request.path,
        },
        status=status,
    )


def _json_body(request: SandboxRequest, data_type: str) -> dict[str, t.Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_request(f"expected a JSON {data_type} document as the request body")
    found = body.get("DATA_TYPE")
    if found is not None and found != data_type:
        raise bad_request(f"DATA_TYPE is {found!r}; expected {data_type!r}")
    return body


def _required_string(body: t.Mapping[str, t.Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise bad_request(f"{name} is required: expected a non-empty string")
    return value


def _bool_field(body: t.Mapping[str, t.Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false, not {value!r}")
    return value


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise bad_request(f"expected 1/0 or true/false, not {value!r}")


def _int_arg(
    args: t.Mapping[str, str],
    name: str,
    default: int,
    *,
    low: int,
    high: int | None = None,
) -> int:
    text = args.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"{name} must be a whole number, not {text!r}") from None
    if value < low or (high is not None and value > high):
        upper = f" to {high}" if high is not None else " or more"
        raise bad_request(f"{name} must be {low}{upper}, not {value}")
    return value


def _submission_id(body: t.Mapping[str, t.Any]) -> str:
    value = body.get("submission_id")
    if not isinstance(value, str) or not value:
        raise bad_request(
            "submission_id is required: get one from GET /submission_id and send "
            "it with the document, so that a retried request makes no second task"
        )
    return value


def _label(body: t.Mapping[str, t.Any]) -> str | None:
    label = body.get("label")
    if label is None:
        return None
    if not isinstance(label, str) or len(label) > LABEL_MAX_LENGTH:
        raise bad_request(
            f"label must be text of at most {LABEL_MAX_LENGTH} characters"
        )
    if any(ord(character) < 32 for character in label):
        raise bad_request("label cannot hold control characters such as newlines")
    return label


def _deadline(body: t.Mapping[str, t.Any]) -> float:
    now = datetime.datetime.now(datetime.timezone.utc)
    value = body.get("deadline")
    if value is None:
        return now.timestamp() + DEFAULT_TASK_LIFETIME
    if not isinstance(value, str):
        raise bad_request(f"deadline must be an ISO 8601 time, not {value!r}")
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(
            f"cannot read the deadline {value!r}: expected an ISO 8601 time such "
            "as 2026-10-12 09:30:00+00:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    if moment <= now:
        raise bad_request(f"the deadline {value!r} has passed; expected a later time")
    return moment.timestamp()


def _sync_level(value: t.Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value in _SYNC_LEVELS:
        return _SYNC_LEVELS[value]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3:
        return value
    raise bad_request(
        f"sync_level must be 0 (exists), 1 (size), 2 (mtime) or 3 (checksum), "
        f"not {value!r}"
    )


def _item_documents(
    body: t.Mapping[str, t.Any], data_type: str, empty_code: str, kind: str
) -> list[dict[str, t.Any]]:
    """The DATA of a submission: at least one document of ``data_type``."""
    data = body.get("DATA")
    if not isinstance(data, list) or not data:
        raise GlobusError(400, empty_code, f"A {kind} requires at least one item")
    for raw in data:
        if not isinstance(raw, dict) or raw.get("DATA_TYPE", data_type) != data_type:
            raise bad_request(f"each item of DATA must be a {data_type} document")
    return data


def _transfer_items(body: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    documents = _item_documents(
        body, "transfer_item", "ClientError.BadRequest.NoTransferItems", "transfer"
    )
    items = []
    for raw in documents:
        recursive = raw.get("recursive")
        if recursive is not None and not isinstance(recursive, bool):
            raise bad_request(
                f"recursive must be true, false or null, not {recursive!r}"
            )
        algorithm = raw.get("checksum_algorithm")
        if algorithm is not None and str(algorithm).lower() not in CHECKSUM_ALGORITHMS:
            raise bad_request(
                f"unknown checksum_algorithm {algorithm!r}: expected one of "
                + ", ".join(sorted(name.upper() for name in CHECKSUM_ALGORITHMS))
            )
        source_path = _required_string(raw, "source_path")
        destination_path = _required_string(raw, "destination_path")
        path_parts(source_path)
        path_parts(destination_path)
        items.append(
            {
                "source_path": source_path,
                "destination_path": destination_path,
                "recursive": recursive,
                "checksum_algorithm": algorithm,
            }
        )
    return items


def _delete_items(body: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
    documents = _item_documents(
        body, "delete_item", "ClientError.BadRequest.NoDeleteItems", "delete"
    )
    items = []
    for raw in documents:
        path = _required_string(raw, "path")
        path_parts(path)
        items.append({"path": path})
    return items


def _filter_rules(value: t.Any) -> list[dict[str, t.Any]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise bad_request("filter_rules must be a list of filter_rule documents")
    rules = []
    for raw in value:
        if not isinstance(raw, dict):
            raise bad_request("each filter rule must be a filter_rule document")
        method = raw.get("method", "exclude")
        kind = raw.get("type")
        name = raw.get("name")
        if method not in ("include", "exclude"):
            raise bad_request(
                f"filter rule method must be include or exclude, not {method!r}"
            )
        if kind not in (None, "file", "dir"):
            raise bad_request(
                f"filter rule type must be file, dir or null, not {kind!r}"
            )
        if not isinstance(name, str) or not name or "/" in name:
            raise bad_request("filter rule name must be a name pattern without '/'")
        rules.append(
            {"DATA_TYPE": "filter_rule", "method": method, "type": kind, "name": name}
        )
    return rules


def _bookmark_name(body: t.Mapping[str, t.Any]) -> str:
    name = _required_string(body, "name")
    if len(name) > LABEL_MAX_LENGTH:
        raise bad_request(f"name must be at most {LABEL_MAX_LENGTH} characters")
    return name


def _matches_fulltext(collection: Collection, fulltext: str) -> bool:
    if not fulltext:
        return True
    haystack = " ".join(
        (collection.display_name, collection.description, collection.name, "sandbox")
    ).casefold()
    return all(word in haystack for word in fulltext.casefold().split())


def _matches_endpoint_filters(
    collection: Collection, args: t.Mapping[str, str]
) -> bool:
    entity_type = args.get("filter_entity_type")
    if entity_type and entity_type != "GCSv5_mapped_collection":
        return False
    owner = args.get("filter_owner_id")
    if owner and owner != SANDBOX_GCS_ENDPOINT_ID:
        return False
    host = args.get("filter_host_endpoint")
    if host and host != SANDBOX_GCS_ENDPOINT_ID:
        return False
    non_functional = args.get("filter_non_functional")
    return not non_functional or non_functional in ("0", "false", "False")
