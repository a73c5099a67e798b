"""C2SP signed notes with Ed25519, the tlog-checkpoint body and tlog-cosignature/v1.

Pure: no Django. The formats are those of https://c2sp.org/signed-note,
https://c2sp.org/tlog-checkpoint and https://c2sp.org/tlog-cosignature, which the Go checksum
database, Sigsum and the static CT logs share, so their tools and witnesses read ours.

- A key's hash (its id in signature lines) is the first four bytes of
  SHA-256(name || 0x0A || type || public key); type 0x01 is a note's Ed25519 key, 0x04 a
  witness's Ed25519 cosignature key.
- A verifier key reads `<name>+<hex key hash>+<base64(type || public key)>`; a signer key
  `PRIVATE+KEY+<name>+<hex key hash>+<base64(type || private seed)>`.
- A note is text ending in a newline, a blank line, then one line per signature:
  `— <name> <base64(key hash || signature)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

ED25519 = 0x01
COSIGNATURE_V1 = 0x04
SIGNATURE_PREFIX = "— "  # an em dash (U+2014) and a space
COSIGNATURE_HEADER = "cosignature/v1\n"


class NoteError(ValueError):
    """A key, note or signature that is malformed or does not verify."""


def _check_name(name: str) -> None:
    if not name or any(c.isspace() for c in name) or "+" in name or not name.isprintable():
        raise NoteError("A key name is non-empty and has no spaces, newlines or plus signs.")


def key_hash(name: str, key_type: int, public: bytes) -> bytes:
    """The four-byte key hash (key id) of a public key under a name."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([key_type]) + public).digest()[:4]


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("Not standard base64.") from exc


def _public_bytes(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Signer:
    """A note signing key: its name, key hash and Ed25519 private key."""

    name: str
    hash: bytes
    private: Ed25519PrivateKey
    key_type: int = ED25519

    @classmethod
    def generate(cls, name: str) -> Signer:
        _check_name(name)
        private = Ed25519PrivateKey.generate()
        return cls(name, key_hash(name, ED25519, _public_bytes(private)), private)

    @classmethod
    def from_string(cls, text: str) -> Signer:
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteError("A signer key reads PRIVATE+KEY+<name>+<hex hash>+<base64 key>.")
        name, hex_hash, encoded = parts[2], parts[3], parts[4]
        _check_name(name)
        raw = _b64decode(encoded)
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError("Only Ed25519 signer keys (type 0x01 or 0x04) are supported.")
        private = Ed25519PrivateKey.from_private_bytes(raw[1:])
        expected = key_hash(name, raw[0], _public_bytes(private))
        if len(hex_hash) != 8 or hex_hash.lower() != expected.hex():
            raise NoteError("The signer key's hash does not match its name and key.")
        return cls(name, expected, private, raw[0])

    def to_string(self) -> str:
        seed = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        encoded = base64.b64encode(bytes([self.key_type]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.hash.hex()}+{encoded}"

    def verifier(self) -> Verifier:
        return Verifier(self.name, self.hash, self.private.public_key(), self.key_type)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


@dataclass(frozen=True)
class Verifier:
    """A verifier key: name, key hash and Ed25519 public key."""

    name: str
    hash: bytes
    public: Ed25519PublicKey
    key_type: int = ED25519

    @classmethod
    def from_string(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("A verifier key reads <name>+<hex hash>+<base64 key>.")
        name, hex_hash, encoded = parts
        _check_name(name)
        raw = _b64decode(encoded)
        if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1):
            raise NoteError("Only Ed25519 verifier keys (type 0x01 or 0x04) are supported.")
        expected = key_hash(name, raw[0], raw[1:])
        if len(hex_hash) != 8 or hex_hash.lower() != expected.hex():
            raise NoteError("The verifier key's hash does not match its name and key.")
        return cls(name, expected, Ed25519PublicKey.from_public_bytes(raw[1:]), raw[0])

    @property
    def public_bytes(self) -> bytes:
        return self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def to_string(self) -> str:
        encoded = base64.b64encode(bytes([self.key_type]) + self.public_bytes).decode()
        return f"{self.name}+{self.hash.hex()}+{encoded}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            self.public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Signature:
    """One signature line of a note: the key name, key hash and signature bytes."""

    name: str
    hash: bytes
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.hash + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


def parse_signature_line(line: str) -> Signature:
    """One `— <name> <base64>` line (with or without its newline)."""
    line = line.removesuffix("\n")
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError("A signature line starts with an em dash and a space.")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    _check_name(name)
    raw = _b64decode(encoded)
    if len(raw) < 5:
        raise NoteError("A signature holds a four-byte key hash and the signature.")
    return Signature(name, raw[:4], raw[4:])


def split_note(note: str) -> tuple[str, list[Signature]]:
    """The signed text (ending in a newline) and the note's signature lines."""
    text, sep, block = note.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise NoteError(
            "A note is text, a blank line and signature lines, each ending in a newline."
        )
    signatures = [parse_signature_line(line) for line in block.removesuffix("\n").split("\n")]
    return text + "\n", signatures


def sign_note(text: str, signer: Signer) -> str:
    """The note: `text` (which must end in a newline) signed by `signer`."""
    if not text.endswith("\n") or "\n\n" in text or "\r" in text:
        raise NoteError("Note text ends in a newline and has no blank lines.")
    signature = Signature(signer.name, signer.hash, signer.sign(text.encode()))
    return text + "\n" + signature.line()


def verify_note(note: str, verifiers: list[Verifier]) -> tuple[str, list[Verifier]]:
    """The text and the verifiers whose signatures on it verify; NoteError when none does.

    Signature lines from unknown keys are ignored, as the spec requires; a line naming a known
    key whose signature is wrong rejects the note.
    """
    text, signatures = split_note(note)
    known = {(v.name, v.hash): v for v in verifiers if v.key_type == ED25519}
    good: list[Verifier] = []
    for signature in signatures:
        verifier = known.get((signature.name, signature.hash))
        if verifier is None:
            continue
        if not verifier.verify(text.encode(), signature.signature):
            raise NoteError(f"The signature of {signature.name} does not verify.")
        if verifier not in good:
            good.append(verifier)
    if not good:
        raise NoteError("The note carries no signature from a known key.")
    return text, good


# tlog-checkpoint


@dataclass(frozen=True)
class CheckpointBody:
    origin: str
    size: int
    root_hash: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root_hash).decode()}\n"


def checkpoint_text(origin: str, size: int, root_hash: bytes) -> str:
    """The checkpoint body: origin, decimal size and base64 root hash, each line ended."""
    if not origin or "\n" in origin or size < 0 or len(root_hash) != 32:
        raise NoteError("A checkpoint has a one-line origin, a size and a 32-byte root hash.")
    return CheckpointBody(origin, size, root_hash).text()


def parse_checkpoint(text: str) -> CheckpointBody:
    """The first three lines of a checkpoint body; extension lines are allowed and ignored."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("A checkpoint has an origin, a size and a root hash, each on a line.")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteError("A checkpoint's size is a decimal without leading zeros.")
    root_hash = _b64decode(root)
    if len(root_hash) != 32:
        raise NoteError("A checkpoint's root hash is 32 bytes.")
    return CheckpointBody(origin, int(size), root_hash)


# tlog-cosignature/v1


def cosignature_message(checkpoint_body: str, timestamp: int) -> bytes:
    """What a witness signs: `cosignature/v1`, `time <t>`, then the whole checkpoint body."""
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_body}".encode()


def sign_cosignature(checkpoint_body: str, signer: Signer, timestamp: int) -> Signature:
    """A witness's cosignature (used by tests and tools; the log itself only verifies)."""
    if signer.key_type != COSIGNATURE_V1:
        raise NoteError("A cosignature key has type 0x04.")
    message = cosignature_message(checkpoint_body, timestamp)
    return Signature(signer.name, signer.hash, struct.pack(">Q", timestamp) + signer.sign(message))


def verify_cosignature(checkpoint_body: str, signature: Signature, witness: Verifier) -> int:
    """The cosignature's timestamp, if `signature` is `witness`'s on this checkpoint body."""
    if witness.key_type != COSIGNATURE_V1:
        raise NoteError("A witness key has type 0x04 (tlog-cosignature/v1).")
    if signature.name != witness.name or signature.hash != witness.hash:
        raise NoteError("The cosignature is not from this witness's key.")
    if len(signature.signature) != 8 + 64:
        raise NoteError("A cosignature/v1 is an eight-byte timestamp and a 64-byte signature.")
    (timestamp,) = struct.unpack(">Q", signature.signature[:8])
    if timestamp >= 2**63:
        raise NoteError("The cosignature's timestamp is out of range.")
    if not witness.verify(cosignature_message(checkpoint_body, timestamp), signature.signature[8:]):
        raise NoteError("The cosignature does not verify for this checkpoint.")
    return timestamp
