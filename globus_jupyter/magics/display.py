"""How the magics show links, messages and one-line errors in a notebook."""

from __future__ import annotations

import getpass
import html

from IPython.core.error import StdinNotImplementedError
from IPython.display import display

from globus_jupyter.core.errors import LoginRequired
from globus_jupyter.core.login import NO_STDIN_MESSAGE, LoginRequest, reads_stdin

_RED = "\x1b[31m"
_RESET = "\x1b[0m"


class GlobusCommandError(Exception):
    """
    An error that renders itself as one line instead of a traceback.

    IPython and ipykernel call ``_render_traceback_`` and show only what it returns,
    so the cell fails (and "Run All" stops) with a message the user can act on.
    """

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line

    def _render_traceback_(self) -> list[str]:
        return [f"{_RED}{type(self).__name__}{_RESET}: {self.line}"]


def show_message(text: str, *, html_text: str | None = None) -> None:
    """Show a short message, as HTML where the frontend renders it."""
    bundle = {"text/plain": text}
    if html_text is not None:
        bundle["text/html"] = html_text
    display(bundle, raw=True)  # type: ignore[no-untyped-call]


def show_login_link(request: LoginRequest) -> None:
    url = html.escape(request.url, quote=True)
    reason = f"<p>{html.escape(request.reason)}</p>" if request.reason else ""
    show_message(
        (f"{request.reason}\n" if request.reason else "")
        + f"Log in to Globus: {request.url}",
        html_text=(
            f'{reason}<p><a href="{url}" target="_blank" rel="noopener">'
            "Log in to Globus</a> (opens a new tab), then paste the code below.</p>"
        ),
    )


@reads_stdin
def kernel_stdin_prompt(request: LoginRequest) -> str:
    """
    Show the login link and read the code through the kernel's stdin, hidden.

    ipykernel routes ``getpass`` to the frontend's password box, so "Run All"
    stops at this cell and waits; without stdin (nbclient, papermill) the error
    names the ways to log in that need none.
    """
    show_login_link(request)
    try:
        return getpass.getpass("Paste the code Globus shows after login: ")
    except (StdinNotImplementedError, EOFError):
        raise LoginRequired(NO_STDIN_MESSAGE) from None


def identity_line(username: str, source: str) -> str:
    return f"Logged in as {username} ({source})."
