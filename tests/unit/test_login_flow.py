"""The two-step login: a pasted code is checked, stdin is optional, sandbox approval."""

from __future__ import annotations

import io
import sys
import urllib.parse

import globus_sdk
import pytest
import requests
import responses
from globus_sdk.gare import GlobusAuthorizationParameters

from globus_jupyter.core.errors import LoginRequired, SandboxUnavailable, UsageProblem
from globus_jupyter.core.login import (
    LoginRequest,
    NotebookLoginFlowManager,
    approve_in_sandbox,
    terminal_prompt,
)

CLIENT_ID = "6d5c4b3a-2918-4f7e-8d6c-5b4a39281706"
SANDBOX_AUTHORIZE_URL = (
    "http://127.0.0.1:8642/auth/v2/oauth2/authorize"
    f"?client_id={CLIENT_ID}&response_type=code&state=_default"
)


@pytest.fixture
def flow() -> NotebookLoginFlowManager:
    login_client = globus_sdk.NativeAppAuthClient(client_id=CLIENT_ID)
    return NotebookLoginFlowManager(login_client)


def form_of(call: responses.Call) -> dict[str, list[str]]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    return urllib.parse.parse_qs(text)


# -- the pasted code -------------------------------------------------------------------


@pytest.mark.parametrize("code", ["", "   ", "\n"])
def test_an_empty_code_is_refused_in_one_line(flow, code):
    with pytest.raises(UsageProblem) as caught:
        flow.exchange_code(code)

    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("the login code is empty: expected the code shown")


@pytest.mark.parametrize(
    "code", ["pUmZ8c4q Nw2xD7rTy", "pUmZ8c4q\tNw2xD7rTy", "pUmZ8c4q\nNw2xD7rTy"]
)
def test_a_code_with_spaces_is_refused_without_repeating_it(flow, code):
    with pytest.raises(UsageProblem) as caught:
        flow.exchange_code(code)

    message = str(caught.value)
    assert "\n" not in message
    assert "contains spaces" in message
    assert "pUmZ8c4q" not in message
    assert "Nw2xD7rTy" not in message


def test_a_pasted_code_is_trimmed_and_exchanged_with_the_pkce_verifier(
    flow, mocked_responses
):
    token_endpoint = mocked_responses.post(
        "https://auth.globus.org/v2/oauth2/token",
        json={
            "access_token": "AgExchangedAccessTokenNeverShown0006",
            "expires_in": 172800,
            "resource_server": "auth.globus.org",
            "scope": "openid",
            "token_type": "Bearer",
            "state": "_default",
            "other_tokens": [],
        },
    )
    url = flow.authorize_url(GlobusAuthorizationParameters(required_scopes=["openid"]))

    tokens = flow.exchange_code("  pUmZ8c4qNw2xD7rTy\n")

    sent = form_of(token_endpoint.calls[0])
    assert sent["code"] == ["pUmZ8c4qNw2xD7rTy"]
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["redirect_uri"] == ["https://auth.globus.org/v2/web/auth-code"]
    assert sent["code_verifier"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["redirect_uri"] == ["https://auth.globus.org/v2/web/auth-code"]
    assert query["code_challenge_method"] == ["S256"]
    assert tokens.by_resource_server["auth.globus.org"]["scope"] == "openid"


# -- where there is no terminal --------------------------------------------------------


@pytest.mark.parametrize("stdin", [io.StringIO("typed ahead\n"), None])
def test_without_a_terminal_the_error_names_every_other_way_to_log_in(
    monkeypatch, capsys, stdin
):
    monkeypatch.setattr(sys, "stdin", stdin)
    request = LoginRequest(
        url="https://auth.globus.org/v2/oauth2/authorize?client_id=x", scopes=()
    )

    with pytest.raises(LoginRequired) as caught:
        terminal_prompt(request)

    message = str(caught.value)
    assert "\n" not in message
    assert "tokens are stored" in message
    assert "GLOBUS_CLIENT_ID and GLOBUS_CLIENT_SECRET" in message
    assert "JupyterHub" in message
    assert "GLOBUS_DATA" in message
    assert "%globus login --sandbox" in message
    assert capsys.readouterr().out == ""


# -- approving a sandbox login ---------------------------------------------------------


def test_sandbox_approval_reads_the_code_from_the_redirect(mocked_responses):
    consent = mocked_responses.post(
        SANDBOX_AUTHORIZE_URL,
        status=302,
        headers={
            "Location": "http://127.0.0.1:8642/auth/v2/web/auth-code"
            "?code=sbxCode0123456789&state=_default"
        },
    )
    request = LoginRequest(url=SANDBOX_AUTHORIZE_URL, scopes=("openid",))

    code = approve_in_sandbox(request, username="grace")

    assert code == "sbxCode0123456789"
    assert form_of(consent.calls[0]) == {
        "decision": ["approve"],
        "username": ["grace"],
    }


def test_sandbox_approval_without_a_username_sends_only_the_decision(
    mocked_responses,
):
    consent = mocked_responses.post(
        SANDBOX_AUTHORIZE_URL,
        status=303,
        headers={"Location": "/auth/v2/web/auth-code?code=sbxOther&state=_default"},
    )

    code = approve_in_sandbox(LoginRequest(url=SANDBOX_AUTHORIZE_URL, scopes=()))

    assert code == "sbxOther"
    assert form_of(consent.calls[0]) == {"decision": ["approve"]}


def test_sandbox_approval_answered_without_a_redirect_is_unavailable(
    mocked_responses,
):
    mocked_responses.post(SANDBOX_AUTHORIZE_URL, status=200, body="<html>consent")

    with pytest.raises(SandboxUnavailable) as caught:
        approve_in_sandbox(LoginRequest(url=SANDBOX_AUTHORIZE_URL, scopes=()))

    assert str(caught.value) == (
        "the sandbox consent page answered 200 without a code; expected a "
        "redirect carrying one"
    )


def test_sandbox_approval_redirected_without_a_code_is_unavailable(
    mocked_responses,
):
    mocked_responses.post(
        SANDBOX_AUTHORIZE_URL,
        status=302,
        headers={"Location": "/auth/v2/web/auth-code?error=access_denied"},
    )

    with pytest.raises(SandboxUnavailable, match="answered 302 without a code"):
        approve_in_sandbox(LoginRequest(url=SANDBOX_AUTHORIZE_URL, scopes=()))


def test_an_unreachable_sandbox_is_unavailable(mocked_responses):
    mocked_responses.post(
        SANDBOX_AUTHORIZE_URL, body=requests.ConnectionError("connection refused")
    )

    with pytest.raises(SandboxUnavailable) as caught:
        approve_in_sandbox(LoginRequest(url=SANDBOX_AUTHORIZE_URL, scopes=()))

    assert str(caught.value) == (
        "the sandbox did not answer its consent page (ConnectionError); check "
        "%globus sandbox status"
    )
