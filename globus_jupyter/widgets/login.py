"""
``LoginPanel``: log in from a widget without blocking the kernel.

Also what the other panels need when Globus asks for a login in the middle of an
operation: :func:`widget_logins` lets the session's own prompt answer it when that
prompt needs no terminal, and otherwise stops the operation with
:class:`LoginNeeded`, so that the panel can show a :class:`LoginPanel` for exactly
the scopes Globus asked for.
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
import typing as t

import ipywidgets as widgets

from globus_jupyter import core
from globus_jupyter.core.errors import GlobusJupyterError, describe_error
from globus_jupyter.core.login import LoginRequest, prompt_reads_stdin
from globus_jupyter.core.session import SOURCE_DESCRIPTIONS, NotebookUserApp

log = logging.getLogger(__name__)

ERROR_COLOR = "#b00020"


def error_html(error: BaseException) -> str:
    """One red line for ``error``; a bug's traceback goes to the debug log."""
    message = describe_error(error)
    if message is None:
        log.debug("unexpected error in a panel", exc_info=error)
        message = f"unexpected {type(error).__name__} (details in the debug log)"
    return f'<span style="color:{ERROR_COLOR}">{html.escape(message)}</span>'


_DATA_ACCESS = re.compile(r"/scopes/([0-9a-fA-F-]{36})/data_access")


def login_reason(request: LoginRequest) -> str:
    """Why Globus asks for this login, in words rather than scope strings."""
    collections = sorted(set(_DATA_ACCESS.findall(" ".join(request.scopes))))
    if collections:
        plural = "s" if len(collections) > 1 else ""
        return (
            f"Globus needs your consent to access the collection{plural} "
            + ", ".join(collections)
        )
    return request.reason or "Globus asks you to log in again"


class LoginNeeded(GlobusJupyterError):
    """Globus asked for a login that only a person can give, from a panel."""

    def __init__(self, request: LoginRequest) -> None:
        self.request = request
        super().__init__(f"{login_reason(request)}; log in below, then try again")


class LoginRecord:
    """The logins asked for while a panel's action ran."""

    def __init__(self) -> None:
        self.requests: list[LoginRequest] = []


@contextlib.contextmanager
def widget_logins(session: core.Session) -> t.Iterator[LoginRecord]:
    """
    Answer logins asked for by a button callback without blocking the kernel.

    A callback runs outside any cell, where nothing answers a terminal or the
    kernel's stdin: such a prompt would wait forever. Other prompts (the
    sandbox's approval) answer as usual; the stdin ones raise
    :class:`LoginNeeded` instead, which the panel turns into a
    :class:`LoginPanel` for the scopes Globus named.
    """
    record = LoginRecord()
    app = session.app
    if not isinstance(app, NotebookUserApp):
        yield record
        return
    flow = app.flow
    answer = flow.prompt

    def prompt(request: LoginRequest) -> str:
        record.requests.append(request)
        if _reads_stdin(answer):
            raise LoginNeeded(request)
        return answer(request)

    flow.prompt = prompt
    try:
        yield record
    finally:
        flow.prompt = answer


def _reads_stdin(prompt: t.Callable[[LoginRequest], str]) -> bool:
    return prompt_reads_stdin(prompt)


class PanelActions:
    """
    Runs a panel's button actions: errors as one line in the panel, and a login
    Globus asks for in the middle of one as a :class:`LoginPanel` that, once
    done, runs the action again.

    :param session: returns the session the panel works with
    :param error: where errors go
    :param notice: where a login that the session's own prompt gave is reported
    :param login_area: where the :class:`LoginPanel` appears
    """

    def __init__(
        self,
        session: t.Callable[[], core.Session],
        *,
        error: widgets.HTML,
        notice: widgets.HTML,
        login_area: widgets.Box,
    ) -> None:
        self._session = session
        self.error = error
        self.notice = notice
        self.login_area = login_area

    def run(self, action: t.Callable[[], None]) -> bool:
        """Run ``action``; ``False`` when it failed (and the panel says why)."""
        self.error.value = ""
        self.notice.value = ""
        self.login_area.children = ()
        try:
            session = self._session()
            with widget_logins(session) as record:
                action()
        except LoginNeeded as needed:
            self.error.value = error_html(needed)
            self.login_area.children = (
                LoginPanel(
                    session,
                    scopes=needed.request.scopes,
                    reason=login_reason(needed.request),
                    on_login=lambda _identity: self._again(action),
                ),
            )
            return False
        except Exception as error:
            self.error.value = error_html(error)
            return False
        if record.requests:
            reason = login_reason(record.requests[-1])
            self.notice.value = html.escape(f"{reason}: given by the session's login.")
        return True

    def _again(self, action: t.Callable[[], None]) -> None:
        self.run(action)


class LoginPanel(widgets.VBox):  # type: ignore[misc]
    """
    A link, a code box and a button; then "Logged in as ..." and a logout button.

    Every step runs in a button callback: the kernel stays free between showing
    the link and receiving the code, and errors are shown in the panel.

    :param session: the session to log in; defaults to the notebook's current one
    :param scopes: ask for consent to these scopes (a login for a collection
        that needs it), instead of a plain login
    :param reason: why this login is needed, shown above the button
    :param on_login: called with the identity once the login is complete

    .. code-block:: python

        from globus_jupyter.widgets import LoginPanel
        LoginPanel()
    """

    def __init__(
        self,
        session: core.Session | None = None,
        *,
        scopes: t.Sequence[str] = (),
        reason: str | None = None,
        on_login: t.Callable[[core.Identity], None] | None = None,
        **kwargs: t.Any,
    ) -> None:
        self._session = session
        self._pending: core.PendingLogin | None = None
        self.scopes = tuple(scopes)
        self.reason = reason
        self._on_login = on_login

        self.status = widgets.HTML(value="")
        self.link = widgets.HTML(value="")
        self.code = widgets.Password(
            placeholder="paste the code Globus shows after login",
            layout=widgets.Layout(width="28em"),
        )
        self.login_button = widgets.Button(
            description="Give consent" if self.scopes else "Log in",
            icon="sign-in",
            button_style="primary",
        )
        self.finish_button = widgets.Button(
            description="Finish login", icon="check", button_style="primary"
        )
        self.cancel_button = widgets.Button(description="Cancel", icon="times")
        self.logout_button = widgets.Button(description="Log out", icon="sign-out")
        self.error = widgets.HTML(value="")

        self.login_button.on_click(self._on_login_clicked)
        self.finish_button.on_click(self._on_finish)
        self.cancel_button.on_click(self._on_cancel)
        self.logout_button.on_click(self._on_logout)

        super().__init__(children=[self.status, self.error], **kwargs)
        self.add_class("globus-login-panel")
        if self.scopes:
            self._show_logged_out()
        else:
            self._show_initial_state()

    @property
    def session(self) -> core.Session:
        return self._session if self._session is not None else core.session()

    # -- states -------------------------------------------------------------------

    def _show_initial_state(self) -> None:
        try:
            info = self.session.describe()
        except Exception as error:
            self._show_logged_out()
            self.error.value = error_html(error)
            return
        if info.identity is not None:
            self._show_logged_in(info.identity, info.source)
        else:
            self._show_logged_out()

    def _show_logged_out(self) -> None:
        with self.hold_sync():
            if self.scopes:
                self.status.value = html.escape(
                    self.reason or "Globus needs your consent to go on."
                )
            else:
                self.status.value = "Not logged in to Globus."
            self.children = [self.status, self.login_button, self.error]

    def _show_waiting_for_code(self, url: str) -> None:
        href = html.escape(url, quote=True)
        with self.hold_sync():
            self.status.value = (
                "Follow the link, approve, then paste the code Globus shows here."
            )
            self.link.value = (
                f'<a href="{href}" target="_blank" rel="noopener" '
                'class="globus-login-link" style="color:var(--jp-content-link-color,'
                '#1976d2);text-decoration:underline">Log in to Globus</a> '
                "(opens a new tab)"
            )
            self.code.value = ""
            self.children = [
                self.status,
                self.link,
                widgets.HBox([self.code, self.finish_button, self.cancel_button]),
                self.error,
            ]

    def _show_logged_in(self, identity: core.Identity, source: str) -> None:
        who = f"<b>{html.escape(identity.username)}</b>"
        if identity.name and identity.name != identity.username:
            who += f" ({html.escape(identity.name)})"
        where = html.escape(SOURCE_DESCRIPTIONS.get(source, source))
        with self.hold_sync():
            self.status.value = (
                f"Logged in as {who}.<br><small>tokens from {where}</small>"
            )
            self.link.value = ""
            self.children = [self.status, self.logout_button, self.error]

    # -- callbacks ----------------------------------------------------------------

    def _on_login_clicked(self, _button: t.Any = None) -> None:
        self.error.value = ""
        try:
            self._pending = self.session.begin_login(self.scopes)
        except Exception as error:
            self.error.value = error_html(error)
            return
        self._show_waiting_for_code(self._pending.url)

    def _on_finish(self, _button: t.Any = None) -> None:
        self.error.value = ""
        if self._pending is None:
            self._show_logged_out()
            return
        code, self.code.value = self.code.value, ""
        try:
            identity = self._pending.complete(code)
            source = self.session.source
        except Exception as error:
            self.error.value = error_html(error)
            return
        self._pending = None
        self._show_logged_in(identity, source)
        if self._on_login is not None:
            self._on_login(identity)

    def _on_cancel(self, _button: t.Any = None) -> None:
        self._pending = None
        self.error.value = ""
        self.code.value = ""
        self._show_logged_out()

    def _on_logout(self, _button: t.Any = None) -> None:
        self.error.value = ""
        try:
            self.session.logout()
        except Exception as error:
            self.error.value = error_html(error)
            return
        self._show_logged_out()
