"""An artist's receipt for one declaration: its log entry, the inclusion proof up to a signed
checkpoint, and the log's verifier key, in one JSON document (docs/log.md, "Receipts for
artists"). `verifier/consent_verify.py` checks one with nothing but the file and the key.

Finding a declaration's entry reads one index (migration 0019): the expression
`consent_log_declaration(data)` over the entries' own bytes, for declaration entries only.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection

from consent.models import LogEntry
from consent.models.transparency import Checkpoint

from . import checkpoints, keys, log, merkle

VERSION = 1
TYPE = "declaration-receipt"

# The index's expression and predicate, exactly as migration 0019 writes them: the planner uses
# a partial expression index only for a query that repeats both.
_PG_KEY = "consent_log_declaration(data)"
_PG_PREDICATE = 'position(\'"type":"declaration"\'::bytea IN data) > 0'
_SQLITE_KEY = "json_extract(CAST(data AS TEXT), '$.declaration')"
_SQLITE_PREDICATE = "json_extract(CAST(data AS TEXT), '$.type') = 'declaration'"
TABLE = LogEntry._meta.db_table


class NotLogged(LookupError):
    """The declaration has no log entry yet: it predates the log and awaits `backfill_log`."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def lookup_sql() -> tuple[str, str]:
    """(the indexed expression, the index's predicate) for this database, as 0018 built them."""
    if connection.vendor == "postgresql":
        return _PG_KEY, _PG_PREDICATE
    return _SQLITE_KEY, _SQLITE_PREDICATE


def _record(data: bytes) -> dict | None:
    try:
        record = json.loads(data)
    except ValueError:
        return None
    return record if isinstance(record, dict) and record.get("type") == "declaration" else None


def logged_declarations(numbers: Iterable[int]) -> dict[int, int]:
    """{declaration number: index of its entry} for those of `numbers` the log records."""
    wanted = sorted({int(n) for n in numbers})
    if not wanted:
        return {}
    key, predicate = lookup_sql()
    found: dict[int, int] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join(["%s"] * len(chunk))
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT "index", data FROM {TABLE} '  # noqa: S608 (fixed SQL; numbers are params)
                f"WHERE {predicate} AND {key} IN ({marks})",
                chunk,
            )
            rows = cursor.fetchall()
        for index, data in rows:
            record = _record(bytes(data))
            number = record.get("declaration") if record else None
            if number in chunk and number not in found:
                found[number] = index
    return found


def declaration_entry(number: int) -> tuple[int, bytes]:
    """(index, bytes) of declaration `number`'s entry; NotLogged when the log has none."""
    index = logged_declarations([number]).get(number)
    if index is None:
        raise NotLogged(
            f"Declaration {number} was recorded before the public log existed and has not been "
            "added to it yet."
        )
    (data,) = log.entries(index, index + 1)
    return index, data


@dataclass(frozen=True)
class Receipt:
    """A declaration's receipt: the JSON document, and what the printable page shows beside it."""

    document: dict
    index: int
    leaf_hash: bytes
    checkpoint: Checkpoint

    @property
    def root_hash(self) -> bytes:
        return bytes(self.checkpoint.root_hash)


def declaration_receipt(number: int) -> Receipt:
    """The receipt of declaration `number`, proven up to a signed checkpoint that covers it.

    NotLogged when the declaration has no entry yet; keys.NoSigningKey when no checkpoint can be
    signed. May sign a checkpoint (`checkpoints.covering`) when the newest one is older.
    """
    index, data = declaration_entry(number)
    verifier = keys.verifier()
    if verifier is None:
        raise keys.NoSigningKey("LOG_SIGNING_KEY is not set: no checkpoint can be signed.")
    checkpoint = checkpoints.covering(index + 1)
    tree_size = checkpoint.size
    path = log.inclusion(index, tree_size)
    leaf = merkle.leaf_hash(data)
    site = settings.SITE_URL
    document = {
        "v": VERSION,
        "type": TYPE,
        "registry": site,
        "log": {"origin": keys.origin(), "verifier_key": verifier.to_string()},
        "entry": {
            "index": index,
            "data": _b64(data),
            "record": json.loads(data),
            "leaf_hash": _b64(leaf),
        },
        "inclusion": {"tree_size": tree_size, "path": [_b64(h) for h in path]},
        "checkpoint": checkpoints.served_note(checkpoint),
        "check_online": {
            "checkpoint": f"{site}/log/checkpoint",
            "inclusion": f"{site}/api/v1/log/proof/inclusion?"
            + urlencode({"index": index, "tree_size": tree_size}),
            "entries": f"{site}/api/v1/log/entries?"
            + urlencode({"start": index, "end": index + 1}),
        },
    }
    return Receipt(document=document, index=index, leaf_hash=leaf, checkpoint=checkpoint)
