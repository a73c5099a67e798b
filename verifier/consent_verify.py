#!/usr/bin/env python3
"""Check the registry's receipts and log proofs without the registry.

One file, Python 3 and the `cryptography` package, nothing else: no network, no project code.
Every subcommand exits 0 when everything it checks holds, and otherwise prints one line saying
the first check that failed and exits 1 (2 for a file it cannot read or a usage mistake).

  declaration RECEIPT.json [--key VERIFIER_KEY]
      An artist's receipt: the entry's leaf hash, its inclusion path up to the checkpoint's root
      (RFC 9162 §2.1.3.2), and the checkpoint's signature by the log's key (C2SP signed-note,
      Ed25519). Prints what was declared.
  consistency OLD_CHECKPOINT NEW_CHECKPOINT --proof PROOF.json --key VERIFIER_KEY
      Two signed checkpoints and the proof (GET /api/v1/log/proof/consistency?old=&new=; `-` reads
      it from stdin) that the newer tree only appends to the older one (RFC 9162 §2.1.4.2).
  response BODY_FILE --receipt JWS --jwks JWKS.json [--key VERIFIER_KEY]
      An API answer's `Registry-Receipt` (a compact JWS, EdDSA/Ed25519, RFC 7515 and RFC 8037)
      against the registry's JWKS, the SHA-256 of the body as received, and, with --key, the log
      checkpoint the receipt names.

Formats: verifier/README.md; the registry's docs/log.md describes the log.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

RECEIPT_VERSION = 1
RECEIPT_TYPE = "declaration-receipt"
JWS_TYPE = "consent-receipt+jws"
ED25519_NOTE_KEY = 0x01
SIGNATURE_PREFIX = "\u2014 "  # an em dash and a space start every signature line of a note
EMPTY_ROOT = hashlib.sha256(b"").digest()
COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


class Failed(Exception):
    """A check that does not hold; the message is the one line printed."""


class Unreadable(Exception):
    """An input that cannot be read or parsed at all (exit status 2)."""


# --- Encodings ------------------------------------------------------------------------------


def b64(text: object, what: str) -> bytes:
    """Standard base64 (with padding), strictly."""
    if not isinstance(text, str):
        raise Failed(f"{what} is not a base64 string.")
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise Failed(f"{what} is not standard base64.") from exc


def b64url(text: str, what: str) -> bytes:
    """base64url without padding, as JWS and JWK use it."""
    if not isinstance(text, str) or "=" in text or not text.isascii():
        raise Failed(f"{what} is not unpadded base64url.")
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    if not set(text) <= alphabet or len(text) % 4 == 1:
        raise Failed(f"{what} is not unpadded base64url.")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def show(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- RFC 9162 hashing and proofs ------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """The root an inclusion path leads to (RFC 9162 §2.1.3.2); Failed if the path cannot fit."""
    if not 0 <= index < size:
        raise Failed(f"Entry {index} cannot be in a tree of {size} entries.")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Failed("The inclusion path is longer than a tree of this size allows.")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Failed("The inclusion path is shorter than a tree of this size needs.")
    return r


def check_consistency(first: int, second: int, first_hash, second_hash, path: list[bytes]):
    """RFC 9162 §2.1.4.2: Failed unless `path` proves tree `first` is a prefix of tree `second`."""
    if first > second:
        raise Failed(f"The old tree ({first}) is larger than the new one ({second}).")
    if first == second:
        if path:
            raise Failed("Two trees of the same size need an empty consistency proof.")
        if first_hash != second_hash:
            raise Failed(f"Two trees of {first} entries have different root hashes.")
        return
    if first == 0:
        if first_hash != EMPTY_ROOT or path:
            raise Failed("The empty tree's root hash is SHA-256 of nothing, with no proof.")
        return
    if first & (first - 1) == 0:  # an exact power of two: the old root is itself a node
        path = [first_hash, *path]
    if not path:
        raise Failed("The consistency proof is empty.")
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Failed("The consistency proof is longer than these tree sizes allow.")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise Failed("The consistency proof is shorter than these tree sizes need.")
    if fr != first_hash:
        raise Failed(
            f"The proof does not lead to the old checkpoint's root: the first {first} entries "
            "are not the ones that checkpoint signed (history was rewritten)."
        )
    if sr != second_hash:
        raise Failed("The proof does not lead to the new checkpoint's root hash.")


# --- C2SP signed notes and checkpoints ------------------------------------------------------


@dataclass(frozen=True)
class NoteKey:
    name: str
    key_hash: bytes
    public: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> NoteKey:
        """`<name>+<hex key hash>+<base64(0x01 || Ed25519 public key)>`."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
            raise Failed("The verifier key does not read <name>+<key hash>+<base64 key>.")
        name, hex_hash, encoded = parts
        raw = b64(encoded, "The verifier key's key")
        if len(raw) != 33 or raw[0] != ED25519_NOTE_KEY:
            raise Failed("The verifier key is not an Ed25519 note key (type 0x01).")
        expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
        if hex_hash.lower() != expected.hex() or len(hex_hash) != 8:
            raise Failed("The verifier key's hash does not match its name and key.")
        return cls(name, expected, Ed25519PublicKey.from_public_bytes(raw[1:]))


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes


def verify_note(note: str, key: NoteKey, what: str) -> str:
    """The signed text of `note`, if it carries a valid signature by `key`; Failed otherwise.

    Lines by other keys (a witness's cosignature) are skipped, as the signed-note spec says.
    """
    text, separator, block = note.rpartition("\n\n")
    if not separator or not block.endswith("\n"):
        raise Failed(f"{what} is not a signed note (text, a blank line, signature lines).")
    text += "\n"
    found = False
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise Failed(f"{what} has a signature line that does not start with an em dash.")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if name != key.name:
            continue
        raw = b64(encoded, f"A signature line of {what}")
        if len(raw) != 4 + 64 or raw[:4] != key.key_hash:
            continue  # another key under the same name
        try:
            key.public.verify(raw[4:], text.encode())
        except InvalidSignature as exc:
            raise Failed(f"The signature on {what} by {key.name} does not verify.") from exc
        found = True
    if not found:
        raise Failed(f"{what} carries no signature by the key {key.name}.")
    return text


def parse_checkpoint(text: str, what: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise Failed(f"{what} does not hold an origin, a size and a root hash, one per line.")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or not size.isascii() or not size.isdigit():
        raise Failed(f"{what} has no origin or no decimal size.")
    if size != "0" and size.startswith("0"):
        raise Failed(f"{what}'s size has leading zeros.")
    root_hash = b64(root, f"{what}'s root hash")
    if len(root_hash) != 32:
        raise Failed(f"{what}'s root hash is not 32 bytes.")
    return Checkpoint(origin, int(size), root_hash)


def verified_checkpoint(note: str, key: NoteKey, what: str) -> Checkpoint:
    return parse_checkpoint(verify_note(note, key, what), what)


# --- Reading inputs -------------------------------------------------------------------------


def read_bytes(path: str) -> bytes:
    try:
        return sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise Unreadable(f"Cannot read {path}: {exc.strerror or exc}.") from exc


def read_text(path: str) -> str:
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{path} is not UTF-8 text.") from exc


def read_json(path: str) -> dict:
    try:
        value = json.loads(read_text(path))
    except ValueError as exc:
        raise Unreadable(f"{path} is not JSON.") from exc
    if not isinstance(value, dict):
        raise Unreadable(f"{path} is not a JSON object.")
    return value


def field(mapping: object, *names: str, kind: type | tuple = object):
    """mapping[names[0]][names[1]]…, Failed if a step is missing or the value is not `kind`."""
    value = mapping
    for name in names:
        if not isinstance(value, dict) or name not in value:
            raise Failed(f"The field {'.'.join(names)} is missing.")
        value = value[name]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        raise Failed(f"The field {'.'.join(names)} has the wrong type.")
    return value


def key_from(args_key: str | None, fallback: str | None, out) -> NoteKey:
    if args_key:
        return NoteKey.parse(args_key)
    if not fallback:
        raise Failed("No verifier key: pass the log's key with --key.")
    print(
        "WARNING: no --key given, so the receipt is checked against the verifier key written in "
        "the receipt itself. Whoever wrote the file could have written that key too: compare it "
        "with the key the registry publishes, or pass that key with --key.",
        file=out,
    )
    return NoteKey.parse(fallback)


# --- declaration ----------------------------------------------------------------------------


def check_declaration(args) -> list[str]:
    receipt = read_json(args.receipt)
    if receipt.get("v") != RECEIPT_VERSION or receipt.get("type") != RECEIPT_TYPE:
        raise Failed(f"This is not a version {RECEIPT_VERSION} {RECEIPT_TYPE}.")
    log = receipt.get("log") if isinstance(receipt.get("log"), dict) else {}
    key = key_from(args.key, log.get("verifier_key"), sys.stderr)
    origin = field(receipt, "log", "origin", kind=str)
    index = field(receipt, "entry", "index", kind=int)
    data = b64(field(receipt, "entry", "data", kind=str), "entry.data")
    leaf = leaf_hash(data)
    stated = receipt["entry"].get("leaf_hash")
    if stated is not None and b64(stated, "entry.leaf_hash") != leaf:
        raise Failed("entry.leaf_hash is not SHA-256(0x00 || entry.data).")
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Failed("entry.data is not UTF-8 JSON.") from exc
    if "record" in receipt["entry"] and receipt["entry"]["record"] != record:
        raise Failed("entry.record is not what entry.data says.")
    if not isinstance(record, dict) or record.get("type") != "declaration":
        raise Failed("The entry does not record a declaration.")
    tree_size = field(receipt, "inclusion", "tree_size", kind=int)
    path = [
        b64(h, "A hash of inclusion.path") for h in field(receipt, "inclusion", "path", kind=list)
    ]
    if any(len(h) != 32 for h in path):
        raise Failed("A hash of inclusion.path is not 32 bytes.")
    checkpoint = verified_checkpoint(
        field(receipt, "checkpoint", kind=str), key, "The receipt's checkpoint"
    )
    if checkpoint.origin != origin:
        raise Failed(
            f"The checkpoint is of the log {checkpoint.origin!r}, not {origin!r} as the receipt "
            "says."
        )
    if checkpoint.size != tree_size:
        raise Failed(
            f"The checkpoint is of a tree of {checkpoint.size} entries, not {tree_size} as the "
            "inclusion proof says."
        )
    if root_from_inclusion(index, tree_size, leaf, path) != checkpoint.root_hash:
        raise Failed(
            f"The inclusion path does not lead from entry {index} to the checkpoint's root hash."
        )
    scope = f"track {record.get('track')}" if record.get("track") else "the whole catalogue"
    return [
        f"OK: declaration {record.get('declaration')} is entry {index} of the log {origin}, "
        f"included in its signed checkpoint of {tree_size} entries "
        f"(root {show(checkpoint.root_hash)}).",
        f"Declared: creator {record.get('creator')}, for {scope}, purpose "
        f"{record.get('purpose')}: {record.get('value')}, at {record.get('at')}.",
    ]


# --- consistency ----------------------------------------------------------------------------


def check_consistency_command(args) -> list[str]:
    key = NoteKey.parse(args.key)
    old = verified_checkpoint(read_text(args.old), key, "The old checkpoint")
    new = verified_checkpoint(read_text(args.new), key, "The new checkpoint")
    if old.origin != new.origin:
        raise Failed(f"The checkpoints are of two logs: {old.origin!r} and {new.origin!r}.")
    proof = read_json(args.proof)
    for name, size in (("old", old.size), ("new", new.size)):
        if name in proof and proof[name] != size:
            raise Failed(f"The proof is for {name}={proof[name]}, not the checkpoint's {size}.")
    hashes = [b64(h, "A hash of the proof") for h in field(proof, "hashes", kind=list)]
    if any(len(h) != 32 for h in hashes):
        raise Failed("A hash of the proof is not 32 bytes.")
    if "old_root_hash" in proof and b64(proof["old_root_hash"], "old_root_hash") != old.root_hash:
        raise Failed(
            f"The log now gives its first {old.size} entries a different root hash than the old "
            "checkpoint signed: history was rewritten."
        )
    check_consistency(old.size, new.size, old.root_hash, new.root_hash, hashes)
    return [
        f"OK: the log {new.origin} at {new.size} entries (root {show(new.root_hash)}) extends "
        f"its checkpoint of {old.size} entries (root {show(old.root_hash)}) without changing it."
    ]


# --- response -------------------------------------------------------------------------------


def jws_parts(text: str) -> tuple[dict, dict, bytes, bytes]:
    parts = text.strip().split(".")
    if len(parts) != 3:
        raise Failed("The receipt is not a compact JWS (header.payload.signature).")
    try:
        header = json.loads(b64url(parts[0], "The JWS header"))
        payload = json.loads(b64url(parts[1], "The JWS payload"))
    except ValueError as exc:
        raise Failed("The JWS header or payload is not JSON.") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise Failed("The JWS header or payload is not a JSON object.")
    signature = b64url(parts[2], "The JWS signature")
    return header, payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature


def jwk_key(jwks: dict, kid: str) -> Ed25519PublicKey:
    keys = jwks.get("keys")
    if not isinstance(keys, list):
        raise Failed("The JWKS has no keys list.")
    matching = [k for k in keys if isinstance(k, dict) and k.get("kid") == kid]
    if not matching:
        raise Failed(f"The JWKS has no key with kid {kid!r}.")
    if len(matching) > 1:
        raise Failed(f"The JWKS has more than one key with kid {kid!r}.")
    jwk = matching[0]
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise Failed(f"The key {kid!r} is not an Ed25519 OKP key.")
    if jwk.get("alg", "EdDSA") != "EdDSA" or jwk.get("use", "sig") != "sig":
        raise Failed(f"The key {kid!r} is not for EdDSA signatures.")
    x = b64url(jwk.get("x"), f"The key {kid!r}'s x")
    if len(x) != 32:
        raise Failed(f"The key {kid!r}'s x is not 32 bytes.")
    return Ed25519PublicKey.from_public_bytes(x)


def check_response(args) -> list[str]:
    body = read_bytes(args.body)
    jws_text = args.receipt.strip()
    if not COMPACT_JWS.fullmatch(jws_text):  # not the JWS itself: a file holding it
        jws_text = read_text(args.receipt)
    header, payload, signed, signature = jws_parts(jws_text)
    if header.get("alg") != "EdDSA":
        raise Failed(f"The receipt's alg is {header.get('alg')!r}, not EdDSA.")
    if header.get("typ") != JWS_TYPE:
        raise Failed(f"The receipt's typ is {header.get('typ')!r}, not {JWS_TYPE}.")
    if "crit" in header:
        raise Failed("The receipt names critical header parameters this verifier does not know.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Failed("The receipt's header names no kid.")
    public = jwk_key(read_json(args.jwks), kid)
    try:
        public.verify(signature, signed)
    except InvalidSignature as exc:
        raise Failed(f"The receipt's signature does not verify with the key {kid!r}.") from exc
    if payload.get("v") != 1:
        raise Failed(f"The receipt's payload is version {payload.get('v')!r}, not 1.")
    expected = field(payload, "response", "body_sha256", kind=str)
    actual = hashlib.sha256(body).hexdigest()
    if actual != expected.lower():
        raise Failed(
            f"The body's SHA-256 is {actual}, not {expected} as the receipt says: this is not the "
            "answer the receipt vouches for."
        )
    lines = [
        f"OK: the registry {payload.get('iss')} signed this answer (key {kid}) at "
        f"{payload.get('iat')}; the body's SHA-256 matches.",
    ]
    request = payload.get("request") if isinstance(payload.get("request"), dict) else {}
    response = payload["response"]
    query = f"?{request['query']}" if request.get("query") else ""
    lines.append(
        f"Request: {request.get('method')} {request.get('path')}{query}; answer: status "
        f"{response.get('status')}, {response.get('content_type')}; as of {payload.get('as_of')}, "
        f"change sequence {payload.get('sequence')}."
    )
    log = payload.get("log")
    if args.key:
        origin = field(payload, "log", "origin", kind=str)
        size = field(payload, "log", "size", kind=int)
        root = b64(field(payload, "log", "root_hash", kind=str), "log.root_hash")
        checkpoint = verified_checkpoint(
            field(payload, "log", "checkpoint", kind=str), NoteKey.parse(args.key), "log.checkpoint"
        )
        if (checkpoint.origin, checkpoint.size, checkpoint.root_hash) != (origin, size, root):
            raise Failed("log.checkpoint is not of the log, size and root hash the receipt states.")
        lines.append(
            f"Log: signed checkpoint of {origin} at {size} entries, root {show(root)}: verified."
        )
    elif isinstance(log, dict):
        lines.append(
            f"Log: {log.get('origin')} at {log.get('size')} entries, root {log.get('root_hash')} "
            "(not checked: pass the log's verifier key with --key)."
        )
    return lines


# --- Command line ---------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="consent_verify.py",
        description="Check the registry's receipts and log proofs, offline.",
    )
    commands = main.add_subparsers(dest="command", required=True)
    declaration = commands.add_parser("declaration", help="check an artist's receipt")
    declaration.add_argument("receipt", help="the receipt's JSON file")
    declaration.add_argument("--key", help="the log's verifier key (<name>+<hash>+<base64>)")
    declaration.set_defaults(run=check_declaration)

    consistency = commands.add_parser("consistency", help="check two checkpoints are consistent")
    consistency.add_argument("old", help="the older signed checkpoint (a file)")
    consistency.add_argument("new", help="the newer signed checkpoint (a file)")
    consistency.add_argument("--proof", required=True, help="the consistency proof's JSON, or -")
    consistency.add_argument("--key", required=True, help="the log's verifier key")
    consistency.set_defaults(run=check_consistency_command)

    response = commands.add_parser("response", help="check an API answer's receipt")
    response.add_argument("body", help="the answer's body, exactly as received")
    response.add_argument(
        "--receipt", required=True, help="the Registry-Receipt header's JWS, or a file holding it"
    )
    response.add_argument("--jwks", required=True, help="the registry's /.well-known/jwks.json")
    response.add_argument("--key", help="the log's verifier key, to check the checkpoint too")
    response.set_defaults(run=check_response)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        lines = args.run(args)
    except Unreadable as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    except Failed as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
