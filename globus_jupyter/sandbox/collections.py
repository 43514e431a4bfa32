"""
The sandbox's collections: local directories that its Transfer serves as Globus
collections, and the one rule every path must keep.

Each collection is a directory under ``ROOT/collections/``. ``home`` gives every
sandbox user a private directory of their own (``home/<username>/``), the way a
GCS mapped collection maps each identity to its own account; the others are
shared by everyone. A user sees a collection through a :class:`CollectionView`,
whose directory is the top of everything that user can reach there: ``/`` and
``/~/`` both name it, and no path, ``..`` or symbolic link leads out of it.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import logging
import os
import shutil
import stat
import threading
import typing as t
from pathlib import Path

from globus_sdk.scopes import GCSCollectionScopes, TransferScopes

from .datasets import write_ocean_temperature_dataset
from .identities import stable_id
from .service import GlobusError

if t.TYPE_CHECKING:
    from .auth import Principal

log = logging.getLogger(__name__)

#: The sandbox's collections by short name, each with an id that is the same in
#: every sandbox, so that a notebook written against one works against another.
SANDBOX_COLLECTIONS: dict[str, str] = {
    name: stable_id(f"collection:{name}")
    for name in ("home", "scratch", "remote", "guarded")
}

#: The GCS endpoint that hosts every sandbox collection.
SANDBOX_GCS_ENDPOINT_ID = stable_id("gcs-endpoint")
SANDBOX_GCS_ENDPOINT_NAME = "Sandbox GCS Endpoint"

COLLECTIONS_DIRNAME = "collections"

#: Where copies are written before they are renamed into place: outside every
#: collection, so no listing shows them, but on the same filesystem, so that the
#: rename is atomic.
STAGING_DIRNAME = ".staging"


@dataclasses.dataclass(frozen=True)
class Collection:
    """One sandbox collection and how it behaves."""

    name: str
    id: str
    display_name: str
    description: str
    #: every user gets a private directory (``home``) instead of one shared one
    per_user: bool = False
    #: copies into or out of it are limited to the sandbox's remote bandwidth
    throttled: bool = False
    #: touching it needs a ``data_access`` consent, as a GCS mapped collection may
    needs_data_access: bool = False

    @property
    def data_access_scope(self) -> str:
        """The scope a token must have been granted with to touch this collection."""
        dependency = GCSCollectionScopes(self.id).data_access.with_optional(True)
        return str(TransferScopes.all.with_dependency(dependency))


COLLECTIONS: tuple[Collection, ...] = (
    Collection(
        name="home",
        id=SANDBOX_COLLECTIONS["home"],
        display_name="Sandbox Home",
        description=(
            "Your own directory in the sandbox, with a small ocean temperature "
            "dataset to start from; nobody else can see it."
        ),
        per_user=True,
    ),
    Collection(
        name="scratch",
        id=SANDBOX_COLLECTIONS["scratch"],
        display_name="Sandbox Scratch",
        description="Space shared by every sandbox user.",
    ),
    Collection(
        name="remote",
        id=SANDBOX_COLLECTIONS["remote"],
        display_name="Sandbox Remote (throttled)",
        description=(
            "A shared collection behind a slow link: copies into or out of it "
            "move at a limited rate, so their progress can be watched."
        ),
        throttled=True,
    ),
    Collection(
        name="guarded",
        id=SANDBOX_COLLECTIONS["guarded"],
        display_name="Sandbox Guarded (consent)",
        description=(
            "A shared collection that, like many GCS mapped collections, needs "
            "your consent to its data_access scope before Transfer may use it."
        ),
        needs_data_access=True,
    ),
)

_BY_ID = {collection.id: collection for collection in COLLECTIONS}


def collection_by_id(collection_id: str) -> Collection | None:
    return _BY_ID.get(collection_id.lower())


# --- paths ---------------------------------------------------------------------


def path_parts(path: str) -> tuple[str, ...]:
    """
    The names along a collection path, from its top.

    ``/~/a/b``, ``~/a/b`` and ``/a/b`` all give ``("a", "b")``: a view's top is
    both its root and the user's home.

    :raises GlobusError: 400 ``InvalidPath`` for a relative path, ``..``, or a
        character no collection path may hold
    """
    if not path:
        raise _invalid_path(path, "the path is empty")
    if "\x00" in path or "\r\n" in path:
        raise _invalid_path(path, "paths cannot hold NUL or CR LF")
    if path == "~" or path.startswith("~/"):
        rest = path[1:]
    elif path == "/~" or path.startswith("/~/"):
        rest = path[2:]
    elif path.startswith("/"):
        rest = path
    else:
        raise _invalid_path(path, "it is relative")
    parts = tuple(part for part in rest.split("/") if part not in ("", "."))
    if ".." in parts:
        raise _invalid_path(path, "'..' cannot lead out of a directory here")
    return parts


def join_path(path: str, *names: str) -> str:
    """``path`` with ``names`` appended, keeping the form the user gave it in."""
    joined = path.rstrip("/")
    for name in names:
        joined = f"{joined}/{name}"
    return joined if joined else "/"


def directory_path(path: str) -> str:
    """``path`` as a directory path, ending with ``/``."""
    return path if path.endswith("/") else f"{path}/"


def _invalid_path(path: str, reason: str) -> GlobusError:
    return GlobusError(
        400,
        "InvalidPath",
        f"Invalid path {path!r}: {reason}; expected an absolute path inside the "
        "collection, e.g. /~/data/file.txt",
    )


class CollectionView:
    """
    A collection as one identity sees it: a directory and everything under it.

    :param collection: the collection
    :param top: the directory the identity sees as ``/`` (and ``/~/``)
    """

    def __init__(self, collection: Collection, top: Path) -> None:
        self.collection = collection
        self.top = Path(os.path.realpath(top))

    def __repr__(self) -> str:
        return f"CollectionView({self.collection.name!r}, top={str(self.top)!r})"

    def locate(self, path: str, *, follow_final: bool = True) -> Path:
        """
        The local path behind a collection path; it need not exist.

        Every symbolic link on the way is resolved and must stay inside the view;
        the last one is left alone when ``follow_final`` is false, for operations
        on the link itself (delete, rename).

        :raises GlobusError: 400 ``InvalidPath`` (see :func:`path_parts`), or 403
            ``EndpointPermissionDenied`` for a link that leads out of the view
        """
        return self.locate_parts(path, path_parts(path), follow_final=follow_final)

    def locate_parts(
        self, path: str, parts: t.Sequence[str], *, follow_final: bool = True
    ) -> Path:
        current = self.top
        last = len(parts) - 1
        for index, name in enumerate(parts):
            candidate = current / name
            if (index < last or follow_final) and candidate.is_symlink():
                target = Path(os.path.realpath(candidate))
                if not self.contains(target):
                    raise _leads_outside(path, self.collection)
                current = target
            else:
                current = candidate
        return current

    def refuse_link_outside(self, path: str, local: Path) -> None:
        """
        Refuse ``local`` if it is a symbolic link leading outside the view: moving
        such a link around would carry a way out with it.
        """
        if local.is_symlink() and not self.contains(Path(os.path.realpath(local))):
            raise _leads_outside(path, self.collection)

    def contains(self, local: Path) -> bool:
        return local == self.top or self.top in local.parents

    def collection_path(self, local: Path) -> str | None:
        """The collection path of a local path in this view (``None`` if outside)."""
        if not self.contains(local):
            return None
        relative = local.relative_to(self.top).as_posix()
        return "/" if relative == "." else f"/{relative}"

    def ensure_directory(self, path: str, local: Path) -> None:
        """
        Make ``local`` (inside the view) and its missing parents, checking at
        each level that a link made meanwhile does not lead outside.
        """
        if local.is_dir():
            return
        missing: list[Path] = []
        probe = local
        while not probe.exists() and probe != self.top:
            missing.append(probe)
            probe = probe.parent
        for directory in reversed(missing):
            if not self.contains(Path(os.path.realpath(directory.parent))):
                raise _leads_outside(path, self.collection)
            try:
                directory.mkdir(mode=0o755)
            except FileExistsError:
                if not directory.is_dir():
                    raise
        if not local.is_dir():
            raise GlobusError(
                502,
                "ExternalError.MkdirFailed.NotDirectory",
                f"Cannot create {path!r}: part of it is a file, not a directory",
            )


def _leads_outside(path: str, collection: Collection) -> GlobusError:
    return GlobusError(
        403,
        "EndpointPermissionDenied",
        f"Permission denied for {path!r} on {collection.display_name}: a symbolic "
        "link on this path leads outside the collection; expected a path inside it",
    )


# --- who sees what ----------------------------------------------------------------


class CollectionDirectories:
    """
    The directories behind the collections of one sandbox root.

    Home directories are made, with the tutorial dataset in them, the first time
    their user reaches them.
    """

    def __init__(self, root: Path) -> None:
        self.base = root / COLLECTIONS_DIRNAME
        self.staging = root / STAGING_DIRNAME
        self._home_lock = threading.Lock()

    def create(self) -> None:
        """Make the shared directories and the (emptied) staging area."""
        for collection in COLLECTIONS:
            (self.base / collection.name).mkdir(parents=True, exist_ok=True)
        if self.staging.exists():
            shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(mode=0o700, exist_ok=True)

    def view(self, collection: Collection, home_user: str | None) -> CollectionView:
        """
        The collection as a user sees it.

        :param home_user: the username whose home directory ``home`` shows, or
            ``None`` for an identity that has none (a client identity, say)
        :raises GlobusError: 403 ``PermissionDenied`` on ``home`` for an identity
            without a home directory
        """
        if not collection.per_user:
            return CollectionView(collection, self.base / collection.name)
        if home_user is None:
            raise GlobusError(
                403,
                "PermissionDenied",
                f"No account on {collection.display_name} is mapped to this "
                "identity; expected the login of a sandbox user",
            )
        return CollectionView(collection, self.home(collection, home_user))

    def home(self, collection: Collection, username: str) -> Path:
        """A user's home directory, made and seeded on first use."""
        home = self.base / collection.name / username
        if home.is_dir():
            return home
        with self._home_lock:
            if not home.is_dir():
                self._seed_home(home, username)
        return home

    def _seed_home(self, home: Path, username: str) -> None:
        # built aside and renamed into place, so a half-made home is never seen
        building = self.staging / f"home-{stable_id(username)}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(mode=0o755, parents=True)
        write_ocean_temperature_dataset(building / "datasets" / "ocean-temperature")
        (building / "results").mkdir()
        home.parent.mkdir(parents=True, exist_ok=True)
        os.rename(building, home)
        log.debug("seeded the sandbox home of %s", username)


# --- file documents ---------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def transfer_time(seconds: int) -> str:
    """A file time as Transfer shows it: ``2026-01-31 12:00:00+00:00``."""
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S+00:00")


def file_document(
    local: Path, view: CollectionView, owner: str, name: str | None = None
) -> dict[str, t.Any]:
    """
    The file document of ``local`` (a file, directory or symbolic link), as
    Transfer's ``ls`` and ``stat`` give it.
    """
    return entry_document(
        name if name is not None else local.name, str(local), local.lstat(), view, owner
    )


def directory_documents(
    directory: Path, view: CollectionView, owner: str, *, show_hidden: bool
) -> list[dict[str, t.Any]]:
    """The file documents of a directory's entries, dot files only if asked for."""
    documents = []
    with os.scandir(directory) as entries:
        for entry in entries:
            if not show_hidden and entry.name.startswith("."):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # gone while listing
            documents.append(entry_document(entry.name, entry.path, info, view, owner))
    return documents


def entry_document(
    name: str, local: str, info: os.stat_result, view: CollectionView, owner: str
) -> dict[str, t.Any]:
    """
    A file document from what ``lstat`` said.

    Symbolic links are shown as links and never followed: their target is given
    as a collection path when it lies inside the view.
    """
    document: dict[str, t.Any] = {
        "DATA_TYPE": "file",
        "name": name,
        "type": _file_type(info.st_mode),
        "size": info.st_size,
        "last_modified": transfer_time(int(info.st_mtime)),
        "permissions": f"{stat.S_IMODE(info.st_mode):04o}",
        "user": owner,
        "group": owner,
        "link_target": None,
        "link_user": None,
        "link_group": None,
        "link_size": None,
        "link_last_modified": None,
    }
    if stat.S_ISLNK(info.st_mode):
        resolved = Path(os.path.realpath(local))
        inside = view.collection_path(resolved)
        document["link_target"] = inside if inside is not None else os.readlink(local)
        if inside is not None and resolved.exists():
            target_info = resolved.stat()
            document.update(
                link_user=owner,
                link_group=owner,
                link_size=target_info.st_size,
                link_last_modified=transfer_time(int(target_info.st_mtime)),
            )
    return document


def _file_type(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file"


def home_user(principal: Principal) -> str | None:
    """The username whose home a caller sees; client identities have none."""
    return None if principal.is_client else principal.username


def owner_name(collection: Collection, username: str | None) -> str:
    """The account name files show: the user's own on ``home``, else a shared one."""
    if collection.per_user and username:
        return username.partition("@")[0]
    return "sandbox"
