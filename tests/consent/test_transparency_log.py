"""The stored log: gap-free appends inside the locked transaction, hashes and proofs that match
the RFC definition, C2SP tiles, and the database refusing to rewrite entries or hashes."""

import hashlib

import pytest
from django.db import DatabaseError, connection, transaction

from consent.models import LogEntry
from consent.policies import lock_consent_writes
from consent.transparency import log, merkle
from consent.transparency.jcs import canonical

pytestmark = pytest.mark.django_db


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, recursively."""
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return sha(b"\x00" + leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def fill(count: int, *, batch: bool) -> list[bytes]:
    records = [{"v": 1, "type": "test", "n": i} for i in range(count)]
    with transaction.atomic():
        lock_consent_writes()
        if batch:
            log.append_many(records)
        else:
            for record in records:
                log.append(record)
    return [canonical(record) for record in records]


def leaves_now() -> list[bytes]:
    return log.entries(0, log.size())


@pytest.mark.parametrize("batch", [False, True])
def test_appends_are_gap_free_and_roots_match_the_rfc_definition(batch):
    start = log.size()
    data = fill(300, batch=batch)
    assert log.size() == start + 300
    leaves = leaves_now()
    assert leaves[start:] == data
    for size in (0, 1, start + 1, start + 7, start + 256, start + 300):
        assert log.root(size) == mth(leaves[:size])
    assert log.root() == mth(leaves)


def test_hash_tiles_and_entry_bundles_follow_c2sp_tlog_tiles():
    start = log.size()
    fill(600, batch=True)
    leaves = leaves_now()
    size = len(leaves)
    assert size == start + 600
    full = log.hash_tile(0, 0, 256)
    assert full == b"".join(sha(b"\x00" + leaf) for leaf in leaves[:256])
    assert log.hash_tile(1, 0, 1) == mth(leaves[:256])
    partial_width = size - 512 if size < 768 else 1
    assert log.hash_tile(0, 2, partial_width) == b"".join(
        sha(b"\x00" + leaf) for leaf in leaves[512 : 512 + partial_width]
    )
    bundle = log.entry_bundle(1, 256)
    expected = b"".join(len(e).to_bytes(2, "big") + e for e in leaves[256:512])
    assert bundle == expected
    with pytest.raises(ValueError):
        log.hash_tile(0, size // 256, 256)
    with pytest.raises(ValueError):
        log.hash_tile(1, 0, size // 256 + 1)
    with pytest.raises(ValueError):
        log.entry_bundle(0, 257)
    with pytest.raises(ValueError):
        log.entry_bundle(size // 256, size % 256 + 1)


def test_full_tiles_are_served_from_the_cache_under_the_hash_they_add_up_to(
    django_assert_num_queries,
):
    fill(520, batch=True)
    leaves = leaves_now()
    first_hashes = log.hash_tile(0, 0, 256)
    first_bundle = log.entry_bundle(1, 256)
    # Once built, a full tile costs one indexed read: the subtree hash that names it.
    with django_assert_num_queries(1):
        assert log.hash_tile(0, 0, 256) == first_hashes
    with django_assert_num_queries(1):
        assert log.entry_bundle(1, 256) == first_bundle
    assert first_hashes == b"".join(sha(b"\x00" + leaf) for leaf in leaves[:256])
    assert first_bundle == b"".join(len(e).to_bytes(2, "big") + e for e in leaves[256:512])
    # A tile that is not full yet is never cached: it is read, and refused when out of range.
    with pytest.raises(ValueError):
        log.hash_tile(0, len(leaves) // 256, 256)


def test_the_frontier_stores_and_roots_exactly_as_the_stored_tree():
    stored: dict[int, bytes] = {}
    frontier = merkle.Frontier()
    assert frontier.root() == sha(b"")
    for n in range(300):
        data = str(n).encode()
        expected = merkle.stored_hashes(n, data, lambda wanted: [stored[i] for i in wanted])
        assert frontier.append(merkle.leaf_hash(data)) == expected
        start = merkle.stored_hash_index(0, n)
        stored.update({start + k: value for k, value in enumerate(expected)})
        assert frontier.root() == merkle.tree_hash(n + 1, lambda w: [stored[i] for i in w])
        # Read back from the stored hashes, it goes on exactly as the one that built them.
        again = merkle.Frontier.of(n + 1, lambda w: [stored[i] for i in w])
        assert again.root() == frontier.root() and again.size == n + 1
        assert again._edge == frontier._edge
    assert len(stored) == merkle.stored_hash_count(300)


def test_proofs_are_read_from_the_stored_hashes():
    from tests.consent.test_merkle import verify_consistency, verify_inclusion

    fill(100, batch=True)
    leaves = leaves_now()
    size = len(leaves)
    root = log.root()
    for index in (0, 1, size // 2, size - 1):
        assert verify_inclusion(index, size, leaves[index], log.inclusion(index, size), root)
    for old in (1, 2, size // 3, size - 1):
        proof = log.consistency(old, size)
        assert verify_consistency(old, size, mth(leaves[:old]), root, proof)
    with pytest.raises(ValueError):
        log.root(size + 1)
    with pytest.raises(ValueError):
        log.entries(0, size + 1)


def test_the_database_refuses_to_rewrite_or_erase_entries_and_hashes():
    fill(2, batch=False)
    for sql in (
        "UPDATE consent_logentry SET data = 'x'",
        "DELETE FROM consent_logentry",
        "UPDATE consent_loghash SET hash = 'x'",
        "DELETE FROM consent_loghash",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LogEntry.objects.all().delete()
