"""
The key that signs the sandbox's OpenID Connect id tokens.

The key is made on first start and kept in ``ROOT/jwk.pem`` (readable by its owner
only), so id tokens and the published JWK stay valid across restarts, as they do at
Globus.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import typing as t
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger(__name__)

KEY_FILENAME = "jwk.pem"
SIGNING_ALGORITHM = "RS256"


class SigningKey:
    """An RSA key pair with the JWK that publishes its public half."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._private_key = private_key
        public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(
            private_key.public_key(), as_dict=True
        )
        self.key_id = _jwk_thumbprint(public_jwk)
        self.public_jwk: dict[str, t.Any] = {
            **public_jwk,
            "alg": SIGNING_ALGORITHM,
            "use": "sig",
            "kid": self.key_id,
        }

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r})"

    @classmethod
    def load_or_create(cls, root: Path) -> SigningKey:
        """Read ``ROOT/jwk.pem``, making it first if this root has none."""
        path = root / KEY_FILENAME
        if path.exists():
            loaded = serialization.load_pem_private_key(path.read_bytes(), None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError(f"{path} does not hold an RSA private key")
            return cls(loaded)

        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as key_file:
            key_file.write(pem)
        log.debug("made a new id token signing key at %s", path)
        return cls(private_key)

    def jwks(self) -> dict[str, t.Any]:
        """The JSON Web Key Set published at the ``jwks_uri``."""
        return {"keys": [self.public_jwk]}

    def sign(self, claims: dict[str, t.Any]) -> str:
        """A signed JWT carrying ``claims``."""
        return jwt.encode(
            claims,
            self._private_key,
            algorithm=SIGNING_ALGORITHM,
            headers={"kid": self.key_id},
        )


def _jwk_thumbprint(public_jwk: dict[str, t.Any]) -> str:
    # RFC 7638: the SHA-256 of the required members, in lexical order, no spaces
    required = {name: public_jwk[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(required, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
