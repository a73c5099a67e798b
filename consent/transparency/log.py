"""The registry's transparency log, stored in LogEntry and LogHash (docs/log.md).

Entries are appended inside the transaction that records the fact they describe, after
`consent.policies.lock_consent_writes()`: that row lock orders every writer, so indexes are
gap-free and each append sees every earlier one. Appending record n writes its entry and the
1 + (trailing one bits of n) stored hashes it completes (`merkle.stored_hashes`); nothing is ever
rebuilt or rewritten (the tables are append-only in the database, migration 0017).

Reads (`root`, `inclusion`, `consistency`, tiles) only ever read stored hashes, so they work
for any size the log has reached, and full tiles never change once written.
"""

from collections.abc import Iterable, Sequence

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from consent.models import LogEntry, LogHash

from . import merkle
from .jcs import canonical

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY = 0xFFFF  # entry bundles prefix each entry with a big-endian uint16 length


def _read(indexes: Sequence[int]) -> list[bytes]:
    found: dict[int, bytes] = {}
    wanted = list(indexes)
    table = connection.ops.quote_name(LogHash._meta.db_table)
    column = connection.ops.quote_name("index")
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        low, high = min(chunk), max(chunk)
        with connection.cursor() as cursor:
            if high - low < 4 * len(chunk):
                # Nearby hashes (a level-0 tile, a batch being appended): one range scan.
                cursor.execute(
                    f"SELECT {column}, hash FROM {table} "  # noqa: S608 (names, not input)
                    f"WHERE {column} BETWEEN %s AND %s",
                    [low, high],
                )
            else:
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT {column}, hash FROM {table} "  # noqa: S608 (names, not input)
                    f"WHERE {column} IN ({marks})",
                    chunk,
                )
            for index, value in cursor.fetchall():
                found[index] = bytes(value)
    missing = [index for index in wanted if index not in found]
    if missing:
        raise LookupError(f"The log has no stored hash {missing[0]}.")
    return [found[index] for index in wanted]


def size() -> int:
    """How many entries the log holds."""
    last = LogEntry.objects.aggregate(last=Max("index"))["last"]
    return 0 if last is None else last + 1


def _check_writing() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("Log entries are appended inside the transaction that records them.")
    # Callers hold the lock already; taking it again in the same transaction costs one indexed
    # row read and makes a forgotten lock impossible (the index below must not race).
    from consent.policies import lock_consent_writes

    lock_consent_writes()


def append(record: dict) -> int:
    """Append one record; its index. Inside the transaction holding the consent write lock."""
    return append_many([record]).start


def append_many(records: Iterable[dict]) -> range:
    """Append records in order with two bulk inserts; the range of their indexes.

    Inside `consent.writes.prepared_write` (before the lock is taken) the entries are encoded
    and kept, and appended in the same order once the write holds the lock: the range returned
    is then empty, as no index is known yet.
    """
    return append_many_encoded([canonical(record) for record in records])


def append_many_encoded(datas: Sequence[bytes]) -> range:
    """`append_many` of entries already in their canonical bytes."""
    if not connection.in_atomic_block:
        raise RuntimeError("Log entries are appended inside the transaction that records them.")
    for data in datas:
        if len(data) > MAX_ENTRY:
            raise ValueError("A log entry is limited to 65535 bytes.")
    from consent.policies import preparing_write

    preparing = preparing_write()
    if preparing is not None:
        preparing.keep_log_entries(datas, [merkle.leaf_hash(data) for data in datas])
        return range(0)
    return append_encoded(datas)


def append_encoded(datas: Sequence[bytes], leaves: Sequence[bytes] | None = None) -> range:
    """Append entries already in their canonical bytes (`leaves`: their leaf hashes, when
    computed beforehand). Inside the transaction holding the consent write lock."""
    _check_writing()
    first = size()
    if not datas:
        return range(first, first)
    if leaves is None:
        leaves = [merkle.leaf_hash(data) for data in datas]
    # The tree's right edge (one stored hash per one bit of `first`), then every new leaf and
    # the subtrees it completes, in stored-hash-index order.
    frontier = merkle.Frontier.of(first, _read)
    hash_index = merkle.stored_hash_index(0, first)
    hashes = []
    for leaf in leaves:
        for value in frontier.append(leaf):
            hashes.append((hash_index, value))
            hash_index += 1
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # COPY's text format written whole (bytea as `\\x` and hexadecimal, as bench/seed.py
            # writes the seeded log): a row at a time through psycopg cost ~4 µs a row.
            at = now.isoformat()
            _copy(
                LogEntry,
                ("index", "data", "created_at"),
                "".join(f"{first + i}\t\\\\x{data.hex()}\t{at}\n" for i, data in enumerate(datas)),
            )
            _copy(
                LogHash,
                ("index", "hash"),
                "".join(f"{i}\t\\\\x{value.hex()}\n" for i, value in hashes),
            )
        else:
            rows = [(first + i, data, now) for i, data in enumerate(datas)]
            LogEntry.objects.bulk_create([LogEntry(index=i, data=d) for i, d, _ in rows])
            LogHash.objects.bulk_create([LogHash(index=i, hash=h) for i, h in hashes])
    # Every append leads to a signed checkpoint once its transaction commits (one per
    # transaction, however many appends it made).
    from .checkpoints import schedule_checkpoint

    schedule_checkpoint()
    return range(first, first + len(datas))


def _copy(model, columns: tuple[str, ...], text: str) -> None:
    """Insert rows given in COPY's text format: a batch of thousands costs about what one
    INSERT does."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {table} ({names}) FROM STDIN"  # noqa: S608 (names from the model, not input)
        ) as copy,
    ):
        copy.write(text.encode())


def _within(tree_size: int) -> None:
    if not 0 <= tree_size <= size():
        raise ValueError(f"The log has no tree of size {tree_size}.")


def root(tree_size: int | None = None) -> bytes:
    """The RFC 6962 root hash of the first `tree_size` entries (default: all of them)."""
    if tree_size is None:
        tree_size = size()
    _within(tree_size)
    return merkle.tree_hash(tree_size, _read)


def inclusion(index: int, tree_size: int) -> list[bytes]:
    _within(tree_size)
    return merkle.inclusion_proof(index, tree_size, _read)


def consistency(old: int, new: int) -> list[bytes]:
    _within(new)
    return merkle.consistency_proof(old, new, _read)


def entries(start: int, end: int) -> list[bytes]:
    """The bytes of entries start … end − 1."""
    if not 0 <= start <= end or end > size():
        raise ValueError(f"The log has no entries {start}..{end}.")
    rows = LogEntry.objects.filter(index__gte=start, index__lt=end).order_by("index")
    return [bytes(data) for data in rows.values_list("data", flat=True)]


def _check_tile(level: int, index: int, width: int) -> None:
    if level < 0 or index < 0 or not 1 <= width <= TILE_WIDTH:
        raise ValueError("No such tile.")


# Full tiles never change: their bytes are cached under the hash of the subtree they make up,
# which exists exactly when the tile is full and names its content (a log started again on the
# same cache cannot be served another's tile).
TILE_CACHE_SECONDS = 24 * 3600


def _full_tile(kind: str, level: int, index: int, build) -> bytes | None:
    """The bytes of a full tile from the cache, else built and cached; None when the tile is
    not (yet) full, for the caller's own checks."""
    anchor = merkle.stored_hash_index(TILE_HEIGHT * (level + 1), index)
    table = connection.ops.quote_name(LogHash._meta.db_table)
    column = connection.ops.quote_name("index")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT hash FROM {table} WHERE {column} = %s",  # noqa: S608 (names, not input)
            [anchor],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    key = f"log-tile:{kind}:{level}:{index}:{bytes(row[0]).hex()}"
    data = cache.get(key)
    if data is None:
        data = build()
        cache.set(key, data, TILE_CACHE_SECONDS)
    return data


def hash_tile(level: int, index: int, width: int) -> bytes:
    """C2SP tlog-tiles hash tile `level`/`index` with `width` hashes: the concatenated hashes
    of tree level 8·`level`, nodes 256·`index` … 256·`index` + `width` − 1."""
    _check_tile(level, index, width)
    if width == TILE_WIDTH:
        tree_level = TILE_HEIGHT * level
        first = index * TILE_WIDTH
        indexes = [merkle.stored_hash_index(tree_level, first + i) for i in range(width)]
        data = _full_tile("hash", level, index, lambda: b"".join(_read(indexes)))
        if data is not None:
            return data
    first = index * TILE_WIDTH
    if (first + width) << (TILE_HEIGHT * level) > size():
        raise ValueError("That tile is beyond the tree.")
    tree_level = TILE_HEIGHT * level
    indexes = [merkle.stored_hash_index(tree_level, first + i) for i in range(width)]
    return b"".join(_read(indexes))


def entry_bundle(index: int, width: int) -> bytes:
    """C2SP tlog-tiles entry bundle `index` with `width` entries, each prefixed by its length
    as a big-endian uint16."""
    _check_tile(0, index, width)
    first = index * TILE_WIDTH
    if width == TILE_WIDTH:
        data = _full_tile("entries", 0, index, lambda: _bundle(first, first + width))
        if data is not None:
            return data
    if first + width > size():
        raise ValueError("That entry bundle is beyond the tree.")
    return _bundle(first, first + width)


def _bundle(start: int, end: int) -> bytes:
    return b"".join(len(data).to_bytes(2, "big") + data for data in entries(start, end))
