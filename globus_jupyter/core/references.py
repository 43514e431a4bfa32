"""
``COLLECTION[:PATH]`` references: a collection by UUID, alias or bookmark name.

An alias may carry a base path (``home=<uuid>:/~/``); a relative path after it is
joined to that base, an absolute one replaces it.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import typing as t
import uuid

from .errors import UsageProblem

_ALIAS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

DEFAULT_PATH = "/~/"


@dataclasses.dataclass(frozen=True)
class Reference:
    """A resolved reference: a collection id and a path on it."""

    collection_id: str
    path: str
    #: how the user named the collection, for messages and DataFrame attrs
    name: str

    def __str__(self) -> str:
        return f"{self.name}:{self.path}"


def split_reference(text: str) -> tuple[str, str | None]:
    """``"home:/data"`` -> ``("home", "/data")``; ``"home"`` -> ``("home", None)``."""
    text = text.strip()
    if not text:
        raise UsageProblem(
            "empty reference: expected COLLECTION[:PATH], e.g. home:/~/data"
        )
    name, sep, path = text.partition(":")
    if not name:
        raise UsageProblem(
            f"{text!r} names no collection: expected COLLECTION[:PATH] with a "
            "collection UUID, alias or bookmark name before the colon"
        )
    return name, (path if sep else None)


def as_uuid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


def join_path(base: str | None, path: str | None) -> str:
    """The path a reference means, given the alias's base path."""
    if path is None or path == "":
        return base or DEFAULT_PATH
    if path.startswith("/") or base is None:
        return path if path.startswith("/") else posixpath.join(DEFAULT_PATH, path)
    return posixpath.join(base, path)


def check_alias_name(name: str) -> str:
    if not _ALIAS_NAME.match(name) or as_uuid(name) is not None:
        raise UsageProblem(
            f"{name!r} cannot be an alias: expected a name of letters, digits, "
            "'_', '.' or '-' that starts with a letter and is not a UUID"
        )
    return name


def resolve(
    text: str,
    *,
    aliases: t.Mapping[str, tuple[str, str | None]],
    bookmarks: t.Callable[[], t.Mapping[str, tuple[str, str]]],
) -> Reference:
    """
    Resolve ``text`` to a collection id and path.

    :param aliases: alias name -> (collection id, base path)
    :param bookmarks: called only when the name is neither a UUID nor an alias:
        bookmark name -> (collection id, path)
    """
    name, path = split_reference(text)
    collection_id = as_uuid(name)
    if collection_id is not None:
        return Reference(collection_id, join_path(None, path), name)
    if name in aliases:
        collection_id, base = aliases[name]
        return Reference(collection_id, join_path(base, path), name)
    found = bookmarks()
    if name in found:
        collection_id, base = found[name]
        return Reference(collection_id, join_path(base, path), name)
    raise UsageProblem(
        f"unknown collection {name!r}: expected a collection UUID, an alias "
        "(%globus alias) or a bookmark name (%globus bookmark list)"
    )
