"""The log's read path checked from outside: the signed checkpoint, the tiles re-hashed to its
root, the API's proofs, a rewritten history caught, witnesses' cosignatures, the beat task.

Every check here uses tests/registry/log_verifier.py (RFC 9162 and the signed-note format,
written from the specs) and `cryptography`, never the code under test.
"""

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test import Client

from consent.models.transparency import Checkpoint, Cosignature
from consent.transparency import checkpoints, keys, log, merkle
from registry.celery import app as celery_app
from tests.factories import register
from tests.registry import log_verifier as v

pytestmark = pytest.mark.django_db

VERIFIER_KEY = "test-only.invalid/consent-log+0da45ce8+AXi/uEQ6x0Y1XjhTUR2rSKlXEEp96/X0T0uYqNWHCGY0"


def append(count: int, start: int = 0) -> None:
    with transaction.atomic():
        for i in range(start, start + count):
            log.append({"v": 1, "event": "test", "n": i})


def signed(client) -> tuple[str, int, bytes, str]:
    response = client.get("/log/checkpoint")
    assert response.status_code == 200
    note = response.content.decode()
    return (*v.check_checkpoint(note, VERIFIER_KEY), note)


def test_the_verifier_key_is_the_configured_one():
    assert keys.verifier().to_string() == VERIFIER_KEY


def test_the_origin_is_configured_or_the_site_host(settings):
    settings.SITE_URL = "https://registry.example.org"
    assert keys.origin() == "registry.example.org/consent-log"
    settings.LOG_ORIGIN = "example.com/behind-the-sofa"
    assert keys.origin() == "example.com/behind-the-sofa"


def test_the_checkpoint_is_a_signed_note_of_the_current_tree(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a beat runs beside a broker: reads only read
    assert client.get("/log/checkpoint").status_code == 404
    append(5)
    checkpoint = checkpoints.sign_checkpoint()
    assert checkpoint.size == 5
    assert checkpoints.sign_checkpoint() is None  # nothing grew: nothing new is signed
    response = client.get("/log/checkpoint")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "max-age=" in response["Cache-Control"] and "immutable" not in response["Cache-Control"]
    origin, size, root, _ = signed(client)
    assert origin == keys.origin() == "127.0.0.1:8000/consent-log"  # SITE_URL's host
    assert size == 5
    leaves = [v.leaf(f'{{"event":"test","n":{i},"v":1}}'.encode()) for i in range(5)]
    assert root == v.mth_of_leaf_hashes(leaves)


def _bundle(data: bytes) -> list[bytes]:
    entries, at = [], 0
    while at < len(data):
        (length,) = struct.unpack(">H", data[at : at + 2])
        entries.append(data[at + 2 : at + 2 + length])
        at += 2 + length
    return entries


def test_tiles_rehash_to_the_signed_root(client):
    append(300)
    checkpoints.sign_checkpoint()
    _, size, root, _ = signed(client)
    assert size == 300

    full = client.get("/log/tile/0/000")
    partial = client.get("/log/tile/0/001.p/44")
    assert full.status_code == partial.status_code == 200
    assert full["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.head("/log/tile/0/000").status_code == 200  # CDNs may ask with HEAD
    assert "immutable" not in partial["Cache-Control"]
    level0 = full.content + partial.content
    assert len(level0) == 300 * 32
    leaf_hashes = [level0[i : i + 32] for i in range(0, len(level0), 32)]
    assert v.mth_of_leaf_hashes(leaf_hashes) == root

    entries = _bundle(client.get("/log/tile/entries/000").content)
    entries += _bundle(client.get("/log/tile/entries/001.p/44").content)
    assert [v.leaf(e) for e in entries] == leaf_hashes
    # The level-1 tile holds the hash of the first 256 leaves.
    level1 = client.get("/log/tile/1/000.p/1")
    assert level1.status_code == 200
    assert level1.content == v.mth_of_leaf_hashes(leaf_hashes[:256])


@pytest.mark.parametrize(
    "path",
    [
        "/log/tile/0/001",  # a full tile beyond the tree
        "/log/tile/0/000.p/45",  # wider than the tree
        "/log/tile/entries/002.p/1",
        "/log/tile/0/x000/000",  # not the canonical path of N
        "/log/tile/0/000.p/256",
        "/log/tile/0/000.p/0",
        "/log/tile/0/000.p/07",
        "/log/tile/00/000",
        "/log/tile/0/00",
    ],
)
def test_tiles_beyond_the_tree_or_badly_named_are_not_found(client, path):
    append(44)
    assert client.get(path).status_code == 404


def test_inclusion_proofs_from_the_api_verify(client):
    append(37)
    checkpoints.sign_checkpoint()
    _, size, root, _ = signed(client)
    for index in (0, 1, 17, 31, 32, 36):
        response = client.get(f"/api/v1/log/proof/inclusion?index={index}&tree_size={size}")
        assert response.status_code == 200, response.content
        body = response.json()
        path = [base64.b64decode(h) for h in body["hashes"]]
        leaf_hash = v.leaf(f'{{"event":"test","n":{index},"v":1}}'.encode())
        assert base64.b64decode(body["leaf_hash"]) == leaf_hash
        assert v.verify_inclusion(index, size, leaf_hash, path, root)
        assert not v.verify_inclusion(index, size, v.leaf(b"other"), path, root)


def test_consistency_proofs_between_signed_checkpoints_verify(client):
    append(6)
    checkpoints.sign_checkpoint()
    _, old, old_root, _ = signed(client)
    append(27, start=6)
    checkpoints.sign_checkpoint()
    _, new, new_root, _ = signed(client)
    assert Checkpoint.objects.count() == 2  # every signed checkpoint is kept
    response = client.get(f"/api/v1/log/proof/consistency?old={old}&new={new}")
    assert response.status_code == 200
    path = [base64.b64decode(h) for h in response.json()["hashes"]]
    assert v.verify_consistency(old, new, old_root, new_root, path)
    for first in range(1, new + 1):
        body = client.get(f"/api/v1/log/proof/consistency?old={first}&new={new}").json()
        first_root = base64.b64decode(body["old_root_hash"])
        proof = [base64.b64decode(h) for h in body["hashes"]]
        assert v.verify_consistency(first, new, first_root, new_root, proof), first


def test_a_rewritten_history_fails_the_consistency_proof(client):
    append(10)
    checkpoints.sign_checkpoint()
    _, old, old_root, _ = signed(client)

    # An operator with database access rewrites entry 3, recomputes every stored hash so the
    # tree is self-consistent, and lets the log go on and sign.
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
    checkpoints.sign_checkpoint()
    _, new, new_root, _ = signed(client)  # still a valid signature...

    body = client.get(f"/api/v1/log/proof/consistency?old={old}&new={new}").json()
    proof = [base64.b64decode(h) for h in body["hashes"]]
    # ...but not consistent with the checkpoint a client kept from before.
    assert not v.verify_consistency(old, new, old_root, new_root, proof)
    assert base64.b64decode(body["old_root_hash"]) != old_root


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/log/proof/inclusion?index=0", "tree_size"),
        ("/api/v1/log/proof/inclusion?index=x&tree_size=3", "index"),
        ("/api/v1/log/proof/inclusion?index=3&tree_size=3", "index"),
        ("/api/v1/log/proof/inclusion?index=0&tree_size=4", "tree_size"),
        ("/api/v1/log/proof/consistency?old=2&new=1", "old"),
        ("/api/v1/log/proof/consistency?old=0&new=1", "old"),
        ("/api/v1/log/proof/consistency?old=1&new=9", "new"),
        ("/api/v1/log/entries?start=2&end=2", "end"),
        ("/api/v1/log/entries?start=0&end=4", "end"),
        ("/api/v1/log/entries?start=-1&end=2", "start"),
        ("/api/v1/log/entries?start=0&end=1001", "end"),
        ("/api/v1/log/entries?start=%C2%B2&end=1", "start"),
        ("/api/v1/log/proof/inclusion?index=0&tree_size=99999999999999999999", "tree_size"),
    ],
)
def test_bad_parameters_are_problems(client, path, field):
    append(3)
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and body["type"].endswith("/invalid-request")
    assert body["field"] == field


def test_entries_are_public_and_exact(client):
    append(4)
    response = client.get("/api/v1/log/entries?start=1&end=3")
    assert response.status_code == 200
    body = response.json()
    assert [e["index"] for e in body["entries"]] == [1, 2]
    data = base64.b64decode(body["entries"][0]["data"])
    assert data == b'{"event":"test","n":1,"v":1}'
    assert base64.b64decode(body["entries"][0]["leaf_hash"]) == v.leaf(data)


def test_the_log_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/log/proof/inclusion", "/api/v1/log/proof/consistency"):
        assert path in schema["paths"]
    operation = schema["paths"]["/api/v1/log/entries"]["get"]
    assert not operation.get("security")  # public: no API key
    assert {p["name"] for p in operation["parameters"] if p["required"]} == {"start", "end"}
    assert "400" in operation["responses"]


def _witness(name: str = "witness.example/w1"):
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
    vkey = f"{name}+{key_id.hex()}+" + base64.b64encode(b"\x04" + public).decode()
    return name, private, key_id, vkey


def _cosign(body: str, name, private, key_id, timestamp=1_800_000_000) -> str:
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    blob = key_id + struct.pack(">Q", timestamp) + private.sign(message)
    return f"— {name} {base64.b64encode(blob).decode()}\n"


def test_a_witness_cosignature_is_accepted_and_served(settings):
    client = Client(enforce_csrf_checks=True)  # a witness is a machine: no CSRF token
    name, private, key_id, vkey = _witness()
    settings.LOG_WITNESSES = [vkey]
    append(3)
    checkpoint = checkpoints.sign_checkpoint()
    body = checkpoint.note.partition("\n\n")[0] + "\n"
    line = _cosign(body, name, private, key_id)
    url = f"/log/checkpoint/{checkpoint.size}/cosignatures"
    response = client.post(url, line, content_type="text/plain")
    assert response.status_code == 201, response.content
    served = client.get("/log/checkpoint").content.decode()
    assert served == checkpoint.note + line
    v.check_checkpoint(served, VERIFIER_KEY)  # the log's own signature still verifies
    assert client.post(url, line, content_type="text/plain").status_code == 200  # stored once
    assert Cosignature.objects.count() == 1


def test_cosignatures_that_do_not_verify_are_refused(client, settings):
    name, private, key_id, vkey = _witness()
    settings.LOG_WITNESSES = [vkey]
    append(3)
    first = checkpoints.sign_checkpoint()
    append(1, start=3)
    second = checkpoints.sign_checkpoint()
    first_body = first.note.partition("\n\n")[0] + "\n"
    url = f"/log/checkpoint/{second.size}/cosignatures"

    # Signed over another checkpoint: 400.
    response = client.post(url, _cosign(first_body, name, private, key_id), "text/plain")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    # Not a configured witness: 403.
    stranger = _witness("stranger.example/w")
    second_body = second.note.partition("\n\n")[0] + "\n"
    response = client.post(url, _cosign(second_body, *stranger[:3]), "text/plain")
    assert response.status_code == 403
    assert response.json()["status"] == 403
    # Malformed, and an unknown checkpoint.
    assert client.post(url, "hello\n", "text/plain").status_code == 400
    line = _cosign(second_body, name, private, key_id)
    assert client.post("/log/checkpoint/99/cosignatures", line, "text/plain").status_code == 404
    assert Cosignature.objects.count() == 0


def test_a_commit_that_appends_signs_a_checkpoint_after_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            log.append({"v": 1, "event": "test", "n": 0})
            checkpoints.schedule_checkpoint()
        assert not Checkpoint.objects.exists()  # nothing is signed before the commit
    assert Checkpoint.objects.get().size == 1


def test_a_registration_is_covered_by_a_checkpoint_signed_after_its_commit(
    artist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        register(artist, "https://example.com/night-drive")
    size = log.size()
    assert size > 0
    assert Checkpoint.objects.get().size == size


def test_without_a_broker_reading_the_checkpoint_signs_a_grown_tree(client):
    append(3)
    assert signed(client)[1] == 3
    append(2, start=3)
    assert signed(client)[1] == 5
    assert list(Checkpoint.objects.values_list("size", flat=True)) == [3, 5]


def test_beat_signs_checkpoints_on_the_configured_interval():
    entry = settings.CELERY_BEAT_SCHEDULE["sign-checkpoint"]
    assert entry["schedule"] == float(settings.LOG_CHECKPOINT_SECONDS) == 10.0
    assert entry["task"] in celery_app.tasks
    append(2)
    assert celery_app.tasks[entry["task"]]() == 2
    assert celery_app.tasks[entry["task"]]() is None


def test_the_log_page_shows_the_key_and_the_newest_checkpoint(client):
    append(2)
    checkpoint = checkpoints.sign_checkpoint()
    response = client.get("/log/")
    assert response.status_code == 200
    page = response.content.decode()
    assert VERIFIER_KEY.replace("+", "+") in page
    assert base64.b64encode(bytes(checkpoint.root_hash)).decode() in page
    assert "/api/v1/log/proof/consistency" in page


def _signings(callbacks) -> int:
    return sum(1 for callback in callbacks if callback is checkpoints._sign_after_commit)


def test_every_append_leads_to_one_checkpoint_per_transaction(django_capture_on_commit_callbacks):
    # Bulk appends schedule the signing themselves, once however many appends a commit holds.
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        log.append_many([{"v": 1, "event": "test", "n": i} for i in range(3)])
        log.append({"v": 1, "event": "test", "n": 3})
    assert _signings(callbacks) == 1
    assert Checkpoint.objects.get().size == 4


def test_a_registration_schedules_one_signing_for_all_it_appends(
    artist, django_capture_on_commit_callbacks
):
    # Claims, links and change events, and the changes it commits: one signing, not one each.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        register(artist, "https://example.com/night-drive")
    assert _signings(callbacks) == 1
    assert Checkpoint.objects.get().size == log.size()


def test_a_savepoint_rolled_back_takes_its_signing_with_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        try:
            with transaction.atomic():
                log.append({"v": 1, "event": "test", "n": 0})
                raise RuntimeError
        except RuntimeError:
            pass
        log.append({"v": 1, "event": "test", "n": 0})
    assert _signings(callbacks) == 1
    assert Checkpoint.objects.get().size == 1


def _refused(statement: str, params=None, match: str = "") -> None:
    with (
        pytest.raises(DatabaseError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


def test_the_database_keeps_checkpoints_and_cosignatures(settings):
    name, private, key_id, vkey = _witness()
    settings.LOG_WITNESSES = [vkey]
    append(3)
    checkpoint = checkpoints.sign_checkpoint()
    body = checkpoint.note.partition("\n\n")[0] + "\n"
    older = _cosign(body, name, private, key_id, timestamp=1_800_000_000)
    newer = _cosign(body, name, private, key_id, timestamp=1_800_000_100)
    row, created = checkpoints.add_cosignature(checkpoint, older)
    assert created
    # What add_cosignature does: a newer signature of the same witness replaces the line.
    checkpoints.add_cosignature(checkpoint, newer)
    row.refresh_from_db()
    assert row.signature_line == newer
    for statement in ("UPDATE consent_checkpoint SET note = 'x'", "DELETE FROM consent_checkpoint"):
        _refused(statement, match="append-only")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Checkpoint.objects.filter(pk=checkpoint.pk).update(size=99)
    _refused("UPDATE consent_cosignature SET signature_line = %s", [older], match="newer signature")
    _refused("UPDATE consent_cosignature SET name = 'x'", match="newer signature")
    _refused("UPDATE consent_cosignature SET signature_line = 'junk'", match="newer signature")
    _refused("DELETE FROM consent_cosignature", match="kept")
    row.refresh_from_db()
    assert row.signature_line == newer
    assert Checkpoint.objects.get().note == checkpoint.note
