"""What a person does in a browser during a login, done with requests."""

from __future__ import annotations

import re

import requests

_CODE = re.compile(r'<code id="auth-code">([^<]+)</code>')


def approve_in_browser(authorize_url: str, *, username: str | None = None) -> str:
    """
    Open the consent page, pick a user, approve, and copy the code shown.

    Follows the redirect to the page that shows the code, as a browser would.
    """
    with requests.Session() as browser:
        page = browser.get(authorize_url, timeout=30)
        page.raise_for_status()
        form = {"decision": "approve"}
        if username is not None:
            assert username in page.text, "the consent page offers the user"
            form["username"] = username
        shown = browser.post(authorize_url, data=form, timeout=30)
        shown.raise_for_status()
    match = _CODE.search(shown.text)
    assert match, "the page after approval shows the code"
    return match.group(1)


def find_url(text: str) -> str:
    """The first http URL in a block of text, e.g. a displayed login link."""
    match = re.search(r"https?://\S+", text)
    assert match, f"no link in {text!r}"
    return match.group(0)
