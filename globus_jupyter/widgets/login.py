"""``LoginPanel``: log in from a widget without blocking the kernel."""

from __future__ import annotations

import html
import logging
import typing as t

import ipywidgets as widgets

from globus_jupyter import core
from globus_jupyter.core.errors import describe_error

log = logging.getLogger(__name__)


class LoginPanel(widgets.VBox):  # type: ignore[misc]
    """
    A link, a code box and a button; then "Logged in as ..." and a logout button.

    Every step runs in a button callback: the kernel stays free between showing
    the link and receiving the code, and errors are shown in the panel.

    .. code-block:: python

        from globus_jupyter.widgets import LoginPanel
        LoginPanel()
    """

    def __init__(self, session: core.Session | None = None, **kwargs: t.Any) -> None:
        self._session = session
        self._pending: core.PendingLogin | None = None

        self.status = widgets.HTML(value="")
        self.link = widgets.HTML(value="")
        self.code = widgets.Password(
            placeholder="paste the code Globus shows after login",
            layout=widgets.Layout(width="28em"),
        )
        self.login_button = widgets.Button(description="Log in", icon="sign-in")
        self.finish_button = widgets.Button(
            description="Finish login", button_style="primary"
        )
        self.logout_button = widgets.Button(description="Log out", icon="sign-out")
        self.error = widgets.HTML(value="")

        self.login_button.on_click(self._on_login)
        self.finish_button.on_click(self._on_finish)
        self.logout_button.on_click(self._on_logout)

        super().__init__(children=[self.status, self.error], **kwargs)
        self.add_class("globus-login-panel")
        self._show_initial_state()

    @property
    def session(self) -> core.Session:
        return self._session if self._session is not None else core.session()

    # -- states -------------------------------------------------------------------

    def _show_initial_state(self) -> None:
        try:
            info = self.session.describe()
        except Exception as error:
            self._show_error(error)
            self._show_logged_out()
            return
        if info.identity is not None:
            self._show_logged_in(info.identity.username)
        else:
            self._show_logged_out()

    def _show_logged_out(self) -> None:
        self.status.value = "Not logged in to Globus."
        self.children = [self.status, self.login_button, self.error]

    def _show_waiting_for_code(self, url: str) -> None:
        href = html.escape(url, quote=True)
        self.status.value = "Follow the link, approve, then paste the code here."
        self.link.value = (
            f'<a href="{href}" target="_blank" rel="noopener" '
            'class="globus-login-link">Log in to Globus</a>'
        )
        self.code.value = ""
        self.children = [
            self.status,
            self.link,
            widgets.HBox([self.code, self.finish_button]),
            self.error,
        ]

    def _show_logged_in(self, username: str) -> None:
        self.status.value = f"Logged in as <b>{html.escape(username)}</b>."
        self.children = [self.status, self.logout_button, self.error]

    def _show_error(self, error: BaseException) -> None:
        message = describe_error(error) or f"unexpected {type(error).__name__}"
        self.error.value = f'<span style="color:#b00020">{html.escape(message)}</span>'
        if describe_error(error) is None:
            log.debug("login panel error", exc_info=error)

    # -- callbacks ----------------------------------------------------------------

    def _on_login(self, _button: t.Any = None) -> None:
        self.error.value = ""
        try:
            self._pending = self.session.begin_login()
        except Exception as error:
            self._show_error(error)
            return
        self._show_waiting_for_code(self._pending.url)

    def _on_finish(self, _source: t.Any = None) -> None:
        self.error.value = ""
        if self._pending is None:
            self._show_logged_out()
            return
        code, self.code.value = self.code.value, ""
        try:
            identity = self._pending.complete(code)
        except Exception as error:
            self._show_error(error)
            return
        self._pending = None
        self._show_logged_in(identity.username)

    def _on_logout(self, _button: t.Any = None) -> None:
        self.error.value = ""
        try:
            self.session.logout()
        except Exception as error:
            self._show_error(error)
            return
        self._show_logged_out()
