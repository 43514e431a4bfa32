"""
The errors a notebook user sees, and how any error becomes one readable line.

    GlobusJupyterError          something the user can fix; str() is the whole message
     +-- UsageProblem           a command line or argument that makes no sense
     +-- LoginRequired          no tokens, and no way to ask for them here
     +-- HubDataError           GLOBUS_DATA is present but cannot be trusted or read
     +-- SandboxUnavailable     the sandbox was asked for but cannot be reached

Errors raised by globus-sdk (``GlobusAPIError``, ``NetworkError``) are not wrapped;
:func:`describe_error` turns them into one line when they reach the notebook.
"""

from __future__ import annotations

import typing as t
from urllib.parse import urlsplit

if t.TYPE_CHECKING:
    import globus_sdk


class GlobusJupyterError(Exception):
    """Base of the errors whose message alone tells the user what to do."""


class UsageProblem(GlobusJupyterError):
    """A command, option or value that is not what was expected."""


class LoginRequired(GlobusJupyterError):
    """No usable tokens, and an interactive login cannot run here."""


class HubDataError(GlobusJupyterError):
    """The hub's GLOBUS_DATA could not be decoded safely."""


class SandboxUnavailable(GlobusJupyterError):
    """The sandbox service was requested but is not running or not installed."""


# service host prefixes as globus-sdk builds them, to name a service in errors
_SERVICE_NAMES = {
    "auth": "Globus Auth",
    "transfer": "Globus Transfer",
    "search": "Globus Search",
    "flows": "Globus Flows",
    "compute": "Globus Compute",
    "groups": "Globus Groups",
    "timer": "Globus Timers",
}


def service_name_for_url(url: str | None) -> str:
    """Name the Globus service that a URL belongs to, for an error message."""
    if not url:
        return "a Globus service"
    parts = urlsplit(url)
    host_label = (parts.hostname or "").split(".", 1)[0]
    path_label = parts.path.strip("/").split("/", 1)[0]
    for label in (host_label, path_label):
        if label in _SERVICE_NAMES:
            return _SERVICE_NAMES[label]
    return parts.netloc or "a Globus service"


def describe_api_error(error: globus_sdk.GlobusAPIError) -> str:
    """One line: service, HTTP status, Globus error code, message, request id."""
    service = service_name_for_url(error._underlying_response.url)
    message = (error.message or error.text or "").strip().replace("\n", " ")
    if len(message) > 300:
        message = message[:297] + "..."
    line = f"{service} error {error.http_status} {error.code}: {message}"
    if error.request_id:
        line += f" (request id {error.request_id})"
    return line


def describe_network_error(error: globus_sdk.NetworkError) -> str:
    """One line naming the service that could not be reached and why."""
    request = getattr(error.underlying_exception, "request", None)
    service = service_name_for_url(getattr(request, "url", None))
    reason = type(error.underlying_exception).__name__
    import globus_sdk

    if isinstance(error, globus_sdk.GlobusTimeoutError):
        return f"{service} did not answer in time ({reason}); try again in a moment"
    return f"could not reach {service} ({reason}); check the network or the sandbox"


def describe_error(error: BaseException) -> str | None:
    """
    The one-line text for an error the user can act on, or ``None`` for a bug.

    A ``None`` tells the caller to show the full traceback: anything not listed
    here is unexpected and its traceback is what a maintainer needs.
    """
    import globus_sdk

    if isinstance(error, GlobusJupyterError):
        return str(error)
    if isinstance(error, globus_sdk.GlobusAPIError):
        return describe_api_error(error)
    if isinstance(error, globus_sdk.NetworkError):
        return describe_network_error(error)
    if isinstance(error, globus_sdk.GlobusSDKUsageError):
        return f"globus-sdk refused the request: {error}"
    return None
