"""Check the whole log against itself and against the database (`manage.py verify_log`).

1. Entries are gap-free from 0, and every stored hash is what the entries give
   (`merkle.stored_hashes`, recomputed from the entries alone).
2. Every row the log records (docs/log.md) has exactly the entry its current values give, once,
   and no entry names a row that is not there: a row rewritten behind the application's back
   (raw SQL with the append-only triggers disabled) no longer matches its entry.
3. Every stored checkpoint's root hash is the tree's at its size. Checking its signature is the
   signing side's job: `CHECKPOINT_SIGNATURE_CHECK` names the function, when it exists.

`problems()` yields a sentence per mismatch, in that order; the command stops at the first.

It streams: entries and stored hashes are read once, in index order, in pages of PAGE rows, and
the stored hashes are recomputed leaf by leaf (`merkle.Frontier`, O(log n) hashes held). What it
keeps per entry is 16 bytes of its leaf hash and, per recorded row, the index of its latest entry
(an array slot for numbered rows, a dictionary item for rows named by a public id); the rows are
then re-derived table by table, in pages, as the builders of `consent.transparency.records` write
them, and each record's leaf hash is compared with the entry it names.

On PostgreSQL outside a transaction the work is shared by three processes (`problems`): two scan
the halves of a large log, one has PostgreSQL write and hash the numerous kinds' records
(CANONICAL_SQL). docs/log.md, "Checking the log", says what each recomputes.
"""

import hashlib
import json
import multiprocessing
import re
import uuid
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace

import orjson
import psycopg
from django.db import connection
from django.db.models import Max, TextField
from django.db.models.functions import Cast
from django.utils.module_loading import import_string
from psycopg.types.json import set_json_loads

from consent.models import (
    ChangeEvent,
    Checkpoint,
    Claim,
    ClaimVerification,
    Creator,
    Declaration,
    Dispute,
    LogEntry,
    LogHash,
    TrackLink,
)
from consent.times import SQL_FORMAT

from . import merkle, records
from .jcs import canonical, flat

# Called with each Checkpoint; returns None when its note's signatures verify, else a sentence.
CHECKPOINT_SIGNATURE_CHECK = "consent.transparency.checkpoints.signature_problem"

BATCH = 2000
PAGE = 20_000  # rows per keyset page
DIGEST = 16  # bytes of each entry's leaf hash kept to compare it with its row's record
_SORTED = orjson.OPT_SORT_KEYS


def _pages(model, column: str, fields: tuple[str, ...], query=None) -> Iterator[tuple]:
    """Rows of `model` as tuples of `fields` (the first being `column`), in `column` order, one
    keyset page at a time: no offset to skip, no cursor held between pages."""
    query = model._base_manager.all() if query is None else query
    postgres = connection.vendor == "postgresql"
    if postgres:
        # Public ids as PostgreSQL writes them: str(UUID) would cost more than the rest of a row.
        texts = {f: f"_text{i}" for i, f in enumerate(fields) if f in UUIDS or "public_id" in f}
        query = query.annotate(**{name: Cast(f, TextField()) for f, name in texts.items()})
        fields = tuple(texts.get(f, f) for f in fields)
    last = None
    while True:
        page = query.order_by(column)
        if last is not None:
            page = page.filter(**{f"{column}__gt": last})
        page = page.values_list(*fields)[:PAGE]
        rows = _binary(page) if postgres else list(page)
        yield from rows
        if len(rows) < PAGE:
            return
        last = rows[-1][0]


UUIDS = {"batch"}


def _binary(query) -> list[tuple]:
    """The rows of a values_list query read with psycopg's binary loaders (C, timestamps and
    JSON included), rather than Django's text ones: several times faster per row."""
    sql, params = query.query.get_compiler(using=query.db).as_sql()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        set_json_loads(orjson.loads, cursor)
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _raw_page_lists(
    table: str, columns: str, start: int = 0, stop: int | None = None
) -> Iterator[list[tuple]]:
    """Pages of (index, value) of a log table in index order, as lists, from index `start`
    up to (not including) `stop`."""
    quoted = connection.ops.quote_name(table)
    index = connection.ops.quote_name("index")
    below = "" if stop is None else f"AND {index} < {int(stop)} "
    sql = (
        f"SELECT {columns} FROM {quoted} WHERE {index} > %s {below}"  # noqa: S608 (names)
        f"ORDER BY {index} LIMIT {PAGE}"
    )
    last = start - 1
    while True:
        rows = _fetch(sql, [last])
        if rows and type(rows[0][1]) is not bytes:  # memoryview on some drivers
            rows = [(number, bytes(value)) for number, value in rows]
        yield rows
        if len(rows) < PAGE:
            return
        last = rows[-1][0]


def _plain(data: bytes, record) -> bool:
    """Whether orjson's sorted bytes of `record` (`data`) are exactly `jcs.canonical(record)`."""
    return type(record) is dict and data.isascii() and b"\\" not in data and flat(record.values())


def _is_canonical(data: bytes, record) -> bool:
    """Whether `data` is RFC 8785's form of what it holds (`jcs.canonical`)."""
    if _plain(data, record):
        return orjson.dumps(record, option=_SORTED) == data
    try:
        return canonical(json.loads(data)) == data
    except (TypeError, ValueError):
        return False


def _digest(record: dict) -> bytes:
    """The first DIGEST bytes of the leaf hash of the record's canonical bytes: orjson's, unless
    they hold what RFC 8785 writes otherwise (non-ASCII, an escape). A float or an integer past
    2**53, which no canonical entry can hold, then simply matches no entry."""
    data = orjson.dumps(record, option=_SORTED)
    if not data.isascii() or b"\\" in data:
        data = canonical(record)
    return hashlib.sha256(b"\x00" + data).digest()[:DIGEST]


# Kinds of which only one entry per row may exist; of the others the latest entry is the row now.
ONCE = {"declaration", "policy", "dispute-decision", "suspension"}
KEYS = {
    "declaration": "declaration",
    "policy": "sequence",
    "claim": "claim",
    "verification": "verification",
    "link": "link",
    "dispute-decision": "dispute",
    "suspension": "creator",
}
DESCRIPTIONS = {"policy": "change event", "dispute-decision": "decision on dispute"}
# Kinds keyed by a row number, and the table (and column) numbering them.
NUMBERED = {
    "declaration": (Declaration, "id"),
    "policy": (ChangeEvent, "sequence"),
    "verification": (ClaimVerification, "id"),
    "link": (TrackLink, "id"),
}


def _key(data: bytes) -> tuple | None:
    record = json.loads(data)
    kind = record.get("type")
    if kind not in KEYS:
        return None
    return (kind, record.get(KEYS[kind]))


def _compact(key):
    """A public id in canonical form (lower-case, dashes at 8, 13, 18, 23) as its 16 bytes,
    a third of the memory of the text; any other key as it is."""
    if (
        type(key) is str
        and len(key) == 36
        and key[8] == key[13] == key[18] == key[23] == "-"
        and key.count("-") == 4
        and key == key.lower()
    ):
        try:
            return bytes.fromhex(key.replace("-", ""))
        except ValueError:
            return key
    return key


def _readable(key):
    return str(uuid.UUID(bytes=key)) if type(key) is bytes else key


class _Logged:
    """Where the latest entry of each recorded row is, and a digest of every entry."""

    def __init__(self, sizes: dict[str, int] | None = None) -> None:
        sizes = sizes or self.sizes()
        self.slots: dict[str, array] = {
            kind: array("q", [-1]) * size for kind, size in sizes.items()
        }
        # Per kind: public ids (as 16 bytes when in canonical form), and numbers beyond a table.
        self.named: dict[str, dict] = {}
        self.digests = bytearray()

    @staticmethod
    def sizes() -> dict[str, int]:
        """Per numbered kind, one slot per number up to the table's highest."""
        sizes = {}
        for kind, (model, column) in NUMBERED.items():
            last = model._base_manager.aggregate(last=Max(column))["last"] or 0
            sizes[kind] = last + 1
        return sizes

    def merge(self, later: "_Logged") -> tuple[int, str] | None:
        """Take in what scanning the entries after this one's found (`later`, over the same
        slots): its entries are the latest of their rows. The first (index, sentence) of a row
        of a kind written once that both recorded, if any."""
        first: tuple[int, str] | None = None
        for kind, theirs in later.slots.items():
            mine = self.slots[kind]
            once = kind in ONCE
            for key, index in enumerate(theirs):
                if index >= 0:
                    earlier = mine[key]
                    if once and earlier >= 0 and (first is None or index < first[0]):
                        first = (index, f"Entries {earlier} and {index} both record {kind} {key}.")
                    mine[key] = index
        for kind, theirs in later.named.items():
            mine = self.named.setdefault(kind, {})
            once = kind in ONCE
            for key, index in theirs.items():
                earlier = mine.get(key)
                if once and earlier is not None and (first is None or index < first[0]):
                    sentence = f"Entries {earlier} and {index} both record {kind} {_readable(key)}."
                    first = (index, sentence)
                mine[key] = index
        self.digests += later.digests
        return first

    def put(self, kind: str, key, index: int) -> int | None:
        """Record entry `index` as the latest of (kind, key); the earlier index, if any."""
        slots = self.slots.get(kind)
        if slots is not None and type(key) is int and 0 <= key < len(slots):
            earlier = slots[key]
            slots[key] = index
            return None if earlier < 0 else earlier
        named = self.named.setdefault(kind, {})
        key = _compact(key)
        earlier = named.get(key)
        named[key] = index
        return earlier

    def pop(self, kind: str, key) -> int | None:
        slots = self.slots.get(kind)
        if slots is not None and type(key) is int and 0 <= key < len(slots):
            found = slots[key]
            slots[key] = -1
            return None if found < 0 else found
        return self.named.get(kind, {}).pop(_compact(key), None)

    def left(self) -> Iterator[tuple[int, tuple]]:
        """(index, key) of every entry no row claimed."""
        for kind, slots in self.slots.items():
            for key, index in enumerate(slots):
                if index >= 0:
                    yield index, (kind, key)
        for kind, named in self.named.items():
            for key, index in named.items():
                yield index, (kind, _readable(key))


def _hash_range(start: int, end: int) -> list[tuple[int, bytes]]:
    table = connection.ops.quote_name(LogHash._meta.db_table)
    index = connection.ops.quote_name("index")
    return _fetch(
        f"SELECT {index}, hash FROM {table} "  # noqa: S608 (names, not input)
        f"WHERE {index} >= %s AND {index} < %s ORDER BY {index}",
        [start, end],
    )


def _hash_block(start: int, end: int) -> tuple[int, bytes]:
    """How many hashes are stored at indexes `start` to `end` (excluded), and all of them
    joined in index order: on PostgreSQL one value, rather than a row each."""
    if connection.vendor != "postgresql":
        stored = _hash_range(start, end)
        return len(stored), b"".join(bytes(value) for _, value in stored)
    table = connection.ops.quote_name(LogHash._meta.db_table)
    index = connection.ops.quote_name("index")
    ((count, block),) = _fetch(
        f"SELECT count(*), string_agg(hash, ''::bytea ORDER BY {index}) "  # noqa: S608 (names)
        f"FROM {table} WHERE {index} >= %s AND {index} < %s",
        [start, end],
    )
    return count, bytes(block or b"")


def _fetch(sql: str, params: list) -> list[tuple]:
    """All rows of `sql`; on PostgreSQL in the binary format, so bytea travels as its bytes
    rather than as hexadecimal text that both sides must encode and decode."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


@dataclass
class _Part:
    """What scanning the entries from `start` found."""

    start: int
    end: int = 0  # the index after the last entry read
    tree: str | None = None  # the first stored hash the entries do not give, or a gap
    entry: tuple[int, str] | None = None  # the first (index, sentence) about an entry
    seen: int = 0  # stored hashes read for these entries
    missing: int = 0  # stored hashes these entries give that are not stored
    hashes_end: int = 0  # the stored-hash index after these entries'
    extra: int = 0  # stored hashes beyond the last entry's (the last part only)


def _edge(size: int) -> list[bytes] | None:
    """The stored hashes of the complete subtrees of the first `size` entries, largest first
    (the tree's right edge at that size), or None when one is not stored. The part before
    `size` recomputes every one of them, so starting from them trusts nothing unchecked."""
    wanted, start = [], 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            wanted.append(merkle.stored_hash_index(level, start >> level))
            start += 1 << level
    if not wanted:
        return []
    table = connection.ops.quote_name(LogHash._meta.db_table)
    index = connection.ops.quote_name("index")
    found = dict(
        _fetch(
            f"SELECT {index}, hash FROM {table} WHERE {index} = ANY(%s)",  # noqa: S608 (names)
            [wanted],
        )
    )
    if len(found) != len(wanted):
        return None
    return [bytes(found[number]) for number in wanted]


def _scan(logged: _Logged, start: int = 0, stop: int | None = None) -> _Part:
    """One pass over the entries from `start` up to `stop` (to the end when None) and the
    stored hashes they give; fills `logged`. Each page of entries gives the stored hashes of a
    range of indexes, compared with that range as stored in one comparison."""
    part = _Part(start=start)
    hash_index = merkle.stored_hash_index(0, start)
    expected = start
    sha256 = hashlib.sha256
    digests = logged.digests
    # `merkle.Frontier.append` inlined: the right edge as a list of hashes, whose levels are the
    # set bits of the entries' count, so that appending entry i merges as many times as i has
    # trailing one bits. No list or tuple per entry: a third of the scan's tree arithmetic.
    edge = _edge(start) if start else []
    if edge is None:  # the part before names the hash that is not stored
        part.tree = f"The stored hashes of the first {start} entries are not all stored."
        return part
    pop = edge.pop
    push = edge.append
    index_column = connection.ops.quote_name("index")
    pages = _raw_page_lists(LogEntry._meta.db_table, f"{index_column}, data", start, stop)
    for page in pages:
        computed: list[bytes] = []
        for index, data in page:
            if index != expected:
                part.tree = f"The log skips from entry {expected - 1} to entry {index}."
                return part
            leaf = sha256(b"\x00" + data).digest()
            digests += leaf[:DIGEST]
            computed.append(leaf)
            merges = index
            while merges & 1:
                leaf = sha256(b"\x01" + pop() + leaf).digest()
                computed.append(leaf)
                merges >>= 1
            push(leaf)
            expected += 1
            if part.entry:
                continue
            try:
                record = orjson.loads(data)
            except orjson.JSONDecodeError:
                record = None
            if not _is_canonical(data, record):
                part.entry = (index, f"Entry {index} is not canonical JSON.")
                continue
            kind = record.get("type") if type(record) is dict else None
            if kind not in KEYS:
                continue
            key = record.get(KEYS[kind])
            earlier = logged.put(kind, key, index)
            if earlier is not None and kind in ONCE:
                part.entry = (index, f"Entries {earlier} and {index} both record {kind} {key}.")
        part.end = expected
        count, block = _hash_block(hash_index, hash_index + len(computed))
        if count == len(computed) and block == b"".join(computed):
            part.seen += count
        else:  # which one, row by row
            stored = _hash_range(hash_index, hash_index + len(computed))
            part.seen += len(stored)
            found = {number: bytes(value) for number, value in stored}
            for offset, value in enumerate(computed):
                have = found.get(hash_index + offset)
                if have is None:
                    part.missing += 1
                elif have != value:
                    part.tree = _hash_problem(hash_index + offset)
                    return part
        hash_index += len(computed)
    part.end = expected
    part.hashes_end = hash_index
    if stop is not None:
        if expected < stop:  # entries missing before the next part's first
            with connection.cursor() as cursor:
                table = connection.ops.quote_name(LogEntry._meta.db_table)
                cursor.execute(
                    f"SELECT min({index_column}) FROM {table} "  # noqa: S608 (names)
                    f"WHERE {index_column} >= %s",
                    [expected],
                )
                (following,) = cursor.fetchone()
            part.tree = f"The log skips from entry {expected - 1} to entry {following}."
        return part
    table = connection.ops.quote_name(LogHash._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT min({index_column}), count(*) FROM {table} "  # noqa: S608 (names)
            f"WHERE {index_column} >= %s",
            [hash_index],
        )
        beyond, part.extra = cursor.fetchone()
    if beyond is not None and part.tree is None:
        part.tree = _hash_problem(beyond)
    return part


def _tree_problems(parts: list[_Part]) -> list[str]:
    """The first problem of the tree the parts found, in index order, as the scan of the
    whole log in one pass would have named it."""
    for part in parts:
        if part.tree:
            return [part.tree]
    missing = sum(part.missing for part in parts)
    if missing:
        seen = sum(part.seen for part in parts) + parts[-1].extra
        return [
            f"The log stores {seen} hashes; its {parts[-1].end} entries give "
            f"{parts[-1].hashes_end}."
        ]
    return []


def _hash_problem(index: int) -> str:
    level, n = merkle.split_stored_hash_index(index)
    return f"Stored hash {index} (level {level}, number {n}) is not the one entries give."


# --- Re-deriving every recorded row, table by table ---------------------------------------------


def _text(value) -> str | None:
    return None if value is None else str(value)


def _declarations() -> Iterator[tuple[tuple, dict]]:
    fields = ("id", "batch", "purpose", "value", "declared_at")
    for row in _pages(Declaration, "id", (*fields, "creator__public_id", "track__public_id")):
        declaration = SimpleNamespace(pk=row[0], **dict(zip(fields[1:], row[1:5], strict=True)))
        yield (
            ("declaration", row[0]),
            records.declaration(declaration, str(row[5]), _text(row[6])),
        )


def _change_events() -> Iterator[tuple[tuple, dict]]:
    fields = ("sequence", "policy", "cause", "disputed", "links", "created_at")
    for row in _pages(ChangeEvent, "sequence", (*fields, "track__public_id")):
        event = SimpleNamespace(**dict(zip(fields, row[:6], strict=True)))
        yield ("policy", row[0]), records.policy_change(event, str(row[6]))


def _claims() -> Iterator[tuple[tuple, dict]]:
    fields = ("id", "public_id", "role", "status", "created_at", "ended_at")
    for row in _pages(Claim, "id", (*fields, "creator__public_id", "track__public_id")):
        claim = SimpleNamespace(**dict(zip(fields, row[:6], strict=True)))
        yield ("claim", str(row[1])), records.claim_state(claim, str(row[6]), str(row[7]))


def _verifications() -> Iterator[tuple[tuple, dict]]:
    fields = ("id", "method", "started_at", "ended_at")
    for row in _pages(ClaimVerification, "id", (*fields, "claim__public_id")):
        verification = SimpleNamespace(pk=row[0], **dict(zip(fields[1:], row[1:4], strict=True)))
        yield ("verification", row[0]), records.verification_state(verification, str(row[4]))


def _links() -> Iterator[tuple[tuple, dict]]:
    fields = ("id", "url", "created_at", "hidden_at", "hidden_reason")
    related = ("track__public_id", "added_by__public_id", "claim__public_id")
    for row in _pages(TrackLink, "id", (*fields, *related)):
        link = SimpleNamespace(pk=row[0], **dict(zip(fields[1:], row[1:5], strict=True)))
        record = records.link_state(link, str(row[5]), str(row[6]), _text(row[7]))
        yield ("link", row[0]), record


def _states(query, build, key: str) -> Iterator[tuple[tuple, dict]]:
    # Decided disputes and suspensions: few rows, built from model instances as written.
    last = None
    while True:
        page = query.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        chunk = list(page[:BATCH])
        for row, record in zip(chunk, build(chunk), strict=True):
            yield (key, str(row.public_id)), record
        if len(chunk) < BATCH:
            return
        last = chunk[-1].pk


def subjects() -> list[Iterator[tuple[tuple, dict]]]:
    """Per kind of row the log records: (key, record its current values give), in row order."""
    return [
        _declarations(),
        _change_events(),
        _claims(),
        _verifications(),
        _links(),
        _states(
            Dispute.objects.filter(decided_at__isnull=False),
            records.decision_records,
            "dispute-decision",
        ),
        _states(
            Creator.objects.filter(suspended_at__isnull=False),
            lambda rows: [records.suspension(row) for row in rows],
            "suspension",
        ),
    ]


# The records of the numerous kinds as PostgreSQL writes them, in RFC 8785's form, and hashes
# them: one statement per page gives each row's key and the first DIGEST bytes of
# SHA-256(0x00 || record), the leaf hash its entry must have. Each text mirrors its builder in
# consent.transparency.records member for member, written as `jcs.canonical` writes the
# builder's dictionary: members in sorted order, no whitespace, strings through to_json (whose
# escapes are RFC 8785's: the short forms for \b \t \n \f \r, `\"`, `\\`, and `\u00xx` in
# lower case for the other controls; everything else as UTF-8), integers in decimal, public ids
# as text, times in consent.times' format, null where the builder writes None. A change event's
# `values` keeps only the purposes, in sorted order, as `records.policy_change` does, and its
# `links` are the stored list's elements, in order. The record is built from the row's columns
# alone, never from its entry, so the check is the same one the builders make: a row whose
# values differ from its entry hashes differently. Where a value is not what any builder
# writes (a float, an integer past 2**53, a nested object), the text is still what the value
# holds, but not canonical: no entry can equal it, since the scan requires every entry to be
# canonical. (kind, key column, order column, record text, tables)
_STRING = "coalesce(to_json(({0})::text)::text, 'null')"
_TIME = "coalesce(to_json(to_char(({0}) AT TIME ZONE 'UTC', '{1}'))::text, 'null')"
_VALUES = (
    "concat_ws(',', "
    + ", ".join(
        f"CASE WHEN jsonb_typeof(e.policy) = 'object' AND e.policy ? '{p}' "
        f"THEN '\"{p}\":' || (e.policy -> '{p}')::text END"
        for p in sorted(records.PURPOSE_VALUES)
    )
    + ")"
)
_LINKS = (
    "CASE WHEN e.links IS NULL THEN 'null' WHEN jsonb_typeof(e.links) = 'array' THEN "
    "(SELECT '[' || coalesce(string_agg(x::text, ',' ORDER BY o), '') || ']' "
    "FROM jsonb_array_elements(e.links) WITH ORDINALITY AS a(x, o)) ELSE e.links::text END"
)
CANONICAL_SQL = (
    (
        "declaration",
        "d.id",
        "d.id",
        "'{\"at\":' || {time:d.declared_at} || ',\"batch\":' || {str:d.batch} "
        "|| ',\"creator\":' || {str:c.public_id} || ',\"declaration\":' || d.id "
        "|| ',\"purpose\":' || {str:d.purpose} || ',\"track\":' || {str:t.public_id} "
        '|| \',"type":"declaration","v":1,"value":\' || {str:d.value} || \'}\'',
        "consent_declaration d JOIN consent_creator c ON c.id = d.creator_id "
        "LEFT JOIN consent_track t ON t.id = d.track_id",
    ),
    (
        "policy",
        "e.sequence",
        "e.sequence",
        "'{\"at\":' || {time:e.created_at} || ',\"cause\":' || {str:e.cause} "
        "|| ',\"disputed\":' || CASE WHEN e.disputed THEN 'true' ELSE 'false' END "
        f"|| ',\"links\":' || {_LINKS} || ',\"sequence\":' || e.sequence "
        "|| ',\"track\":' || {str:t.public_id} "
        f'|| \',"type":"policy","v":1,"values":{{\' || {_VALUES} || \'}}}}\'',
        "consent_changeevent e JOIN consent_track t ON t.id = e.track_id",
    ),
    (
        "claim",
        "uuid_send(cl.public_id)",
        "cl.id",
        "'{\"claim\":' || {str:cl.public_id} || ',\"created_at\":' || {time:cl.created_at} "
        "|| ',\"creator\":' || {str:c.public_id} || ',\"ended_at\":' || {time:cl.ended_at} "
        "|| ',\"role\":' || {str:cl.role} || ',\"status\":' || {str:cl.status} "
        '|| \',"track":\' || {str:t.public_id} || \',"type":"claim","v":1}\'',
        "consent_claim cl JOIN consent_track t ON t.id = cl.track_id "
        "JOIN consent_creator c ON c.id = cl.creator_id",
    ),
    (
        "verification",
        "v.id",
        "v.id",
        "'{\"claim\":' || {str:cl.public_id} || ',\"ended_at\":' || {time:v.ended_at} "
        "|| ',\"method\":' || {str:v.method} || ',\"started_at\":' || {time:v.started_at} "
        '|| \',"type":"verification","v":1,"verification":\' || v.id || \'}\'',
        "consent_claimverification v JOIN consent_claim cl ON cl.id = v.claim_id",
    ),
    (
        "link",
        "l.id",
        "l.id",
        "'{\"added_by\":' || {str:c.public_id} || ',\"claim\":' || {str:cl.public_id} "
        "|| ',\"created_at\":' || {time:l.created_at} || ',\"hidden_at\":' "
        "|| {time:l.hidden_at} || ',\"hidden_reason\":' "
        "|| {str:nullif(l.hidden_reason, '')} || ',\"link\":' || l.id "
        '|| \',"track":\' || {str:t.public_id} || \',"type":"link","url":\' '
        "|| {str:l.url} || ',\"v\":1}'",
        "consent_tracklink l JOIN consent_track t ON t.id = l.track_id "
        "JOIN consent_creator c ON c.id = l.added_by_id "
        "LEFT JOIN consent_claim cl ON cl.id = l.claim_id",
    ),
)


def canonical_text_sql(text: str) -> str:
    """A record text of CANONICAL_SQL with its placeholders written out."""
    text = re.sub(
        r"\{time:([a-z_.]+)\}", lambda m: "(" + _TIME.format(m.group(1), SQL_FORMAT) + ")", text
    )
    return re.sub(r"\{str:([^}]+)\}", lambda m: "(" + _STRING.format(m.group(1)) + ")", text)


def _digest_pages(key: str, order: str, text: str, tables: str) -> Iterator[list[tuple]]:
    """Pages of (order, key, DIGEST bytes of the record's leaf hash) of one kind, in `order`
    order (keyset pages), the record written and hashed by PostgreSQL."""
    record = canonical_text_sql(text)
    sql = (
        f"SELECT {order}, {key}, substring(sha256('\\x00'::bytea || "  # noqa: S608 (constants)
        f"convert_to({record}, 'UTF8')) FROM 1 FOR {DIGEST}) "
        f"FROM {tables} WHERE {order} > %s ORDER BY {order} LIMIT {PAGE}"
    )
    last = -(2**63)
    while True:
        rows = _fetch(sql, [last])
        yield rows
        if len(rows) < PAGE:
            return
        last = rows[-1][0]


def _expected_sql() -> list[tuple[str, array | list, bytearray]]:
    kinds = []
    for kind, key, order, text, tables in CANONICAL_SQL:
        numbered = kind in NUMBERED
        keys: array | list = array("q") if numbered else []
        digests = bytearray()
        for page in _digest_pages(key, order, text, tables):
            keys.extend([row[1] for row in page])
            digests += b"".join([row[2] for row in page])
        if keys:
            kinds.append((kind, keys, digests))
    for stream in subjects()[len(CANONICAL_SQL) :]:
        kinds.extend(_collect([stream]))
    return kinds


def _expected() -> list[tuple[str, array | list, bytearray]]:
    """Per kind of recorded row, in `subjects` order: the rows' keys in row order and the digest
    of the entry each row's current values give (DIGEST bytes each, in the same order)."""
    if connection.vendor == "postgresql":
        return _expected_sql()
    return _collect(subjects())


def _collect(streams) -> list[tuple[str, array | list, bytearray]]:
    kinds = []
    for stream in streams:
        keys: array | list | None = None
        digests = bytearray()
        kind = ""
        for (kind, key), record in stream:  # noqa: B007 (the kind is the stream's)
            if keys is None:
                keys = array("q") if type(key) is int else []
            keys.append(key if type(keys) is array else _compact(key))
            digests += _digest(record)
        if keys is not None:
            kinds.append((kind, keys, digests))
    return kinds


def _in_child(function: Callable, name: str, what: str):
    """Start `function` in a forked process, on a connection of its own, while this one goes
    on; a function that waits for its answer. Only outside a transaction (a child could not see
    uncommitted rows) and on PostgreSQL; else None."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    connection.close()  # each process opens its own

    def child() -> None:
        try:
            sending.send(("ok", function()))
        except BaseException as exc:  # reported by the parent
            sending.send(("error", f"{type(exc).__name__}: {exc}"))
        finally:
            sending.close()

    process = context.Process(target=child, name=name, daemon=True)
    process.start()
    sending.close()

    def wait():
        try:
            status, value = receiving.recv()
        finally:
            process.join()
        if status != "ok":
            raise RuntimeError(f"{what} failed: {value}")
        return value

    wait.process = process
    return wait


def _expected_in_child():
    """Start deriving the rows' records in a forked process while this one reads the log."""
    return _in_child(_expected, "verify-log-rows", "Re-deriving the recorded rows")


# A log of at least this many entries is scanned in two processes, each over half of it.
SPLIT_AT = 200_000


def _split() -> int | None:
    """Where the second scanning process starts, or None to scan in this one alone."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    table = connection.ops.quote_name(LogEntry._meta.db_table)
    index = connection.ops.quote_name("index")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max({index}) FROM {table}")  # noqa: S608 (names)
        (last,) = cursor.fetchone()
    if last is None or last + 1 < SPLIT_AT:
        return None
    return (last + 1) // 2


def _row_problems(logged: _Logged, expected: list) -> Iterator[str]:
    digests = logged.digests
    for kind, keys, wanted in expected:
        name = DESCRIPTIONS.get(kind, kind)
        for position, key in enumerate(keys):
            index = logged.pop(kind, key)
            key = _readable(key)
            if index is None:
                yield f"The log has no entry for {name} {key}."
                return
            at, mine = index * DIGEST, position * DIGEST
            if digests[at : at + DIGEST] != wanted[mine : mine + DIGEST]:
                yield (
                    f"Entry {index}, the latest for {name} {key}, does not match it as the "
                    "database holds it."
                )
                return
    for index, key in sorted(logged.left()):
        yield f"Entry {index} records {key[0]} {key[1]}, which the database does not hold."
        return


def _signature_check() -> Callable | None:
    try:
        return import_string(CHECKPOINT_SIGNATURE_CHECK)
    except ImportError:
        return None


def _checkpoint_problems(size: int) -> Iterator[str]:
    from . import log

    check = _signature_check()
    for checkpoint in Checkpoint.objects.order_by("size"):
        if checkpoint.size > size:
            yield f"Checkpoint at size {checkpoint.size} is beyond the log's {size} entries."
            return
        # The stored hashes were all checked against the entries: a root is a fold of a few.
        if bytes(checkpoint.root_hash) != log.root(checkpoint.size):
            yield f"Checkpoint at size {checkpoint.size} does not have the tree's root hash."
            return
        if check is not None:
            problem = check(checkpoint)
            if problem:
                yield f"Checkpoint at size {checkpoint.size}: {problem}"
                return


def problems() -> Iterator[str]:
    """Every check in order (module docstring); a sentence per problem, the first first.

    On PostgreSQL outside a transaction, three processes share the work: this one scans the
    first half of the entries, a second the rest (from the stored hashes of the first half's
    right edge, which this one recomputes), a third re-derives the rows' records; their
    findings are put together as one pass in index order would have found them."""
    waits = []
    try:
        rows = _expected_in_child()
        if rows is not None:
            waits.append(rows)
        sizes = _Logged.sizes()
        split = _split()
        upper = None
        if split is not None:
            upper = _in_child(
                lambda: _scan_upper(sizes, split), "verify-log-scan", "Scanning the later entries"
            )
            waits.append(upper)
        logged = _Logged(sizes)
        parts = [_scan(logged, 0, split)]
        if parts[0].tree:
            yield parts[0].tree
            return
        if upper is not None:
            later, part = upper()
            parts.append(part)
        tree = _tree_problems(parts)
        if tree:
            yield tree[0]
            return
        entry = parts[0].entry
        if entry is None and upper is not None:
            found = [problem for problem in (logged.merge(later), parts[1].entry) if problem]
            entry = min(found) if found else None
        if entry:
            yield entry[1]
            return
        expected = rows() if rows is not None else _expected()
    finally:
        for wait in waits:
            if wait.process.is_alive():
                wait.process.terminate()
    yield from _row_problems(logged, expected)
    yield from _checkpoint_problems(parts[-1].end)


def _scan_upper(sizes: dict[str, int], start: int) -> tuple[_Logged, _Part]:
    logged = _Logged(sizes)
    return logged, _scan(logged, start)


def signatures_checked() -> bool:
    return _signature_check() is not None
