"""COLLECTION[:PATH] references."""

from __future__ import annotations

import pytest

from globus_jupyter.core.errors import UsageProblem
from globus_jupyter.core.references import check_alias_name, resolve

HOME = "a8f0c1d2-0000-4000-8000-000000000001"
OTHER = "a8f0c1d2-0000-4000-8000-000000000002"
ALIASES = {"home": (HOME, "/~/"), "bare": (OTHER, None)}


def no_bookmarks() -> dict[str, tuple[str, str]]:
    raise AssertionError("bookmarks must only be fetched for unknown names")


@pytest.mark.parametrize(
    ("text", "collection", "path"),
    [
        (f"{HOME}:/data", HOME, "/data"),
        (f"{HOME}", HOME, "/~/"),
        (f"{HOME}:data", HOME, "/~/data"),
        ("home", HOME, "/~/"),
        ("home:data/x.csv", HOME, "/~/data/x.csv"),
        ("home:/abs", HOME, "/abs"),
        ("bare:sub", OTHER, "/~/sub"),
        (f"{HOME.upper()}:/x", HOME, "/x"),
    ],
)
def test_references_resolve(text: str, collection: str, path: str) -> None:
    found = resolve(text, aliases=ALIASES, bookmarks=no_bookmarks)
    assert (found.collection_id, found.path) == (collection, path)


def test_a_bookmark_name_resolves_when_no_alias_matches() -> None:
    found = resolve(
        "My Data:run1",
        aliases=ALIASES,
        bookmarks=lambda: {"My Data": (OTHER, "/project/")},
    )
    assert (found.collection_id, found.path) == (OTHER, "/project/run1")


@pytest.mark.parametrize("text", ["", ":/path", "nowhere:/x"])
def test_bad_references_say_what_was_expected(text: str) -> None:
    with pytest.raises(UsageProblem) as caught:
        resolve(text, aliases=ALIASES, bookmarks=dict)
    assert "expected" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["9abc", "has space", HOME, "a:b", ""])
def test_alias_names_are_checked(name: str) -> None:
    with pytest.raises(UsageProblem):
        check_alias_name(name)
