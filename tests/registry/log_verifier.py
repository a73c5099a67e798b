"""An RFC 9162 verifier written from the RFC, independent of consent.transparency, for tests.

Hashes (RFC 9162 §2.1.1), the Merkle tree hash of a list of leaves, inclusion proof verification
(§2.1.3.2) and consistency proof verification (§2.1.4.2), and the C2SP signed-note check of a
checkpoint done directly with `cryptography`.
"""

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth_of_leaf_hashes(hashes: list[bytes]) -> bytes:
    """MTH over leaf hashes: the largest power of two k < n splits the list."""
    n = len(hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashes[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth_of_leaf_hashes(hashes[:k]), mth_of_leaf_hashes(hashes[k:]))


def verify_inclusion(index: int, size: int, leaf_hash: bytes, path: list[bytes], root: bytes):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, first_hash, second_hash, path: list[bytes]):
    if first == second:
        return not path and first_hash == second_hash
    if first == 0 or first > second:
        return False
    if first & (first - 1) == 0:  # an exact power of two
        path = [first_hash, *path]
    if not path:
        return False
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node(c, fr)
            sr = node(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_hash and sr == second_hash and sn == 0


def check_checkpoint(note: str, verifier_key: str) -> tuple[str, int, bytes]:
    """(origin, size, root hash) of a checkpoint note whose signature by `verifier_key` holds.

    Raises AssertionError or cryptography's InvalidSignature otherwise.
    """
    name, key_hash, encoded = verifier_key.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x01
    assert hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex() == key_hash
    text, separator, signatures = note.partition("\n\n")
    assert separator
    text += "\n"
    ours = [line for line in signatures.splitlines() if line.startswith(f"— {name} ")]
    assert len(ours) == 1, signatures
    blob = base64.b64decode(ours[0].split(" ")[2])
    assert blob[:4].hex() == key_hash
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], text.encode())
    origin, size, root, empty = text.split("\n")
    assert empty == ""
    return origin, int(size), base64.b64decode(root)
