"""Signed receipts: proof, for whoever keeps one, of what the registry answered (docs/log.md,
"Receipts").

A receipt is a compact JWS (RFC 7515) signed `EdDSA` (RFC 8037) with RECEIPT_SIGNING_KEY, a key
of its own beside the log's. Its payload binds the request (method, path, raw query, SHA-256 of
the body) to the exact bytes of the answer (their SHA-256), the instant it was given and the
instant it speaks for (`as_of`), the registry's last change sequence, and a signed checkpoint of
the transparency log that includes every entry the answer could depend on. Whoever holds the
receipt and the answer can prove, with the public key from /.well-known/jwks.json alone, what
the registry said; with the log's proofs, that the policy it stated is in the public log.

Keys are named by their RFC 7638 thumbprint (`kid`). The first time a key signs, its public JWK
is recorded (ReceiptKey), so rotating is swapping the private key: the key set keeps listing
every key that ever signed, and old receipts still verify.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import connection

from consent.models import Checkpoint, LogEntry, ReceiptKey, SequenceCounter
from consent.times import rfc3339
from consent.transparency import checkpoints, keys
from consent.transparency.jcs import canonical
from consent.transparency.jws import PrivateKey, PublicKey

logger = logging.getLogger(__name__)

VERSION = 1
TYPE = "consent-receipt+jws"


class NoReceiptKey(RuntimeError):
    """No RECEIPT_SIGNING_KEY is configured (only possible with debug on)."""


@cache
def _private(text: str) -> PrivateKey:
    return PrivateKey.from_json(text)


def signing_key() -> PrivateKey:
    """The key receipts are signed with now; NoReceiptKey when none is configured."""
    if not settings.RECEIPT_SIGNING_KEY:
        raise NoReceiptKey("RECEIPT_SIGNING_KEY is not set: no receipt can be signed.")
    return _private(settings.RECEIPT_SIGNING_KEY)


def current_key() -> PublicKey | None:
    """The public half of the current key, or None without one."""
    try:
        return signing_key().public
    except NoReceiptKey:
        return None


def kid() -> str:
    """The current key's id: its RFC 7638 thumbprint."""
    return signing_key().public.kid


@cache
def _header(key_id: str) -> bytes:
    return json.dumps({"alg": "EdDSA", "kid": key_id, "typ": TYPE}, separators=(",", ":")).encode()


# The kids this process has seen recorded: recording costs one query per key per process.
_recorded: set[str] = set()


def record(key: PublicKey) -> None:
    """Keep `key`'s public JWK for ever, once (a concurrent first use is harmless)."""
    if key.kid in _recorded:
        return
    ReceiptKey.objects.get_or_create(kid=key.kid, defaults={"public_jwk": key.jwk()})
    _recorded.add(key.kid)


def forget_recorded() -> None:
    """Forget which keys this process recorded (after the table was emptied, as tests do)."""
    _recorded.clear()


def key_set() -> dict:
    """The JWK Set (RFC 7517 §5) of every key that can have signed a receipt, current first."""
    current = current_key()
    found = [current.jwk()] if current else []
    seen = {current.kid} if current else set()
    for key_id, jwk in ReceiptKey.objects.order_by("-first_used_at", "kid").values_list(
        "kid", "public_jwk"
    ):
        if key_id not in seen:
            seen.add(key_id)
            found.append(PublicKey.from_jwk(jwk).jwk())
    return {"keys": found}


@dataclass(frozen=True)
class LogState:
    """What a receipt states about the registry when the answer was given."""

    sequence: int
    log_size: int
    checkpoint_size: int
    root_hash: bytes
    note: str


def _newest_state() -> tuple[int, int, tuple[int, bytes, str] | None]:
    """(last change sequence, log size, newest checkpoint or None) in one statement."""
    q = connection.ops.quote_name
    counter = q(SequenceCounter._meta.db_table)
    entries = q(LogEntry._meta.db_table)
    signed = q(Checkpoint._meta.db_table)
    sql = (
        f"SELECT (SELECT {q('value')} FROM {counter} ORDER BY {q('id')} LIMIT 1), "  # noqa: S608
        f"(SELECT MAX({q('index')}) FROM {entries}), "
        f"newest.{q('size')}, newest.{q('root_hash')}, newest.{q('note')} "
        "FROM (SELECT 1 AS here) AS here LEFT JOIN "
        f"(SELECT {q('size')}, {q('root_hash')}, {q('note')} FROM {signed} "
        f"ORDER BY {q('size')} DESC LIMIT 1) AS newest ON 1 = 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        sequence, last_index, size, root_hash, note = cursor.fetchone()
    newest = None if size is None else (int(size), bytes(root_hash), note)
    return int(sequence or 0), 0 if last_index is None else int(last_index) + 1, newest


# The last state read, per process: (when it was read, monotonic seconds; the state).
_last: tuple[float, LogState] | None = None
# The newest checkpoint this process has seen (size, root hash, note). A signed checkpoint stays
# true for ever (the log only grows), so it serves every receipt whose entries it covers; one
# that does not cover them is never used (`_covering`).
_signed: tuple[int, bytes, str] | None = None


def forget_state() -> None:
    """Forget the state and checkpoint this process read last (after the tables were emptied,
    as tests do)."""
    global _last, _signed
    _last = None
    _signed = None


def _covering(size: int, newest: tuple[int, bytes, str] | None = None) -> tuple[int, bytes, str]:
    """A signed checkpoint (size, root hash, note) of at least `size` entries: the one this
    process knows when it covers them, else `newest` (as just read) when it does, else the
    newest stored or one signed now (`checkpoints.covering`, at most once per growth)."""
    global _signed
    known = _signed
    if newest is not None and (known is None or newest[0] > known[0]):
        known = newest
    if known is None or known[0] < size:
        checkpoint = checkpoints.covering(size)
        known = (checkpoint.size, bytes(checkpoint.root_hash), checkpoint.note)
    _signed = known
    return known


def log_state(depends_on: int | None = None, read: tuple[int, int] | None = None) -> LogState:
    """A change sequence and a checkpoint that covers every log entry up to it.

    `read` is the (last change sequence, log size) the answer's own statement read
    (`consent.lookup.answer_queries`): exactly the state the answer saw, so nothing it rests
    on, an identifier no track holds included, is newer. It costs no statement of its own;
    only the checkpoint is looked up, when the one this process knows does not cover that size.

    Without it, `depends_on` is the newest change sequence among the tracks the answer states
    (every one a registered track's), or None when the answer also rests on something no
    sequence names (an identifier the registry does not know: it could have been removed since).
    When every stated track last changed at or before the sequence this process read last,
    fewer than RECEIPT_STATE_SECONDS ago, that state is the answer's too: at that sequence the
    registry answered exactly this, and its checkpoint includes every entry behind it; no
    statement runs. Otherwise one statement reads the last sequence, the log's size and the
    newest checkpoint, after the answer was computed. NoSigningKey when the log has no key.
    """
    global _last
    now = time.monotonic()
    if read is not None:
        sequence, size = read
        checkpoint_size, root_hash, note = _covering(size)
        state = LogState(sequence, size, checkpoint_size, root_hash, note)
        _last = (now, state)
        return state
    last = _last
    if (
        depends_on is not None
        and last is not None
        and depends_on <= last[1].sequence
        and now - last[0] < settings.RECEIPT_STATE_SECONDS
    ):
        return last[1]
    sequence, size, newest = _newest_state()
    checkpoint_size, root_hash, note = _covering(size, newest)
    state = LogState(sequence, size, checkpoint_size, root_hash, note)
    _last = (now, state)
    return state


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def payload(
    *,
    at: datetime,
    as_of: str,
    method: str,
    path: str,
    query: str,
    request_body: bytes | None,
    status: int,
    content_type: str,
    body: bytes,
    state: LogState,
) -> dict:
    """The receipt's payload, version 1 (docs/log.md, "Receipts")."""
    return {
        "v": VERSION,
        "iss": settings.SITE_URL,
        "iat": int(at.timestamp()),
        "at": rfc3339(at),
        "request": {
            "method": method,
            "path": path,
            "query": query,
            "body_sha256": None if request_body is None else sha256_hex(request_body),
        },
        "response": {
            "status": status,
            "content_type": content_type,
            "body_sha256": sha256_hex(body),
        },
        "as_of": as_of,
        "sequence": state.sequence,
        "log": {
            "origin": keys.origin(),
            "size": state.checkpoint_size,
            "root_hash": base64.b64encode(state.root_hash).decode("ascii"),
            "checkpoint": state.note,
        },
    }


def sign(claims: dict, key: PrivateKey | None = None) -> str:
    """The compact JWS of `claims` (canonical JSON, RFC 8785) signed with the current key
    (`key`, when the caller has it already), whose public half is recorded first so it is
    listed for as long as its receipts exist."""
    key = key or signing_key()
    record(key.public)
    return key.sign_compact(_header(key.public.kid), canonical(claims))


def receipt(*, depends_on: int | None = None, read: tuple[int, int] | None = None, **answer) -> str:
    """Sign a receipt for an answer (the arguments of `payload` but `state`, and the answer's
    `depends_on` and `read`, see `log_state`): call it once the answer has been computed.
    NoReceiptKey (before anything is read or signed) without a receipt key, NoSigningKey
    without the log's."""
    key = signing_key()
    return sign(payload(**answer, state=log_state(depends_on, read)), key)
