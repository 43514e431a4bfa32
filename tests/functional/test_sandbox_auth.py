"""
The sandbox's Auth, driven by the real globus-sdk over HTTP.

Every test logs in the way a person would: it opens the consent page, approves
it, and copies the code from the page it lands on.
"""

from __future__ import annotations

import html
import logging
import re
import subprocess
import sys
import time
import typing as t
from pathlib import Path
from urllib.parse import urljoin

import globus_sdk
import pytest
import requests
from globus_sdk.scopes import AuthScopes, GCSCollectionScopes, TransferScopes

from globus_jupyter.sandbox import (
    SANDBOX_SERVICE_CLIENT_ID,
    SANDBOX_SERVICE_CLIENT_SECRET,
    SANDBOX_USERS,
    Sandbox,
)

NATIVE_CLIENT_ID = "2a8d5c36-3f0e-4a8e-b61c-0b6e0d1b9a41"
COLLECTION_ID = "542a86fc-1766-450d-841f-065488a2ec01"
ADA, GRACE = SANDBOX_USERS

IDENTITY_SCOPES = [
    AuthScopes.openid,
    AuthScopes.profile,
    AuthScopes.email,
    AuthScopes.view_identity_set,
]
TRANSFER_WITH_DATA_ACCESS = TransferScopes.all.with_dependency(
    GCSCollectionScopes(COLLECTION_ID).data_access
)

_AUTH_CODE = re.compile(r'<code id="auth-code">([^<]*)</code>')
_FORM_ACTION = re.compile(r'<form method="post" action="([^"]*)"')


def open_consent_page(authorize_url: str) -> requests.Response:
    page = requests.get(authorize_url, timeout=30)
    assert page.status_code == 200
    return page


def form_action(authorize_url: str) -> str:
    """Where the consent page's form posts to, resolved as a browser would."""
    page = open_consent_page(authorize_url).text
    match = _FORM_ACTION.search(page)
    assert match, "the consent page has a form"
    return urljoin(authorize_url, html.unescape(match.group(1)))


def approve(authorize_url: str, *, username: str | None = None) -> str:
    """Approve on the consent page and copy the code from the page shown next."""
    form = {"decision": "approve"}
    if username is not None:
        form["username"] = username
    shown = requests.post(form_action(authorize_url), data=form, timeout=30)
    assert shown.status_code == 200
    match = _AUTH_CODE.search(shown.text)
    assert match, "the page after approval shows the code"
    return html.unescape(match.group(1))


def start_login(
    environment: str,
    scopes: t.Sequence[t.Any] = (*IDENTITY_SCOPES, TransferScopes.all),
    *,
    refresh_tokens: bool = True,
) -> tuple[globus_sdk.NativeAppAuthClient, str]:
    client = globus_sdk.NativeAppAuthClient(NATIVE_CLIENT_ID, environment=environment)
    client.oauth2_start_flow(requested_scopes=scopes, refresh_tokens=refresh_tokens)
    return client, client.oauth2_get_authorize_url()


def log_in(
    environment: str,
    scopes: t.Sequence[t.Any] = (*IDENTITY_SCOPES, TransferScopes.all),
    *,
    username: str | None = None,
    refresh_tokens: bool = True,
) -> tuple[globus_sdk.NativeAppAuthClient, globus_sdk.OAuthTokenResponse]:
    client, url = start_login(environment, scopes, refresh_tokens=refresh_tokens)
    open_consent_page(url)
    tokens = client.oauth2_exchange_code_for_tokens(approve(url, username=username))
    return client, tokens


def auth_client(environment: str, access_token: str) -> globus_sdk.AuthClient:
    return globus_sdk.AuthClient(
        environment=environment,
        authorizer=globus_sdk.AccessTokenAuthorizer(access_token),
    )


def service_client(environment: str) -> globus_sdk.ConfidentialAppAuthClient:
    return globus_sdk.ConfidentialAppAuthClient(
        SANDBOX_SERVICE_CLIENT_ID,
        SANDBOX_SERVICE_CLIENT_SECRET,
        environment=environment,
    )


# logging in


def test_consent_page_shows_the_app_the_users_and_the_scopes_by_service(
    sandbox_environment: str,
) -> None:
    _client, url = start_login(sandbox_environment)

    page = open_consent_page(url).text

    assert NATIVE_CLIENT_ID in page
    for user in SANDBOX_USERS:
        assert user.username in page
    assert "Globus Auth" in page
    assert "Globus Transfer" in page
    assert TransferScopes.all.scope_string in page
    assert 'value="approve"' in page
    assert 'value="deny"' in page


def test_native_app_login_gives_one_token_per_resource_server(
    sandbox_environment: str,
) -> None:
    _client, tokens = log_in(sandbox_environment)

    assert set(tokens.by_resource_server) == {
        "auth.globus.org",
        "transfer.api.globus.org",
    }
    transfer = tokens.by_resource_server["transfer.api.globus.org"]
    assert transfer["scope"] == TransferScopes.all.scope_string
    assert transfer["token_type"] == "Bearer"
    assert transfer["refresh_token"]
    auth = tokens.by_resource_server["auth.globus.org"]
    assert set(auth["scope"].split()) == {str(scope) for scope in IDENTITY_SCOPES}
    me = auth_client(sandbox_environment, auth["access_token"]).userinfo()
    assert me["preferred_username"] == ADA.username


def test_login_without_offline_access_gives_no_refresh_token(
    sandbox_environment: str,
) -> None:
    _client, tokens = log_in(sandbox_environment, refresh_tokens=False)

    for token in tokens.by_resource_server.values():
        assert token["refresh_token"] is None


def test_dependent_scopes_are_granted_with_their_root_scope(
    sandbox_environment: str,
) -> None:
    _client, tokens = log_in(
        sandbox_environment, [*IDENTITY_SCOPES, TRANSFER_WITH_DATA_ACCESS]
    )

    transfer = tokens.by_resource_server["transfer.api.globus.org"]
    assert transfer["scope"] == TransferScopes.all.scope_string


def test_a_code_redeemed_with_another_login_verifier_is_refused(
    sandbox_environment: str,
) -> None:
    _first, first_url = start_login(sandbox_environment)
    code = approve(first_url)
    # the same app, but another login: its PKCE verifier is not the one behind code
    second, _second_url = start_login(sandbox_environment)

    with pytest.raises(globus_sdk.GlobusAPIError) as refused:
        second.oauth2_exchange_code_for_tokens(code)

    assert refused.value.http_status == 400
    assert refused.value.raw_json is not None
    assert refused.value.raw_json["error"] == "invalid_grant"


def test_a_code_works_only_once(sandbox_environment: str) -> None:
    client, url = start_login(sandbox_environment)
    code = approve(url)
    client.oauth2_exchange_code_for_tokens(code)

    with pytest.raises(globus_sdk.GlobusAPIError) as refused:
        client.oauth2_exchange_code_for_tokens(code)

    assert refused.value.http_status == 400
    assert refused.value.raw_json is not None
    assert refused.value.raw_json["error"] == "invalid_grant"
    assert refused.value.request_id


def test_id_token_names_the_user_and_the_app(sandbox_environment: str) -> None:
    _client, tokens = log_in(sandbox_environment)

    claims = tokens.decode_id_token()

    assert claims["sub"] == ADA.id
    assert claims["aud"] == NATIVE_CLIENT_ID
    assert claims["preferred_username"] == ADA.username
    assert claims["email"] == ADA.email


def test_the_second_user_can_be_picked_on_the_consent_page(
    sandbox_environment: str,
) -> None:
    _client, tokens = log_in(sandbox_environment, username=GRACE.username)

    assert tokens.decode_id_token()["sub"] == GRACE.id
    auth_token = tokens.by_resource_server["auth.globus.org"]["access_token"]
    me = auth_client(sandbox_environment, auth_token).userinfo()
    assert me["sub"] == GRACE.id
    assert me["name"] == GRACE.name


def test_denying_the_login_says_so_and_gives_no_code(
    sandbox_environment: str,
) -> None:
    _client, url = start_login(sandbox_environment)

    shown = requests.post(url, data={"decision": "deny"}, timeout=30)

    assert "access_denied" in shown.url
    assert "Login cancelled" in shown.text
    assert not _AUTH_CODE.search(shown.text)


def test_an_unknown_scope_gets_an_error_page(sandbox_environment: str) -> None:
    _client, url = start_login(
        sandbox_environment, ["urn:globus:auth:scope:transfer.api.globus.org:nope"]
    )

    page = requests.get(url, timeout=30)

    assert page.status_code == 400
    assert "unknown scope" in page.text


def test_a_redirect_elsewhere_gets_an_error_page(sandbox_environment: str) -> None:
    client = globus_sdk.NativeAppAuthClient(
        NATIVE_CLIENT_ID, environment=sandbox_environment
    )
    client.oauth2_start_flow(
        requested_scopes=IDENTITY_SCOPES, redirect_uri="https://example.com/steal"
    )

    page = requests.get(client.oauth2_get_authorize_url(), timeout=30)

    assert page.status_code == 400
    assert "redirect_uri" in page.text


# refreshing and revoking


def test_refresh_token_authorizer_renews_an_expired_access_token(
    sandbox: Sandbox, sandbox_environment: str
) -> None:
    sandbox.access_token_lifetime = 1
    client, tokens = log_in(sandbox_environment)
    issued_by = time.time()
    auth = tokens.by_resource_server["auth.globus.org"]
    while time.time() < issued_by + 1.1:
        time.sleep(0.1)
    sandbox.access_token_lifetime = 3600

    with pytest.raises(globus_sdk.GlobusAPIError) as stale:
        auth_client(sandbox_environment, auth["access_token"]).userinfo()
    assert stale.value.http_status == 401

    refreshed: list[globus_sdk.OAuthTokenResponse] = []
    authorizer = globus_sdk.RefreshTokenAuthorizer(
        auth["refresh_token"],
        client,
        access_token=auth["access_token"],
        expires_at=auth["expires_at_seconds"],
        on_refresh=refreshed.append,
    )
    me = globus_sdk.AuthClient(
        environment=sandbox_environment, authorizer=authorizer
    ).userinfo()

    assert me["sub"] == ADA.id
    assert len(refreshed) == 1
    new_token = refreshed[0].by_resource_server["auth.globus.org"]
    assert new_token["access_token"] != auth["access_token"]
    assert new_token["refresh_token"] == auth["refresh_token"]


def test_a_revoked_access_token_is_refused_and_inactive(
    sandbox_environment: str,
) -> None:
    client, tokens = log_in(sandbox_environment)
    access_token = tokens.by_resource_server["auth.globus.org"]["access_token"]
    service = service_client(sandbox_environment)
    assert service.oauth2_token_introspect(access_token)["active"] is True

    client.oauth2_revoke_token(access_token)

    with pytest.raises(globus_sdk.GlobusAPIError) as refused:
        auth_client(sandbox_environment, access_token).userinfo()
    assert refused.value.http_status == 401
    assert service.oauth2_token_introspect(access_token).data == {"active": False}


def test_revoking_a_refresh_token_ends_refreshing_and_its_access_tokens(
    sandbox_environment: str,
) -> None:
    client, tokens = log_in(sandbox_environment)
    auth = tokens.by_resource_server["auth.globus.org"]
    refreshed = client.oauth2_refresh_token(auth["refresh_token"])
    new_access_token = refreshed.by_resource_server["auth.globus.org"]["access_token"]

    client.oauth2_revoke_token(auth["refresh_token"])

    with pytest.raises(globus_sdk.GlobusAPIError) as refused:
        client.oauth2_refresh_token(auth["refresh_token"])
    assert refused.value.http_status == 400
    with pytest.raises(globus_sdk.GlobusAPIError) as rejected:
        auth_client(sandbox_environment, new_access_token).userinfo()
    assert rejected.value.http_status == 401


def test_a_token_for_another_resource_server_is_forbidden(
    sandbox_environment: str,
) -> None:
    _client, tokens = log_in(sandbox_environment)
    transfer_token = tokens.by_resource_server["transfer.api.globus.org"]

    with pytest.raises(globus_sdk.GlobusAPIError) as refused:
        auth_client(sandbox_environment, transfer_token["access_token"]).userinfo()

    assert refused.value.http_status == 403
    assert refused.value.code == "FORBIDDEN"


# confidential clients


def test_client_credentials_give_tokens_for_the_client_itself(
    sandbox_environment: str,
) -> None:
    service = service_client(sandbox_environment)

    tokens = service.oauth2_client_credentials_tokens(
        requested_scopes=[AuthScopes.openid, TransferScopes.all]
    )

    transfer = tokens.by_resource_server["transfer.api.globus.org"]
    seen = service.oauth2_token_introspect(transfer["access_token"])
    assert seen["active"] is True
    assert seen["sub"] == SANDBOX_SERVICE_CLIENT_ID
    assert seen["username"] == f"{SANDBOX_SERVICE_CLIENT_ID}@clients.auth.globus.org"
    assert seen["scope"] == TransferScopes.all.scope_string
    assert tokens.decode_id_token()["sub"] == SANDBOX_SERVICE_CLIENT_ID


def test_client_credentials_with_a_wrong_secret_are_refused(
    sandbox_environment: str,
) -> None:
    impostor = globus_sdk.ConfidentialAppAuthClient(
        SANDBOX_SERVICE_CLIENT_ID, "not-the-secret", environment=sandbox_environment
    )

    with pytest.raises(globus_sdk.GlobusAPIError) as refused:
        impostor.oauth2_client_credentials_tokens(requested_scopes=TransferScopes.all)

    assert refused.value.http_status == 401
    assert refused.value.raw_json is not None
    assert refused.value.raw_json["error"] == "invalid_client"


def test_introspection_can_include_the_identity_set(sandbox_environment: str) -> None:
    _client, tokens = log_in(sandbox_environment)
    access_token = tokens.by_resource_server["transfer.api.globus.org"]["access_token"]

    seen = service_client(sandbox_environment).oauth2_token_introspect(
        access_token, include="identity_set"
    )

    assert seen["username"] == ADA.username
    assert seen["client_id"] == NATIVE_CLIENT_ID
    assert seen["identity_set"] == [ADA.id]
    assert "transfer.api.globus.org" in seen["aud"]
    assert seen["exp"] > seen["iat"]


# identities and consents


def test_userinfo_lists_the_identity_set(sandbox_environment: str) -> None:
    _client, tokens = log_in(sandbox_environment)
    auth_token = tokens.by_resource_server["auth.globus.org"]["access_token"]

    me = auth_client(sandbox_environment, auth_token).userinfo()

    assert me["sub"] == ADA.id
    assert me["email"] == ADA.email
    assert me["identity_provider_display_name"] == "Globus Jupyter Sandbox"
    assert [identity["username"] for identity in me["identity_set"]] == [ADA.username]


def test_identities_are_found_by_username_and_by_id(sandbox_environment: str) -> None:
    _client, tokens = log_in(sandbox_environment)
    auth = auth_client(
        sandbox_environment,
        tokens.by_resource_server["auth.globus.org"]["access_token"],
    )

    by_name = auth.get_identities(
        usernames=[ADA.username, GRACE.username, "nobody@example.org"]
    )
    by_id = auth.get_identities(ids=[GRACE.id])

    assert [identity["id"] for identity in by_name] == [ADA.id, GRACE.id]
    assert [identity["username"] for identity in by_id] == [GRACE.username]
    assert by_id["identities"][0]["status"] == "used"


def test_consents_record_dependent_scopes(sandbox_environment: str) -> None:
    _client, tokens = log_in(
        sandbox_environment, [*IDENTITY_SCOPES, TRANSFER_WITH_DATA_ACCESS]
    )
    auth = auth_client(
        sandbox_environment,
        tokens.by_resource_server["auth.globus.org"]["access_token"],
    )

    consents = auth.get_consents(ADA.id)

    forest = consents.to_forest()
    assert forest.meets_scope_requirements(TRANSFER_WITH_DATA_ACCESS)
    other_collection = GCSCollectionScopes("0f5bcd0e-8c1b-4e5b-9d43-2b8a5ef3b6a7")
    assert not forest.meets_scope_requirements(
        TransferScopes.all.with_dependency(other_collection.data_access)
    )
    assert {
        consent["client"]
        for consent in consents
        if len(consent["dependency_path"]) == 1
    } == {NATIVE_CLIENT_ID}


def test_openid_configuration_points_at_the_sandbox(
    sandbox: Sandbox, sandbox_environment: str
) -> None:
    config = globus_sdk.AuthClient(
        environment=sandbox_environment
    ).get_openid_configuration()

    assert config["issuer"] == sandbox.service_url("auth").rstrip("/")
    assert config["jwks_uri"].startswith(sandbox.url)
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]


def test_no_code_or_token_reaches_the_log(
    sandbox_environment: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="globus_jupyter")
    client, url = start_login(sandbox_environment)
    code = approve(url)
    tokens = client.oauth2_exchange_code_for_tokens(code)

    logged = caplog.text
    assert "auth.globus.org" in logged
    assert code not in logged
    for token in tokens.by_resource_server.values():
        assert token["access_token"] not in logged
        assert token["refresh_token"] not in logged


# running and restarting


def test_unknown_service_prefixes_answer_not_found_in_json(sandbox: Sandbox) -> None:
    answer = requests.get(f"{sandbox.service_url('nonexistent')}v1/things")

    assert answer.status_code == 404
    assert answer.json()["errors"][0]["status"] == "404"
    assert answer.headers["X-Request-Id"] == answer.json()["errors"][0]["id"]


def test_a_stopped_sandbox_no_longer_answers_open_connections(
    tmp_path: Path,
) -> None:
    sandbox = Sandbox(tmp_path / "stopping").start()
    jwks_url = f"{sandbox.service_url('auth')}jwk.json"
    with requests.Session() as browser:
        assert browser.get(jwks_url, timeout=30).status_code == 200

        sandbox.stop()

        assert not sandbox.running
        with pytest.raises(requests.ConnectionError):
            browser.get(jwks_url, timeout=30)


def test_a_refresh_token_still_works_after_a_restart(tmp_path: Path) -> None:
    root = tmp_path / "kept"
    with Sandbox(root) as first:
        client = globus_sdk.NativeAppAuthClient(
            NATIVE_CLIENT_ID, base_url=first.service_url("auth")
        )
        client.oauth2_start_flow(requested_scopes=IDENTITY_SCOPES, refresh_tokens=True)
        url = client.oauth2_get_authorize_url()
        tokens = client.oauth2_exchange_code_for_tokens(approve(url))
        refresh_token = tokens.by_resource_server["auth.globus.org"]["refresh_token"]

    with Sandbox(root) as second:
        client = globus_sdk.NativeAppAuthClient(
            NATIVE_CLIENT_ID, base_url=second.service_url("auth")
        )
        refreshed = client.oauth2_refresh_token(refresh_token)
        access_token = refreshed.by_resource_server["auth.globus.org"]["access_token"]
        me = globus_sdk.AuthClient(
            base_url=second.service_url("auth"),
            authorizer=globus_sdk.AccessTokenAuthorizer(access_token),
        ).userinfo()

    assert me["sub"] == ADA.id


def test_the_command_line_serves_until_terminated(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "globus_jupyter.sandbox",
            "--port",
            "0",
            "--root",
            str(tmp_path / "cli-root"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.fullmatch(
            r"Globus sandbox serving at (http://127\.0\.0\.1:\d+/)\n", line
        )
        assert match, f"unexpected first line {line!r}"
        url = match.group(1)

        config = requests.get(f"{url}auth/.well-known/openid-configuration", timeout=30)
        assert config.json()["issuer"] == f"{url}auth"
    finally:
        process.terminate()
        exit_code = process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()

    assert exit_code == 0
    assert (tmp_path / "cli-root" / "sandbox.sqlite").exists()
