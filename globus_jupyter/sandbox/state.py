"""
The sandbox's memory: one SQLite file under the sandbox root.

Everything a restart must not forget lives here: identities, clients, authorization
codes, tokens and consents (and, for the other services, whatever they add with
:meth:`SandboxState.add_schema`). Codes and tokens are kept only as SHA-256 digests,
so the file holds nothing that could be replayed against the sandbox.

The web server answers from many threads; one connection guarded by one lock keeps
SQLite's single-writer rule without a connection per thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import hmac
import json
import logging
import os
import sqlite3
import threading
import time
import typing as t
from pathlib import Path

from .identities import (
    CLIENT_IDENTITY_PROVIDER_ID,
    SANDBOX_IDENTITY_PROVIDER_DOMAIN,
    SANDBOX_IDENTITY_PROVIDER_ID,
    SANDBOX_SERVICE_CLIENT_ID,
    SANDBOX_SERVICE_CLIENT_NAME,
    SANDBOX_SERVICE_CLIENT_SECRET,
    SANDBOX_USERS,
    client_identity_username,
    stable_id,
)

log = logging.getLogger(__name__)

STATE_FILENAME = "sandbox.sqlite"

# kept after expiry so that a late caller hears "expired" rather than "invalid"
_EXPIRED_TOKEN_GRACE = 24 * 3600

_AUTH_SCHEMA = """
CREATE TABLE IF NOT EXISTS identities (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT,
    email TEXT,
    organization TEXT,
    identity_provider TEXT NOT NULL,
    identity_type TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS clients (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    public INTEGER NOT NULL,
    secret_digest TEXT
);
CREATE TABLE IF NOT EXISTS authorization_codes (
    code_digest TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    offline INTEGER NOT NULL,
    state TEXT,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_digest TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
    client_id TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    resource_server TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_scope TEXT NOT NULL,
    issued_at REAL NOT NULL,
    expires_at REAL,
    refresh_token_digest TEXT,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_by_refresh_token ON tokens (refresh_token_digest);
CREATE TABLE IF NOT EXISTS consents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    identity_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    root_client_id TEXT NOT NULL,
    parent_id INTEGER REFERENCES consents (id),
    scope_id TEXT NOT NULL,
    scope_name TEXT NOT NULL,
    dependency_path TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    last_used TEXT NOT NULL,
    status TEXT NOT NULL,
    allows_refresh INTEGER NOT NULL,
    auto_approved INTEGER NOT NULL,
    atomically_revocable INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS consents_by_identity ON consents (identity_id);
"""


def secret_digest(secret: str) -> str:
    """The form in which codes, tokens and client secrets are stored."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _utc_now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


@dataclasses.dataclass(frozen=True)
class IdentityRecord:
    """A Globus identity: a sandbox user or a client's own identity."""

    id: str
    username: str
    name: str | None
    email: str | None
    organization: str | None
    identity_provider: str
    identity_type: str
    status: str

    @property
    def is_client(self) -> bool:
        return self.identity_type == "client"

    def to_api(self) -> dict[str, t.Any]:
        """The identity as the Auth identities API shows it."""
        return {
            "id": self.id,
            "username": self.username,
            "status": self.status,
            "name": self.name,
            "email": self.email,
            "identity_provider": self.identity_provider,
            "identity_type": self.identity_type,
            "organization": self.organization,
        }


@dataclasses.dataclass(frozen=True)
class ClientRecord:
    """An app registered with the sandbox's Auth."""

    id: str
    name: str
    public: bool
    secret_digest: str | None

    def secret_matches(self, secret: str) -> bool:
        if self.secret_digest is None:
            return False
        return hmac.compare_digest(self.secret_digest, secret_digest(secret))


@dataclasses.dataclass(frozen=True)
class AuthorizationCodeRecord:
    """What a user approved on the consent page, waiting to become tokens."""

    client_id: str
    identity_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    offline: bool
    state: str | None
    expires_at: float


@dataclasses.dataclass(frozen=True)
class TokenRecord:
    """An access or refresh token for one resource server, found by its value."""

    kind: t.Literal["access", "refresh"]
    client_id: str
    identity_id: str
    resource_server: str
    #: the granted top-level scope strings, space separated
    scope: str
    #: the granted scopes with their dependencies, as requested
    granted_scope: str
    issued_at: float
    expires_at: float | None
    refresh_token_digest: str | None
    revoked: bool

    def expired(self, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) >= self.expires_at


@dataclasses.dataclass(frozen=True)
class ConsentRecord:
    """One node of a user's consent forest."""

    id: int
    identity_id: str
    client_id: str
    root_client_id: str
    scope_id: str
    scope_name: str
    dependency_path: list[int]
    created: str
    updated: str
    last_used: str
    status: str
    allows_refresh: bool
    auto_approved: bool
    atomically_revocable: bool

    def to_api(self) -> dict[str, t.Any]:
        """The consent as the Auth consents API shows it."""
        return {
            "id": self.id,
            "client": self.client_id,
            "scope": self.scope_id,
            "scope_name": self.scope_name,
            "effective_identity": self.identity_id,
            "dependency_path": list(self.dependency_path),
            "created": self.created,
            "updated": self.updated,
            "last_used": self.last_used,
            "status": self.status,
            "allows_refresh": self.allows_refresh,
            "auto_approved": self.auto_approved,
            "atomically_revocable": self.atomically_revocable,
        }


@dataclasses.dataclass(frozen=True)
class ConsentGrant:
    """A scope, with the scopes it depends on, that a user consents to."""

    scope_name: str
    scope_id: str
    optional: bool
    #: the client that will use the dependencies (the resource server's client)
    dependency_client_id: str
    dependencies: tuple[ConsentGrant, ...] = ()


class SandboxState:
    """
    The SQLite store under the sandbox root.

    :param root: the sandbox root directory; the database is ``ROOT/sandbox.sqlite``
    """

    def __init__(self, root: Path) -> None:
        self.path = root / STATE_FILENAME
        is_new = not self.path.exists()
        self._lock = threading.RLock()
        self._connection = sqlite3.connect(
            self.path, check_same_thread=False, isolation_level=None, timeout=30
        )
        self._connection.row_factory = sqlite3.Row
        if is_new:
            os.chmod(self.path, 0o600)
        self._connection.execute("PRAGMA foreign_keys = ON")
        self.add_schema(_AUTH_SCHEMA)
        self._register_known_identities_and_clients()
        log.debug("sandbox state opened at %s", self.path)

    def close(self) -> None:
        with self._lock:
            self._connection.close()
        log.debug("sandbox state closed at %s", self.path)

    @contextlib.contextmanager
    def transaction(self) -> t.Iterator[sqlite3.Connection]:
        """Hold the store for one atomic unit of work; commit unless it raises."""
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def add_schema(self, script: str) -> None:
        """Create a service's tables (``CREATE TABLE IF NOT EXISTS ...``)."""
        with self._lock:
            self._connection.executescript(script)

    def _register_known_identities_and_clients(self) -> None:
        with self.transaction() as db:
            for user in SANDBOX_USERS:
                db.execute(
                    "INSERT OR IGNORE INTO identities VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        user.id,
                        user.username,
                        user.name,
                        user.email,
                        user.organization,
                        SANDBOX_IDENTITY_PROVIDER_ID,
                        "login",
                        "used",
                    ),
                )
            db.execute(
                "INSERT OR IGNORE INTO clients VALUES (?, ?, 0, ?)",
                (
                    SANDBOX_SERVICE_CLIENT_ID,
                    SANDBOX_SERVICE_CLIENT_NAME,
                    secret_digest(SANDBOX_SERVICE_CLIENT_SECRET),
                ),
            )
            db.execute(
                "INSERT OR IGNORE INTO identities"
                " VALUES (?, ?, ?, NULL, NULL, ?, ?, ?)",
                (
                    SANDBOX_SERVICE_CLIENT_ID,
                    client_identity_username(SANDBOX_SERVICE_CLIENT_ID),
                    SANDBOX_SERVICE_CLIENT_NAME,
                    CLIENT_IDENTITY_PROVIDER_ID,
                    "client",
                    "used",
                ),
            )

    # identities

    def identity(self, identity_id: str) -> IdentityRecord | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM identities WHERE id = ?", (identity_id,)
            ).fetchone()
        return None if row is None else IdentityRecord(**dict(row))

    def identity_by_username(self, username: str) -> IdentityRecord | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM identities WHERE username = ?", (username,)
            ).fetchone()
        return None if row is None else IdentityRecord(**dict(row))

    def provision_identity(self, username: str) -> IdentityRecord:
        """
        An identity for a username nobody has used yet, as Globus Auth makes one
        when asked to provision, so that it can be named in permissions.
        """
        domain = username.rpartition("@")[2].lower()
        provider = (
            SANDBOX_IDENTITY_PROVIDER_ID
            if domain == SANDBOX_IDENTITY_PROVIDER_DOMAIN
            else stable_id(f"identity-provider:{domain}")
        )
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO identities VALUES "
                "(?, ?, NULL, NULL, NULL, ?, 'login', 'unused')",
                (stable_id(username.lower()), username.lower(), provider),
            )
        found = self.identity_by_username(username)
        assert found is not None
        return found

    # clients

    def client(self, client_id: str) -> ClientRecord | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM clients WHERE id = ?", (client_id,)
            ).fetchone()
        if row is None:
            return None
        return ClientRecord(
            id=row["id"],
            name=row["name"],
            public=bool(row["public"]),
            secret_digest=row["secret_digest"],
        )

    def register_public_client(self, client_id: str) -> ClientRecord:
        """Any client id the sandbox has not seen is taken to be a native app."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO clients VALUES (?, ?, 1, NULL)",
                (client_id, f"App {client_id}"),
            )
        found = self.client(client_id)
        assert found is not None
        return found

    # authorization codes

    def store_authorization_code(
        self, code: str, record: AuthorizationCodeRecord
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "DELETE FROM authorization_codes WHERE expires_at < ?", (time.time(),)
            )
            db.execute(
                "INSERT INTO authorization_codes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    secret_digest(code),
                    record.client_id,
                    record.identity_id,
                    record.redirect_uri,
                    record.scope,
                    record.code_challenge,
                    int(record.offline),
                    record.state,
                    record.expires_at,
                ),
            )

    def take_authorization_code(self, code: str) -> AuthorizationCodeRecord | None:
        """Find a code and forget it in the same step: a code is good only once."""
        digest = secret_digest(code)
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM authorization_codes WHERE code_digest = ?", (digest,)
            ).fetchone()
            db.execute(
                "DELETE FROM authorization_codes WHERE code_digest = ?", (digest,)
            )
        if row is None:
            return None
        return AuthorizationCodeRecord(
            client_id=row["client_id"],
            identity_id=row["identity_id"],
            redirect_uri=row["redirect_uri"],
            scope=row["scope"],
            code_challenge=row["code_challenge"],
            offline=bool(row["offline"]),
            state=row["state"],
            expires_at=row["expires_at"],
        )

    # tokens

    def store_token(self, token: str, record: TokenRecord) -> None:
        with self.transaction() as db:
            db.execute(
                "DELETE FROM tokens WHERE kind = 'access' AND expires_at < ?",
                (time.time() - _EXPIRED_TOKEN_GRACE,),
            )
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    secret_digest(token),
                    record.kind,
                    record.client_id,
                    record.identity_id,
                    record.resource_server,
                    record.scope,
                    record.granted_scope,
                    record.issued_at,
                    record.expires_at,
                    record.refresh_token_digest,
                    int(record.revoked),
                ),
            )

    def find_token(self, token: str) -> TokenRecord | None:
        with self.transaction() as db:
            row = db.execute(
                "SELECT * FROM tokens WHERE token_digest = ?", (secret_digest(token),)
            ).fetchone()
        if row is None:
            return None
        return TokenRecord(
            kind=row["kind"],
            client_id=row["client_id"],
            identity_id=row["identity_id"],
            resource_server=row["resource_server"],
            scope=row["scope"],
            granted_scope=row["granted_scope"],
            issued_at=row["issued_at"],
            expires_at=row["expires_at"],
            refresh_token_digest=row["refresh_token_digest"],
            revoked=bool(row["revoked"]),
        )

    def revoke_token(self, token: str, client_id: str) -> bool:
        """
        Revoke a token issued to ``client_id``; revoking a refresh token also
        revokes the access tokens it produced.

        :returns: whether a token was revoked
        """
        digest = secret_digest(token)
        with self.transaction() as db:
            revoked = db.execute(
                "UPDATE tokens SET revoked = 1"
                " WHERE token_digest = ? AND client_id = ?",
                (digest, client_id),
            ).rowcount
            if revoked:
                db.execute(
                    "UPDATE tokens SET revoked = 1 WHERE refresh_token_digest = ?",
                    (digest,),
                )
        return bool(revoked)

    # consents

    def record_consents(
        self,
        *,
        identity_id: str,
        client_id: str,
        grants: t.Iterable[ConsentGrant],
        allows_refresh: bool,
        auto_approved: bool,
    ) -> None:
        """
        Add what a user just approved to their consent forest.

        Consents already given are kept and marked used; new branches are grown
        under them, so that approving ``transfer:all[A]`` and later
        ``transfer:all[B]`` leaves one ``transfer:all`` consent with two children.
        """
        now = _utc_now_iso()
        with self.transaction() as db:
            for grant in grants:
                self._record_consent(
                    db,
                    grant=grant,
                    identity_id=identity_id,
                    client_id=client_id,
                    root_client_id=client_id,
                    parent=None,
                    now=now,
                    allows_refresh=allows_refresh,
                    auto_approved=auto_approved,
                )

    def _record_consent(
        self,
        db: sqlite3.Connection,
        *,
        grant: ConsentGrant,
        identity_id: str,
        client_id: str,
        root_client_id: str,
        parent: sqlite3.Row | None,
        now: str,
        allows_refresh: bool,
        auto_approved: bool,
    ) -> None:
        if parent is None:
            existing = db.execute(
                "SELECT * FROM consents WHERE identity_id = ? AND client_id = ?"
                " AND parent_id IS NULL AND scope_name = ?",
                (identity_id, client_id, grant.scope_name),
            ).fetchone()
        else:
            existing = db.execute(
                "SELECT * FROM consents WHERE parent_id = ? AND scope_name = ?",
                (parent["id"], grant.scope_name),
            ).fetchone()

        if existing is not None:
            db.execute(
                "UPDATE consents SET last_used = ?, updated = ?,"
                " allows_refresh = MAX(allows_refresh, ?) WHERE id = ?",
                (now, now, int(allows_refresh), existing["id"]),
            )
            node_id = existing["id"]
        else:
            node_id = db.execute(
                "INSERT INTO consents (identity_id, client_id, root_client_id,"
                " parent_id, scope_id, scope_name, dependency_path, created, updated,"
                " last_used, status, allows_refresh, auto_approved,"
                " atomically_revocable)"
                " VALUES (?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, 'approved', ?, ?, ?)",
                (
                    identity_id,
                    client_id,
                    root_client_id,
                    None if parent is None else parent["id"],
                    grant.scope_id,
                    grant.scope_name,
                    now,
                    now,
                    now,
                    int(allows_refresh),
                    int(auto_approved),
                    int(grant.optional),
                ),
            ).lastrowid
            parent_path = (
                [] if parent is None else json.loads(parent["dependency_path"])
            )
            db.execute(
                "UPDATE consents SET dependency_path = ? WHERE id = ?",
                (json.dumps([*parent_path, node_id]), node_id),
            )
        node = db.execute("SELECT * FROM consents WHERE id = ?", (node_id,)).fetchone()

        for dependency in grant.dependencies:
            self._record_consent(
                db,
                grant=dependency,
                identity_id=identity_id,
                client_id=grant.dependency_client_id,
                root_client_id=root_client_id,
                parent=node,
                now=now,
                allows_refresh=allows_refresh,
                auto_approved=auto_approved,
            )

    def consents(
        self, identity_id: str, *, root_client_id: str | None = None
    ) -> list[ConsentRecord]:
        """An identity's consents, all of them or those rooted at one client."""
        query = "SELECT * FROM consents WHERE identity_id = ?"
        params: tuple[str, ...] = (identity_id,)
        if root_client_id is not None:
            query += " AND root_client_id = ?"
            params += (root_client_id,)
        with self.transaction() as db:
            rows = db.execute(query + " ORDER BY id", params).fetchall()
        return [
            ConsentRecord(
                id=row["id"],
                identity_id=row["identity_id"],
                client_id=row["client_id"],
                root_client_id=row["root_client_id"],
                scope_id=row["scope_id"],
                scope_name=row["scope_name"],
                dependency_path=json.loads(row["dependency_path"]),
                created=row["created"],
                updated=row["updated"],
                last_used=row["last_used"],
                status=row["status"],
                allows_refresh=bool(row["allows_refresh"]),
                auto_approved=bool(row["auto_approved"]),
                atomically_revocable=bool(row["atomically_revocable"]),
            )
            for row in rows
        ]
