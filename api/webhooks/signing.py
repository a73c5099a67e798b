"""Standard Webhooks 1.0 signatures, as plain functions.

A secret reads `whsec_` + base64 of random bytes; the HMAC key is those bytes. A message is
signed over `<webhook-id>.<webhook-timestamp>.<body>` with HMAC-SHA256, and the signature header
lists `v1,<base64 signature>` once per secret in force, space-separated, so a receiver that holds
either the old or the new secret during a rotation accepts the message.
"""

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_BYTES = 32  # the standard allows 24 to 64


def generate_secret(nbytes: int = SECRET_BYTES) -> str:
    if not 24 <= nbytes <= 64:
        raise ValueError("A webhook secret has 24 to 64 random bytes.")
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_…` secret."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("A webhook secret starts with whsec_.")
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def new_message_id() -> str:
    """A `webhook-id`: unique per message, and the same for every retry of that message."""
    return f"msg_{uuid.uuid4().hex}"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(
    secrets_in_force: Iterable[str], message_id: str, timestamp: int, body: bytes
) -> str:
    return " ".join(sign(s, message_id, timestamp, body) for s in secrets_in_force)


def headers(
    secrets_in_force: Iterable[str], message_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt (the timestamp is the attempt's)."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_in_force, message_id, timestamp, body),
    }
