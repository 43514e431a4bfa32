"""
The session: where a notebook's tokens come from, and clients that use them.

A :class:`Session` picks the first token source that applies, in the configured
order (``hub``, ``client``, ``stored``, ``login`` by default), and wraps the
globus-sdk ``GlobusApp`` for it. Every client the session hands out is bound to
that app, so token refresh, scope requirements and consent logins are globus-sdk's;
the session adds what a notebook needs: a login that can stop between its two
steps, serialized access for the watcher thread, and rebuilding after a fork.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import threading
import time
import typing as t

import globus_sdk
from globus_sdk import ClientApp, GlobusApp, GlobusAppConfig, UserApp
from globus_sdk.authorizers import GlobusAuthorizer
from globus_sdk.gare import GlobusAuthorizationParameters
from globus_sdk.scopes import AuthScopes, Scope, TransferScopes
from globus_sdk.token_storage import MemoryTokenStorage, TokenStorageData

from .environment import (
    SANDBOX_ENVIRONMENT,
    SANDBOX_NATIVE_CLIENT_ID,
    register_sandbox_environment,
)
from .errors import HubDataError, LoginRequired, UsageProblem
from .history import LocalHistory
from .hub import GLOBUS_DATA_VARIABLE, HubAuthState, decode_globus_data
from .login import CodePrompt, LoginRequest, NotebookLoginFlowManager
from .settings import Settings
from .storage import TOKEN_DATABASE_NAME, SharedSQLiteTokenStorage
from .transfer import TransferService, transfer_poller
from .watcher import TaskWatcher

if t.TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

C = t.TypeVar("C", bound=globus_sdk.BaseClient)

APP_NAME = "globus-jupyter"

#: What every user session asks Globus Auth for: who the user is.
IDENTITY_SCOPES: tuple[str, ...] = (
    str(AuthScopes.openid),
    str(AuthScopes.profile),
    str(AuthScopes.email),
    str(AuthScopes.view_identity_set),
)

SOURCE_DESCRIPTIONS = {
    "hub": f"JupyterHub ({GLOBUS_DATA_VARIABLE})",
    "client": "client credentials (GLOBUS_CLIENT_ID)",
    "stored": "tokens stored by an earlier login",
    "login": "interactive login in this kernel",
}


_SOURCE_ADVICE = {
    "hub": f"hub: run under a JupyterHub that sets {GLOBUS_DATA_VARIABLE}",
    "client": "client: set GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET",
    "stored": "stored: log in once with %globus login",
    "login": "login: set GLOBUS_JUPYTER_CLIENT_ID",
}


@dataclasses.dataclass(frozen=True)
class Identity:
    """The identity a session acts as."""

    id: str
    username: str
    name: str | None = None
    email: str | None = None


@dataclasses.dataclass(frozen=True)
class TokenSummary:
    """What may be shown of one token: never the token itself."""

    resource_server: str
    scopes: tuple[str, ...]
    expires_at: datetime.datetime
    refreshable: bool

    @property
    def expired(self) -> bool:
        return self.expires_at <= datetime.datetime.now(datetime.timezone.utc)


@dataclasses.dataclass(frozen=True)
class SessionInfo:
    """Where the tokens came from, for whom, and what they allow until when."""

    source: str
    environment: str
    client_id: str | None
    identity: Identity | None
    tokens: tuple[TokenSummary, ...]

    def to_frame(self) -> pd.DataFrame:
        from .frames import token_summary_frame

        return token_summary_frame(self.tokens)

    def _summary_lines(self) -> list[str]:
        who = self.identity.username if self.identity else "nobody (not logged in)"
        return [
            f"identity:    {who}",
            f"source:      {SOURCE_DESCRIPTIONS.get(self.source, self.source)}",
            f"environment: {self.environment}",
            f"client id:   {self.client_id or '-'}",
        ]

    def __str__(self) -> str:
        lines = self._summary_lines()
        if self.tokens:
            lines.append(self.to_frame().to_string(index=False))
        else:
            lines.append("no tokens yet")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        import html

        head = "<br>".join(html.escape(line) for line in self._summary_lines())
        body = self.to_frame().to_html(index=False) if self.tokens else "no tokens"
        return f"<div><pre>{head}</pre>{body}</div>"

    def _repr_pretty_(self, printer: t.Any, cycle: bool) -> None:
        printer.text(str(self))


@dataclasses.dataclass
class PendingLogin:
    """
    A login that has shown its link and waits for the code.

    ``complete(code)`` may be called from a widget callback; the kernel is never
    blocked in between.
    """

    url: str
    _session: Session = dataclasses.field(repr=False)

    def complete(self, code: str) -> Identity:
        return self._session._complete_login(code)


class _SerializedAuthorizers(GlobusApp):
    """
    globus-sdk's ``GlobusApp`` is not thread-safe; authorizers are handed out under
    the session's lock so the watcher thread and the kernel thread can share one app.
    """

    def __init__(self, *args: t.Any, lock: threading.RLock, **kwargs: t.Any) -> None:
        self._lock = lock
        super().__init__(*args, **kwargs)

    def get_authorizer(self, resource_server: str) -> GlobusAuthorizer:
        with self._lock:
            return super().get_authorizer(resource_server)


class NotebookUserApp(_SerializedAuthorizers, UserApp):
    """A ``UserApp`` whose login can pause between its two steps."""

    _login_flow_manager: NotebookLoginFlowManager

    @property
    def flow(self) -> NotebookLoginFlowManager:
        return self._login_flow_manager

    def start_login(self, auth_params: GlobusAuthorizationParameters | None) -> str:
        return self.flow.authorize_url(
            self._auth_params_with_required_scopes(auth_params)
        )

    def _run_login_flow(
        self, auth_params: GlobusAuthorizationParameters | None = None
    ) -> None:
        # a login in the middle of an operation says why it interrupts the user
        if auth_params is not None and auth_params.required_scopes:
            self.flow.reason = "Globus needs your consent for: " + ", ".join(
                auth_params.required_scopes
            )
        try:
            super()._run_login_flow(auth_params)
        finally:
            self.flow.reason = None

    def finish_login(self, code: str) -> None:
        token_response = self.flow.exchange_code(code)
        self._authorizer_factory.store_token_response_and_clear_cache(token_response)

    def _auth_params_with_required_scopes(
        self, auth_params: GlobusAuthorizationParameters | None = None
    ) -> GlobusAuthorizationParameters:
        # A consent error names the scopes it lacks; ask for exactly those (plus
        # the identity scopes already held, so the identity token is not narrowed)
        # instead of every scope the app has ever needed.
        if auth_params is not None and auth_params.required_scopes:
            merged = globus_sdk.scopes.ScopeParser.merge_scopes(
                [Scope.parse(s) for s in IDENTITY_SCOPES],
                [Scope.parse(s) for s in auth_params.required_scopes],
            )
            auth_params.required_scopes = [str(s) for s in merged]
            return auth_params
        return super()._auth_params_with_required_scopes(auth_params)


class NotebookClientApp(_SerializedAuthorizers, ClientApp):
    """A ``ClientApp`` whose authorizers are handed out under the session's lock."""


class Session:
    """
    Tokens and clients for one notebook, from the first source that applies.

    :param settings: configuration; defaults to ``Settings.from_environ()``
    :param environ: the process environment to read ``GLOBUS_DATA`` and client
        credentials from; defaults to ``os.environ``

    .. code-block:: python

        session = Session()
        session.login()
        transfer = session.client(globus_sdk.TransferClient)
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        environ: t.Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings or Settings.from_environ()
        self._environ = os.environ if environ is None else environ
        if (
            self.settings.environment == SANDBOX_ENVIRONMENT
            and self.settings.sandbox_url
        ):
            register_sandbox_environment(self.settings.sandbox_url)

        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._app: NotebookUserApp | NotebookClientApp | None = None
        self._source: str | None = None
        self._hub_forgotten = False
        self._identity: Identity | None = None
        self._clients: dict[tuple[type[t.Any], tuple[str, ...]], t.Any] = {}
        self._prompt: CodePrompt | None = None
        self._history: LocalHistory | None = None
        self._watcher: TaskWatcher | None = None
        self._transfer: TransferService | None = None

    def __repr__(self) -> str:
        return (
            f"Session(environment={self.environment!r}, "
            f"source={self._source or 'unresolved'!r})"
        )

    @property
    def environment(self) -> str:
        return self.settings.environment

    @property
    def source(self) -> str:
        """The token source in use: ``hub``, ``client``, ``stored`` or ``login``."""
        self._ensure_app()
        assert self._source is not None
        return self._source

    @property
    def prompt(self) -> CodePrompt | None:
        """How a login asks for its code; ``None`` means the terminal."""
        return self._prompt

    @prompt.setter
    def prompt(self, prompt: CodePrompt | None) -> None:
        self._prompt = prompt
        if isinstance(self._app, NotebookUserApp) and prompt is not None:
            self._app.flow.prompt = prompt

    # -- the app, built from the first token source that applies ---------------

    @property
    def app(self) -> NotebookUserApp | NotebookClientApp:
        """The globus-sdk app behind this session."""
        return self._ensure_app()

    def _ensure_app(self) -> NotebookUserApp | NotebookClientApp:
        with self._lock:
            if self._pid != os.getpid():
                # connections and locks do not survive a fork: start afresh
                log.debug("process forked; rebuilding the session's clients")
                self._lock = threading.RLock()
                self._app = None
                self._clients.clear()
                self._history = None
                self._watcher = None
                self._pid = os.getpid()
            if self._app is None:
                self._app, self._source = self._resolve_app()
            return self._app

    def _resolve_app(self) -> tuple[NotebookUserApp | NotebookClientApp, str]:
        stored: NotebookUserApp | None = None
        for source in self.settings.token_sources:
            if source == "hub" and not self._hub_forgotten:
                hub_data = self._environ.get(GLOBUS_DATA_VARIABLE)
                if hub_data:
                    return self._hub_app(decode_globus_data(hub_data)), "hub"
            elif source == "client":
                client_id = self._environ.get("GLOBUS_CLIENT_ID")
                secret = self._environ.get("GLOBUS_CLIENT_SECRET")
                if client_id and secret:
                    return self._client_app(client_id, secret), "client"
            elif source == "stored":
                if not self._has_user_client_id():
                    continue
                stored = self._stored_app()
                if _holds_tokens(stored):
                    return stored, "stored"
            elif source == "login":
                return stored or self._stored_app(), "login"
        if stored is not None:
            stored.close()
        raise LoginRequired(
            "no token source applies: expected one of "
            + ", ".join(self.settings.token_sources)
            + " ("
            + "; ".join(_SOURCE_ADVICE[s] for s in self.settings.token_sources)
            + ")"
        )

    def _has_user_client_id(self) -> bool:
        return bool(self.settings.client_id) or self.environment == SANDBOX_ENVIRONMENT

    def _app_config(self, **overrides: t.Any) -> GlobusAppConfig:
        values: dict[str, t.Any] = {
            "environment": self.environment,
            "auto_redrive_gares": True,
            "request_refresh_tokens": True,
        }
        values.update(overrides)
        return GlobusAppConfig(**values)

    def _user_client_id(self) -> str:
        if self.settings.client_id:
            return self.settings.client_id
        if self.environment == SANDBOX_ENVIRONMENT:
            return SANDBOX_NATIVE_CLIENT_ID
        raise LoginRequired(
            "no client id configured for logging in to Globus: register a native "
            "app at https://app.globus.org/settings/developers and set "
            "GLOBUS_JUPYTER_CLIENT_ID (or %config GlobusMagics.client_id)"
        )

    def _user_app(
        self,
        client_id: str,
        storage: globus_sdk.token_storage.TokenStorage,
        *,
        identity_scopes: t.Sequence[str] = IDENTITY_SCOPES,
        request_refresh_tokens: bool = True,
    ) -> NotebookUserApp:
        # the login client is made here so the flow manager can be made with it
        login_client = globus_sdk.NativeAppAuthClient(
            client_id=client_id, app_name=APP_NAME, environment=self.environment
        )
        flow = NotebookLoginFlowManager(
            login_client,
            request_refresh_tokens=request_refresh_tokens,
            prompt=self._prompt,
        )
        return NotebookUserApp(
            APP_NAME,
            login_client=login_client,
            scope_requirements={AuthScopes.resource_server: list(identity_scopes)},
            config=self._app_config(
                token_storage=storage,
                login_flow_manager=flow,
                request_refresh_tokens=request_refresh_tokens,
            ),
            lock=self._lock,
        )

    def _stored_app(self) -> NotebookUserApp:
        client_id = self._user_client_id()
        storage = SharedSQLiteTokenStorage(
            self.settings.data_dir / TOKEN_DATABASE_NAME,
            namespace=f"{self.environment}/{client_id}",
        )
        app = self._user_app(client_id, storage)
        # one login covers Transfer too, the service most notebooks use first
        app.add_scope_requirements(
            {TransferScopes.resource_server: [str(TransferScopes.all)]}
        )
        return app

    def _hub_app(self, hub: HubAuthState) -> NotebookUserApp:
        if hub.identity_id is None:
            raise HubDataError(
                f"{GLOBUS_DATA_VARIABLE} has no globus_user 'sub'; expected the "
                "auth_state of a GlobusOAuthenticator login"
            )
        storage = MemoryTokenStorage()
        storage.store_token_data_by_resource_server(
            {
                rs: TokenStorageData(
                    resource_server=rs,
                    identity_id=hub.identity_id,
                    scope=token.scope,
                    access_token=token.access_token,
                    refresh_token=token.refresh_token,
                    expires_at_seconds=token.expires_at_seconds,
                    token_type=token.token_type,
                )
                for rs, token in hub.tokens.items()
            }
        )
        # ask only for the identity scopes the hub was granted, so that using the
        # hub's tokens never needs a login of its own
        auth_token = hub.tokens.get(AuthScopes.resource_server)
        granted = set(auth_token.scope.split()) if auth_token else set()
        identity_scopes = [s for s in IDENTITY_SCOPES if s in granted] or [
            str(AuthScopes.openid)
        ]
        client_id = self.settings.client_id or hub.client_id or SANDBOX_NATIVE_CLIENT_ID
        refreshable = all(token.refresh_token for token in hub.tokens.values())
        return self._user_app(
            client_id,
            storage,
            identity_scopes=identity_scopes,
            request_refresh_tokens=refreshable,
        )

    def _client_app(self, client_id: str, secret: str) -> NotebookClientApp:
        return NotebookClientApp(
            APP_NAME,
            client_id=client_id,
            client_secret=secret,
            scope_requirements={AuthScopes.resource_server: list(IDENTITY_SCOPES)},
            config=self._app_config(token_storage=MemoryTokenStorage()),
            lock=self._lock,
        )

    # -- clients ------------------------------------------------------------------

    def client(self, client_class: type[C], *, scopes: t.Sequence[str] = ()) -> C:
        """
        A client of ``client_class`` bound to this session's tokens.

        :param scopes: scopes beyond the client's defaults, e.g. a collection's
            ``data_access``; a missing consent for them is turned into a login for
            exactly those scopes, then the request is retried once
        """
        app = self._ensure_app()
        key = (client_class, tuple(scopes))
        with self._lock:
            if key not in self._clients:
                kwargs: dict[str, t.Any] = {"app": app}
                if scopes:
                    kwargs["app_scopes"] = [Scope.parse(s) for s in scopes]
                self._clients[key] = client_class(**kwargs)
            return t.cast(C, self._clients[key])

    @property
    def auth(self) -> globus_sdk.AuthClient:
        return self.client(globus_sdk.AuthClient)

    @property
    def transfer(self) -> TransferService:
        """Transfer operations: ``session.transfer.ls("home:/~/")``."""
        if self._transfer is None:
            self._transfer = TransferService(self)
        return self._transfer

    @property
    def history(self) -> LocalHistory:
        """Submitted tasks and aliases, kept across kernels."""
        self._ensure_app()
        with self._lock:
            if self._history is None:
                self._history = LocalHistory(self.settings.data_dir, self.environment)
            return self._history

    @property
    def watcher(self) -> TaskWatcher:
        """The one thread that follows this session's tasks."""
        self._ensure_app()
        with self._lock:
            if self._watcher is None:
                self._watcher = TaskWatcher(
                    transfer_poller(self), interval=self.settings.poll_interval
                )
            return self._watcher

    # -- login and logout ---------------------------------------------------------

    def login(
        self,
        *,
        force: bool = False,
        prompt: CodePrompt | None = None,
        scopes: t.Sequence[str] = (),
    ) -> Identity:
        """
        Make sure the session has tokens, logging in if it must (or ``force``).

        :param prompt: shows the link and returns the code; defaults to the
            session's prompt, then the terminal
        :param scopes: extra scopes to consent to now
        """
        with self._lock:
            app = self._ensure_app()
            if isinstance(app, NotebookUserApp):
                saved_prompt = app.flow.prompt
                if prompt is not None:
                    app.flow.prompt = prompt
                try:
                    params = self._auth_params(scopes)
                    app.login(auth_params=params, force=force)
                finally:
                    app.flow.prompt = saved_prompt
                if self._source == "stored" and force:
                    self._source = "login"
            else:
                app.login(force=force)
            self._identity = None
            return self.identity()

    def begin_login(self, scopes: t.Sequence[str] = ()) -> PendingLogin:
        """Step one of a login: the URL to visit. ``complete(code)`` is step two."""
        with self._lock:
            app = self._ensure_app()
            if not isinstance(app, NotebookUserApp):
                raise UsageProblem(
                    f"this session uses {SOURCE_DESCRIPTIONS[self.source]}, which "
                    "logs in without a browser; expected a user session"
                )
            return PendingLogin(
                url=app.start_login(self._auth_params(scopes)), _session=self
            )

    def _complete_login(self, code: str) -> Identity:
        with self._lock:
            app = self._ensure_app()
            assert isinstance(app, NotebookUserApp)
            app.finish_login(code)
            if self._source == "stored":
                self._source = "login"
            self._identity = None
            return self.identity()

    @staticmethod
    def _auth_params(scopes: t.Sequence[str]) -> GlobusAuthorizationParameters | None:
        if not scopes:
            return None
        return GlobusAuthorizationParameters(required_scopes=list(scopes))

    def logout(self) -> list[str]:
        """
        Revoke this session's tokens and delete the stored ones.

        Tokens from the hub are forgotten by this kernel but not revoked: they
        belong to the hub's own login, which the hub's logout ends.

        :returns: the resource servers whose tokens were removed
        """
        with self._lock:
            app = self._ensure_app()
            storage = app.token_storage.token_storage
            removed = sorted(storage.get_token_data_by_resource_server())
            if self._source == "hub":
                for resource_server in removed:
                    storage.remove_token_data(resource_server)
                self._hub_forgotten = True
            else:
                app.logout(sweep=True)
            app.close()
            self._app = None
            self._source = None
            self._identity = None
            self._clients.clear()
            return removed

    def close(self) -> None:
        """Release connections and files; the stored tokens stay."""
        with self._lock:
            if self._app is not None:
                self._app.close()
            if self._history is not None:
                self._history.close()
            self._app = None
            self._history = None
            self._clients.clear()

    # -- who and what -------------------------------------------------------------

    def _userinfo(self) -> dict[str, t.Any]:
        return dict(self.auth.userinfo().data)

    def identity(self) -> Identity:
        """The identity the session acts as (asks Globus Auth once)."""
        if self._identity is None:
            info = self._userinfo()
            self._identity = Identity(
                id=info["sub"],
                username=info.get("preferred_username") or info["sub"],
                name=info.get("name"),
                email=info.get("email"),
            )
        return self._identity

    def whoami(self) -> pd.DataFrame:
        """The identity set of the logged-in user, primary identity first."""
        from .frames import identity_frame

        info = self._userinfo()
        identities = info.get("identity_set") or [info]
        return identity_frame(identities, primary_id=info["sub"])

    def describe(self) -> SessionInfo:
        """Where the tokens came from and, per resource server, scopes and expiry."""
        with self._lock:
            app = self._ensure_app()
            stored = app.token_storage.token_storage.get_token_data_by_resource_server()
            tokens = tuple(
                TokenSummary(
                    resource_server=rs,
                    scopes=tuple(sorted(data.scope.split())),
                    expires_at=datetime.datetime.fromtimestamp(
                        data.expires_at_seconds, tz=datetime.timezone.utc
                    ),
                    refreshable=data.refresh_token is not None,
                )
                for rs, data in sorted(stored.items())
            )
            identity = self._identity
            # describing a session must never start a login: only ask Auth who
            # the user is when the tokens are usable as they are
            if identity is None and _auth_token_usable(stored):
                try:
                    identity = self.identity()
                except (globus_sdk.GlobusAPIError, globus_sdk.NetworkError):
                    identity = None
            return SessionInfo(
                source=self.source,
                environment=self.environment,
                client_id=str(app.client_id) if app.client_id else None,
                identity=identity,
                tokens=tokens,
            )


def _auth_token_usable(stored: t.Mapping[str, TokenStorageData]) -> bool:
    """Whether Auth can be asked who the user is without logging in first."""
    data = stored.get(AuthScopes.resource_server)
    if data is None:
        return False
    return data.refresh_token is not None or data.expires_at_seconds > time.time() + 60


def _holds_tokens(app: globus_sdk.GlobusApp) -> bool:
    return bool(app.token_storage.token_storage.get_token_data_by_resource_server())


__all__ = [
    "Identity",
    "LoginRequest",
    "PendingLogin",
    "Session",
    "SessionInfo",
    "TokenSummary",
]
