"""Reading the tokens JupyterHub's GlobusOAuthenticator hands over in GLOBUS_DATA."""

from __future__ import annotations

import base64
import collections
import datetime
import json
import os
import pickle
import typing as t

import pytest

from globus_jupyter.core.errors import HubDataError
from globus_jupyter.core.hub import decode_globus_data

HUB_LOGIN_TIME = 1_700_000_000


def jwt_shaped(claims: dict[str, t.Any]) -> str:
    """An unsigned token with a JWT's three dot-separated parts."""

    def part(data: dict[str, t.Any]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def access_tokens(auth_state: dict[str, t.Any]) -> list[str]:
    return [token["access_token"] for token in auth_state["tokens"].values()]


# -- what the hub writes ---------------------------------------------------------------


def test_globus_data_written_by_the_hub_decodes_to_its_tokens(
    hub_auth_state, globus_data
):
    decoded = decode_globus_data(globus_data(hub_auth_state))

    assert decoded.client_id == hub_auth_state["client_id"]
    assert decoded.identity_id == hub_auth_state["globus_user"]["sub"]
    assert decoded.username == "ada@university.example.org"
    assert sorted(decoded.tokens) == ["auth.globus.org", "transfer.api.globus.org"]
    transfer = decoded.tokens["transfer.api.globus.org"]
    assert transfer.resource_server == "transfer.api.globus.org"
    assert transfer.access_token == "AgHubTransferAccessTokenNeverShown0002"
    assert transfer.scope == "urn:globus:auth:scope:transfer.api.globus.org:all"
    assert transfer.refresh_token is None
    assert transfer.token_type == "Bearer"


@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_every_pickle_protocol_decodes(hub_auth_state, globus_data, protocol):
    decoded = decode_globus_data(globus_data(hub_auth_state, protocol=protocol))

    assert decoded.identity_id == hub_auth_state["globus_user"]["sub"]
    assert {token.access_token for token in decoded.tokens.values()} == set(
        access_tokens(hub_auth_state)
    )


def test_a_trailing_newline_from_the_environment_is_ignored(
    hub_auth_state, globus_data
):
    decoded = decode_globus_data(globus_data(hub_auth_state) + "\n")

    assert sorted(decoded.tokens) == ["auth.globus.org", "transfer.api.globus.org"]


# -- when the tokens expire ------------------------------------------------------------


def test_expiry_counts_from_the_id_token_issue_time(hub_auth_state, globus_data):
    hub_auth_state["token_response"]["id_token"] = jwt_shaped(
        {"sub": hub_auth_state["globus_user"]["sub"], "iat": HUB_LOGIN_TIME}
    )
    an_hour_after_login = HUB_LOGIN_TIME + 3600

    decoded = decode_globus_data(globus_data(hub_auth_state), now=an_hour_after_login)

    for token in decoded.tokens.values():
        assert token.expires_at_seconds == HUB_LOGIN_TIME + 172800


def test_expiry_counts_from_now_without_an_id_token(hub_auth_state, globus_data):
    now = HUB_LOGIN_TIME + 3600

    decoded = decode_globus_data(globus_data(hub_auth_state), now=now)

    for token in decoded.tokens.values():
        assert token.expires_at_seconds == now + 172800


def test_an_id_token_from_the_future_does_not_extend_the_tokens_life(
    hub_auth_state, globus_data
):
    now = HUB_LOGIN_TIME
    hub_auth_state["token_response"]["id_token"] = jwt_shaped({"iat": now + 86400})

    decoded = decode_globus_data(globus_data(hub_auth_state), now=now)

    assert decoded.tokens["auth.globus.org"].expires_at_seconds == now + 172800


def test_an_unreadable_id_token_falls_back_to_now(hub_auth_state, globus_data):
    now = HUB_LOGIN_TIME
    hub_auth_state["token_response"]["id_token"] = "not.a-jwt!.at-all"

    decoded = decode_globus_data(globus_data(hub_auth_state), now=now)

    assert decoded.tokens["auth.globus.org"].expires_at_seconds == now + 172800


def test_an_absolute_expiry_in_the_token_data_is_kept(hub_auth_state, globus_data):
    auth = hub_auth_state["tokens"]["auth.globus.org"]
    auth["expires_at_seconds"] = HUB_LOGIN_TIME + 60

    decoded = decode_globus_data(globus_data(hub_auth_state), now=HUB_LOGIN_TIME)

    assert decoded.tokens["auth.globus.org"].expires_at_seconds == HUB_LOGIN_TIME + 60


# -- values that are refused -----------------------------------------------------------


def test_a_truncated_pickle_is_refused_with_a_clear_message(hub_auth_state):
    raw = pickle.dumps(hub_auth_state)
    truncated = base64.b64encode(raw[: len(raw) // 2]).decode()

    with pytest.raises(HubDataError) as caught:
        decode_globus_data(truncated)

    message = str(caught.value)
    assert "GLOBUS_DATA is not a complete pickle" in message
    assert "expected the hub's auth_state" in message


@pytest.mark.parametrize("characters_lost", [1, 3, 4, 100])
def test_a_value_cut_short_is_refused_with_a_one_line_message(
    hub_auth_state, globus_data, characters_lost
):
    encoded = globus_data(hub_auth_state)

    with pytest.raises(HubDataError) as caught:
        decode_globus_data(encoded[:-characters_lost])

    message = str(caught.value)
    assert message.startswith("GLOBUS_DATA is not ")
    assert "expected" in message
    assert "\n" not in message


def test_a_value_that_is_not_base64_is_refused():
    with pytest.raises(HubDataError) as caught:
        decode_globus_data("this is {not} base64!")

    assert str(caught.value) == (
        "GLOBUS_DATA is not valid base64; expected the value JupyterHub's "
        "GlobusOAuthenticator writes"
    )


class RunsCommand:
    """Unpickles into a call of ``os.system``: what a forged GLOBUS_DATA could do."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[t.Any, ...]:
        return (os.system, (self.command,))


def test_a_pickle_that_would_run_a_command_is_refused_without_running_it(
    hub_auth_state, globus_data, tmp_path
):
    marker = tmp_path / "ran"
    hub_auth_state["globus_user"] = RunsCommand(f"touch {marker}")

    with pytest.raises(HubDataError) as caught:
        decode_globus_data(globus_data(hub_auth_state))

    message = str(caught.value)
    assert "posix.system" in message or "os.system" in message
    assert "only plain data" in message
    assert not marker.exists()


@pytest.mark.parametrize(
    ("value", "named"),
    [
        (collections.OrderedDict(sub="x"), "collections.OrderedDict"),
        (datetime.datetime(2024, 1, 2, 3, 4, 5), "datetime.datetime"),
    ],
)
def test_a_pickle_naming_a_harmless_class_is_refused_too(
    hub_auth_state, globus_data, value, named
):
    hub_auth_state["extra"] = value

    with pytest.raises(HubDataError) as caught:
        decode_globus_data(globus_data(hub_auth_state))

    assert named in str(caught.value)


def test_an_auth_state_without_tokens_is_refused(hub_auth_state, globus_data):
    del hub_auth_state["tokens"]

    with pytest.raises(HubDataError, match="GLOBUS_DATA has no 'tokens'"):
        decode_globus_data(globus_data(hub_auth_state))


def test_an_auth_state_with_empty_tokens_is_refused(hub_auth_state, globus_data):
    hub_auth_state["tokens"] = {}

    with pytest.raises(HubDataError, match="GLOBUS_DATA has no 'tokens'"):
        decode_globus_data(globus_data(hub_auth_state))


def test_a_pickle_that_is_not_an_auth_state_is_refused(globus_data):
    with pytest.raises(HubDataError, match="GLOBUS_DATA holds a list"):
        decode_globus_data(globus_data(["auth.globus.org"]))


def test_a_token_entry_without_an_access_token_names_its_resource_server(
    hub_auth_state, globus_data
):
    del hub_auth_state["tokens"]["transfer.api.globus.org"]["access_token"]

    with pytest.raises(HubDataError) as caught:
        decode_globus_data(globus_data(hub_auth_state))

    assert str(caught.value) == (
        "GLOBUS_DATA has no access_token for transfer.api.globus.org"
    )


# -- secrets stay secret ---------------------------------------------------------------


def _truncated(state: dict[str, t.Any]) -> str:
    raw = pickle.dumps(state)
    return base64.b64encode(raw[:-20]).decode()


def _with_a_class(state: dict[str, t.Any]) -> str:
    state["issued"] = datetime.datetime(2024, 1, 1)
    return base64.b64encode(pickle.dumps(state)).decode()


def _token_entry_is_a_bare_string(state: dict[str, t.Any]) -> str:
    state["tokens"]["transfer.api.globus.org"] = (
        "AgHubTransferAccessTokenNeverShown0002"
    )
    return base64.b64encode(pickle.dumps(state)).decode()


def _tokens_in_a_list(state: dict[str, t.Any]) -> str:
    return base64.b64encode(pickle.dumps(list(state["tokens"].values()))).decode()


@pytest.mark.parametrize(
    "spoil",
    [_truncated, _with_a_class, _token_entry_is_a_bare_string, _tokens_in_a_list],
)
def test_error_messages_never_contain_an_access_token(hub_auth_state, spoil):
    secrets = access_tokens(hub_auth_state)

    with pytest.raises(HubDataError) as caught:
        decode_globus_data(spoil(hub_auth_state))

    for secret in secrets:
        assert secret not in str(caught.value)
        assert secret not in repr(caught.value)


def test_reprs_never_contain_a_token(hub_auth_state, globus_data):
    hub_auth_state["tokens"]["auth.globus.org"]["refresh_token"] = (
        "AgHubRefreshTokenNeverShown0003"
    )
    secrets = [*access_tokens(hub_auth_state), "AgHubRefreshTokenNeverShown0003"]

    decoded = decode_globus_data(globus_data(hub_auth_state))

    token = decoded.tokens["auth.globus.org"]
    assert "auth.globus.org" in repr(token)
    for shown in (repr(token), str(token), repr(decoded)):
        for secret in secrets:
            assert secret not in shown
