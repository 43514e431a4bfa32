"""
The client core: sessions, login from every token source, and DataFrames.

Imports globus-sdk; never IPython or ipywidgets. pandas is imported on the first
frame.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .environment import SANDBOX_ENVIRONMENT, register_sandbox_environment
from .errors import (
    GlobusJupyterError,
    HubDataError,
    LoginRequired,
    SandboxUnavailable,
    UsageProblem,
    describe_error,
)
from .login import LoginRequest, approve_in_sandbox
from .session import Identity, PendingLogin, Session, SessionInfo
from .settings import Settings

_current_lock = threading.Lock()
_current: Session | None = None


def session(factory: Callable[[], Session] = Session) -> Session:
    """The notebook's current session, made by ``factory`` on first use."""
    global _current
    with _current_lock:
        if _current is None:
            _current = factory()
        return _current


def use_session(new: Session | None) -> Session | None:
    """Make ``new`` the current session; returns the one it replaces."""
    global _current
    with _current_lock:
        previous, _current = _current, new
        return previous


def sandbox_session(settings: Settings | None = None, *, start: bool = True) -> Session:
    """
    A session against the sandbox, made current.

    Hub tokens and client credentials are meant for real Globus, so a sandbox
    session only uses stored tokens and logins.
    """
    from .local_sandbox import sandbox_url

    base = settings or Settings.from_environ()
    url = sandbox_url(base, start=start)
    sources = tuple(s for s in base.token_sources if s in ("stored", "login"))
    sandbox_settings = base.replace(
        environment=SANDBOX_ENVIRONMENT,
        sandbox_url=url,
        token_sources=sources or ("stored", "login"),
    )
    new = Session(sandbox_settings)
    previous = use_session(new)
    if previous is not None and previous is not new:
        new.prompt = previous.prompt
        previous.close()
    return new


__all__ = [
    "SANDBOX_ENVIRONMENT",
    "GlobusJupyterError",
    "HubDataError",
    "Identity",
    "LoginRequest",
    "LoginRequired",
    "PendingLogin",
    "SandboxUnavailable",
    "Session",
    "SessionInfo",
    "Settings",
    "UsageProblem",
    "approve_in_sandbox",
    "describe_error",
    "register_sandbox_environment",
    "sandbox_session",
    "session",
    "use_session",
]
