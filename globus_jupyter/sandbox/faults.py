"""
Fault injection: make a share of a service's requests fail the ways real networks
and services do, so that clients can be tested against them.

A faulting request gets one of:

- ``500``, ``502``, ``503``: an error in the service's own format
- ``429``: "too many requests", with ``Retry-After: 1``
- ``drop``: the connection is closed before a byte of the answer is written

A fault strikes either before the request is served (nothing happened) or after
(the request did its work, but its answer is lost). The second kind is the one
that makes retries dangerous, and what submission ids exist for. ``429`` always
strikes before, as a rate limiter would.

The random draws come from one seedable generator, so a test can ask for the same
faults on every run (given the same order of requests).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import random
import socket
import threading
import time
import typing as t

from .service import GlobusError, SandboxSettings

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

#: every kind of fault the sandbox can inject
FAULT_KINDS = ("500", "502", "503", "429", "drop")

_STATUS_CODES = {
    "500": (500, "InternalError", "the service failed unexpectedly"),
    "502": (502, "BadGateway", "a gateway in front of the service failed"),
    "503": (503, "ServiceUnavailable", "the service is briefly unavailable"),
    "429": (429, "RateLimited", "too many requests; retry after a second"),
}


def checked_faults(faults: t.Iterable[str]) -> tuple[str, ...]:
    """The fault kinds in ``faults``, each one known."""
    kinds = tuple(str(fault).strip() for fault in faults)
    unknown = [kind for kind in kinds if kind not in FAULT_KINDS]
    if unknown or not kinds:
        raise ValueError(
            f"faults must be one or more of {', '.join(FAULT_KINDS)}, "
            f"not {', '.join(unknown) or 'none'}"
        )
    return kinds


def checked_fault_rate(rate: float) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise ValueError(f"fault_rate must be a number from 0 to 1, not {rate!r}")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"fault_rate must be from 0 to 1, not {rate!r}")
    return float(rate)


def checked_latency(seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError(f"latency must be a number of seconds, not {seconds!r}")
    if seconds < 0:
        raise ValueError(f"latency must be 0 or more seconds, not {seconds!r}")
    return float(seconds)


@dataclasses.dataclass(frozen=True)
class Fault:
    kind: str
    #: whether the request is served before the fault strikes
    after: bool


class FaultDraw:
    """The seeded source of faults, shared by every faulting service."""

    def __init__(self, settings: SandboxSettings, seed: int | None) -> None:
        self._settings = settings
        # chosen for repeatability, not secrecy
        self._random = random.Random(seed)  # noqa: S311
        self._lock = threading.Lock()

    def next(self) -> Fault | None:
        rate, kinds = self._settings.fault_rate, self._settings.faults
        if rate <= 0 or not kinds:
            return None
        with self._lock:
            if self._random.random() >= rate:
                return None
            kind = self._random.choice(kinds)
            after = kind != "429" and self._random.random() < 0.5
        return Fault(kind, after)


class FaultInjector:
    """
    WSGI middleware that adds latency and faults in front of one service.

    :param app: the service
    :param draw: where faults come from
    :param render_error: the service's own error format
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        settings: SandboxSettings,
        draw: FaultDraw,
        render_error: t.Callable[[WSGIEnvironment, GlobusError], Response],
    ) -> None:
        self.app = app
        self._settings = settings
        self._draw = draw
        self._render_error = render_error

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        if self._settings.latency > 0:
            time.sleep(self._settings.latency)
        fault = self._draw.next()
        if fault is None:
            return self.app(environ, start_response)

        log.debug(
            "injecting a %s fault %s %s",
            fault.kind,
            "after serving" if fault.after else "instead of serving",
            environ.get("PATH_INFO"),
        )
        if fault.after:
            _serve_and_discard(self.app, environ)
        if fault.kind == "drop":
            _drop_connection(environ)
        status, code, message = _STATUS_CODES[fault.kind]
        headers = {"Retry-After": "1"} if fault.kind == "429" else None
        error = GlobusError(status, code, f"Injected fault: {message}", headers=headers)
        return self._render_error(environ, error)(environ, start_response)


def _serve_and_discard(app: WSGIApplication, environ: WSGIEnvironment) -> None:
    def ignore_start(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], object]:
        return lambda data: None

    body = app(environ, ignore_start)
    try:
        for _ in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def _drop_connection(environ: WSGIEnvironment) -> t.NoReturn:
    """Close the client's connection with nothing written, and abandon the request."""
    connection = environ.get("werkzeug.socket")
    if isinstance(connection, socket.socket):
        with contextlib.suppress(OSError):
            connection.shutdown(socket.SHUT_RDWR)
    # werkzeug treats a connection error as the client having gone: it writes
    # nothing more and does not log a traceback
    raise ConnectionAbortedError("injected fault: connection dropped")
