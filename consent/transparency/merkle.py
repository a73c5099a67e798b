"""The log's Merkle tree: RFC 6962/9162 hashing, stored the way Go's golang.org/x/mod/sumdb/tlog
stores it, so that appending record n writes 1 + (trailing one bits of n) hashes and never
rebuilds anything.

Every complete subtree's hash is stored once, at a "stored hash index": the hash of level L,
number n (covering leaves n·2^L … (n+1)·2^L − 1) lives at `stored_hash_index(L, n)`. Leaves and
completed subtrees are interleaved in the order they become known, so index space grows by about
two per record. Any tree hash or proof is a fold of O(log n) stored hashes, read with one call to
`read(indexes) -> list[bytes]`.

Pure: no Django, so the read path, the tests and a third party's checker can share it.
"""

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()  # RFC 9162 §2.1.1: MTH({}) = SHA-256()

Reader = Callable[[Sequence[int]], list[bytes]]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def stored_hash_index(level: int, n: int) -> int:
    """Where the hash of level `level`, number `n` is stored."""
    for _ in range(level):
        n = 2 * n + 1
    index = 0
    while n > 0:
        index += n
        n >>= 1
    return index + level


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """The (level, n) stored at `index`: the inverse of `stored_hash_index`."""
    n = index // 2
    index_n = stored_hash_index(0, n)
    while True:
        following = index_n + 1 + _trailing_zeros(n + 1)
        if following > index:
            break
        n += 1
        index_n = following
    level = index - index_n
    return level, n >> level


def stored_hash_count(n: int) -> int:
    """How many hashes a tree of `n` records stores."""
    if n == 0:
        return 0
    count = stored_hash_index(0, n - 1) + 1
    i = n - 1
    while i & 1:
        count += 1
        i >>= 1
    return count


def _trailing_zeros(x: int) -> int:
    return (x & -x).bit_length() - 1


def stored_hashes(n: int, data: bytes, read: Reader) -> list[bytes]:
    """The hashes to store when record `n` (0-based) with bytes `data` is appended, in index
    order from `stored_hash_index(0, n)`; `read` gives the earlier stored hashes it needs."""
    return stored_hashes_for_leaf(n, leaf_hash(data), read)


def stored_hashes_for_leaf(n: int, leaf: bytes, read: Reader) -> list[bytes]:
    count = _trailing_zeros(n + 1)
    indexes = [stored_hash_index(level, (n >> level) - 1) for level in reversed(range(count))]
    old = read(indexes) if indexes else []
    hashes = [leaf]
    current = leaf
    for level in range(count):
        current = node_hash(old[count - 1 - level], current)
        hashes.append(current)
    return hashes


def _largest_power_below(n: int) -> tuple[int, int]:
    """(k, level): the largest k = 2**level with k < n (n >= 2)."""
    level = (n - 1).bit_length() - 1
    return 1 << level, level


def _subtree_indexes(lo: int, hi: int) -> list[int]:
    """Stored hashes whose fold is the hash of leaves lo..hi-1 (lo aligned to the range)."""
    need = []
    while lo < hi:
        k, level = _largest_power_below(hi - lo + 1)
        if lo & (k - 1):
            raise ValueError(f"Leaves {lo}..{hi} are not a subtree of the tree.")
        need.append(stored_hash_index(level, lo >> level))
        lo += k
    return need


def _fold(hashes: Sequence[bytes]) -> bytes:
    current = hashes[-1]
    for left in reversed(hashes[:-1]):
        current = node_hash(left, current)
    return current


def _range_hashes(ranges: Sequence[tuple[int, int]], read: Reader) -> list[bytes]:
    """The hashes of several leaf ranges, with one call to `read`."""
    plans = [_subtree_indexes(lo, hi) for lo, hi in ranges]
    flat = [index for plan in plans for index in plan]
    found = read(flat) if flat else []
    if len(found) != len(flat):
        raise ValueError("The hash reader returned the wrong number of hashes.")
    out, at = [], 0
    for plan in plans:
        out.append(_fold(found[at : at + len(plan)]))
        at += len(plan)
    return out


def tree_hash(size: int, read: Reader) -> bytes:
    """The RFC 6962 root hash of the first `size` records."""
    if size < 0:
        raise ValueError("A tree has no negative size.")
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes([(0, size)], read)[0]


def _path_ranges(m: int, lo: int, hi: int) -> list[tuple[int, int]]:
    # RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]), as the ranges whose hashes make the proof.
    ranges = []
    while hi - lo > 1:
        k, _ = _largest_power_below(hi - lo)
        if m < k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
    return list(reversed(ranges))


def inclusion_proof(index: int, size: int, read: Reader) -> list[bytes]:
    """The audit path of record `index` in the tree of `size` records (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"Record {index} is not in a tree of {size} records.")
    return _range_hashes(_path_ranges(index, 0, size), read)


def _subproof_ranges(m: int, lo: int, hi: int, whole: bool) -> list[tuple[int, int]]:
    # RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b), iteratively; ranges collected leaf-side first.
    ranges = []
    while True:
        n = hi - lo
        if m == n:
            if not whole:
                ranges.append((lo, hi))
            break
        k, _ = _largest_power_below(n)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, whole = lo + k, m - k, False
    return list(reversed(ranges))


def consistency_proof(old: int, new: int, read: Reader) -> list[bytes]:
    """The proof that the tree of `old` records is a prefix of the tree of `new` records."""
    if not 0 <= old <= new:
        raise ValueError(f"No consistency proof from {old} to {new} records.")
    if old == 0 or old == new:
        return []
    return _range_hashes(_subproof_ranges(old, 0, new, True), read)


class Frontier:
    """The tree built one leaf at a time, keeping only the O(log n) hashes of the complete
    subtrees on its right edge: what a bulk writer or a checker streaming the log needs.

    `append` gives the hashes to store for the next record, in stored-hash-index order, exactly
    as `stored_hashes` does; `root` is the tree hash of every record appended so far.
    """

    def __init__(self) -> None:
        self.size = 0
        self._edge: list[tuple[int, bytes]] = []  # (level, hash), largest subtree first

    @classmethod
    def of(cls, size: int, read: Reader) -> "Frontier":
        """The frontier of the stored tree of `size` records: its right edge, read with one call
        to `read` (one stored hash per one bit of `size`)."""
        frontier = cls()
        edge, start = [], 0
        for level in reversed(range(size.bit_length())):
            if size >> level & 1:
                edge.append((level, stored_hash_index(level, start >> level)))
                start += 1 << level
        values = read([index for _, index in edge]) if edge else []
        frontier._edge = [(level, value) for (level, _), value in zip(edge, values, strict=True)]
        frontier.size = size
        return frontier

    def append(self, leaf: bytes) -> list[bytes]:
        edge = self._edge
        current, level = leaf, 0
        hashes = [leaf]
        while edge and edge[-1][0] == level:
            current = node_hash(edge.pop()[1], current)
            level += 1
            hashes.append(current)
        edge.append((level, current))
        self.size += 1
        return hashes

    def root(self) -> bytes:
        if not self._edge:
            return EMPTY_ROOT
        return _fold([value for _, value in self._edge])
