"""The log's note signing key, read once from settings (LOG_SIGNING_KEY or its _FILE)."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from django.conf import settings

from consent.transparency.note import COSIGNATURE_V1, Signer, Verifier


class NoSigningKey(RuntimeError):
    """No LOG_SIGNING_KEY is configured (only possible with debug on)."""


@cache
def _signer(text: str) -> Signer:
    return Signer.from_string(text)


def signer() -> Signer:
    """The signer of the log's checkpoints; NoSigningKey when none is configured."""
    if not settings.LOG_SIGNING_KEY:
        raise NoSigningKey("LOG_SIGNING_KEY is not set: no checkpoint can be signed.")
    return _signer(settings.LOG_SIGNING_KEY)


def verifier() -> Verifier | None:
    """The log's public verifier key, or None without a signing key."""
    try:
        return signer().verifier()
    except NoSigningKey:
        return None


def origin() -> str:
    """The log's name, the first line of every checkpoint: LOG_ORIGIN, by default SITE_URL's
    host followed by /consent-log."""
    return settings.LOG_ORIGIN or urlsplit(settings.SITE_URL).netloc + "/consent-log"


def witnesses() -> list[Verifier]:
    """The witnesses whose cosignatures are accepted (LOG_WITNESSES)."""
    keys = [Verifier.from_string(text) for text in settings.LOG_WITNESSES]
    return [key for key in keys if key.key_type == COSIGNATURE_V1]
