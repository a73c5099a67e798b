"""Signed notes, checkpoints and cosignatures, against the specs' examples and checked
independently with `cryptography` (not through the module under test)."""

import base64
import hashlib
import struct

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from consent.transparency import note

# The example of golang.org/x/mod/sumdb/note, the reference implementation of c2sp.org/signed-note.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_reference_example_signs_to_the_same_bytes():
    signer = note.Signer.from_string(GO_SKEY)
    assert signer.verifier().to_string() == GO_VKEY
    assert signer.to_string() == GO_SKEY
    assert note.sign_note(GO_TEXT, signer) == GO_TEXT + "\n" + GO_SIG


def test_reference_example_verifies_and_tampering_is_refused():
    verifier = note.Verifier.from_string(GO_VKEY)
    text, good = note.verify_note(GO_TEXT + "\n" + GO_SIG, [verifier])
    assert text == GO_TEXT and good == [verifier]
    with pytest.raises(note.NoteError):
        note.verify_note(GO_TEXT.replace("problem", "trouble") + "\n" + GO_SIG, [verifier])
    other = note.Signer.generate("someone.example/else").verifier()
    with pytest.raises(note.NoteError, match="no signature from a known key"):
        note.verify_note(GO_TEXT + "\n" + GO_SIG, [other])


def test_key_hash_and_signature_checked_independently():
    signer = note.Signer.generate("registry.example/consent-log")
    vkey = signer.verifier().to_string()
    name, hex_hash, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 0x01 and len(raw) == 33
    expected = hashlib.sha256(name.encode() + b"\n" + b"\x01" + raw[1:]).digest()[:4]
    assert hex_hash == expected.hex()

    signed = note.sign_note("registry.example/consent-log\n3\n" + "A" * 43 + "=\n", signer)
    text, _, line = signed.rpartition("\n\n")
    assert line.startswith("— registry.example/consent-log ") and line.endswith("\n")
    blob = base64.b64decode(line.split(" ")[2])
    assert blob[:4] == expected
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], (text + "\n").encode())
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], text.encode())


@pytest.mark.parametrize(
    "bad",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # wrong hash
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  # short key
        "PeterNeumann+c74f20a3+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # unknown type
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # space in name
        "PeterNeumann+c74f20a3",
    ],
)
def test_malformed_verifier_keys_are_refused(bad):
    with pytest.raises(note.NoteError):
        note.Verifier.from_string(bad)


def test_checkpoint_body_is_three_ended_lines():
    root = hashlib.sha256(b"root").digest()
    text = note.checkpoint_text("example.com/behind-the-sofa", 20852163, root)
    assert text == f"example.com/behind-the-sofa\n20852163\n{base64.b64encode(root).decode()}\n"
    body = note.parse_checkpoint(text)
    assert (body.origin, body.size, body.root_hash) == (
        "example.com/behind-the-sofa",
        20852163,
        root,
    )
    # The spec's example checkpoint body.
    spec = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert note.parse_checkpoint(spec).size == 20852163
    for bad in [spec.rstrip("\n"), spec.replace("20852163", "020852163"), "a\n1\nAAAA\n"]:
        with pytest.raises(note.NoteError):
            note.parse_checkpoint(bad)


def test_spec_example_signature_lines_parse():
    # c2sp.org/tlog-cosignature's example: the log's signature and the witness's line.
    line = (
        "— example.com/behind-the-sofa "
        "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    )
    signature = note.parse_signature_line(line)
    assert signature.name == "example.com/behind-the-sofa"
    assert len(signature.hash) == 4 and len(signature.signature) == 64
    assert signature.line() == line


def _witness(name="witness.example/w1"):
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    encoded = base64.b64encode(b"\x04" + public).decode()
    vkey = f"{name}+{key_id.hex()}+{encoded}"
    return private, key_id, vkey


def test_cosignature_built_in_the_test_verifies_and_is_bound_to_the_checkpoint():
    private, key_id, vkey = _witness()
    body = "registry.example/consent-log\n5\n" + base64.b64encode(bytes(32)).decode() + "\n"
    timestamp = 1_700_000_000
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    blob = key_id + struct.pack(">Q", timestamp) + private.sign(message)
    line = f"— witness.example/w1 {base64.b64encode(blob).decode()}\n"

    witness = note.Verifier.from_string(vkey)
    assert witness.key_type == 0x04
    parsed = note.parse_signature_line(line)
    assert note.verify_cosignature(body, parsed, witness) == timestamp
    with pytest.raises(note.NoteError):
        note.verify_cosignature(body.replace("\n5\n", "\n6\n"), parsed, witness)
    _, _, other = _witness()
    with pytest.raises(note.NoteError):
        note.verify_cosignature(body, parsed, note.Verifier.from_string(other))
    # The module's own signer makes the same bytes (Ed25519 is deterministic).
    signer = note.Signer(witness.name, witness.hash, private, 0x04)
    assert note.sign_cosignature(body, signer, timestamp).line() == line
