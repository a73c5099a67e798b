"""The tree arithmetic against RFC 9162 itself: roots from the recursive MTH definition, and every
proof checked by verifiers written here from §2.1.3.2 and §2.1.4.2, not by production code."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent.transparency import merkle


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH, recursively."""
    n = len(leaves)
    if n == 0:
        return sha(b"")
    if n == 1:
        return sha(b"\x00" + leaves[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def verify_inclusion(leaf_index, tree_size, entry, path, root) -> bool:
    """RFC 9162 §2.1.3.2."""
    if leaf_index >= tree_size:
        return False
    fn, sn = leaf_index, tree_size - 1
    r = sha(b"\x00" + entry)
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = sha(b"\x01" + p + r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = sha(b"\x01" + r + p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, first_hash, second_hash, path) -> bool:
    """RFC 9162 §2.1.4.2."""
    if first == second:
        return path == [] and first_hash == second_hash
    if first == 0:
        return path == []
    if not path:
        return False
    if first & (first - 1) == 0:  # a power of two: prepend first_hash
        path = [first_hash, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = sha(b"\x01" + c + fr)
            sr = sha(b"\x01" + c + sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = sha(b"\x01" + sr + c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


class Store:
    """Stored hashes in a dict, filled only through `merkle.stored_hashes`, counting reads."""

    def __init__(self):
        self.hashes: dict[int, bytes] = {}
        self.entries: list[bytes] = []
        self.reads = 0

    def read(self, indexes):
        self.reads += len(indexes)
        return [self.hashes[i] for i in indexes]

    def append(self, data: bytes) -> None:
        n = len(self.entries)
        start = merkle.stored_hash_index(0, n)
        assert start == len(self.hashes)
        for offset, value in enumerate(merkle.stored_hashes(n, data, self.read)):
            self.hashes[start + offset] = value
        self.entries.append(data)
        assert len(self.hashes) == merkle.stored_hash_count(n + 1)


def entry(i: int) -> bytes:
    return f'{{"n":{i}}}'.encode()


def build(size: int) -> Store:
    store = Store()
    for i in range(size):
        store.append(entry(i))
    return store


@pytest.fixture(scope="module")
def store70():
    return build(70)


def test_hash_prefixes_are_rfc_6962():
    assert merkle.leaf_hash(b"abc") == sha(b"\x00abc")
    assert merkle.node_hash(b"l" * 32, b"r" * 32) == sha(b"\x01" + b"l" * 32 + b"r" * 32)


def test_stored_hash_index_matches_go_tlog_and_inverts():
    # Go's tlog stores: leaf 0, leaf 1, node(0,1), leaf 2, leaf 3, node(2,3), node(0..3), leaf 4.
    assert [merkle.stored_hash_index(0, n) for n in range(5)] == [0, 1, 3, 4, 7]
    assert merkle.stored_hash_index(1, 0) == 2
    assert merkle.stored_hash_index(1, 1) == 5
    assert merkle.stored_hash_index(2, 0) == 6
    for index in range(2000):
        level, n = merkle.split_stored_hash_index(index)
        assert merkle.stored_hash_index(level, n) == index


def test_every_size_to_70_has_the_rfc_root_and_valid_proofs(store70):
    leaves = store70.entries
    for size in range(0, 71):
        root = merkle.tree_hash(size, store70.read)
        assert root == mth(leaves[:size])
        for index in range(size):
            path = merkle.inclusion_proof(index, size, store70.read)
            assert verify_inclusion(index, size, leaves[index], path, root)
            assert not verify_inclusion(index, size, leaves[index] + b"x", path, root)
        for old in range(0, size + 1):
            proof = merkle.consistency_proof(old, size, store70.read)
            old_root = mth(leaves[:old])
            assert verify_consistency(old, size, old_root, root, proof)
            if 0 < old < size:
                assert not verify_consistency(old, size, sha(b"other"), root, proof)


def test_a_proof_fails_for_the_wrong_position(store70):
    root = merkle.tree_hash(70, store70.read)
    path = merkle.inclusion_proof(5, 70, store70.read)
    assert not verify_inclusion(6, 70, store70.entries[5], path, root)


def test_appending_reads_only_logarithmically_many_hashes():
    store = build(1 << 12)
    before = store.reads
    store.append(b"last")  # record 4096: no completed subtree
    store2 = build((1 << 12) - 1)
    before2 = store2.reads
    store2.append(b"last")  # record 4095 completes 12 levels
    assert store.reads - before == 0
    assert store2.reads - before2 == 12
    assert merkle.tree_hash(1 << 12, store2.read) == mth(store2.entries)


@pytest.fixture(scope="module")
def big():
    return build(3000)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_big_trees_prove_inclusion_and_consistency(big, data):
    new = data.draw(st.integers(1, 3000))
    old = data.draw(st.integers(1, new))
    index = data.draw(st.integers(0, new - 1))
    root = merkle.tree_hash(new, big.read)
    assert root == mth(big.entries[:new])
    path = merkle.inclusion_proof(index, new, big.read)
    assert verify_inclusion(index, new, big.entries[index], path, root)
    proof = merkle.consistency_proof(old, new, big.read)
    assert verify_consistency(old, new, mth(big.entries[:old]), root, proof)


def test_out_of_range_requests_are_refused(store70):
    with pytest.raises(ValueError):
        merkle.inclusion_proof(70, 70, store70.read)
    with pytest.raises(ValueError):
        merkle.consistency_proof(10, 5, store70.read)
