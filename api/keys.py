"""API keys as plain functions: how a key looks, how it is hashed, how it is checked.

A key reads `crk_<prefix>_<secret>`. The prefix (12 characters) is stored in clear so a key can
be found and recognised in logs; the whole key is stored only as an HMAC-SHA256 keyed with a
server secret, and compared in constant time. An unknown prefix costs the same hash and answers
the same as a wrong secret for a known prefix.
"""

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass

from django.conf import settings

KEY_PREFIX = "crk_"
PREFIX_LENGTH = 12
SECRET_BYTES = 30
_PREFIX_ALPHABET = string.ascii_lowercase + string.digits
# Compared against when the prefix is unknown, so both failures take the same time.
DUMMY_HASH = "0" * 64


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret: str  # the full key, shown to its owner once and never stored

    @property
    def hashed(self) -> str:
        return hash_key(self.secret)


def generate() -> NewKey:
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    return NewKey(
        prefix=prefix, secret=f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    )


def hash_key(key: str) -> str:
    return hmac.new(settings.API_KEY_HASH_SECRET.encode(), key.encode(), hashlib.sha256).hexdigest()


def prefix_of(key: str) -> str | None:
    """The lookup prefix of a well-formed key, or None for anything else."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    prefix, _, secret = key[len(KEY_PREFIX) :].partition("_")
    if len(prefix) != PREFIX_LENGTH or not secret:
        return None
    return prefix


def matches(key: str, stored_hash: str | None) -> bool:
    """Constant-time check of a presented key against a stored hash (None: unknown prefix)."""
    expected = stored_hash or DUMMY_HASH
    return hmac.compare_digest(hash_key(key), expected) and stored_hash is not None
