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

Transfer serves the collections in :data:`SANDBOX_COLLECTIONS` (``home``,
``scratch``, ``remote`` and ``guarded``) from directories under the root.
"""

from __future__ import annotations

from .collections import SANDBOX_COLLECTIONS
from .faults import FAULT_KINDS
from .identities import (
    SANDBOX_SERVICE_CLIENT_ID,
    SANDBOX_SERVICE_CLIENT_SECRET,
    SANDBOX_USERS,
    SandboxUser,
)
from .server import (
    DEFAULT_ACCESS_TOKEN_LIFETIME,
    DEFAULT_REMOTE_BANDWIDTH,
    DEFAULT_TRANSFER_WORKERS,
    Sandbox,
    SandboxError,
)

__all__ = (
    "DEFAULT_ACCESS_TOKEN_LIFETIME",
    "DEFAULT_REMOTE_BANDWIDTH",
    "DEFAULT_TRANSFER_WORKERS",
    "FAULT_KINDS",
    "SANDBOX_COLLECTIONS",
    "SANDBOX_SERVICE_CLIENT_ID",
    "SANDBOX_SERVICE_CLIENT_SECRET",
    "SANDBOX_USERS",
    "Sandbox",
    "SandboxError",
    "SandboxUser",
)
