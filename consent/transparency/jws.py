"""Ed25519 keys as JWKs and compact JWS signatures: the JOSE the receipts are written in.

- RFC 8037: an Ed25519 key is an `OKP` JWK with `crv` `Ed25519`, the public key in `x` and the
  private one in `d`, both base64url without padding; it signs with the `EdDSA` algorithm.
- RFC 7638: a key's thumbprint is the SHA-256 of its required members (`crv`, `kty`, `x`) as
  JSON with sorted names and no whitespace, in base64url; it is the receipt key's `kid`.
- RFC 7515: a compact JWS is `b64(header) "." b64(payload) "." b64(signature)`, signed over the
  first two parts as ASCII.

Pure: no Django, only `cryptography`, so the settings can check a key before anything loads.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from functools import cached_property

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ALGORITHM = "EdDSA"
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class JWKError(ValueError):
    """A JWK that is not an Ed25519 key as RFC 8037 writes one."""


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of unpadded base64url; ValueError for anything else (padding included)."""
    if not isinstance(text, str) or not _B64URL.match(text) or len(text) % 4 == 1:
        raise ValueError("not base64url without padding")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def thumbprint(x: str) -> str:
    """The RFC 7638 SHA-256 thumbprint of the Ed25519 public JWK whose `x` is given."""
    members = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": x}, sort_keys=True, separators=(",", ":")
    )
    return b64url(hashlib.sha256(members.encode("utf-8")).digest())


@dataclass(frozen=True)
class PublicKey:
    """An Ed25519 public key, as a JWK."""

    raw: bytes

    @cached_property
    def x(self) -> str:
        return b64url(self.raw)

    @cached_property
    def kid(self) -> str:
        return thumbprint(self.x)

    def jwk(self) -> dict:
        """The public JWK with its `kid`, `use` and `alg`, as a JWK Set lists it."""
        return {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": self.x,
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
        }

    @classmethod
    def from_jwk(cls, jwk: dict) -> PublicKey:
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise JWKError('an Ed25519 key has "kty": "OKP" and "crv": "Ed25519" (RFC 8037).')
        try:
            raw = b64url_decode(jwk.get("x"))
        except ValueError as exc:
            raise JWKError(f'"x" is {exc}.') from exc
        if len(raw) != 32:
            raise JWKError('"x" must be the 32 bytes of an Ed25519 public key.')
        return cls(raw)


class PrivateKey:
    """An Ed25519 private key, read from and written as a JWK."""

    def __init__(self, key: Ed25519PrivateKey):
        self._key = key
        self.public = PublicKey(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_jwk(cls, jwk: dict) -> PrivateKey:
        """A private JWK (`kty`, `crv`, `d`, `x`); JWKError unless `x` is `d`'s public key."""
        public = PublicKey.from_jwk(jwk)
        try:
            d = b64url_decode(jwk.get("d"))
        except ValueError as exc:
            raise JWKError(f'"d" is {exc}.') from exc
        if len(d) != 32:
            raise JWKError('"d" must be the 32 bytes of an Ed25519 private key.')
        key = cls(Ed25519PrivateKey.from_private_bytes(d))
        if key.public != public:
            raise JWKError('"x" is not the public key of "d".')
        return key

    @classmethod
    def from_json(cls, text: str) -> PrivateKey:
        try:
            jwk = json.loads(text)
        except ValueError as exc:
            raise JWKError(f"not JSON ({exc})") from exc
        return cls.from_jwk(jwk)

    def jwk(self) -> dict:
        """The private JWK: what RECEIPT_SIGNING_KEY holds."""
        d = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return {"kty": "OKP", "crv": "Ed25519", "d": b64url(d), "x": self.public.x}

    def to_json(self) -> str:
        return json.dumps(self.jwk(), separators=(",", ":"))

    def sign_compact(self, header: bytes, payload: bytes) -> str:
        """The compact JWS of `payload` under the protected `header` (both JSON bytes)."""
        signing_input = f"{b64url(header)}.{b64url(payload)}"
        signature = self._key.sign(signing_input.encode("ascii"))
        return f"{signing_input}.{b64url(signature)}"
