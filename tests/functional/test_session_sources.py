"""Where a session's tokens come from, against the sandbox over HTTP."""

from __future__ import annotations

import base64
import multiprocessing
import pickle
import threading
import time
import typing as t
from pathlib import Path

import globus_sdk
import responses

from globus_jupyter import core
from globus_jupyter.core.login import LoginRequest
from globus_jupyter.sandbox import (
    SANDBOX_SERVICE_CLIENT_ID,
    SANDBOX_SERVICE_CLIENT_SECRET,
)

from .people import approve_in_browser


def sandbox_settings(sandbox: t.Any, tmp_path: Path, **changes: t.Any) -> core.Settings:
    return core.Settings.for_sandbox(sandbox.url, data_dir=tmp_path / "data", **changes)


def browser_prompt(request: LoginRequest) -> str:
    return approve_in_browser(request.url)


def hub_auth_state(sandbox: t.Any) -> dict[str, t.Any]:
    """What GlobusOAuthenticator keeps after the user logged in to the hub."""
    login_client = globus_sdk.NativeAppAuthClient(
        "0f6ab5f4-3a43-4f35-9d44-6f0a0c8c9d10",
        environment=core.SANDBOX_ENVIRONMENT,
    )
    login_client.oauth2_start_flow(
        requested_scopes=[
            "openid",
            "profile",
            "email",
            "urn:globus:auth:scope:transfer.api.globus.org:all",
        ]
    )
    code = approve_in_browser(login_client.oauth2_get_authorize_url())
    response = login_client.oauth2_exchange_code_for_tokens(code)
    tokens = {
        rs: {
            "access_token": data["access_token"],
            "refresh_token": None,
            "expires_in": 3600,
            "scope": data["scope"],
            "token_type": "Bearer",
            "resource_server": rs,
        }
        for rs, data in response.by_resource_server.items()
    }
    return {
        "client_id": "0f6ab5f4-3a43-4f35-9d44-6f0a0c8c9d10",
        "tokens": tokens,
        "token_response": {"id_token": response["id_token"]},
        "globus_user": response.decode_id_token(),
    }


def test_globus_data_from_the_hub_is_used_first(sandbox: t.Any, tmp_path: Path) -> None:
    state = hub_auth_state(sandbox)
    encoded = base64.b64encode(pickle.dumps(state)).decode()
    session = core.Session(
        sandbox_settings(sandbox, tmp_path),
        environ={
            "GLOBUS_DATA": encoded,
            "GLOBUS_CLIENT_ID": SANDBOX_SERVICE_CLIENT_ID,
            "GLOBUS_CLIENT_SECRET": SANDBOX_SERVICE_CLIENT_SECRET,
        },
    )

    assert session.source == "hub"
    me = session.whoami()
    assert me["username"].iloc[0] == "ada@sandbox.example.org"
    info = session.describe()
    assert {tok.resource_server for tok in info.tokens} >= {
        "auth.globus.org",
        "transfer.api.globus.org",
    }
    assert not any(tok.refreshable for tok in info.tokens)
    assert state["tokens"]["auth.globus.org"]["access_token"] not in str(info)

    # logging out forgets the hub's tokens here; the next source takes over
    assert "auth.globus.org" in session.logout()
    assert session.source == "client"


def test_client_credentials_session(sandbox: t.Any, tmp_path: Path) -> None:
    session = core.Session(
        sandbox_settings(sandbox, tmp_path),
        environ={
            "GLOBUS_CLIENT_ID": SANDBOX_SERVICE_CLIENT_ID,
            "GLOBUS_CLIENT_SECRET": SANDBOX_SERVICE_CLIENT_SECRET,
        },
    )

    assert session.source == "client"
    identity = session.login()
    assert identity.username == f"{SANDBOX_SERVICE_CLIENT_ID}@clients.auth.globus.org"
    assert SANDBOX_SERVICE_CLIENT_SECRET not in repr(session)
    assert SANDBOX_SERVICE_CLIENT_SECRET not in str(session.describe())


def test_expired_access_token_is_refreshed(sandbox: t.Any, tmp_path: Path) -> None:
    sandbox.access_token_lifetime = 1
    session = core.Session(sandbox_settings(sandbox, tmp_path))
    session.login(prompt=browser_prompt)
    first = session.app.token_storage.token_storage.get_token_data("auth.globus.org")
    assert first is not None

    time.sleep(2)
    sandbox.access_token_lifetime = 3600
    me = session.whoami()

    assert me["username"].iloc[0] == "ada@sandbox.example.org"
    renewed = session.app.token_storage.token_storage.get_token_data("auth.globus.org")
    assert renewed is not None
    assert renewed.access_token != first.access_token
    assert renewed.expires_at_seconds > first.expires_at_seconds


def test_two_step_login_finishes_later(sandbox: t.Any, tmp_path: Path) -> None:
    session = core.Session(sandbox_settings(sandbox, tmp_path))
    pending = session.begin_login()
    assert pending.url.startswith(sandbox.url)
    code = approve_in_browser(pending.url)

    identity = pending.complete(code)

    assert identity.username == "ada@sandbox.example.org"
    assert code not in repr(pending)
    assert session.source == "login"


def test_missing_consent_becomes_a_login_for_exactly_those_scopes(
    sandbox: t.Any, tmp_path: Path
) -> None:
    session = core.Session(sandbox_settings(sandbox, tmp_path))
    transfer = session.client(globus_sdk.TransferClient)
    session.login(prompt=browser_prompt)
    asked: list[LoginRequest] = []

    def prompt(request: LoginRequest) -> str:
        asked.append(request)
        return approve_in_browser(request.url)

    session.prompt = prompt
    collection = "5b1f2e9c-9d7a-4a53-8a35-0f7e1c2e4b11"
    data_access = (
        "urn:globus:auth:scope:transfer.api.globus.org:all"
        f"[*https://auth.globus.org/scopes/{collection}/data_access]"
    )
    ls_url = f"{transfer.base_url}v0.10/operation/endpoint/{collection}/ls"

    # Transfer is not part of this sandbox yet: it answers like a GCS mapped
    # collection would, first asking for consent, then listing.
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_passthru(sandbox.url)
        mock.add(
            responses.GET,
            ls_url,
            status=403,
            json={
                "code": "ConsentRequired",
                "message": "Missing required data_access consent",
                "request_id": "r1",
                "required_scopes": [data_access],
                "authorization_parameters": {"required_scopes": [data_access]},
            },
        )
        mock.add(
            responses.GET,
            ls_url,
            json={"DATA_TYPE": "file_list", "DATA": [], "path": "/~/"},
        )
        listing = transfer.operation_ls(collection)

    assert listing["DATA_TYPE"] == "file_list"
    assert len(asked) == 1
    requested = " ".join(asked[0].scopes)
    assert f"https://auth.globus.org/scopes/{collection}/data_access" in requested
    assert "search.api.globus.org" not in requested


def _whoami_in_child(session: core.Session, queue: t.Any) -> None:
    try:
        queue.put(session.whoami()["username"].iloc[0])
    except Exception as error:  # pragma: no cover - reported to the parent
        queue.put(repr(error))


def test_session_works_in_a_forked_process_and_from_threads(
    sandbox: t.Any, tmp_path: Path
) -> None:
    settings = sandbox_settings(sandbox, tmp_path)
    session = core.Session(settings)
    session.login(prompt=browser_prompt)
    session.whoami()

    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    # the child inherits the parent's session object and must rebuild its clients
    child = context.Process(target=_whoami_in_child, args=(session, queue))
    child.start()
    child.join(60)
    assert queue.get(timeout=5) == "ada@sandbox.example.org"

    results: list[str] = []
    workers = [
        threading.Thread(
            target=lambda: results.append(session.whoami()["username"].iloc[0])
        )
        for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert results == ["ada@sandbox.example.org"] * 4
