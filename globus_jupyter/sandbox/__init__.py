"""
An offline Globus look-alike, so that the real globus-sdk works with no account and
no network: for tutorials, Binder and tests.

>>> from globus_jupyter.sandbox import Sandbox
>>> sandbox = Sandbox(Path("sandbox-state")).start()
>>> sandbox.service_url("auth")
'http://127.0.0.1:PORT/auth/'
>>> sandbox.stop()

Every service answers under its own prefix of :attr:`Sandbox.url` (``auth/``,
``transfer/``, ...); point globus-sdk at them with an environment whose service
URLs are :meth:`Sandbox.service_url`. Any client id logs in as a native app; the
confidential client :data:`SANDBOX_SERVICE_CLIENT_ID` with
:data:`SANDBOX_SERVICE_CLIENT_SECRET` covers service-style use.
"""

from __future__ import annotations

from .identities import (
    SANDBOX_SERVICE_CLIENT_ID,
    SANDBOX_SERVICE_CLIENT_SECRET,
    SANDBOX_USERS,
    SandboxUser,
)
from .server import DEFAULT_ACCESS_TOKEN_LIFETIME, Sandbox, SandboxError

__all__ = (
    "DEFAULT_ACCESS_TOKEN_LIFETIME",
    "SANDBOX_SERVICE_CLIENT_ID",
    "SANDBOX_SERVICE_CLIENT_SECRET",
    "SANDBOX_USERS",
    "Sandbox",
    "SandboxError",
    "SandboxUser",
)
