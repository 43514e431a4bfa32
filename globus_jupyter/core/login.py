"""
Interactive login in two steps: make the authorize URL, then exchange the code.

A notebook cannot run the SDK's command-line flow as it is: a widget must show the
link and finish later in a button callback, and the magic must read the code from
the kernel's stdin. :class:`NotebookLoginFlowManager` splits the flow so that both
can drive it, and asks a *code prompt* (``LoginRequest -> code``) when globus-sdk
needs a login in the middle of an operation.
"""

from __future__ import annotations

import dataclasses
import getpass
import logging
import sys
import typing as t
from urllib.parse import parse_qs, urlsplit

import globus_sdk
from globus_sdk.gare import GlobusAuthorizationParameters
from globus_sdk.login_flows import LoginFlowManager

from .errors import LoginRequired, SandboxUnavailable, UsageProblem

log = logging.getLogger(__name__)

NO_STDIN_MESSAGE = (
    "cannot ask for a login code here (no stdin, e.g. nbclient or papermill); "
    "log in once interactively with %globus login so tokens are stored, set "
    "GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET for a service account, run under a "
    "JupyterHub that provides GLOBUS_DATA, or use %globus login --sandbox"
)


@dataclasses.dataclass(frozen=True)
class LoginRequest:
    """What a code prompt shows: the link to follow and why a login is needed."""

    url: str
    scopes: tuple[str, ...]
    reason: str | None = None


CodePrompt = t.Callable[[LoginRequest], str]


_P = t.TypeVar("_P", bound=CodePrompt)


def reads_stdin(prompt: _P) -> _P:
    """Mark a code prompt that reads the terminal or the kernel's stdin."""
    prompt.reads_stdin = True  # type: ignore[attr-defined]
    return prompt


def prompt_reads_stdin(prompt: CodePrompt | None) -> bool:
    """
    Whether ``prompt`` needs stdin, which a widget callback does not have: the
    kernel only forwards stdin while a cell runs.
    """
    return prompt is None or bool(getattr(prompt, "reads_stdin", False))


class NotebookLoginFlowManager(LoginFlowManager):
    """
    A native-app (PKCE) login flow that can stop between its two steps.

    :param prompt: called by :meth:`run_login_flow` to show the link and return the
        code; swapped by the magics and widgets for their own
    """

    def __init__(
        self,
        login_client: globus_sdk.AuthLoginClient,
        *,
        request_refresh_tokens: bool = True,
        prompt: CodePrompt | None = None,
    ) -> None:
        super().__init__(login_client, request_refresh_tokens=request_refresh_tokens)
        self.prompt: CodePrompt = prompt or terminal_prompt
        self.reason: str | None = None

    @property
    def redirect_uri(self) -> str:
        return f"{self.login_client.base_url}v2/web/auth-code"

    def authorize_url(self, auth_parameters: GlobusAuthorizationParameters) -> str:
        """Step one: start the flow and return the URL the user must visit."""
        return self._get_authorize_url(auth_parameters, self.redirect_uri)

    def exchange_code(self, code: str) -> globus_sdk.OAuthTokenResponse:
        """Step two: trade the pasted code for tokens."""
        code = code.strip()
        if not code:
            raise UsageProblem(
                "the login code is empty: expected the code shown by Globus after "
                "you approved the login"
            )
        if any(char.isspace() for char in code):
            raise UsageProblem(
                "the login code contains spaces: expected the single code shown by "
                "Globus, pasted as it is"
            )
        return self.login_client.oauth2_exchange_code_for_tokens(code)

    def run_login_flow(
        self, auth_parameters: GlobusAuthorizationParameters
    ) -> globus_sdk.OAuthTokenResponse:
        url = self.authorize_url(auth_parameters)
        request = LoginRequest(
            url=url,
            scopes=tuple(auth_parameters.required_scopes or ()),
            reason=self.reason,
        )
        return self.exchange_code(self.prompt(request))


@reads_stdin
def terminal_prompt(request: LoginRequest) -> str:
    """Show the link on stdout and read the code without echo from a terminal."""
    if not sys.stdin or not sys.stdin.isatty():
        raise LoginRequired(NO_STDIN_MESSAGE)
    if request.reason:
        print(request.reason)  # noqa: T201
    print(f"Log in to Globus: {request.url}")  # noqa: T201
    return getpass.getpass("Paste the code Globus shows after login: ")


def approve_in_sandbox(request: LoginRequest, *, username: str | None = None) -> str:
    """
    Approve a sandbox login the way a person would on its consent page.

    Posts the consent form to the sandbox's real authorize endpoint and reads the
    code from the redirect, so the token endpoint and PKCE are exercised as usual.
    """
    import requests

    form = {"decision": "approve"}
    if username:
        form["username"] = username
    try:
        response = requests.post(
            request.url, data=form, allow_redirects=False, timeout=30
        )
    except requests.RequestException as error:
        raise SandboxUnavailable(
            f"the sandbox did not answer its consent page ({type(error).__name__}); "
            "check %globus sandbox status"
        ) from None
    location = response.headers.get("Location", "")
    query = parse_qs(urlsplit(location).query)
    if response.status_code not in (302, 303) or "code" not in query:
        raise SandboxUnavailable(
            f"the sandbox consent page answered {response.status_code} without a "
            "code; expected a redirect carrying one"
        )
    return query["code"][0]
