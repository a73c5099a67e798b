"""Signed receipts on the consent API's answers, checked from outside.

Every receipt here is verified with PyJWT and the key /.well-known/jwks.json lists, its
checkpoint with the log's verifier key and tests/registry/log_verifier.py (written from the
RFCs), and the answered policy's log entry with the public inclusion proof: never with the code
under test.
"""

import base64
import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from consent.links import add_links, remove_link
from consent.models import ChangeEvent, Checkpoint, LogEntry, TrackLink
from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from consent.transparency import checkpoints, receipts
from tests.conftest import verify_claims_of
from tests.registry import log_verifier as v

pytestmark = pytest.mark.django_db

VERIFIER_KEY = "test-only.invalid/consent-log+0da45ce8+AXi/uEQ6x0Y1XjhTUR2rSKlXEEp96/X0T0uYqNWHCGY0"
ISRC = "USRC17607839"
LINK = "https://soundcloud.com/owner/night-drive"
TYPE = "consent-receipt+jws"


@pytest.fixture(autouse=True)
def keys_recorded_afresh():
    """Each test's database starts without recorded keys; the process must not remember any."""
    receipts.forget_recorded()
    receipts.forget_state()
    yield
    receipts.forget_recorded()
    receipts.forget_state()


@pytest.fixture
def track(artist):
    data = TrackData(
        title="Night Drive",
        artist_credit="Owner Band",
        roles=["recording"],
        isrc=ISRC,
        links=[LINK],
    )
    track = register_track(artist, data).tracks[0]
    verify_claims_of(artist)
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    return track


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_private_jwk() -> tuple[str, str]:
    """A fresh Ed25519 private JWK (RFC 8037) as RECEIPT_SIGNING_KEY takes it, and its kid."""
    key = Ed25519PrivateKey.generate()
    d = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    x = b64url(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
    jwk = json.dumps({"kty": "OKP", "crv": "Ed25519", "d": b64url(d), "x": x})
    return jwk, thumbprint(x)


def thumbprint(x: str) -> str:
    """RFC 7638 §3.2: the required members in lexicographic order, no whitespace, SHA-256."""
    members = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
    return b64url(hashlib.sha256(members.encode()).digest())


def key_set() -> list[dict]:
    response = Client().get("/.well-known/jwks.json")
    assert response.status_code == 200
    return response.json()["keys"]


def verify(token: str) -> tuple[dict, dict]:
    """(protected header, payload) of a receipt, verified with its key from the public set."""
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [key for key in key_set() if key["kid"] == kid]
    decoded = jwt.api_jws.PyJWS().decode_complete(token, key=jwt.PyJWK(jwk), algorithms=["EdDSA"])
    return decoded["header"], json.loads(decoded["payload"])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def policy_entry(sequence: int) -> tuple[int, bytes]:
    """The index and bytes of the log's `policy` entry for change event `sequence`."""
    for index, data in LogEntry.objects.order_by("index").values_list("index", "data"):
        record = json.loads(bytes(data))
        if record["type"] == "policy" and record["sequence"] == sequence:
            return index, bytes(data)
    raise AssertionError(f"no policy entry for sequence {sequence}")


def check_log(claims: dict, sequence: int) -> None:
    """The receipt's checkpoint is the log's signature over a tree that includes the policy
    entry of `sequence`, proven with the public inclusion proof."""
    log = claims["log"]
    origin, size, root = v.check_checkpoint(log["checkpoint"], VERIFIER_KEY)
    assert (origin, size, root) == (log["origin"], log["size"], base64.b64decode(log["root_hash"]))
    assert size >= LogEntry.objects.count()
    index, data = policy_entry(sequence)
    proof = Client().get("/api/v1/log/proof/inclusion", {"index": index, "tree_size": size})
    assert proof.status_code == 200
    body = proof.json()
    leaf = v.leaf(data)
    assert base64.b64decode(body["leaf_hash"]) == leaf
    path = [base64.b64decode(h) for h in body["hashes"]]
    assert v.verify_inclusion(index, size, leaf, path, root)


def last_sequence() -> int:
    return max(ChangeEvent.objects.values_list("sequence", flat=True), default=0)


# --- Asking -------------------------------------------------------------------------------------


def test_no_receipt_unless_asked(api, track):
    for params in ({}, {"receipt": "false"}, {"receipt": "0"}):
        response = api.get("/api/v1/consent", {"isrc": ISRC} | params)
        assert response.status_code == 200
        assert "Registry-Receipt" not in response
        assert "Preference-Applied" not in response


@pytest.mark.parametrize("value", ["yes", "", "2", "TRUE", "true,true"])
def test_a_receipt_parameter_that_is_neither_yes_nor_no_is_refused(api, track, value):
    response = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/api/problems/invalid-request"
    assert problem["field"] == "receipt"
    assert "Registry-Receipt" not in response


def test_a_lookup_receipt_binds_the_request_the_exact_answer_and_the_log(api, track):
    before = int(time.time())
    response = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "1"})
    assert response.status_code == 200
    assert "Preference-Applied" not in response
    token = response["Registry-Receipt"]
    header, claims = verify(token)
    assert header == {"alg": "EdDSA", "kid": header["kid"], "typ": TYPE}
    (current, *_) = key_set()
    assert header["kid"] == current["kid"] == thumbprint(current["x"])
    body = response.json()
    assert claims["v"] == 1
    assert claims["iss"] == settings.SITE_URL
    assert before <= claims["iat"] <= int(time.time())
    at = datetime.fromisoformat(claims["at"])
    assert claims["at"].endswith("Z") and int(at.timestamp()) == claims["iat"]
    assert claims["request"] == {
        "method": "GET",
        "path": "/api/v1/consent",
        "query": f"isrc={ISRC}&receipt=1",
        "body_sha256": None,
    }
    assert claims["response"] == {
        "status": 200,
        "content_type": "application/json",
        "body_sha256": sha256(response.content),
    }
    assert claims["as_of"] == body["as_of"] == claims["at"]
    assert claims["sequence"] == last_sequence() >= body["sequence"] > 0
    check_log(claims, body["sequence"])


def test_prefer_receipt_asks_for_one_and_says_it_was_applied(api, track):
    response = api.get("/api/v1/consent", {"isrc": ISRC}, HTTP_PREFER="respond-async, Receipt; x=1")
    assert response.status_code == 200
    assert response["Preference-Applied"] == "receipt"
    assert "Prefer" in response["Vary"]
    _, claims = verify(response["Registry-Receipt"])
    assert claims["response"]["body_sha256"] == sha256(response.content)
    assert claims["request"]["query"] == f"isrc={ISRC}"


def test_other_preferences_ask_for_nothing(api, track):
    response = api.get("/api/v1/consent", {"isrc": ISRC}, HTTP_PREFER="return=minimal")
    assert "Registry-Receipt" not in response
    assert "Preference-Applied" not in response


def test_an_as_of_answer_is_the_same_bytes_with_or_without_its_receipt(api, track):
    as_of = "2025-06-01T12:00:00Z"
    plain = api.get("/api/v1/consent", {"isrc": ISRC, "as_of": as_of})
    # The query as sent, unescaped: the receipt states it as the registry received it.
    signed = api.get(f"/api/v1/consent?isrc={ISRC}&as_of={as_of}&receipt=true")
    assert plain.status_code == signed.status_code == 200
    assert signed.content == plain.content
    _, claims = verify(signed["Registry-Receipt"])
    assert claims["as_of"] == signed.json()["as_of"] == "2025-06-01T12:00:00.000000Z"
    assert claims["at"] != claims["as_of"]
    assert claims["request"]["query"] == f"isrc={ISRC}&as_of={as_of}&receipt=true"
    assert claims["response"]["body_sha256"] == sha256(plain.content)


def test_a_live_answer_differs_only_in_its_as_of(api, track):
    plain = api.get("/api/v1/consent", {"isrc": ISRC}).json()
    signed = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"}).json()
    assert {**signed, "as_of": None} == {**plain, "as_of": None}


def test_a_not_modified_answer_carries_no_receipt(api, track):
    first = api.get("/api/v1/consent", {"isrc": ISRC})
    again = api.get(
        "/api/v1/consent", {"isrc": ISRC, "receipt": "true"}, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert again.status_code == 304
    assert "Registry-Receipt" not in again
    assert "Prefer" in again["Vary"] and "Prefer" in first["Vary"]


def test_errors_carry_no_receipt(api, track):
    response = api.get("/api/v1/consent", {"isrc": "not-an-isrc", "receipt": "true"})
    assert response.status_code == 400
    assert "Registry-Receipt" not in response
    unauthenticated = Client().get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    assert unauthenticated.status_code == 401
    assert "Registry-Receipt" not in unauthenticated


def test_a_tampered_answer_or_receipt_fails_verification(api, track):
    response = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    token = response["Registry-Receipt"]
    _, claims = verify(token)
    tampered = response.content.replace(b'"deny"', b'"allow"', 1)
    assert tampered != response.content
    assert sha256(tampered) != claims["response"]["body_sha256"]
    head, payload, signature = token.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged["response"]["body_sha256"] = sha256(tampered)
    forged_token = ".".join([head, b64url(json.dumps(forged).encode()), signature])
    with pytest.raises(jwt.InvalidSignatureError):
        verify(forged_token)


# --- Batches and the compatible endpoint ---------------------------------------------------------


def test_a_batch_has_one_receipt_that_binds_the_request_body_and_the_answer(api, track):
    items = [{"isrc": ISRC}, {"url": LINK}, {"url": "https://example.org/x"}, {"isrc": "bad"}]
    items += [{"url": f"https://example.org/{n}"} for n in range(2000)]
    request_body = orjson.dumps({"items": items})
    response = api.post(
        "/api/v1/consent/batch?receipt=true", request_body, content_type="application/json"
    )
    assert response.status_code == 200
    token = response["Registry-Receipt"]
    assert token.count(".") == 2 and "," not in token  # one compact JWS: one signature
    _, claims = verify(token)
    body = response.json()
    assert body["count"] == len(items)
    assert claims["request"] == {
        "method": "POST",
        "path": "/api/v1/consent/batch",
        "query": "receipt=true",
        "body_sha256": sha256(request_body),
    }
    assert claims["response"]["body_sha256"] == sha256(response.content)
    assert claims["as_of"] == body["as_of"]
    assert claims["sequence"] == last_sequence()
    check_log(claims, body["results"][0]["sequence"])
    plain = api.post("/api/v1/consent/batch", request_body, content_type="application/json")
    assert {**plain.json(), "as_of": None} == {**body, "as_of": None}


def test_a_batch_as_of_in_the_body_is_the_receipts_as_of(api, track):
    request_body = orjson.dumps({"items": [{"isrc": ISRC}], "as_of": "2025-06-01T12:00:00Z"})
    response = api.post(
        "/api/v1/consent/batch",
        request_body,
        content_type="application/json",
        HTTP_PREFER="receipt",
    )
    assert response["Preference-Applied"] == "receipt"
    _, claims = verify(response["Registry-Receipt"])
    assert claims["as_of"] == response.json()["as_of"] == "2025-06-01T12:00:00.000000Z"
    assert claims["request"]["body_sha256"] == sha256(request_body)
    assert claims["request"]["query"] == ""


@pytest.mark.parametrize("path", ["/api/v2/query/urls/", "/api/v2/query/urls"])
def test_the_compatible_endpoint_gives_receipts_too(api, track, path):
    text = f"{LINK}\nhttps://example.org/x\n".encode()
    response = api.post(f"{path}?receipt=true", text, content_type="text/plain")
    assert response.status_code == 200
    _, claims = verify(response["Registry-Receipt"])
    assert claims["request"] == {
        "method": "POST",
        "path": path,
        "query": "receipt=true",
        "body_sha256": sha256(text),
    }
    assert claims["response"]["body_sha256"] == sha256(response.content)
    assert claims["response"]["content_type"] == response["Content-Type"]
    assert claims["as_of"] == claims["at"]
    assert response.json()["urls"][0]["optOut"] is True
    check_log(claims, last_sequence())
    plain = api.post(path, text, content_type="text/plain")
    assert plain.content == response.content


# --- Keys, rotation and the log ------------------------------------------------------------------


def test_the_key_set_is_public_short_lived_and_lists_only_public_keys(track):
    response = Client().get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwk-set+json"
    assert "max-age=" in response["Cache-Control"] and "public" in response["Cache-Control"]
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("OKP", "Ed25519", "sig", "EdDSA")
    configured = json.loads(settings.RECEIPT_SIGNING_KEY)
    assert key["x"] == configured["x"] and key["kid"] == thumbprint(configured["x"])


def test_rotation_keeps_the_retired_key_so_its_receipts_still_verify(api, track, settings):
    key_a, kid_a = new_private_jwk()
    key_b, kid_b = new_private_jwk()
    settings.RECEIPT_SIGNING_KEY = key_a
    old = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    settings.RECEIPT_SIGNING_KEY = key_b
    new = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    assert [key["kid"] for key in key_set()] == [kid_b, kid_a]
    old_header, old_claims = verify(old["Registry-Receipt"])
    new_header, _ = verify(new["Registry-Receipt"])
    assert (old_header["kid"], new_header["kid"]) == (kid_a, kid_b)
    assert old_claims["response"]["body_sha256"] == sha256(old.content)
    # The retired key verifies only what it signed.
    (jwk_a,) = [key for key in key_set() if key["kid"] == kid_a]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.api_jws.PyJWS().decode_complete(
            new["Registry-Receipt"], key=jwt.PyJWK(jwk_a), algorithms=["EdDSA"]
        )


def test_receipts_share_a_checkpoint_until_the_log_grows(api, track, artist):
    first = verify(
        api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})["Registry-Receipt"]
    )
    second = verify(
        api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})["Registry-Receipt"]
    )
    assert first[1]["log"] == second[1]["log"]
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)})
    response = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    _, third = verify(response["Registry-Receipt"])
    assert third["log"]["size"] > first[1]["log"]["size"]
    assert third["sequence"] > first[1]["sequence"]
    check_log(third, response.json()["sequence"])


def test_without_a_receipt_key_the_answer_comes_without_a_receipt(api, track, settings):
    settings.RECEIPT_SIGNING_KEY = ""  # only possible with debug on
    response = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    assert response.status_code == 200
    assert "Registry-Receipt" not in response
    assert Client().get("/.well-known/jwks.json").json() == {"keys": []}


def test_the_receipt_answers_as_of_the_instant_it_states(api, track):
    response = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    _, claims = verify(response["Registry-Receipt"])
    at = datetime.fromisoformat(claims["at"])
    assert timezone.now() - timedelta(minutes=1) < at <= datetime.now(UTC)


def test_a_receipt_reads_the_log_state_with_the_answer_and_afresh_only_without_it(
    api, track, artist, settings
):
    # The lookup's own statement reads the state (through psycopg, not captured here); the
    # statements captured are any the receipt adds of its own.
    api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})  # records the key, signs
    for query in ({"isrc": ISRC}, {"url": LINK}, {"track": str(track.public_id)}):
        api.get("/api/v1/consent", query)
        with CaptureQueriesContext(connection) as plain:
            api.get("/api/v1/consent", query)
        with CaptureQueriesContext(connection) as signed:
            response = api.get("/api/v1/consent", query | {"receipt": "true"})
        assert len(signed) == len(plain), [q["sql"] for q in signed]
        _, claims = verify(response["Registry-Receipt"])
        assert claims["sequence"] == last_sequence()
        check_log(claims, response.json()["sequence"])
    # An answer that a track is not registered comes from a statement that matched no row, so
    # no row carried the state: read afresh.
    with CaptureQueriesContext(connection) as unknown_plain:
        api.get("/api/v1/consent", {"isrc": "GBAYE0000001"})
    with CaptureQueriesContext(connection) as unknown_signed:
        response = api.get("/api/v1/consent", {"isrc": "GBAYE0000001", "receipt": "true"})
    assert len(unknown_signed) == len(unknown_plain) + 1
    assert verify(response["Registry-Receipt"])[1]["sequence"] == last_sequence()
    # The track changes: the next receipt states the new sequence and a checkpoint that has it.
    before = last_sequence()
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)})
    response = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    _, claims = verify(response["Registry-Receipt"])
    assert response.json()["sequence"] > before
    assert claims["sequence"] == response.json()["sequence"] == last_sequence()
    check_log(claims, response.json()["sequence"])


def test_a_receipt_by_link_covers_a_link_removed_from_another_track_since_the_last_receipt(
    api, track, other_artist
):
    """The answer by link rests on which tracks no longer hold it: a state read before the
    removal (the one a process remembers from its last receipt) would leave the removal's entry
    outside the receipt's checkpoint, and the receipt would not prove the answer."""
    second = register_track(
        other_artist, TrackData(title="Copy", artist_credit="Other", roles=["recording"])
    ).tracks[0]
    add_links(other_artist, second, [LINK])
    first = api.get("/api/v1/consent", {"url": LINK, "receipt": "true"})
    assert first.json()["status"] == "registered"
    assert len(first.json()["matches"]) == 2
    _, remembered = verify(first["Registry-Receipt"])
    # And again by track id, which a process may restate: the state is now remembered.
    api.get("/api/v1/consent", {"track": str(track.public_id), "receipt": "true"})
    remove_link(other_artist, TrackLink.objects.get(track=second, url=LINK))
    removal = last_sequence()
    assert removal > remembered["sequence"]
    response = api.get("/api/v1/consent", {"url": LINK, "receipt": "true"})
    body = response.json()
    assert "matches" not in body
    assert body["track"]["id"] == str(track.public_id)
    assert body["sequence"] < removal  # the answered track did not change
    _, claims = verify(response["Registry-Receipt"])
    assert claims["sequence"] >= removal
    check_log(claims, removal)  # the removal's policy entry is in the receipt's checkpoint
    # The same in a batch that mixes identifiers.
    batch = api.post(
        "/api/v1/consent/batch?receipt=true",
        {"items": [{"track": str(track.public_id)}, {"url": LINK}]},
        content_type="application/json",
    )
    _, claims = verify(batch["Registry-Receipt"])
    assert claims["sequence"] >= removal
    check_log(claims, removal)


def test_a_receipt_never_names_a_checkpoint_short_of_the_log_its_answer_saw(
    api, track, artist, monkeypatch
):
    """A process keeps the newest checkpoint it saw; once the log grows past it, a receipt
    must name one that includes the new entries, even when none has been signed since."""
    first = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    _, before = verify(first["Registry-Receipt"])
    # No checkpoint signed after the commit, as when the broker has not run the task yet.
    monkeypatch.setattr(checkpoints, "_sign_after_commit", lambda: None)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)})
    grown = LogEntry.objects.count()
    assert grown > before["log"]["size"]
    assert Checkpoint.objects.order_by("-size").first().size == before["log"]["size"]
    response = api.get("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    _, claims = verify(response["Registry-Receipt"])
    assert claims["log"]["size"] >= grown
    check_log(claims, response.json()["sequence"])


def test_a_head_request_gets_no_receipt(api, track):
    response = api.head("/api/v1/consent", {"isrc": ISRC, "receipt": "true"})
    assert response.status_code == 200
    assert "Registry-Receipt" not in response
