"""What the panels show, worked out without a sandbox."""

from __future__ import annotations

import pytest

from globus_jupyter.core.login import LoginRequest
from globus_jupyter.core.transfer import SYNC_LEVELS
from globus_jupyter.widgets.browser import SYNC_CHOICES, Entry, parent_path
from globus_jupyter.widgets.login import login_reason

COLLECTION = "348a00a2-e241-517b-a47d-bb529f67ef8e"


@pytest.mark.parametrize(
    ("path", "parent"),
    [
        ("/~/datasets/ocean/", "/~/datasets/"),
        ("/~/datasets", "/~/"),
        ("/~/", "/"),
        ("/", "/"),
        ("/data/in/", "/data/"),
        ("/data", "/"),
    ],
)
def test_up_goes_to_the_parent_folder(path: str, parent: str) -> None:
    assert parent_path(path) == parent


def test_listing_rows_line_up_and_mark_folders() -> None:
    folder = Entry("results", "dir", 4096, "2026-01-31 12:00").label()
    file = Entry("2024-01.csv", "file", 803_800, "2026-01-31 12:00").label()
    long = Entry("a-very-long-name-that-goes-on-and-on.csv", "file", 1, "").label()

    assert folder.startswith("results/ ")
    assert " - " in folder  # no size for a folder
    assert "803.8 kB" in file
    assert folder.index("2026") == file.index("2026")
    assert "…" in long
    assert long.index(" file ") == file.index(" file ")


def test_every_sync_level_can_be_picked() -> None:
    assert {level for _, level in SYNC_CHOICES if level} == set(SYNC_LEVELS)


def test_a_consent_names_the_collection_not_the_scope_string() -> None:
    scope = (
        "urn:globus:auth:scope:transfer.api.globus.org:all"
        f"[*https://auth.globus.org/scopes/{COLLECTION}/data_access]"
    )
    request = LoginRequest(url="http://127.0.0.1/authorize", scopes=("openid", scope))
    reason = login_reason(request)
    assert reason == f"Globus needs your consent to access the collection {COLLECTION}"

    plain = LoginRequest(url="http://127.0.0.1/authorize", scopes=("openid",))
    assert login_reason(plain) == "Globus asks you to log in again"
