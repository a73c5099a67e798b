"""GET /api/v1/snapshot: every registered track as NDJSON, plus the sequence it is consistent
with, so that snapshot + changes?after= is an exact sync.

The snapshot reads on its own connection, so these tests commit what it must see.
"""

import gzip
import json
import threading

import pytest
from django.db import connection

from consent.models import EffectivePolicy, Track
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track, register_tracks
from tests.api.conftest import KeyClient


def lines(response) -> list[dict]:
    content = b"".join(response.streaming_content)
    if response.get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    return [json.loads(line) for line in content.splitlines()]


def tracks_data(count: int, start: int = 0) -> list[TrackData]:
    return [
        TrackData(
            title=f"Song {n}",
            artist_credit="Band",
            roles=["recording"],
            isrc=f"USRC1760{n:04d}",
            links=[f"https://open.spotify.com/track/s{n}", f"https://soundcloud.com/b/s{n}"],
        )
        for n in range(start, start + count)
    ]


@pytest.mark.django_db(transaction=True)
def test_every_track_is_one_line_shaped_like_a_lookup(api, artist):
    register_tracks(artist, tracks_data(12))
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    response = api.get("/api/v1/snapshot")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    assert int(response["X-Registry-Sequence"]) == 24
    rows = lines(response)
    assert len(rows) == 12
    assert [r["track"]["isrc"] for r in rows] == [f"USRC1760{n:04d}" for n in range(12)]
    assert rows[3]["track"]["links"] == [
        "https://open.spotify.com/track/s3",
        "https://soundcloud.com/b/s3",
    ]
    lookup = api.get("/api/v1/consent", {"isrc": "USRC17600003"}).json()
    for key in ("status", "track", "disputed", "policy", "sequence"):
        assert rows[3][key] == lookup[key]


@pytest.mark.django_db(transaction=True)
def test_gzip_when_asked(api, artist):
    register_tracks(artist, tracks_data(3))
    response = api.get("/api/v1/snapshot", HTTP_ACCEPT_ENCODING="gzip, br")
    assert response["Content-Encoding"] == "gzip"
    assert len(lines(response)) == 3


@pytest.mark.django_db(transaction=True)
def test_an_empty_registry_is_an_empty_snapshot(api):
    response = api.get("/api/v1/snapshot")
    assert response["X-Registry-Sequence"] == "0"
    assert lines(response) == []


@pytest.mark.django_db(transaction=True)
def test_snapshot_plus_changes_after_its_sequence_is_an_exact_sync(platform_key, artist):
    """Writers keep changing policies while the snapshot streams; replaying the changes after
    its sequence over it gives exactly the registry's final state."""
    register_tracks(artist, tracks_data(40))
    client = KeyClient(platform_key)
    tracks = list(Track.objects.order_by("id"))
    stop = threading.Event()
    errors: list[BaseException] = []

    def write():
        try:
            for i in range(30):
                if stop.is_set():
                    break
                value = Value.DENY if i % 2 else Value.ALLOW
                declare(artist, {Purpose.SEARCH: PurposeChoice(value)}, track=tracks[i])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    response = client.get("/api/v1/snapshot")
    sequence = int(response["X-Registry-Sequence"])
    state = {r["track"]["id"]: r["policy"]["search"]["value"] for r in lines(response)}
    writer.join(timeout=60)
    stop.set()
    assert not errors, errors

    after = sequence
    while True:
        body = client.get("/api/v1/changes", {"after": after, "limit": 7}).json()
        for event in body["events"]:
            state[event["track"]["id"]] = event["policy"]["search"]
        after = body["next_after"]
        if not body["has_more"]:
            break
    final = {
        str(p.track.public_id): p.search for p in EffectivePolicy.objects.select_related("track")
    }
    assert state == final


@pytest.mark.django_db(transaction=True)
def test_snapshot_needs_a_key(client):
    assert client.get("/api/v1/snapshot").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_a_single_track_snapshot_matches_registration(api, artist):
    register_track(artist, TrackData(title="Solo", artist_credit="Band", roles=["recording"]))
    (row,) = lines(api.get("/api/v1/snapshot"))
    assert row["track"]["isrc"] is None and row["track"]["links"] == []
