"""
The people and programs the sandbox knows.

Two users stand in for researchers, so that tutorials can show what one person can
see and another cannot. Their identity ids are derived from their usernames, so they
are the same on every machine and after every restart; a notebook written against
one sandbox works against another.
"""

from __future__ import annotations

import dataclasses
import uuid

#: The namespace every stable sandbox id is derived in.
SANDBOX_NAMESPACE = uuid.UUID("a953323b-9f46-5c8e-af3a-1df162032117")

#: The one identity provider behind both sandbox users.
SANDBOX_IDENTITY_PROVIDER_ID = str(uuid.uuid5(SANDBOX_NAMESPACE, "identity-provider"))
SANDBOX_IDENTITY_PROVIDER_NAME = "Globus Jupyter Sandbox"
SANDBOX_IDENTITY_PROVIDER_DOMAIN = "sandbox.example.org"

#: Globus Auth's provider for client identities (service accounts).
CLIENT_IDENTITY_PROVIDER_ID = str(uuid.uuid5(SANDBOX_NAMESPACE, "clients"))
CLIENT_IDENTITY_PROVIDER_NAME = "Globus Auth Clients"
CLIENT_IDENTITY_DOMAIN = "clients.auth.globus.org"

#: The confidential client registered in every sandbox, for service-style use
#: (client credentials, token introspection).
SANDBOX_SERVICE_CLIENT_ID = "76c00581-54b4-59ba-aaca-95d403c650de"

#: The secret of :data:`SANDBOX_SERVICE_CLIENT_ID`. It is published on purpose: it
#: only opens the local sandbox and means nothing to real Globus.
SANDBOX_SERVICE_CLIENT_SECRET = "sandbox-only-secret-not-valid-at-globus"  # noqa: S105

SANDBOX_SERVICE_CLIENT_NAME = "Globus Jupyter Sandbox Service"


def stable_id(name: str) -> str:
    """A UUID that is the same for ``name`` in every sandbox."""
    return str(uuid.uuid5(SANDBOX_NAMESPACE, name))


@dataclasses.dataclass(frozen=True)
class SandboxUser:
    """A person who can log in to the sandbox."""

    username: str
    name: str
    email: str
    organization: str

    @property
    def id(self) -> str:
        """The identity id, stable across machines and restarts."""
        return stable_id(self.username)


#: The users offered on the consent page; the first one is the default.
SANDBOX_USERS: tuple[SandboxUser, SandboxUser] = (
    SandboxUser(
        username="ada@sandbox.example.org",
        name="Ada Lovelace",
        email="ada@sandbox.example.org",
        organization="Analytical Engine Laboratory",
    ),
    SandboxUser(
        username="grace@sandbox.example.org",
        name="Grace Hopper",
        email="grace@sandbox.example.org",
        organization="Compiler Research Group",
    ),
)


def client_identity_username(client_id: str) -> str:
    """The username Globus Auth gives the identity of a confidential client."""
    return f"{client_id}@{CLIENT_IDENTITY_DOMAIN}"
