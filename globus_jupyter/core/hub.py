"""
Tokens handed to a notebook server by JupyterHub's GlobusOAuthenticator.

The hub writes ``GLOBUS_DATA``: standard base64 of a pickle of its auth_state. A
pickle can name any importable callable, so it is read with an unpickler that
refuses every class and global; only dicts, lists, tuples, strings, numbers,
booleans and None come through.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import json
import logging
import pickle
import time
import typing as t

from .errors import HubDataError

log = logging.getLogger(__name__)

GLOBUS_DATA_VARIABLE = "GLOBUS_DATA"

# an auth_state with a few dozen tokens is a few KiB; anything far larger is not one
_MAX_ENCODED_LENGTH = 1024 * 1024


class _PlainDataUnpickler(pickle.Unpickler):
    """An unpickler that resolves no class or function at all."""

    def find_class(self, module: str, name: str) -> t.Any:
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} refers to {_shown(module)}.{_shown(name)}; only "
            "plain data (dicts, lists, strings, numbers) is accepted, so it was not "
            "loaded"
        )

    def persistent_load(self, pid: t.Any) -> t.Any:
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} uses pickle persistent ids; only plain data "
            "is accepted, so it was not loaded"
        )


@dataclasses.dataclass(frozen=True)
class HubToken:
    resource_server: str
    access_token: str = dataclasses.field(repr=False)
    scope: str
    expires_at_seconds: int
    refresh_token: str | None = dataclasses.field(default=None, repr=False)
    token_type: str = "Bearer"  # noqa: S105 (a token kind, not a secret)


@dataclasses.dataclass(frozen=True)
class HubAuthState:
    """What the hub knows about the user who started this server."""

    client_id: str | None
    identity_id: str | None
    username: str | None
    tokens: dict[str, HubToken]


def decode_globus_data(encoded: str, *, now: float | None = None) -> HubAuthState:
    """
    Decode a ``GLOBUS_DATA`` value into tokens, refusing anything but plain data.

    :param encoded: the variable's value
    :param now: the current time, for tests
    :raises HubDataError: with a message that never repeats the value itself
    """
    state = _unpickle_plain(encoded)
    if not isinstance(state, dict):
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} holds a {type(state).__name__}; expected the "
            "hub's auth_state, a dict with 'tokens'"
        )
    raw_tokens = state.get("tokens")
    if not isinstance(raw_tokens, dict) or not raw_tokens:
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} has no 'tokens'; expected a dict of token "
            "data by resource server"
        )

    issued_at = _estimate_issue_time(state, now if now is not None else time.time())
    tokens = {
        resource_server: _hub_token(resource_server, data, issued_at)
        for resource_server, data in raw_tokens.items()
    }

    user = state.get("globus_user")
    user = user if isinstance(user, dict) else {}
    return HubAuthState(
        client_id=_optional_str(state.get("client_id")),
        identity_id=_optional_str(user.get("sub")),
        username=_optional_str(user.get("preferred_username")),
        tokens=tokens,
    )


def _unpickle_plain(encoded: str) -> t.Any:
    if len(encoded) > _MAX_ENCODED_LENGTH:
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} is {len(encoded)} characters long; expected a "
            "hub auth_state of at most 1 MiB"
        )
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} is not valid base64; expected the value "
            "JupyterHub's GlobusOAuthenticator writes"
        ) from None
    try:
        return _PlainDataUnpickler(io.BytesIO(raw)).load()
    except HubDataError:
        raise
    except Exception as error:
        # the exception text could quote the payload, so only its kind is kept
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} is not a complete pickle "
            f"({type(error).__name__}); expected the hub's auth_state"
        ) from None


def _hub_token(resource_server: t.Any, data: t.Any, issued_at: float) -> HubToken:
    if not isinstance(resource_server, str) or not isinstance(data, dict):
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} has a malformed token entry; expected "
            "{resource_server: {access_token, scope, expires_in, ...}}"
        )
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise HubDataError(
            f"{GLOBUS_DATA_VARIABLE} has no access_token for {resource_server}"
        )

    # the hub's expires_in counts from its login, not from now
    expires_at = data.get("expires_at_seconds")
    if not isinstance(expires_at, int | float):
        expires_in = data.get("expires_in")
        expires_in = expires_in if isinstance(expires_in, int | float) else 0
        expires_at = issued_at + expires_in

    return HubToken(
        resource_server=resource_server,
        access_token=access_token,
        scope=str(data.get("scope") or ""),
        expires_at_seconds=int(expires_at),
        refresh_token=_optional_str(data.get("refresh_token")),
        token_type=str(data.get("token_type") or "Bearer"),
    )


def _estimate_issue_time(state: dict[str, t.Any], now: float) -> float:
    """
    When the hub's tokens were issued: the id token's ``iat`` when there is one.

    The id token's signature is not checked: the time only decides when to stop
    using the tokens, and the services check the tokens themselves. Without an id
    token the estimate is ``now``, the latest the login can have happened.
    """
    for container in (state, state.get("token_response")):
        if isinstance(container, dict):
            issued = _id_token_issued_at(container.get("id_token"))
            if issued is not None:
                return min(issued, now)
    return now


def _id_token_issued_at(id_token: t.Any) -> float | None:
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
    except (binascii.Error, ValueError):
        return None
    issued = claims.get("iat") if isinstance(claims, dict) else None
    return float(issued) if isinstance(issued, int | float) else None


def _shown(name: str, limit: int = 80) -> str:
    """A name from the pickle, made safe to show on one line."""
    printable = "".join(char if char.isprintable() else "?" for char in name)
    return printable if len(printable) <= limit else printable[: limit - 3] + "..."


def _optional_str(value: t.Any) -> str | None:
    return value if isinstance(value, str) and value else None
