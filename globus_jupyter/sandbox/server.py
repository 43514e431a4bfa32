"""
Running the sandbox: one werkzeug server on 127.0.0.1, one prefix per service.

:class:`Sandbox` serves in a daemon thread, so a notebook can start it and keep
working; ``python -m globus_jupyter.sandbox`` runs the same thing in the foreground.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import threading
import typing as t
from pathlib import Path

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .auth import AuthService
from .faults import (
    FAULT_KINDS,
    FaultDraw,
    FaultInjector,
    checked_fault_rate,
    checked_faults,
    checked_latency,
)
from .identities import SANDBOX_USERS, SandboxUser
from .service import (
    SandboxContext,
    SandboxSettings,
    ServiceApp,
    not_found_app,
)
from .signing import SigningKey
from .state import SandboxState
from .transfer import TransferService

if t.TYPE_CHECKING:
    import types

    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger(__name__)

HOST = "127.0.0.1"

#: Globus Auth's own access token lifetime: 48 hours.
DEFAULT_ACCESS_TOKEN_LIFETIME = 48 * 3600

#: Bytes per second for copies into or out of the throttled "remote" collection.
DEFAULT_REMOTE_BANDWIDTH = 4 * 1024 * 1024

#: How many Transfer tasks run at the same time.
DEFAULT_TRANSFER_WORKERS = 2

#: The services the sandbox serves, each under ``{url}{name}/``. Any other prefix
#: answers 404.
SERVICES: tuple[type[ServiceApp], ...] = (AuthService, TransferService)


class SandboxError(RuntimeError):
    """The sandbox could not do what was asked (e.g. its port was taken)."""


class Sandbox:
    """
    An offline Globus look-alike, serving the Globus APIs on 127.0.0.1.

    :param root: the directory for its state (``sandbox.sqlite``) and signing key
        (``jwk.pem``); created if missing, reused on the next start
    :param port: the port to listen on; 0 picks a free one
    :param access_token_lifetime: seconds each new access token lives
    :param refresh_tokens: whether logins asking for offline access get refresh
        tokens; turn off to imitate tokens that cannot be refreshed
    :param remote_bandwidth: bytes per second for copies into or out of the
        throttled ``remote`` collection
    :param fault_rate: the share of requests to fault-injecting services (Transfer)
        that fail, from 0 to 1
    :param faults: the kinds of failure to pick from: ``"500"``, ``"502"``,
        ``"503"``, ``"429"`` (with ``Retry-After``) and ``"drop"`` (the connection
        closes with no answer)
    :param fault_seed: seeds the choice of faults, to repeat them run after run
    :param latency: seconds every request to a fault-injecting service waits
    :param workers: how many Transfer tasks run at the same time

    >>> with Sandbox(Path("sandbox-state")) as sandbox:
    ...     auth_url = sandbox.service_url("auth")
    """

    def __init__(
        self,
        root: Path | str,
        port: int = 0,
        access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME,
        refresh_tokens: bool = True,
        *,
        remote_bandwidth: int = DEFAULT_REMOTE_BANDWIDTH,
        fault_rate: float = 0.0,
        faults: t.Iterable[str] = FAULT_KINDS,
        fault_seed: int | None = None,
        latency: float = 0.0,
        workers: int = DEFAULT_TRANSFER_WORKERS,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be 0 (any free port) to 65535, not {port}")
        self.root = Path(root)
        self.port = port
        self._settings = SandboxSettings(
            access_token_lifetime=_checked_lifetime(access_token_lifetime),
            refresh_tokens=refresh_tokens,
            remote_bandwidth=_checked_bandwidth(remote_bandwidth),
            fault_rate=checked_fault_rate(fault_rate),
            faults=checked_faults(faults),
            latency=checked_latency(latency),
            transfer_workers=_checked_workers(workers),
        )
        self._fault_draw = FaultDraw(self._settings, fault_seed)
        self._lock = threading.Lock()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._state: SandboxState | None = None
        self._services: list[ServiceApp] = []
        self._connections: _OpenConnections | None = None
        self._url: str | None = None

    def __repr__(self) -> str:
        where = self._url or "not started"
        return (
            f"Sandbox(root={str(self.root)!r}, url={where!r}, running={self.running})"
        )

    # settings that apply while running

    @property
    def access_token_lifetime(self) -> int:
        """Seconds an access token lives; changing it affects tokens issued later."""
        return self._settings.access_token_lifetime

    @access_token_lifetime.setter
    def access_token_lifetime(self, seconds: int) -> None:
        self._settings.access_token_lifetime = _checked_lifetime(seconds)

    @property
    def refresh_tokens(self) -> bool:
        """Whether logins asking for offline access get refresh tokens."""
        return self._settings.refresh_tokens

    @refresh_tokens.setter
    def refresh_tokens(self, enabled: bool) -> None:
        self._settings.refresh_tokens = enabled

    @property
    def remote_bandwidth(self) -> int:
        """Bytes per second into or out of ``remote``; applies at once."""
        return self._settings.remote_bandwidth

    @remote_bandwidth.setter
    def remote_bandwidth(self, bytes_per_second: int) -> None:
        self._settings.remote_bandwidth = _checked_bandwidth(bytes_per_second)

    @property
    def fault_rate(self) -> float:
        """The share of Transfer requests that fail (0 to 1); applies at once."""
        return self._settings.fault_rate

    @fault_rate.setter
    def fault_rate(self, rate: float) -> None:
        self._settings.fault_rate = checked_fault_rate(rate)

    @property
    def faults(self) -> tuple[str, ...]:
        """The kinds of fault to inject (see :data:`FAULT_KINDS`); applies at once."""
        return self._settings.faults

    @faults.setter
    def faults(self, kinds: t.Iterable[str]) -> None:
        self._settings.faults = checked_faults(kinds)

    @property
    def latency(self) -> float:
        """Seconds each Transfer request waits before it is served; applies at once."""
        return self._settings.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._settings.latency = checked_latency(seconds)

    @property
    def users(self) -> tuple[SandboxUser, ...]:
        """The users who can log in; the first one is the consent page's default."""
        return SANDBOX_USERS

    # where it answers

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def url(self) -> str:
        """The base URL, ``http://127.0.0.1:PORT/``."""
        if self._url is not None:
            return self._url
        if self.port:
            return f"http://{HOST}:{self.port}/"
        raise SandboxError("the sandbox picks its port when it starts; call start()")

    def service_url(self, service: str) -> str:
        """The base URL of one service, e.g. ``service_url("auth")``."""
        return f"{self.url}{service}/"

    # lifecycle

    def start(self) -> Sandbox:
        """Start serving in a background thread; does nothing if already running."""
        with self._lock:
            if self.running:
                return self
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            state = SandboxState(self.root)
            services: list[ServiceApp] = []
            server: BaseWSGIServer | None = None
            try:
                with _listen(self.port) as listener:
                    port = listener.getsockname()[1]
                    url = f"http://{HOST}:{port}/"
                    context = SandboxContext(
                        state=state,
                        settings=self._settings,
                        signing_key=SigningKey.load_or_create(self.root),
                        url=url,
                        root=self.root,
                    )
                    services = [service(context) for service in SERVICES]
                    connections = _OpenConnections()
                    server = make_server(
                        HOST,
                        port,
                        self._app(services),
                        threaded=True,
                        request_handler=_request_handler(connections),
                        fd=listener.fileno(),
                    )
                for service in services:
                    service.start()
            except BaseException:
                # nothing is served yet: undo what was made, then say why
                for service in services:
                    with contextlib.suppress(Exception):
                        service.stop()
                if server is not None:
                    server.server_close()
                state.close()
                raise
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"globus-sandbox-{port}",
                daemon=True,
            )
            self._server, self._thread, self._state = server, thread, state
            self._connections, self._url = connections, url
            self._services = services
            thread.start()
            log.debug("sandbox serving at %s from %s", url, self.root)
            return self

    def stop(self) -> None:
        """Stop serving, end open connections and close the state store."""
        with self._lock:
            server, thread, state = self._server, self._thread, self._state
            connections = self._connections
            if server is None or thread is None or state is None:
                return
            server.shutdown()
            if connections is not None:
                connections.close_all()
            thread.join()
            for service in self._services:
                service.stop()
            state.close()
            self._server = self._thread = self._state = self._connections = None
            self._services = []
            log.debug("sandbox at %s stopped", self._url)

    def __enter__(self) -> Sandbox:
        return self.start()

    def _app(self, services: list[ServiceApp]) -> WSGIApplication:
        mounts: dict[str, WSGIApplication] = {}
        for service in services:
            app: WSGIApplication = service
            if service.injects_faults:
                app = FaultInjector(
                    service,
                    settings=self._settings,
                    draw=self._fault_draw,
                    render_error=service.render_error,
                )
            mounts[f"/{service.name}"] = app
        return DispatcherMiddleware(not_found_app, mounts)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: types.TracebackType | None,
    ) -> None:
        self.stop()


def _checked_lifetime(seconds: int) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
        raise ValueError(
            f"access_token_lifetime must be a whole number of seconds, at least 1, "
            f"not {seconds!r}"
        )
    return seconds


def _checked_bandwidth(bytes_per_second: int) -> int:
    if (
        isinstance(bytes_per_second, bool)
        or not isinstance(bytes_per_second, int)
        or bytes_per_second < 1
    ):
        raise ValueError(
            "remote_bandwidth must be a whole number of bytes per second, at least "
            f"1, not {bytes_per_second!r}"
        )
    return bytes_per_second


def _checked_workers(workers: int) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a whole number, at least 1, not {workers!r}")
    return workers


def _listen(port: int) -> socket.socket:
    """Bind and listen ourselves, so that a taken port is an error, not an exit."""
    try:
        return socket.create_server((HOST, port))
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise SandboxError(
            f"cannot listen on {HOST}:{port} ({reason}); "
            "choose another port, or 0 for any free one"
        ) from None


class _OpenConnections:
    """
    The client connections the server holds open.

    HTTP keep-alive leaves a worker thread waiting on each idle connection; closing
    them is what lets the sandbox stop promptly, and keeps a stopped sandbox from
    answering on connections made before it stopped.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closing = False

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            if self._closing:
                _shut(connection)
            else:
                self._sockets.add(connection)

    def discard(self, connection: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(connection)

    def close_all(self) -> None:
        with self._lock:
            self._closing = True
            for connection in self._sockets:
                _shut(connection)
            self._sockets.clear()


def _shut(connection: socket.socket) -> None:
    # the client may have closed it already
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


_QUERY = re.compile(r"\?\S*")


def _request_handler(connections: _OpenConnections) -> type[WSGIRequestHandler]:
    """A request handler that tracks its connection and logs no query strings."""

    class SandboxRequestHandler(WSGIRequestHandler):
        def setup(self) -> None:
            super().setup()
            connections.add(self.connection)

        def finish(self) -> None:
            connections.discard(self.connection)
            super().finish()

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            # query strings carry authorization codes; log the path only
            path = getattr(self, "path", "")
            log.debug("%s %s -> %s", self.command, _QUERY.sub("", path), code)

        def log(self, type: str, message: str, *args: t.Any) -> None:
            log.debug("http server %s: %s", type, _QUERY.sub("?...", message % args))

    return SandboxRequestHandler
