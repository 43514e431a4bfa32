"""
The sandbox's Globus Auth: login, tokens, identities and consents.

It answers the paths globus-sdk's ``AuthClient``, ``NativeAppAuthClient`` and
``ConfidentialAppAuthClient`` call, in the shapes Globus Auth uses:

- ``v2/oauth2/authorize``: a consent page; approving redirects with a one-time code
- ``v2/web/auth-code``: the page that shows a native app's code to copy
- ``v2/oauth2/token``: authorization code (with PKCE), refresh token and client
  credentials grants; one token per resource server
- ``v2/oauth2/token/revoke`` and ``v2/oauth2/token/introspect``
- ``v2/oauth2/userinfo``, ``.well-known/openid-configuration`` and ``jwk.json``
- ``v2/api/identities``, ``v2/api/identities/<id>/consents`` and
  ``v2/api/identity_providers``

The other sandbox services check the tokens it issues with :func:`authenticate`.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import logging
import secrets
import time
import typing as t
import uuid
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from globus_sdk.scopes import AuthScopes, Scope
from globus_sdk.scopes.consents import ConsentForest
from werkzeug.routing import Rule
from werkzeug.utils import redirect
from werkzeug.wrappers import Response

from . import pages
from .identities import (
    CLIENT_IDENTITY_PROVIDER_ID,
    CLIENT_IDENTITY_PROVIDER_NAME,
    SANDBOX_IDENTITY_PROVIDER_DOMAIN,
    SANDBOX_IDENTITY_PROVIDER_ID,
    SANDBOX_IDENTITY_PROVIDER_NAME,
    SANDBOX_USERS,
    SandboxUser,
)
from .scopes import (
    InvalidScope,
    group_by_resource_server,
    parse_scopes,
    resource_server_client_id,
    resource_server_of,
    scope_id,
)
from .service import GlobusError, SandboxRequest, ServiceApp, json_response
from .state import (
    AuthorizationCodeRecord,
    ClientRecord,
    ConsentGrant,
    IdentityRecord,
    TokenRecord,
    secret_digest,
)

log = logging.getLogger(__name__)

AUTH_RESOURCE_SERVER = AuthScopes.resource_server

#: How long a user has to bring an authorization code to the token endpoint.
AUTHORIZATION_CODE_LIFETIME = 600

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


# --- checking tokens, for every sandbox service ----------------------------------


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is calling a sandbox API, as proven by their access token."""

    #: the identity id (for a client credentials token, the client's own identity)
    id: str
    username: str
    name: str | None
    email: str | None
    #: the app the token was issued to
    client_id: str
    resource_server: str
    #: the granted top-level scope strings
    scopes: frozenset[str]
    #: the granted scopes with the dependencies they were requested with
    granted_scopes: tuple[Scope, ...]
    is_client: bool
    #: when the token was issued (seconds since the epoch)
    issued_at: float

    def has_scope(self, scope: str | Scope) -> bool:
        name = scope.scope_string if isinstance(scope, Scope) else scope
        return name in self.scopes


def authenticate(
    request: SandboxRequest, resource_server: str, scope: str | Scope | None = None
) -> Principal:
    """
    Check the bearer token of a request to a sandbox API and say who sent it.

    Every sandbox service calls this first, the way every Globus API introspects
    the token it is given.

    :param request: the request, with an ``Authorization: Bearer ...`` header
    :param resource_server: the resource server the API belongs to, e.g.
        ``transfer.api.globus.org``
    :param scope: a top-level scope the token must carry, if the API needs one
    :raises GlobusError: 401 ``UNAUTHORIZED`` for a missing, unknown, expired or
        revoked token; 403 ``FORBIDDEN`` for a token of another resource server or
        without ``scope``
    """
    token = _bearer_token(request)
    state = request.context.state
    record = state.find_token(token)
    if record is None or record.kind != "access":
        raise _unauthorized("the access token is not valid; log in again")
    if record.revoked:
        raise _unauthorized("the access token has been revoked; log in again")
    if record.expired():
        raise _unauthorized("the access token has expired; refresh it or log in again")
    identity = state.identity(record.identity_id)
    if identity is None:
        raise _unauthorized("the identity of this access token no longer exists")

    if record.resource_server != resource_server:
        raise GlobusError(
            403,
            "FORBIDDEN",
            f"this token is for {record.resource_server}; "
            f"expected a token for {resource_server}",
            error="forbidden",
        )
    principal = Principal(
        id=identity.id,
        username=identity.username,
        name=identity.name,
        email=identity.email,
        client_id=record.client_id,
        resource_server=record.resource_server,
        scopes=frozenset(record.scope.split()),
        granted_scopes=tuple(parse_scopes(record.granted_scope)),
        is_client=identity.is_client,
        issued_at=record.issued_at,
    )
    if scope is not None and not principal.has_scope(scope):
        raise GlobusError(
            403,
            "FORBIDDEN",
            f"this token lacks the scope {scope}; log in again requesting it",
            error="forbidden",
        )
    return principal


def consent_granted(
    request: SandboxRequest, principal: Principal, required: str | Scope
) -> bool:
    """
    Whether the caller's consents, rooted at the app it uses, cover ``required``.

    This is how a service checks a dependent scope, e.g. Transfer asking whether
    ``transfer:all[<collection>:data_access]`` was approved before touching a
    collection that needs ``data_access``.
    """
    consents = request.context.state.consents(
        principal.id, root_client_id=principal.client_id
    )
    forest = ConsentForest(consent.to_api() for consent in consents)
    return forest.meets_scope_requirements(required)


def _bearer_token(request: SandboxRequest) -> str:
    authorization = request.authorization
    if authorization is None:
        raise _unauthorized("no Authorization header; expected 'Bearer <token>'")
    if authorization.type != "bearer" or not authorization.token:
        raise _unauthorized("expected an 'Authorization: Bearer <token>' header")
    return authorization.token


def _unauthorized(detail: str) -> GlobusError:
    return GlobusError(
        401,
        "UNAUTHORIZED",
        detail,
        error="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="globus", error="invalid_token"'},
    )


def _oauth_error(status: int, error: str, detail: str) -> GlobusError:
    # the token endpoint answers with OAuth's error names (RFC 6749, 5.2)
    code = "UNAUTHORIZED" if error == "invalid_client" else error.upper()
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="globus"'
    return GlobusError(status, code, detail, error=error, headers=headers)


# --- the login request behind the consent page -----------------------------------


class _LoginRequestError(Exception):
    """A login request the consent page cannot serve; shown to the person."""


@dataclasses.dataclass(frozen=True)
class _LoginRequest:
    client_id: str
    client_name: str
    redirect_uri: str
    scope_string: str
    scopes: list[Scope]
    state: str | None
    code_challenge: str | None
    offline: bool
    preselected: SandboxUser


# --- the service -----------------------------------------------------------------


class AuthService(ServiceApp):
    """Globus Auth, under ``auth/``."""

    name = "auth"

    def rules(self) -> t.Iterable[Rule]:
        return [
            Rule(
                "/.well-known/openid-configuration",
                endpoint="openid_configuration",
                methods=["GET"],
            ),
            Rule("/jwk.json", endpoint="jwks", methods=["GET"]),
            Rule("/v2/oauth2/authorize", endpoint="authorize", methods=["GET", "POST"]),
            Rule("/v2/web/auth-code", endpoint="auth_code", methods=["GET"]),
            Rule("/v2/oauth2/token", endpoint="token", methods=["POST"]),
            Rule("/v2/oauth2/token/revoke", endpoint="revoke", methods=["POST"]),
            Rule(
                "/v2/oauth2/token/introspect", endpoint="introspect", methods=["POST"]
            ),
            Rule("/v2/oauth2/userinfo", endpoint="userinfo", methods=["GET", "POST"]),
            Rule("/v2/api/identities", endpoint="identities", methods=["GET"]),
            Rule(
                "/v2/api/identities/<identity_id>/consents",
                endpoint="consents",
                methods=["GET"],
            ),
            Rule(
                "/v2/api/identity_providers",
                endpoint="identity_providers",
                methods=["GET"],
            ),
        ]

    @property
    def base_url(self) -> str:
        return self.context.service_url(self.name)

    @property
    def issuer(self) -> str:
        """The ``iss`` of id tokens: the Auth base URL without its final slash."""
        return self.base_url.rstrip("/")

    @property
    def native_app_redirect_uri(self) -> str:
        """Where globus-sdk sends native app logins by default."""
        return f"{self.base_url}v2/web/auth-code"

    # OpenID Connect discovery

    def on_openid_configuration(self, request: SandboxRequest) -> Response:
        base = self.base_url
        return json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{base}v2/oauth2/authorize",
                "token_endpoint": f"{base}v2/oauth2/token",
                "userinfo_endpoint": f"{base}v2/oauth2/userinfo",
                "revocation_endpoint": f"{base}v2/oauth2/token/revoke",
                "introspection_endpoint": f"{base}v2/oauth2/token/introspect",
                "jwks_uri": f"{base}jwk.json",
                "response_types_supported": ["code"],
                "grant_types_supported": [
                    "authorization_code",
                    "refresh_token",
                    "client_credentials",
                ],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": [
                    "iss",
                    "sub",
                    "aud",
                    "exp",
                    "iat",
                    "preferred_username",
                    "name",
                    "email",
                    "organization",
                    "identity_provider",
                    "identity_provider_display_name",
                    "identity_set",
                    "last_authentication",
                ],
            }
        )

    def on_jwks(self, request: SandboxRequest) -> Response:
        return json_response(self.context.signing_key.jwks())

    # login: consent page and the code page

    def on_authorize(self, request: SandboxRequest) -> Response:
        try:
            login = self._read_login_request(request)
        except _LoginRequestError as problem:
            return pages.error_page(str(problem))

        if request.method == "GET":
            return pages.consent_page(
                client_name=login.client_name,
                client_id=login.client_id,
                scopes_by_resource_server=group_by_resource_server(login.scopes),
                users=SANDBOX_USERS,
                selected_username=login.preselected.username,
                action=request.script_root + request.full_path,
            )

        decision = request.form.get("decision")
        if decision == "deny":
            return _redirect_to(
                login.redirect_uri,
                error="access_denied",
                error_description="The user denied the login request",
                state=login.state,
            )
        if decision != "approve":
            return pages.error_page("expected decision=approve or decision=deny")
        username = request.form.get("username") or SANDBOX_USERS[0].username
        user = next((u for u in SANDBOX_USERS if u.username == username), None)
        if user is None:
            known = ", ".join(u.username for u in SANDBOX_USERS)
            return pages.error_page(
                f"unknown user {username!r}; expected one of {known}"
            )
        return self._approve(login, user)

    def _approve(self, login: _LoginRequest, user: SandboxUser) -> Response:
        state = self.context.state
        state.register_public_client(login.client_id)
        code = secrets.token_urlsafe(32)
        state.store_authorization_code(
            code,
            AuthorizationCodeRecord(
                client_id=login.client_id,
                identity_id=user.id,
                redirect_uri=login.redirect_uri,
                scope=login.scope_string,
                code_challenge=login.code_challenge,
                offline=login.offline,
                state=login.state,
                expires_at=time.time() + AUTHORIZATION_CODE_LIFETIME,
            ),
        )
        state.record_consents(
            identity_id=user.id,
            client_id=login.client_id,
            grants=[_consent_grant(scope) for scope in login.scopes],
            allows_refresh=login.offline,
            auto_approved=False,
        )
        log.debug("login approved for client %s", login.client_id)
        return _redirect_to(login.redirect_uri, code=code, state=login.state)

    def _read_login_request(self, request: SandboxRequest) -> _LoginRequest:
        args = request.args
        client_id = args.get("client_id", "")
        if not _is_uuid(client_id):
            raise _LoginRequestError(
                "expected client_id to be the app's client id (a UUID)"
            )
        if args.get("response_type") != "code":
            raise _LoginRequestError("expected response_type=code")
        scope_string = args.get("scope", "")
        try:
            scopes = parse_scopes(scope_string)
        except InvalidScope as error:
            raise _LoginRequestError(str(error)) from None

        redirect_uri = args.get("redirect_uri", "")
        if not self._redirect_allowed(redirect_uri):
            raise _LoginRequestError(
                f"redirect_uri {redirect_uri!r} is not registered for this app; "
                f"expected {self.native_app_redirect_uri} or a localhost address"
            )

        client = self.context.state.client(client_id)
        public = client is None or client.public
        code_challenge = args.get("code_challenge") or None
        if code_challenge is None and public:
            raise _LoginRequestError(
                "a native app must use PKCE; expected code_challenge and "
                "code_challenge_method=S256"
            )
        if code_challenge is not None and args.get("code_challenge_method") != "S256":
            raise _LoginRequestError("expected code_challenge_method=S256")

        return _LoginRequest(
            client_id=client_id,
            client_name=client.name if client else f"App {client_id}",
            redirect_uri=redirect_uri,
            scope_string=scope_string,
            scopes=scopes,
            state=args.get("state"),
            code_challenge=code_challenge,
            offline=args.get("access_type") == "offline",
            preselected=_preselected_user(args.get("session_required_identities")),
        )

    def _redirect_allowed(self, redirect_uri: str) -> bool:
        if redirect_uri == self.native_app_redirect_uri:
            return True
        parts = urlsplit(redirect_uri)
        return parts.scheme in ("http", "https") and parts.hostname in _LOOPBACK_HOSTS

    def on_auth_code(self, request: SandboxRequest) -> Response:
        code = request.args.get("code")
        if code:
            return pages.auth_code_page(code)
        if request.args.get("error"):
            return pages.login_denied_page(
                request.args.get("error_description") or "The login was not approved"
            )
        return pages.error_page("this page shows a login code, but none was given")

    # the token endpoint

    def on_token(self, request: SandboxRequest) -> Response:
        grant_type = request.form.get("grant_type")
        if grant_type == "authorization_code":
            return self._authorization_code_grant(request)
        if grant_type == "refresh_token":
            return self._refresh_token_grant(request)
        if grant_type == "client_credentials":
            return self._client_credentials_grant(request)
        if not grant_type:
            raise _oauth_error(400, "invalid_request", "expected a grant_type")
        raise _oauth_error(
            400,
            "unsupported_grant_type",
            f"grant_type {grant_type!r} is not supported; expected "
            "authorization_code, refresh_token or client_credentials",
        )

    def _authorization_code_grant(self, request: SandboxRequest) -> Response:
        client = self._authenticate_client(request)
        code = request.form.get("code")
        if not code:
            raise _oauth_error(400, "invalid_request", "expected a code")

        record = self.context.state.take_authorization_code(code)
        if record is None:
            raise _oauth_error(
                400, "invalid_grant", "the code is not valid or was already used"
            )
        if record.expires_at < time.time():
            raise _oauth_error(400, "invalid_grant", "the code has expired")
        if record.client_id != client.id:
            raise _oauth_error(
                400, "invalid_grant", "the code was issued to another app"
            )
        if record.redirect_uri != request.form.get("redirect_uri"):
            raise _oauth_error(
                400,
                "invalid_grant",
                "redirect_uri does not match the one the code was issued for",
            )
        if record.code_challenge is not None and not _verifier_matches(
            request.form.get("code_verifier"), record.code_challenge
        ):
            raise _oauth_error(
                400,
                "invalid_grant",
                "the code_verifier does not match the code_challenge of this login",
            )

        identity = self._identity_or_error(record.identity_id)
        return self._issue_tokens(
            client_id=client.id,
            identity=identity,
            scopes=parse_scopes(record.scope),
            offline=record.offline,
            state=record.state,
        )

    def _refresh_token_grant(self, request: SandboxRequest) -> Response:
        client = self._authenticate_client(request)
        refresh_token = request.form.get("refresh_token")
        if not refresh_token:
            raise _oauth_error(400, "invalid_request", "expected a refresh_token")

        state = self.context.state
        record = state.find_token(refresh_token)
        if record is None or record.kind != "refresh" or record.revoked:
            raise _oauth_error(
                400, "invalid_grant", "the refresh token is not valid or was revoked"
            )
        if record.client_id != client.id:
            raise _oauth_error(
                400, "invalid_grant", "the refresh token was issued to another app"
            )
        self._identity_or_error(record.identity_id)

        now = time.time()
        lifetime = self.context.settings.access_token_lifetime
        access_token = _new_token()
        state.store_token(
            access_token,
            dataclasses.replace(
                record,
                kind="access",
                issued_at=now,
                expires_at=now + lifetime,
                refresh_token_digest=secret_digest(refresh_token),
            ),
        )
        log.debug("refreshed an access token for %s", record.resource_server)
        return json_response(
            {
                "access_token": access_token,
                "scope": record.scope,
                "expires_in": lifetime,
                "token_type": "Bearer",
                "resource_server": record.resource_server,
                "refresh_token": refresh_token,
                "other_tokens": [],
            },
            headers=_NO_STORE,
        )

    def _client_credentials_grant(self, request: SandboxRequest) -> Response:
        client = self._authenticate_client(request, confidential=True)
        try:
            scopes = parse_scopes(request.form.get("scope", ""))
        except InvalidScope as error:
            raise _oauth_error(400, "invalid_scope", str(error)) from None
        identity = self._identity_or_error(client.id)
        self.context.state.record_consents(
            identity_id=identity.id,
            client_id=client.id,
            grants=[_consent_grant(scope) for scope in scopes],
            allows_refresh=False,
            auto_approved=True,
        )
        return self._issue_tokens(
            client_id=client.id,
            identity=identity,
            scopes=scopes,
            offline=False,
            state=None,
        )

    def _issue_tokens(
        self,
        *,
        client_id: str,
        identity: IdentityRecord,
        scopes: list[Scope],
        offline: bool,
        state: str | None,
    ) -> Response:
        """
        Issue one access token (and refresh token, for offline access) per resource
        server, in Globus Auth's response shape: the first resource server's token
        at the top level, the others in ``other_tokens``.
        """
        settings = self.context.settings
        now = time.time()
        lifetime = settings.access_token_lifetime
        with_refresh = offline and settings.refresh_tokens

        tokens: list[dict[str, t.Any]] = []
        for resource_server, group in group_by_resource_server(scopes).items():
            access_token = _new_token()
            refresh_token = _new_token() if with_refresh else None
            record = TokenRecord(
                kind="refresh",
                client_id=client_id,
                identity_id=identity.id,
                resource_server=resource_server,
                scope=" ".join(scope.scope_string for scope in group),
                granted_scope=" ".join(str(scope) for scope in group),
                issued_at=now,
                expires_at=None,
                refresh_token_digest=None,
                revoked=False,
            )
            if refresh_token is not None:
                self.context.state.store_token(refresh_token, record)
            self.context.state.store_token(
                access_token,
                dataclasses.replace(
                    record,
                    kind="access",
                    expires_at=now + lifetime,
                    refresh_token_digest=(
                        secret_digest(refresh_token) if refresh_token else None
                    ),
                ),
            )
            tokens.append(
                {
                    "access_token": access_token,
                    "scope": record.scope,
                    "expires_in": lifetime,
                    "token_type": "Bearer",
                    "resource_server": resource_server,
                    "refresh_token": refresh_token,
                }
            )

        body: dict[str, t.Any] = {**tokens[0], "other_tokens": tokens[1:]}
        granted = {scope.scope_string for scope in scopes}
        if AuthScopes.openid.scope_string in granted:
            body["id_token"] = self._id_token(
                client_id=client_id, identity=identity, granted=granted, now=now
            )
        if state is not None:
            body["state"] = state
        log.debug(
            "issued tokens for %s to client %s",
            ", ".join(token["resource_server"] for token in tokens),
            client_id,
        )
        return json_response(body, headers=_NO_STORE)

    def _id_token(
        self,
        *,
        client_id: str,
        identity: IdentityRecord,
        granted: set[str],
        now: float,
    ) -> str:
        issued_at = int(now)
        claims = {
            **_identity_claims(identity, granted, last_authentication=issued_at),
            "iss": self.issuer,
            "aud": client_id,
            "iat": issued_at,
            "exp": issued_at + max(self.context.settings.access_token_lifetime, 60),
        }
        return self.context.signing_key.sign(claims)

    def _authenticate_client(
        self, request: SandboxRequest, *, confidential: bool = False
    ) -> ClientRecord:
        """
        The app calling the token endpoints: a confidential client by its HTTP Basic
        credentials, a native app by the ``client_id`` it sends.
        """
        state = self.context.state
        authorization = request.authorization
        if authorization is not None and authorization.type == "basic":
            client = state.client(authorization.username or "")
            if (
                client is None
                or client.public
                or not client.secret_matches(authorization.password or "")
            ):
                raise _oauth_error(
                    401,
                    "invalid_client",
                    "client authentication failed; check the client id and secret",
                )
            return client
        if confidential:
            raise _oauth_error(
                401,
                "invalid_client",
                "this call needs a confidential client's id and secret (HTTP Basic)",
            )

        client_id = request.form.get("client_id", "")
        if not _is_uuid(client_id):
            raise _oauth_error(
                401,
                "invalid_client",
                "expected the app's client id (a UUID) in the client_id field, "
                "or HTTP Basic client credentials",
            )
        client = state.client(client_id) or state.register_public_client(client_id)
        if not client.public:
            raise _oauth_error(
                401,
                "invalid_client",
                "this is a confidential client; authenticate it with its secret",
            )
        return client

    def _identity_or_error(self, identity_id: str) -> IdentityRecord:
        identity = self.context.state.identity(identity_id)
        if identity is None:
            raise _oauth_error(400, "invalid_grant", "the identity no longer exists")
        return identity

    # revocation and introspection

    def on_revoke(self, request: SandboxRequest) -> Response:
        client = self._authenticate_client(request)
        token = request.form.get("token")
        if not token:
            raise _oauth_error(400, "invalid_request", "expected the token to revoke")
        if self.context.state.revoke_token(token, client.id):
            log.debug("revoked a token of client %s", client.id)
        return json_response({"active": False}, headers=_NO_STORE)

    def on_introspect(self, request: SandboxRequest) -> Response:
        self._authenticate_client(request, confidential=True)
        token = request.form.get("token")
        if not token:
            raise _oauth_error(400, "invalid_request", "expected the token to inspect")

        state = self.context.state
        record = state.find_token(token)
        if (
            record is None
            or record.kind != "access"
            or record.revoked
            or record.expired()
        ):
            return json_response({"active": False}, headers=_NO_STORE)
        identity = self._identity_or_error(record.identity_id)

        assert record.expires_at is not None
        body: dict[str, t.Any] = {
            "active": True,
            "token_type": "Bearer",
            "scope": record.scope,
            "client_id": record.client_id,
            "sub": identity.id,
            "username": identity.username,
            "name": identity.name,
            "email": identity.email,
            "exp": int(record.expires_at),
            "iat": int(record.issued_at),
            "nbf": int(record.issued_at),
            "aud": [record.resource_server, record.client_id],
            "iss": self.issuer,
        }
        include = {part.strip() for part in request.form.get("include", "").split(",")}
        if "identity_set" in include:
            body["identity_set"] = [identity.id]
        if "identity_set_detail" in include:
            body["identity_set_detail"] = [identity.to_api()]
        return json_response(body, headers=_NO_STORE)

    # identity APIs

    def on_userinfo(self, request: SandboxRequest) -> Response:
        principal = authenticate(
            request, AUTH_RESOURCE_SERVER, AuthScopes.openid.scope_string
        )
        identity = self.context.state.identity(principal.id)
        assert identity is not None
        return json_response(
            _identity_claims(
                identity,
                set(principal.scopes),
                last_authentication=int(principal.issued_at),
            )
        )

    def on_identities(self, request: SandboxRequest) -> Response:
        self._authenticate_identity_caller(request)
        usernames = request.args.get("usernames")
        ids = request.args.get("ids")
        if usernames and ids:
            raise GlobusError(
                400, "INVALID_PARAMETERS", "give usernames or ids, not both"
            )
        if not usernames and not ids:
            raise GlobusError(
                400,
                "INVALID_PARAMETERS",
                "expected usernames=<name,...> or ids=<identity id,...>",
            )

        state = self.context.state
        provision = request.args.get("provision", "false").lower() == "true"
        found: dict[str, IdentityRecord] = {}
        for username in _comma_list(usernames):
            identity = state.identity_by_username(username)
            if identity is None and provision:
                identity = state.provision_identity(username)
            if identity is not None:
                found.setdefault(identity.id, identity)
        for identity_id in _comma_list(ids):
            if not _is_uuid(identity_id):
                raise GlobusError(
                    400,
                    "INVALID_PARAMETERS",
                    f"{identity_id!r} is not an identity id; expected UUIDs in ids",
                )
            identity = state.identity(identity_id)
            if identity is not None:
                found.setdefault(identity.id, identity)
        return json_response(
            {"identities": [identity.to_api() for identity in found.values()]}
        )

    def on_identity_providers(self, request: SandboxRequest) -> Response:
        self._authenticate_identity_caller(request)
        providers = [
            {
                "id": SANDBOX_IDENTITY_PROVIDER_ID,
                "name": SANDBOX_IDENTITY_PROVIDER_NAME,
                "short_name": "sandbox",
                "domains": [SANDBOX_IDENTITY_PROVIDER_DOMAIN],
                "alternative_names": [],
            },
            {
                "id": CLIENT_IDENTITY_PROVIDER_ID,
                "name": CLIENT_IDENTITY_PROVIDER_NAME,
                "short_name": "clients",
                "domains": ["clients.auth.globus.org"],
                "alternative_names": [],
            },
        ]
        domains = set(_comma_list(request.args.get("domains")))
        ids = set(_comma_list(request.args.get("ids")))
        if domains or ids:
            providers = [
                provider
                for provider in providers
                if provider["id"] in ids or domains.intersection(provider["domains"])
            ]
        return json_response({"identity_providers": providers})

    def on_consents(self, request: SandboxRequest, identity_id: str) -> Response:
        principal = authenticate(request, AUTH_RESOURCE_SERVER)
        if identity_id != principal.id:
            raise GlobusError(
                403,
                "FORBIDDEN",
                "you can only list the consents of your own identity",
                error="forbidden",
            )
        all_clients = request.args.get("all", "false").lower() == "true"
        if all_clients and not principal.has_scope(AuthScopes.view_consents):
            raise GlobusError(
                403,
                "FORBIDDEN",
                "listing the consents of all apps needs the scope "
                f"{AuthScopes.view_consents}",
                error="forbidden",
            )
        consents = self.context.state.consents(
            identity_id, root_client_id=None if all_clients else principal.client_id
        )
        return json_response({"consents": [consent.to_api() for consent in consents]})

    def _authenticate_identity_caller(self, request: SandboxRequest) -> None:
        """Identity lookups take an Auth token, or a confidential client's secret."""
        authorization = request.authorization
        if authorization is not None and authorization.type == "basic":
            client = self.context.state.client(authorization.username or "")
            if client is None or not client.secret_matches(
                authorization.password or ""
            ):
                raise _unauthorized("client authentication failed")
            return
        authenticate(request, AUTH_RESOURCE_SERVER)


# --- small helpers ---------------------------------------------------------------


def _identity_claims(
    identity: IdentityRecord, granted: set[str], *, last_authentication: int
) -> dict[str, t.Any]:
    """
    What userinfo and id tokens say about an identity: ``sub`` always, the rest
    only as the ``profile``, ``email`` and ``view_identity_set`` scopes allow.
    """
    provider_name = (
        CLIENT_IDENTITY_PROVIDER_NAME
        if identity.is_client
        else SANDBOX_IDENTITY_PROVIDER_NAME
    )
    claims: dict[str, t.Any] = {"sub": identity.id}
    if AuthScopes.profile.scope_string in granted:
        claims.update(
            preferred_username=identity.username,
            name=identity.name,
            organization=identity.organization,
            identity_provider=identity.identity_provider,
            identity_provider_display_name=provider_name,
            last_authentication=last_authentication,
        )
    if AuthScopes.email.scope_string in granted:
        claims["email"] = identity.email
    if AuthScopes.view_identity_set.scope_string in granted:
        claims["identity_set"] = [
            {
                "sub": identity.id,
                "username": identity.username,
                "name": identity.name,
                "email": identity.email,
                "identity_provider": identity.identity_provider,
                "identity_provider_display_name": provider_name,
                "organization": identity.organization,
                "last_authentication": last_authentication,
            }
        ]
    return claims


def _consent_grant(scope: Scope) -> ConsentGrant:
    return ConsentGrant(
        scope_name=scope.scope_string,
        scope_id=scope_id(scope.scope_string),
        optional=scope.optional,
        dependency_client_id=resource_server_client_id(
            resource_server_of(scope.scope_string)
        ),
        dependencies=tuple(
            _consent_grant(dependency) for dependency in scope.dependencies
        ),
    )


def _preselected_user(required_identities: str | None) -> SandboxUser:
    """The user a login asks for (``session_required_identities``), or the default."""
    wanted = set(_comma_list(required_identities))
    return next((u for u in SANDBOX_USERS if u.id in wanted), SANDBOX_USERS[0])


def _verifier_matches(verifier: str | None, challenge: str) -> bool:
    """PKCE (RFC 7636): the challenge is the base64url SHA-256 of the verifier."""
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
    return hmac.compare_digest(expected, challenge)


def _redirect_to(uri: str, **params: str | None) -> Response:
    """A redirect to ``uri`` with ``params`` added to whatever query it has."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((name, value) for name, value in params.items() if value is not None)
    location = urlunsplit(parts._replace(query=urlencode(query)))
    response = redirect(location, code=302)
    response.headers.update(_NO_STORE)
    return response


def _new_token() -> str:
    return secrets.token_urlsafe(48)


def _comma_list(value: str | None) -> list[str]:
    if not value:
        return []
    return [part.strip() for part in value.split(",") if part.strip()]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
