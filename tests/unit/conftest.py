"""
Fixtures shared by the unit tests.

Unit tests open no sockets: every one runs with ``socket.connect`` refused, so a
request that ``responses`` does not answer fails loudly instead of reaching out.
"""

from __future__ import annotations

import base64
import pickle
import socket
import typing as t

import pytest
import responses

IDENTITY_ID = "5d3c9f4e-2b7a-4c1d-8e6f-0a9b8c7d6e5f"
HUB_CLIENT_ID = "0c9a6b0e-7f3d-4d2a-9e1b-3f5a7c9e1b2d"


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, address: t.Any) -> t.NoReturn:
        raise AssertionError(f"a unit test tried to connect to {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture
def mocked_responses() -> t.Iterator[responses.RequestsMock]:
    """HTTP answered by ``responses``; every registered answer must be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def hub_auth_state() -> dict[str, t.Any]:
    """An auth_state shaped like the one JupyterHub's GlobusOAuthenticator keeps."""

    def token(resource_server: str, access_token: str, scope: str) -> dict[str, t.Any]:
        return {
            "access_token": access_token,
            "refresh_token": None,
            "expires_in": 172800,
            "scope": scope,
            "token_type": "Bearer",
            "resource_server": resource_server,
        }

    return {
        "client_id": HUB_CLIENT_ID,
        "tokens": {
            "auth.globus.org": token(
                "auth.globus.org",
                "AgHubAuthAccessTokenNeverShown0001",
                "openid profile email",
            ),
            "transfer.api.globus.org": token(
                "transfer.api.globus.org",
                "AgHubTransferAccessTokenNeverShown0002",
                "urn:globus:auth:scope:transfer.api.globus.org:all",
            ),
        },
        "token_response": {
            "access_token": "AgHubAuthAccessTokenNeverShown0001",
            "expires_in": 172800,
            "resource_server": "auth.globus.org",
            "scope": "openid profile email",
            "token_type": "Bearer",
            "other_tokens": [],
        },
        "globus_user": {
            "sub": IDENTITY_ID,
            "preferred_username": "ada@university.example.org",
            "name": "Ada Lovelace",
            "email": "ada@university.example.org",
            "identity_provider": "a7b8c9d0-1e2f-4a3b-8c5d-6e7f8a9b0c1d",
        },
    }


def encode_like_the_hub(
    auth_state: t.Any, protocol: int = pickle.DEFAULT_PROTOCOL
) -> str:
    """What GlobusOAuthenticator writes into ``GLOBUS_DATA``."""
    return base64.b64encode(pickle.dumps(auth_state, protocol=protocol)).decode()


@pytest.fixture
def globus_data() -> t.Callable[..., str]:
    return encode_like_the_hub
