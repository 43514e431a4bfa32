"""
What every sandbox service is built on.

Each Globus service is a small WSGI app mounted under its own prefix (``auth/``,
``transfer/``, ...), with a werkzeug URL map of its routes. A route handler takes a
:class:`SandboxRequest` and returns a werkzeug ``Response``, or raises
:class:`GlobusError`, which the service renders in the error format its real
counterpart uses (:meth:`ServiceApp.error_response`). Every response carries the
request id in an ``X-Request-Id`` header.
"""

from __future__ import annotations

import abc
import dataclasses
import http
import json
import logging
import typing as t
import uuid
from functools import cached_property
from pathlib import Path

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from .signing import SigningKey
from .state import SandboxState

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger(__name__)

REQUEST_ID_KEY = "globus_jupyter.sandbox.request_id"


@dataclasses.dataclass
class SandboxSettings:
    """Knobs that may change while the sandbox runs."""

    #: seconds an access token lives; applies to tokens issued afterwards
    access_token_lifetime: int
    #: whether offline access yields refresh tokens (hub tokens often cannot refresh)
    refresh_tokens: bool
    #: bytes per second for copies into or out of the throttled collection
    remote_bandwidth: int = 4 * 1024 * 1024
    #: the share of requests (0 to 1) that a fault-injecting service fails
    fault_rate: float = 0.0
    #: the kinds of fault to pick from: "500", "502", "503", "429", "drop"
    faults: tuple[str, ...] = ("500", "502", "503", "429", "drop")
    #: seconds every request to a fault-injecting service waits before it is served
    latency: float = 0.0
    #: how many Transfer tasks run at the same time; read when the sandbox starts
    transfer_workers: int = 2


@dataclasses.dataclass
class SandboxContext:
    """What every service of one running sandbox shares."""

    state: SandboxState
    settings: SandboxSettings
    signing_key: SigningKey
    #: ``http://127.0.0.1:PORT/``, known once the server is bound
    url: str
    #: the sandbox root: the state file, and the directories services serve
    root: Path

    def service_url(self, service: str) -> str:
        return f"{self.url}{service}/"


class SandboxRequest(Request):
    """A request to one sandbox service, with the sandbox it reached."""

    def __init__(self, environ: WSGIEnvironment, context: SandboxContext) -> None:
        super().__init__(environ)
        self.context = context

    @cached_property
    def request_id(self) -> str:
        """The id shown in errors and the ``X-Request-Id`` header."""
        return request_id(self.environ)


def request_id(environ: WSGIEnvironment) -> str:
    """The id of the request in ``environ``, made on first use."""
    found = environ.get(REQUEST_ID_KEY)
    if not isinstance(found, str):
        found = environ[REQUEST_ID_KEY] = str(uuid.uuid4())
    return found


class GlobusError(Exception):
    """
    An API error, raised by a route handler and rendered by its service.

    :param status: the HTTP status
    :param code: the Globus error code, e.g. ``UNAUTHORIZED`` or ``invalid_grant``
    :param detail: one line saying what was wrong and what was expected
    :param error: the OAuth ``error`` value, where OAuth defines one
    :param headers: extra response headers, e.g. ``WWW-Authenticate``
    :param extra: extra members of the error document, for services whose errors
        carry more than a code and a message (e.g. Transfer's ``required_scopes``)
    """

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        *,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, t.Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.error = error
        self.headers = headers or {}
        self.extra = extra or {}

    def __repr__(self) -> str:
        return f"GlobusError({self.status}, {self.code!r}, {self.detail!r})"


def status_title(status: int) -> str:
    """The reason phrase of an HTTP status, e.g. ``Not Found``."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def json_response(
    data: t.Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response, the way every Globus API answers."""
    return Response(
        json.dumps(data),
        status=status,
        headers=headers,
        mimetype="application/json",
    )


def auth_style_error_body(error: GlobusError, request_id: str) -> dict[str, t.Any]:
    """
    An error in Globus Auth's shape: a JSON:API-like ``errors`` list plus the OAuth
    ``error`` and ``error_description`` members.
    """
    return {
        "errors": [
            {
                "status": str(error.status),
                "code": error.code,
                "title": status_title(error.status),
                "detail": error.detail,
                "id": request_id,
            }
        ],
        "error": error.error or error.code.lower(),
        "error_description": error.detail,
    }


class ServiceApp(abc.ABC):
    """
    One Globus service: a WSGI app answering under its prefix.

    Subclasses set ``name`` (the URL prefix and globus-sdk service name), list
    their routes in :meth:`rules` with endpoint names, and define ``on_<endpoint>``
    handlers taking the request and the route's arguments. A service with work of
    its own (worker threads) starts and stops it in :meth:`start` and :meth:`stop`.
    """

    name: t.ClassVar[str]
    #: whether the sandbox's fault injection applies to this service's requests
    injects_faults: t.ClassVar[bool] = False

    def __init__(self, context: SandboxContext) -> None:
        self.context = context
        self.url_map = Map(list(self.rules()), strict_slashes=False)

    @abc.abstractmethod
    def rules(self) -> t.Iterable[Rule]:
        """The service's routes; each endpoint ``x`` is handled by ``on_x``."""

    def start(self) -> None:  # noqa: B027 - optional hook, most services have none
        """Start background work; called once the sandbox serves requests."""

    def stop(self) -> None:  # noqa: B027 - optional hook, most services have none
        """Stop background work; called after the last request was answered."""

    def __call__(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        request = SandboxRequest(environ, self.context)
        response = self.dispatch(request)
        response.headers["X-Request-Id"] = request.request_id
        return response(environ, start_response)

    def dispatch(self, request: SandboxRequest) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, arguments = adapter.match()
            handler: t.Callable[..., Response] = getattr(self, f"on_{endpoint}")
            return handler(request, **arguments)
        except GlobusError as error:
            return self.error_response(request, error)
        except RequestRedirect as redirect:
            return redirect.get_response(request.environ)
        except HTTPException as http_error:
            return self.error_response(request, http_globus_error(http_error))
        except Exception:
            log.debug("%s %s failed", self.name, request.path, exc_info=True)
            return self.error_response(
                request,
                GlobusError(
                    500, "INTERNAL_ERROR", "the sandbox failed to answer this request"
                ),
            )

    def render_error(self, environ: WSGIEnvironment, error: GlobusError) -> Response:
        """An error answer for a request this service did not (fully) handle."""
        request = SandboxRequest(environ, self.context)
        response = self.error_response(request, error)
        response.headers["X-Request-Id"] = request.request_id
        return response

    def error_response(self, request: SandboxRequest, error: GlobusError) -> Response:
        """Render an error; services whose real API differs override this."""
        return json_response(
            auth_style_error_body(error, request.request_id),
            status=error.status,
            headers=error.headers,
        )


def http_globus_error(http_error: HTTPException) -> GlobusError:
    """A routing failure (unknown path, wrong method) as a Globus error."""
    status = http_error.code or 500
    code = status_title(status).upper().replace(" ", "_")
    if status == 404:
        detail = "no such resource; check the path and the service prefix"
    elif status == 405:
        detail = "this method is not allowed here"
    else:
        detail = http_error.description or status_title(status)
    headers = {
        name: value
        for name, value in http_error.get_headers()
        if name.lower() == "allow"
    }
    return GlobusError(status, code, detail, headers=headers)


def not_found_app(
    environ: WSGIEnvironment, start_response: StartResponse
) -> t.Iterable[bytes]:
    """What answers under a prefix that no sandbox service serves (yet)."""
    error_id = request_id(environ)
    error = GlobusError(404, "NOT_FOUND", "the sandbox serves no service at this path")
    response = json_response(
        auth_style_error_body(error, error_id),
        status=404,
        headers={"X-Request-Id": error_id},
    )
    return response(environ, start_response)
