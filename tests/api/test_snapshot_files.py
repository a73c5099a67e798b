"""Snapshot files: built once per sequence, atomically, kept a few at a time, and served as a copy
of the file with the validators, byte ranges, negotiation and limits HTTP clients expect.

The build reads on its own connection, so these tests commit what it must see. Receipts are
verified with PyJWT, checkpoints with tests/registry/log_verifier.py (written from the RFCs).
"""

import base64
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jwt
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils.http import http_date

from api.renderers import dumps
from api.services import create_key
from consent import snapshot_files
from consent.models import LogEntry
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_tracks
from consent.snapshot import open_snapshot
from registry.celery import app
from tests.api.conftest import KeyClient
from tests.api.platform_helpers import make_platform
from tests.registry import log_verifier as v

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
VERIFIER_KEY = "test-only.invalid/consent-log+0da45ce8+AXi/uEQ6x0Y1XjhTUR2rSKlXEEp96/X0T0uYqNWHCGY0"
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip"}


def tracks_data(count: int, start: int = 0) -> list[TrackData]:
    return [
        TrackData(
            title=f"Song {n}",
            artist_credit="Band",
            roles=["recording"],
            isrc=f"USRC1770{n:04d}",
            links=[f"https://open.spotify.com/track/f{n}"],
        )
        for n in range(start, start + count)
    ]


def body(response) -> bytes:
    content = b"".join(response.streaming_content)
    response.close()  # frees the platform's download slot, as the server does
    return content


# Each reserves one more purpose catalogue-wide: 30 change events (one per track) every time.
RESERVED_NEXT = [Purpose.TRAIN_AI, Purpose.SEARCH, Purpose.AI_INPUT, Purpose.TDM]


def change(artist, step: int) -> None:
    declare(artist, {RESERVED_NEXT[step]: PurposeChoice(Value.DENY)})


@pytest.fixture
def registry(artist):
    register_tracks(artist, tracks_data(30))
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    return artist


@pytest.fixture
def built(registry) -> snapshot_files.SnapshotFile:
    made = snapshot_files.build()
    assert made is not None
    return made


def sidecar_of(found: snapshot_files.SnapshotFile) -> Path:
    return found.path.with_name(found.path.name[: -len(".ndjson.gz")] + ".json")


# --- The file ------------------------------------------------------------------------------------


def test_the_file_holds_exactly_the_lines_the_database_snapshot_gives(built):
    with open_snapshot() as (sequence, answers):
        expected = b"".join(dumps(answer) + b"\n" for answer in answers)
    raw = built.path.read_bytes()
    assert built.sequence == sequence == 60
    assert gzip.decompress(raw) == expected
    assert built.lines == 30 and built.size == len(raw) == built.path.stat().st_size
    assert built.sha256 == hashlib.sha256(raw).hexdigest()
    assert built.ndjson_size == len(expected)
    assert built.log_size == LogEntry.objects.count()
    sidecar = json.loads(
        built.path.with_name(built.path.name[: -len(".ndjson.gz")] + ".json").read_text()
    )
    assert sidecar["sha256"] == built.sha256 and sidecar["sequence"] == 60


def test_nothing_is_built_while_the_newest_file_is_current(built, registry):
    assert snapshot_files.build() is None
    change(registry, 0)
    newer = snapshot_files.build()
    assert newer.sequence == 90 and snapshot_files.newest() == newer


def test_files_are_built_at_least_the_debounce_apart(built, registry, settings):
    """The task builds a file behind the registry only once the newest is old enough, so a
    burst of changes makes one file; beat comes back for the rest."""
    from consent.tasks import build_snapshot

    change(registry, 0)
    settings.SNAPSHOT_DEBOUNCE_SECONDS = 3600
    assert build_snapshot() is None
    assert snapshot_files.newest() == built
    settings.SNAPSHOT_DEBOUNCE_SECONDS = 1
    deadline = time.monotonic() + 10
    while time.time() - built.built_ts < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert build_snapshot() == 90
    assert build_snapshot() is None  # current: nothing to build


def test_only_the_newest_files_are_kept(registry, settings):
    settings.SNAPSHOT_KEEP = 2
    made = []
    for step in range(4):
        change(registry, step)
        made.append(snapshot_files.build())
    folder = Path(settings.SNAPSHOT_DIR)
    assert [f.sequence for f in snapshot_files.available()] == [m.sequence for m in made[:1:-1]]
    assert len(list(folder.glob("*.ndjson.gz"))) == 2 and len(list(folder.glob("*.json"))) == 2
    assert not made[0].path.exists() and not made[1].path.exists()


def test_a_failed_build_leaves_the_previous_file_and_no_partial_one(built, registry, monkeypatch):
    change(registry, 0)
    encode = snapshot_files.encode_line
    count = iter(range(1000))

    def fail_midway(answer):
        if next(count) == 20:
            raise OSError("disk full")
        return encode(answer)

    monkeypatch.setattr(snapshot_files, "encode_line", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        snapshot_files.build()
    folder = Path(built.path.parent)
    assert snapshot_files.newest() == built and built.path.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [built.path.name, built.path.name.replace(".ndjson.gz", ".json")]
    )
    assert cache.get(snapshot_files.BUILD_LOCK) is None  # the lock went with the failure


def test_a_crashed_builds_leftovers_are_removed_once_stale(built):
    folder = built.path.parent
    leftover = folder / ".snapshot-000000000001-dead.ndjson.gz.0000.tmp"
    leftover.write_bytes(b"partial")
    assert snapshot_files.newest() == built  # never listed
    snapshot_files.prune()
    assert leftover.exists()  # it may be a build running now
    old = time.time() - snapshot_files.STALE_TEMPORARY_SECONDS - 60
    os.utime(leftover, (old, old))
    snapshot_files.prune()
    assert not leftover.exists()


def test_one_build_at_a_time(registry):
    cache.add(snapshot_files.BUILD_LOCK, "another process", 60)
    with pytest.raises(snapshot_files.BuildBusy):
        snapshot_files.build()
    cache.delete(snapshot_files.BUILD_LOCK)
    assert snapshot_files.build() is not None


def test_files_ahead_of_the_registry_are_removed_at_the_next_build(built, registry):
    """A database restored from a backup: its sequence went back; the files above it are not
    this registry's any more."""
    ahead = built.path.with_name(built.path.name.replace("000000000060", "000000000999"))
    ahead.write_bytes(built.path.read_bytes())
    sidecar = json.loads(sidecar_of(built).read_text())
    sidecar |= {"sequence": 999, "file": ahead.name}
    ahead.with_name(ahead.name[:-10] + ".json").write_text(json.dumps(sidecar))
    assert snapshot_files.newest().sequence == 999
    snapshot_files.build()
    assert snapshot_files.newest().sequence == 60
    assert not ahead.exists()


def test_a_file_of_another_database_is_never_served(built, api):
    sidecar_path = sidecar_of(built)
    sidecar = json.loads(sidecar_path.read_text())
    sidecar_path.write_text(json.dumps(sidecar | {"database": "0" * 16}))
    snapshot_files._listing = None  # rewritten in place, which no build does
    assert snapshot_files.newest() is None
    response = api.get("/api/v1/snapshot")  # in-process tasks: built afresh for this database
    assert response.status_code == 200
    assert len(body(response).splitlines()) == 30


# --- Serving -------------------------------------------------------------------------------------


def test_gzip_is_the_file_as_stored_with_its_validators(built, api):
    response = api.get("/api/v1/snapshot", **GZIP)
    assert response.status_code == 200
    raw = body(response)
    assert raw == built.path.read_bytes()
    assert response["Content-Encoding"] == "gzip"
    assert response["Content-Type"] == "application/x-ndjson"
    assert response["Content-Length"] == str(built.size)
    assert response["X-Registry-Sequence"] == "60"
    assert response["ETag"] == f'"{hashlib.sha256(raw).hexdigest()[:40]}"'
    assert response["Last-Modified"] == http_date(int(built.built_ts))
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Location"] == "/api/v1/snapshot?sequence=60"
    assert "Accept-Encoding" in response["Vary"]
    assert "Registry-Receipt" not in response


def test_without_gzip_the_lines_come_decompressed_without_ranges(built, api):
    response = api.get("/api/v1/snapshot", HTTP_RANGE="bytes=0-9")
    assert response.status_code == 200
    text = body(response)
    assert text == gzip.decompress(built.path.read_bytes())
    assert "Content-Encoding" not in response
    assert response["Content-Length"] == str(len(text))
    assert response["Accept-Ranges"] == "none"
    assert response["ETag"] == f'"{built.sha256[:40]}-ndjson"' != built.etag
    refused = api.get("/api/v1/snapshot", HTTP_ACCEPT_ENCODING="gzip;q=0, identity")
    assert "Content-Encoding" not in refused
    body(refused)


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=10-99", 10, 99), ("bytes=100-", 100, None), ("bytes=-50", -50, None)],
)
def test_a_byte_range_of_the_gzip_file(built, api, header, first, last):
    raw = built.path.read_bytes()
    response = api.get("/api/v1/snapshot", HTTP_RANGE=header, **GZIP)
    assert response.status_code == 206
    part = body(response)
    expected = raw[first : None if last is None else last + 1]
    assert part == expected
    start = first if first >= 0 else len(raw) + first
    assert response["Content-Range"] == f"bytes {start}-{start + len(part) - 1}/{len(raw)}"
    assert response["Content-Length"] == str(len(part))
    assert response["Content-Encoding"] == "gzip"


def test_a_download_resumed_with_if_range_rebuilds_the_file(built, api):
    raw = built.path.read_bytes()
    first = api.get("/api/v1/snapshot", HTTP_RANGE="bytes=0-99", **GZIP)
    head, etag = body(first), first["ETag"]
    rest = api.get("/api/v1/snapshot", HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=etag, **GZIP)
    assert rest.status_code == 206
    assert head + body(rest) == raw
    by_date = api.get(
        "/api/v1/snapshot", HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=first["Last-Modified"], **GZIP
    )
    assert by_date.status_code == 206 and body(by_date) == raw[100:]


def test_if_range_of_another_file_sends_the_whole_newest(built, api):
    response = api.get("/api/v1/snapshot", HTTP_RANGE="bytes=100-", HTTP_IF_RANGE='"stale"', **GZIP)
    assert response.status_code == 200 and body(response) == built.path.read_bytes()
    weak = api.get(
        "/api/v1/snapshot", HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=f"W/{built.etag}", **GZIP
    )
    assert weak.status_code == 200  # a weak validator never allows a range
    body(weak)


def test_a_range_past_the_end_is_416_and_several_ranges_send_the_file(built, api):
    response = api.get("/api/v1/snapshot", HTTP_RANGE=f"bytes={built.size}-", **GZIP)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{built.size}"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/api/problems/range-not-satisfiable"
    several = api.get("/api/v1/snapshot", HTTP_RANGE="bytes=0-9,20-29", **GZIP)
    assert several.status_code == 200 and body(several) == built.path.read_bytes()
    nonsense = api.get("/api/v1/snapshot", HTTP_RANGE="bytes=9-3", **GZIP)
    assert nonsense.status_code == 200
    body(nonsense)


def test_an_older_kept_file_is_resumed_at_its_own_address(built, registry, api):
    first = api.get("/api/v1/snapshot", HTTP_RANGE="bytes=0-99", **GZIP)
    head, etag, address = body(first), first["ETag"], first["Content-Location"]
    change(registry, 0)
    newer = snapshot_files.build()
    assert newer.sequence == 90
    # The newest is another file now: the same If-Range there sends it whole ...
    whole = api.get("/api/v1/snapshot", HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=etag, **GZIP)
    assert whole.status_code == 200 and whole["X-Registry-Sequence"] == "90"
    body(whole)
    # ... and the file's own address resumes it.
    rest = api.get(address, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=etag, **GZIP)
    assert rest.status_code == 206 and rest["X-Registry-Sequence"] == "60"
    assert head + body(rest) == built.path.read_bytes()
    gone = api.get("/api/v1/snapshot?sequence=7", **GZIP)
    assert gone.status_code == 404 and gone.json()["type"] == "/api/problems/not-found"
    bad = api.get("/api/v1/snapshot?sequence=x", **GZIP)
    assert bad.status_code == 400 and bad.json()["field"] == "sequence"


def test_if_none_match_and_if_modified_since_answer_304(built, api):
    for headers in (
        {"HTTP_IF_NONE_MATCH": built.etag},
        {"HTTP_IF_NONE_MATCH": f'"other", W/{built.etag}'},
        {"HTTP_IF_NONE_MATCH": "*"},
        {"HTTP_IF_MODIFIED_SINCE": http_date(int(built.built_ts) + 5)},
    ):
        response = api.get("/api/v1/snapshot", **GZIP, **headers)
        assert response.status_code == 304, headers
        assert response.content == b""
        assert response["ETag"] == built.etag and response["X-Registry-Sequence"] == "60"
    changed = api.get("/api/v1/snapshot", HTTP_IF_NONE_MATCH='"other"', **GZIP)
    assert changed.status_code == 200
    body(changed)
    # The identity representation has a validator of its own.
    identity = api.get("/api/v1/snapshot", HTTP_IF_NONE_MATCH=built.etag)
    assert identity.status_code == 200
    body(identity)
    assert api.get("/api/v1/snapshot", HTTP_IF_NONE_MATCH=built.ndjson_etag).status_code == 304


def test_head_sends_the_headers_only_and_takes_no_slot(built, api):
    downloading = api.get("/api/v1/snapshot", **GZIP)
    response = api.head("/api/v1/snapshot", **GZIP)
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(built.size)
    assert response["ETag"] == built.etag and response["Accept-Ranges"] == "bytes"
    body(downloading)


def test_in_process_a_request_builds_the_file_when_it_is_behind(registry, api):
    first = api.get("/api/v1/snapshot")
    assert first["X-Registry-Sequence"] == "60"
    body(first)
    change(registry, 0)
    second = api.get("/api/v1/snapshot")
    assert second["X-Registry-Sequence"] == "90"
    lines = [json.loads(line) for line in body(second).splitlines()]
    assert len(lines) == 30
    assert {line["policy"]["train-ai"]["value"] for line in lines} == {"deny"}


# --- One download at a time per platform --------------------------------------------------------


def test_one_download_at_a_time_per_platform(built, api, platform):
    downloading = api.get("/api/v1/snapshot", **GZIP)
    assert downloading.status_code == 200
    second_key = create_key(platform, "another key")[1]
    busy = KeyClient(second_key).get("/api/v1/snapshot", **GZIP)  # the platform's, not the key's
    assert busy.status_code == 429
    assert busy["Content-Type"] == "application/problem+json"
    assert busy.json()["type"] == "/api/problems/snapshot-busy"
    assert 1 <= int(busy["Retry-After"]) <= 60
    other = KeyClient(create_key(make_platform("Other AI"), "k")[1])
    elsewhere = other.get("/api/v1/snapshot", **GZIP)
    assert elsewhere.status_code == 200
    body(elsewhere)
    body(downloading)  # done: the slot is free again
    again = api.get("/api/v1/snapshot", **GZIP)
    assert again.status_code == 200
    body(again)


def test_a_slot_left_by_a_dead_process_expires(built, api, settings):
    settings.SNAPSHOT_SLOT_SECONDS = 1
    abandoned = api.get("/api/v1/snapshot", **GZIP)  # never closed, as if its worker died
    assert abandoned.status_code == 200
    assert api.get("/api/v1/snapshot", **GZIP).status_code == 429
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        response = api.get("/api/v1/snapshot", **GZIP)
        if response.status_code == 200:
            body(response)
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the slot never expired")


# --- Before the first file, with a broker ---------------------------------------------------------


def reset_connections() -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    """The project's Celery app sends to the test Redis for this test only (no worker)."""
    keys = ("task_always_eager", "broker_url")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(task_always_eager=False, broker_url=os.environ["REDIS_URL"])
    reset_connections()
    yield
    app.conf.update(saved)
    reset_connections()


def queued_builds() -> int:
    import redis

    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        messages = client.lrange("celery", 0, -1)
    finally:
        client.close()
    names = [json.loads(m)["headers"]["task"] for m in messages]
    return names.count("consent.tasks.build_snapshot")


def test_before_the_first_file_503_with_retry_after_and_the_build_is_queued(registry, api, broker):
    response = api.get("/api/v1/snapshot", **GZIP)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "/api/problems/snapshot-not-ready"
    assert 5 <= int(response["Retry-After"]) <= 300
    assert queued_builds() == 1
    assert api.get("/api/v1/snapshot", **GZIP).status_code == 503
    assert queued_builds() == 1  # kicked once, not per request


def test_with_a_broker_a_burst_of_changes_queues_one_build(registry, broker):
    assert queued_builds() == 0
    for step in range(3):
        change(registry, step)
    assert queued_builds() == 1


# --- Receipts ------------------------------------------------------------------------------------


def verify(token: str) -> dict:
    kid = jwt.get_unverified_header(token)["kid"]
    (jwk,) = [k for k in Client().get("/.well-known/jwks.json").json()["keys"] if k["kid"] == kid]
    decoded = jwt.api_jws.PyJWS().decode_complete(token, key=jwt.PyJWK(jwk), algorithms=["EdDSA"])
    assert decoded["header"]["typ"] == "consent-receipt+jws"
    return json.loads(decoded["payload"])


def test_a_receipt_binds_the_file_its_sequence_and_a_covering_checkpoint(built, api):
    response = api.get("/api/v1/snapshot?receipt=true", **GZIP)
    assert response.status_code == 200
    raw = body(response)
    claims = verify(response["Registry-Receipt"])
    assert claims["response"]["body_sha256"] == hashlib.sha256(raw).hexdigest()
    assert claims["response"]["status"] == 200
    assert claims["request"] == {
        "method": "GET",
        "path": "/api/v1/snapshot",
        "query": "",
        "body_sha256": None,
    }
    assert claims["sequence"] == int(response["X-Registry-Sequence"]) == 60
    log = claims["log"]
    origin, size, root = v.check_checkpoint(log["checkpoint"], VERIFIER_KEY)
    assert (origin, size, root) == (log["origin"], log["size"], base64.b64decode(log["root_hash"]))
    assert size >= LogEntry.objects.count() == built.log_size  # every entry behind the file
    # Signed once, when the file was built: every download of it carries the same receipt.
    again = api.get("/api/v1/snapshot", HTTP_PREFER="receipt", HTTP_RANGE="bytes=5-", **GZIP)
    assert again.status_code == 206 and again["Registry-Receipt"] == response["Registry-Receipt"]
    assert again["Preference-Applied"] == "receipt"
    body(again)


def test_the_standalone_verifier_accepts_a_downloaded_snapshot_and_its_receipt(
    built, api, tmp_path
):
    response = api.get("/api/v1/snapshot?receipt=1", **GZIP)
    (tmp_path / "snapshot.ndjson.gz").write_bytes(body(response))
    (tmp_path / "jwks.json").write_bytes(Client().get("/.well-known/jwks.json").content)
    script = ROOT / "verifier" / "consent_verify.py"
    done = subprocess.run(
        [sys.executable, str(script), "response", str(tmp_path / "snapshot.ndjson.gz"),
         "--receipt", response["Registry-Receipt"], "--jwks", str(tmp_path / "jwks.json"),
         "--key", VERIFIER_KEY],
        capture_output=True, timeout=60, cwd="/", check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert b"change sequence 60" in done.stdout


def test_a_receipt_needs_the_gzip_file(built, api):
    refused = api.get("/api/v1/snapshot?receipt=true")
    assert refused.status_code == 406
    assert refused.json()["type"] == "/api/problems/not-acceptable"
    preferred = api.get("/api/v1/snapshot", HTTP_PREFER="receipt")
    assert preferred.status_code == 200  # a preference the server may not honour
    assert "Registry-Receipt" not in preferred and "Preference-Applied" not in preferred
    body(preferred)
    assert api.get("/api/v1/snapshot?receipt=maybe", **GZIP).status_code == 400
    assert "Registry-Receipt" not in api.get("/api/v1/snapshot?receipt=false", **GZIP)


# --- With a real worker --------------------------------------------------------------------------


def wait_for_sequence(api, sequence: int, timeout: float = 60.0):
    """Poll the endpoint as a client honouring Retry-After would, faster; the 200 at `sequence`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = api.get("/api/v1/snapshot", **GZIP)
        if response.status_code == 200 and response["X-Registry-Sequence"] == str(sequence):
            return response
        if response.status_code == 200:
            body(response)
        else:
            assert response.status_code == 503, response.content
        time.sleep(0.2)
    raise AssertionError(f"no snapshot file at sequence {sequence} within {timeout} s")


@pytest.mark.slow
@pytest.mark.subprocess
def test_a_worker_builds_the_first_file_then_one_per_burst_of_changes(
    registry, api, broker, settings, tmp_path
):
    from tests.api.webhooks_support import database_url

    settings.SNAPSHOT_DEBOUNCE_SECONDS = 1
    env = os.environ | {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "SNAPSHOT_DIR": str(settings.SNAPSHOT_DIR),
        "SNAPSHOT_KEEP": "10",  # every file the worker builds stays, to be counted
        "SNAPSHOT_DEBOUNCE_SECONDS": "1",  # files a second apart at least; beat every second
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "registry", "worker", "--pool=solo",
         "--concurrency=1", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "--loglevel=INFO", "-B", "-s", str(tmp_path / "beat-schedule")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        first = api.get("/api/v1/snapshot", **GZIP)
        assert first.status_code == 503  # nothing built yet: the request queued the build
        served = wait_for_sequence(api, 60)
        lines = gzip.decompress(body(served)).splitlines()
        assert len(lines) == 30
        for step in range(3):  # a burst: queued once; beat builds what the burst left
            change(registry, step)
        served = wait_for_sequence(api, 150)
        assert len(gzip.decompress(body(served)).splitlines()) == 30
        # The first file, then the burst's: one build, or two if the queued one began mid-burst.
        assert [f.sequence for f in snapshot_files.available()][-1] == 60
        assert 2 <= len(snapshot_files.available()) <= 3
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        log.close()
