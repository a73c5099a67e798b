"""GET /api/v1/changes: the ordered change log, paged with `after`, never skipping an event."""

import threading

import pytest
from django.db import connection

from consent.links import add_links, remove_link
from consent.models import ChangeEvent, TrackLink
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from tests.api.conftest import KeyClient
from tests.conftest import make_artist, verify_claims_of
from tests.factories import register

WRITERS = 4
CHANGES_PER_WRITER = 10


def page(api, after: int, limit: int = 1000) -> dict:
    response = api.get("/api/v1/changes", {"after": after, "limit": limit})
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.django_db
def test_events_come_in_order_with_policy_previous_and_paging(api, artist):
    track = register(artist, isrc="USRC17607839")
    verify_claims_of(artist)  # the owner proves the claim, so its `allow` will count
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)}, track=track)
    first = page(api, 0, limit=2)
    assert [e["sequence"] for e in first["events"]] == [1, 2]
    assert first["has_more"] is True and first["next_after"] == 2
    assert first["last_sequence"] == 4
    verified = first["events"][1]
    assert verified["track"] == {
        "id": str(track.public_id),
        "isrc": "USRC17607839",
        "iswc": None,
        "audio_sha256": None,
        "links": [],
    }
    assert verified["previous_links"] == []
    assert verified["cause"] == "claim-verified"
    assert verified["previous"]["verification"]["status"] == "unverified"
    assert verified["policy"]["verification"] == {
        "status": "verified",
        "verified_claims": 1,
        "unverified_claims": 0,
    }
    rest = page(api, first["next_after"], limit=2)
    assert [e["sequence"] for e in rest["events"]] == [3, 4]
    assert rest["has_more"] is False
    event = rest["events"][0]
    assert event["policy"]["train-ai"] == "deny"
    assert event["previous"]["train-ai"] == "unset"
    assert event["policy"]["disputed"] is False
    assert event["cause"]
    assert rest["events"][1]["policy"]["train-ai"] == "allow"
    empty = page(api, 4)
    assert empty == {"events": [], "next_after": 4, "has_more": False, "last_sequence": 4}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"after": "-1"},
        {"after": "x"},
        {"after": "9" * 30},
        {"after": "9" * 5000},
        {"limit": "0"},
        {"limit": "10001"},
    ],
)
def test_bad_paging_parameters_are_400(api, query):
    response = api.get("/api/v1/changes", query)
    assert response.status_code == 400
    assert response.json()["field"] in query


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_client_paging_with_after_never_misses_an_event_under_concurrent_writers(
    platform_key,
):
    artists = [make_artist() for _ in range(WRITERS)]
    tracks = [register(a) for a in artists]
    after = ChangeEvent.objects.order_by("-sequence").values_list("sequence", flat=True)[0]
    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()
    errors: list[BaseException] = []
    received: list[int] = []

    def write(artist, track):
        try:
            start.wait()
            for i in range(CHANGES_PER_WRITER):
                value = Value.DENY if i % 2 == 0 else Value.ALLOW
                declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(value)}, track=track)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def follow():
        nonlocal after
        client = KeyClient(platform_key)
        try:
            start.wait()
            for _ in range(100_000):  # bounded; the writers finish long before
                finished = done.is_set()
                body = page(client, after, limit=3)
                received.extend(e["sequence"] for e in body["events"])
                after = body["next_after"]
                if finished and not body["has_more"]:
                    break
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=p) for p in zip(artists, tracks, strict=True)]
    reader = threading.Thread(target=follow)
    for thread in [*threads, reader]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    reader.join(timeout=120)

    assert not errors, errors
    total = WRITERS * CHANGES_PER_WRITER
    assert len(received) == total, "every event once"
    assert received == list(range(received[0], received[0] + total)), "in order, no gap"
    assert set(ChangeEvent.objects.filter(sequence__gt=received[0] - 1).values_list(
        "sequence", flat=True)) == set(received)  # fmt: skip


@pytest.mark.django_db
def test_the_database_and_python_write_an_event_identically(artist):
    """PostgreSQL writes the feed's JSON; `api.events.event` writes it elsewhere and in
    webhooks: one shape."""
    import orjson

    from api.events import COLUMNS, JSON_SQL, PAGE_SQL, event

    register(artist, isrc="USRC17607839")
    untitled = register(artist, title="No ISRC")
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, terms_url="https://a.b/t")})
    add_links(artist, untitled, ["https://open.spotify.com/track/b", "https://soundcloud.com/a/t"])
    remove_link(artist, TrackLink.objects.get(url="https://soundcloud.com/a/t"))
    # An event recorded before link changes were events knows no links.
    ChangeEvent.objects.filter(sequence=1).update(links=None, previous_links=None)
    with connection.cursor() as cursor:
        cursor.execute(PAGE_SQL.format(columns=COLUMNS), [0, 100])
        from_python = [orjson.loads(orjson.dumps(event(*row))) for row in cursor.fetchall()]
        cursor.execute(PAGE_SQL.format(columns=f"e.sequence, {JSON_SQL}"), [0, 100])
        from_database = [orjson.loads(text) for _, text in cursor.fetchall()]
    assert len(from_python) == 6
    assert from_database == from_python
    assert from_python[0]["track"]["links"] is None and from_python[0]["previous_links"] is None
    assert from_python[-1]["track"]["links"] == ["https://open.spotify.com/track/b"]
    assert from_python[-1]["previous_links"] == [
        "https://open.spotify.com/track/b",
        "https://soundcloud.com/a/t",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("microsecond", [0, 10, 184310, 999999])
def test_times_read_the_same_from_the_database_and_python(artist, microsecond):
    import orjson

    from api.events import COLUMNS, JSON_SQL, PAGE_SQL, event

    register(artist)
    ChangeEvent.objects.update(created_at=ChangeEvent.objects.get().created_at.replace(
        microsecond=microsecond))  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(PAGE_SQL.format(columns=COLUMNS), [0, 1])
        from_python = event(*cursor.fetchone())["created_at"]
        cursor.execute(PAGE_SQL.format(columns=f"e.sequence, {JSON_SQL}"), [0, 1])
        from_database = orjson.loads(cursor.fetchone()[1])["created_at"]
    assert from_python == from_database
    assert from_python.endswith(f".{microsecond:06d}Z")
