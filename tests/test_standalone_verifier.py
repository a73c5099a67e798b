"""verifier/consent_verify.py, run as a separate process the way anyone would run it: a real
receipt from the registry verifies and every forgery fails with a reason; two real checkpoints
are consistent and a rewritten history is caught; an API answer's JWS receipt, built here to
its documented format (verifier/README.md), verifies. And it imports nothing of the project.
"""

import ast
import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import connection, transaction
from django.urls import reverse

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from consent.transparency import checkpoints, keys, log, merkle
from tests.factories import register

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "verifier" / "consent_verify.py"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        timeout=60,
        cwd="/",  # nothing of the project on the path but the script itself
        check=False,
    )


def failed(result: subprocess.CompletedProcess, reason: str) -> None:
    """Exit status 1 and one line naming the reason."""
    stderr = result.stderr.decode()
    assert result.returncode == 1, (result.returncode, result.stdout, stderr)
    assert stderr.startswith("FAILED: ") and stderr.count("\n") == 1, stderr
    assert reason in stderr, stderr


def passed(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout.decode()


def note_key(name: str) -> str:
    """A fresh Ed25519 note verifier key, built by hand (signed-note's format)."""
    public = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_hash = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
    encoded = base64.b64encode(b"\x01" + public).decode()
    return f"{name}+{key_hash.hex()}+{encoded}"


def test_it_imports_only_the_standard_library_and_cryptography():
    found = set()
    for node in ast.walk(ast.parse(SCRIPT.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            found.add(node.module.split(".")[0])
    assert "cryptography" in found
    assert found - sys.stdlib_module_names - {"cryptography"} == set()


# --- declaration ----------------------------------------------------------------------------


@pytest.fixture
def receipt(owner_client, artist, tmp_path) -> tuple[dict, Path]:
    track = register(artist, title="Night Drive")
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    (row,) = declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)}, track=track)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    response = owner_client.get(reverse("declaration_receipt", args=[row.pk]))
    assert response.status_code == 200
    path = tmp_path / f"declaration-{row.pk}-receipt.json"
    path.write_bytes(response.content)
    return json.loads(response.content), path


def write(tmp_path: Path, document: dict) -> str:
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(document))
    return str(path)


def test_a_real_receipt_verifies_with_the_logs_key(receipt):
    document, path = receipt
    out = passed(run("declaration", str(path), "--key", keys.verifier().to_string()))
    record = document["entry"]["record"]
    assert f"declaration {record['declaration']} is entry {document['entry']['index']}" in out
    assert f"purpose train-ai: deny, at {record['at']}" in out
    assert f"track {record['track']}" in out


def test_without_a_key_it_uses_the_receipts_own_and_warns(receipt):
    _, path = receipt
    result = run("declaration", str(path))
    assert result.returncode == 0
    assert result.stderr.decode().startswith("WARNING: no --key given")


def test_a_changed_byte_of_the_entry_fails(receipt, tmp_path):
    document, _ = receipt
    data = bytearray(base64.b64decode(document["entry"]["data"]))
    data[data.index(b"deny")] = ord("D")
    document["entry"]["data"] = base64.b64encode(bytes(data)).decode()
    key = keys.verifier().to_string()
    failed(run("declaration", write(tmp_path, document), "--key", key), "entry.leaf_hash")
    # With the leaf hash recomputed too, the path no longer leads to the signed root.
    document["entry"]["leaf_hash"] = base64.b64encode(merkle.leaf_hash(bytes(data))).decode()
    document["entry"]["record"] = json.loads(bytes(data))
    failed(
        run("declaration", write(tmp_path, document), "--key", key),
        "does not lead from entry",
    )


def test_a_record_that_is_not_the_entry_fails(receipt, tmp_path):
    document, _ = receipt
    document["entry"]["record"]["value"] = "allow"
    result = run("declaration", write(tmp_path, document), "--key", keys.verifier().to_string())
    failed(result, "entry.record is not what entry.data says")


def test_a_changed_path_hash_fails(receipt, tmp_path):
    document, _ = receipt
    path = document["inclusion"]["path"]
    assert path, "the entry has neighbours"
    first = bytearray(base64.b64decode(path[0]))
    first[0] ^= 1
    path[0] = base64.b64encode(bytes(first)).decode()
    result = run("declaration", write(tmp_path, document), "--key", keys.verifier().to_string())
    failed(result, "inclusion path does not lead")


def test_a_changed_checkpoint_line_fails(receipt, tmp_path):
    document, _ = receipt
    size = document["inclusion"]["tree_size"]
    document["checkpoint"] = document["checkpoint"].replace(f"\n{size}\n", f"\n{size + 1}\n", 1)
    result = run("declaration", write(tmp_path, document), "--key", keys.verifier().to_string())
    failed(result, "does not verify")


def test_another_key_fails(receipt):
    _, path = receipt
    name = keys.verifier().name
    failed(run("declaration", str(path), "--key", note_key(name)), "no signature by the key")
    failed(run("declaration", str(path), "--key", note_key("someone-else")), "no signature")
    result = run("declaration", str(path), "--key", "not-a-key")
    failed(result, "does not read <name>+<key hash>+<base64 key>")


def test_a_missing_file_is_an_error_not_a_verdict(tmp_path):
    result = run("declaration", str(tmp_path / "nothing.json"), "--key", "x")
    assert result.returncode == 2
    assert result.stderr.decode().startswith("ERROR: Cannot read")


# --- consistency ----------------------------------------------------------------------------


def append(count: int, start: int = 0) -> None:
    with transaction.atomic():
        for i in range(start, start + count):
            log.append({"v": 1, "event": "test", "n": i})


def checkpoint_file(client, tmp_path: Path, name: str) -> tuple[Path, int]:
    checkpoints.sign_checkpoint()
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    path = tmp_path / name
    path.write_bytes(response.content)
    return path, int(response.content.decode().split("\n")[1])


def proof_file(client, tmp_path: Path, old: int, new: int) -> Path:
    response = client.get(f"/api/v1/log/proof/consistency?old={old}&new={new}")
    assert response.status_code == 200
    path = tmp_path / f"proof-{old}-{new}.json"
    path.write_bytes(response.content)
    return path


def test_two_real_checkpoints_are_consistent(client, tmp_path):
    key = keys.verifier().to_string()
    append(7)
    old, old_size = checkpoint_file(client, tmp_path, "old.txt")
    append(6, start=7)
    new, new_size = checkpoint_file(client, tmp_path, "new.txt")
    assert (old_size, new_size) == (7, 13)
    proof = proof_file(client, tmp_path, old_size, new_size)
    out = passed(run("consistency", str(old), str(new), "--proof", str(proof), "--key", key))
    assert "at 13 entries" in out and "of 7 entries" in out
    # The proof on stdin, as piped from curl.
    result = run(
        "consistency", str(old), str(new), "--proof", "-", "--key", key, stdin=proof.read_bytes()
    )
    passed(result)
    # The same checkpoint twice is consistent with itself.
    same = proof_file(client, tmp_path, new_size, new_size)
    passed(run("consistency", str(new), str(new), "--proof", str(same), "--key", key))
    # Swapped, or a proof for other sizes, fails.
    failed(
        run("consistency", str(new), str(old), "--proof", str(proof), "--key", key),
        "is for old=7",
    )
    other = proof_file(client, tmp_path, 5, new_size)
    failed(run("consistency", str(old), str(new), "--proof", str(other), "--key", key), "old=5")
    failed(
        run("consistency", str(old), str(new), "--proof", str(proof), "--key", note_key("x")),
        "no signature",
    )


def test_a_rewritten_history_fails_consistency(client, tmp_path):
    key = keys.verifier().to_string()
    append(10)
    old, old_size = checkpoint_file(client, tmp_path, "old.txt")
    # An operator with database access rewrites entry 3 and every stored hash after it (as
    # tests/registry/test_log_read.py does), then lets the log go on and sign.
    forged = [f'{{"event":"test","n":{i},"v":1}}'.encode() for i in range(10)]
    forged[3] = b'{"event":"test","n":3,"v":"forged"}'
    stored: dict[int, bytes] = {}
    for n, data in enumerate(forged):
        hashes = merkle.stored_hashes(n, data, lambda ix: [stored[i] for i in ix])
        first = merkle.stored_hash_index(0, n)
        stored.update({first + k: h for k, h in enumerate(hashes)})
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # triggers off
        try:
            cursor.execute("UPDATE consent_logentry SET data = %s WHERE index = 3", [forged[3]])
            for index, value in stored.items():
                cursor.execute(
                    "UPDATE consent_loghash SET hash = %s WHERE index = %s", [value, index]
                )
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")
    append(5, start=10)
    new, new_size = checkpoint_file(client, tmp_path, "new.txt")
    proof = proof_file(client, tmp_path, old_size, new_size)
    result = run("consistency", str(old), str(new), "--proof", str(proof), "--key", key)
    failed(result, "history was rewritten")
    # A proof that keeps quiet about the old root still fails: it leads elsewhere.
    body = json.loads(proof.read_bytes())
    del body["old_root_hash"]
    result = run(
        "consistency",
        str(old),
        str(new),
        "--proof",
        "-",
        "--key",
        key,
        stdin=json.dumps(body).encode(),
    )
    failed(result, "history was rewritten")


# --- response -------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws(private: Ed25519PrivateKey, header: dict, payload: dict) -> str:
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64url(private.sign(signing_input.encode()))}"


@pytest.fixture
def answer(tmp_path):
    """A body, its JWS receipt as the registry's API signs one, the JWKS, and the paths."""
    append(3)
    checkpoint = checkpoints.covering(log.size())
    body = b'{"isrc":"GBAYE2600001","purposes":{"train-ai":"deny"}}'
    private = Ed25519PrivateKey.generate()
    x = b64url(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    jwks = {
        "keys": [
            {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "r1", "use": "sig", "alg": "EdDSA"}
        ]
    }
    header = {"alg": "EdDSA", "kid": "r1", "typ": "consent-receipt+jws"}
    payload = {
        "v": 1,
        "iss": "http://127.0.0.1:8000",
        "iat": 1796000000,
        "at": "2026-12-07T19:00:00.000000Z",
        "request": {
            "method": "GET",
            "path": "/api/v1/consent",
            "query": "isrc=GBAYE2600001",
            "body_sha256": hashlib.sha256(b"").hexdigest(),
        },
        "response": {
            "status": 200,
            "content_type": "application/json",
            "body_sha256": hashlib.sha256(body).hexdigest(),
        },
        "as_of": "2026-12-07T19:00:00.000000Z",
        "sequence": 42,
        "log": {
            "origin": keys.origin(),
            "size": checkpoint.size,
            "root_hash": base64.b64encode(bytes(checkpoint.root_hash)).decode(),
            "checkpoint": checkpoints.served_note(checkpoint),
        },
    }
    body_path, jwks_path = tmp_path / "body.json", tmp_path / "jwks.json"
    body_path.write_bytes(body)
    jwks_path.write_text(json.dumps(jwks))
    return private, header, payload, body_path, jwks_path


def test_an_answer_and_its_receipt_verify(answer, tmp_path):
    private, header, payload, body, jwks = answer
    token = jws(private, header, payload)
    key = keys.verifier().to_string()
    out = passed(run("response", str(body), "--receipt", token, "--jwks", str(jwks)))
    assert "GET /api/v1/consent?isrc=GBAYE2600001" in out and "not checked" in out
    out = passed(run("response", str(body), "--receipt", token, "--jwks", str(jwks), "--key", key))
    assert f"at {payload['log']['size']} entries" in out and "verified" in out
    # The JWS may also come in a file.
    (tmp_path / "receipt.jws").write_text(token + "\n")
    passed(
        run("response", str(body), "--receipt", str(tmp_path / "receipt.jws"), "--jwks", str(jwks))
    )


def test_a_changed_body_fails(answer, tmp_path):
    private, header, payload, body, jwks = answer
    body.write_bytes(body.read_bytes().replace(b"deny", b"allow"))
    result = run(
        "response", str(body), "--receipt", jws(private, header, payload), "--jwks", str(jwks)
    )
    failed(result, "not the answer the receipt vouches for")


def test_a_forged_or_mislabelled_receipt_fails(answer):
    private, header, payload, body, jwks = answer
    args = ("response", str(body), "--jwks", str(jwks), "--receipt")
    other = Ed25519PrivateKey.generate()
    failed(run(*args, jws(other, header, payload)), "signature does not verify")
    failed(run(*args, jws(private, header | {"kid": "r2"}, payload)), "no key with kid 'r2'")
    failed(run(*args, jws(private, header | {"alg": "none"}, payload)), "not EdDSA")
    failed(run(*args, jws(private, header | {"typ": "JWT"}, payload)), "typ")
    token = jws(private, header, payload)
    signing_input, _, signature = token.rpartition(".")
    changed = jws(private, header, payload | {"sequence": 43}).split(".")[1]
    forged = f"{signing_input.split('.')[0]}.{changed}.{signature}"
    failed(run(*args, forged), "signature does not verify")


def test_a_checkpoint_that_is_not_the_stated_one_fails_with_the_key(answer):
    private, header, payload, body, jwks = answer
    key = keys.verifier().to_string()
    args = ("response", str(body), "--jwks", str(jwks), "--key", key, "--receipt")
    wrong = payload | {"log": payload["log"] | {"size": payload["log"]["size"] + 1}}
    failed(run(*args, jws(private, header, wrong)), "is not of the log, size and root hash")
    note = payload["log"]["checkpoint"]
    size = payload["log"]["size"]
    note = note.replace(f"\n{size}\n", f"\n{size + 1}\n")
    forged = payload | {"log": payload["log"] | {"checkpoint": note}}
    failed(run(*args, jws(private, header, forged)), "does not verify")
    # Without --key the checkpoint is reported, not checked.
    passed(
        run("response", str(body), "--jwks", str(jwks), "--receipt", jws(private, header, forged))
    )
