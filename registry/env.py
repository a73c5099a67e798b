"""Typed readers for settings that come from environment variables.

Each reader fails loudly with ImproperlyConfigured on a value it cannot parse, so a typo in a
deployment stops the process at start-up instead of silently running with a default.
"""

import os
import sys

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from consent.transparency.jws import JWKError, PrivateKey
from consent.transparency.note import COSIGNATURE_V1, NoteError, Signer, Verifier

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def envstr(name: str, default: str = "") -> str:
    """A string; `NAME_FILE` (a path) takes precedence so secrets can come from files."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    value = os.environ.get(name)
    # An empty line in an env file means "not set", as for every other reader here.
    return default if value is None or value == "" else value


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


# `manage.py` commands that never sign a checkpoint or a receipt, so run with debug off and no key.
KEYLESS_COMMANDS = (["create_signing_key"], ["collectstatic"])


def signer_key(text: str, *, required: bool) -> str:
    """LOG_SIGNING_KEY: a C2SP signer key, or "" when none is `required` (debug on).

    With debug off a key is required, because a log whose checkpoints nobody can verify proves
    nothing; only the commands that never sign run without one (KEYLESS_COMMANDS): making the
    first key, and collecting static files while an image is built.
    """
    if text:
        try:
            Signer.from_string(text)
        except NoteError as exc:
            raise ImproperlyConfigured(f"LOG_SIGNING_KEY is not a signer key: {exc}") from exc
    elif required and sys.argv[1:2] not in KEYLESS_COMMANDS:
        raise ImproperlyConfigured(
            "LOG_SIGNING_KEY is not set. The transparency log signs its checkpoints with it: run "
            "`python manage.py create_signing_key --output /path/to/key` and set "
            "LOG_SIGNING_KEY_FILE to that path (or LOG_SIGNING_KEY to the key), or set "
            "DJANGO_DEBUG=true for local development."
        )
    return text


def receipt_key(text: str, *, required: bool) -> str:
    """RECEIPT_SIGNING_KEY: an Ed25519 private JWK (RFC 8037), or "" when none is `required`.

    Receipts on the API's answers are signed with it (consent.transparency.receipts); like the
    log's key it is required with debug off, but for the commands that never sign
    (KEYLESS_COMMANDS).
    """
    if text:
        try:
            PrivateKey.from_json(text)
        except JWKError as exc:
            raise ImproperlyConfigured(
                f"RECEIPT_SIGNING_KEY is not an Ed25519 private JWK: {exc}"
            ) from exc
    elif required and sys.argv[1:2] not in KEYLESS_COMMANDS:
        raise ImproperlyConfigured(
            "RECEIPT_SIGNING_KEY is not set. Receipts on the API's answers are signed with it: "
            "run `python manage.py create_signing_key --receipt --output /path/to/key` and set "
            "RECEIPT_SIGNING_KEY_FILE to that path (or RECEIPT_SIGNING_KEY to the key), or set "
            "DJANGO_DEBUG=true for local development."
        )
    return text


def witness_keys(texts: list[str]) -> list[str]:
    """LOG_WITNESSES: C2SP verifier keys of type 0x04 (tlog-cosignature/v1)."""
    for text in texts:
        try:
            key = Verifier.from_string(text)
        except NoteError as exc:
            raise ImproperlyConfigured(f"LOG_WITNESSES: {text!r}: {exc}") from exc
        if key.key_type != COSIGNATURE_V1:
            raise ImproperlyConfigured(f"LOG_WITNESSES: {text!r} is not a cosignature/v1 key.")
    return texts


POSTGRESQL = "django.db.backends.postgresql"


def replica_databases(urls: list[str], primary: dict | None, connect_timeout: int) -> dict:
    """DATABASE_REPLICA_URLS: one database alias per streaming replica, `replica1`, `replica2`…

    A replica is a physical copy of the primary's PostgreSQL cluster, so it must name the same
    database; only the role, password, host and port may differ. Connecting gives up after
    `connect_timeout` seconds unless the URL says otherwise, so an unreachable replica costs a
    request little before it is skipped. Under the test runner each alias mirrors the primary's
    test database instead of making one of its own.
    """
    if not urls:
        return {}
    if primary is None or primary["ENGINE"] != POSTGRESQL:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URLS is set but DATABASE_URL is not a PostgreSQL database. Read "
            "replicas are PostgreSQL streaming replicas of DATABASE_URL's database: set "
            "DATABASE_URL to the primary, or unset DATABASE_REPLICA_URLS."
        )
    databases = {}
    for index, url in enumerate(urls, 1):
        alias = f"replica{index}"
        try:
            database = dj_database_url.parse(url, conn_max_age=primary.get("CONN_MAX_AGE", 0))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: replica {index} cannot be parsed: {exc}"
            ) from exc
        if database["ENGINE"] != POSTGRESQL:
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: replica {index} is not a PostgreSQL URL "
                "(postgres://role:password@host:port/database)."
            )
        if database["NAME"] != primary["NAME"]:
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: replica {index} names the database {database['NAME']!r} "
                f"but DATABASE_URL names {primary['NAME']!r}. A streaming replica holds the same "
                "databases as its primary: only the role, password, host and port may differ."
            )
        database.setdefault("OPTIONS", {}).setdefault("connect_timeout", connect_timeout)
        database["TEST"] = {"MIRROR": "default"}
        databases[alias] = database
    return databases
