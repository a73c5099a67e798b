"""POST /api/v1/consent/batch: up to 10,000 mixed lookups answered in order, errors per item."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track, register_tracks

pytestmark = pytest.mark.django_db


def post(api, body, **extra):
    return api.post("/api/v1/consent/batch", body, content_type="application/json", **extra)


@pytest.fixture
def tracks(artist):
    items = [
        TrackData(
            title=f"Song {n}",
            artist_credit="Owner Band",
            roles=["recording"],
            isrc=f"USRC1760{n:04d}",
            links=[f"https://open.spotify.com/track/song{n}"],
        )
        for n in range(30)
    ]
    result = register_tracks(artist, items)
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    return result.tracks


def test_mixed_items_are_answered_in_order_with_per_item_errors_and_unrecognised_identifiers(
    api, tracks
):
    items = [
        {"isrc": "USRC17600003"},
        {"url": "https://open.spotify.com/track/song7"},
        {"isrc": "bad"},
        {"isrc": "GBAYE0601498"},
        {"isrc": "USRC17600003", "url": "https://x.example/a"},
        "not an object",
        {"track": str(tracks[12].public_id)},
    ]
    response = post(api, {"items": items})
    assert response.status_code == 200
    body = response.json()
    results = body["results"]
    assert body["count"] == 7 and body["errors"] == 3
    assert [r["index"] for r in results] == list(range(7))
    assert [r["status"] for r in results] == [
        "registered",
        "registered",
        "unrecognised",
        "unregistered",
        "error",
        "error",
        "registered",
    ]
    assert results[0]["track"]["title"] == "Song 3"
    assert results[1]["track"]["title"] == "Song 7"
    assert results[6]["track"]["title"] == "Song 12"
    assert results[0]["policy"]["train-ai"]["value"] == "deny"
    assert results[2]["query"] == {"isrc": "bad"}
    assert "ISRC" in results[2]["reason"] and "error" not in results[2]
    assert results[5]["error"]["type"] == "/api/problems/invalid-request"


def test_a_batch_costs_a_few_queries_whatever_its_size(api, tracks):
    items = [{"isrc": t.isrc} for t in tracks] + [
        {"url": f"https://open.spotify.com/track/song{n}"} for n in range(30)
    ]
    with CaptureQueriesContext(connection) as queries:
        response = post(api, {"items": items})
    assert response.status_code == 200
    assert len(queries) <= 8, [q["sql"][:80] for q in queries]


def test_ten_thousand_items_are_accepted_and_one_more_is_413(api, tracks):
    items = [{"isrc": f"USRC1760{n % 30:04d}"} for n in range(10_000)]
    ok = post(api, {"items": items})
    assert ok.status_code == 200
    assert len(ok.json()["results"]) == 10_000
    too_many = post(api, {"items": items + [{"isrc": "USRC17600001"}]})
    assert too_many.status_code == 413
    problem = too_many.json()
    assert problem["type"] == "/api/problems/too-large"
    assert "10,000" in problem["detail"]
    assert problem["limit"] == 10_000 and problem["count"] == 10_001


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ("{not json", "application/json", 400),
        ('{"items": "x"}', "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("items=1", "application/x-www-form-urlencoded", 415),
        ('{"items": []}', "text/plain", 415),
    ],
)
def test_malformed_bodies_get_problems_not_500s(api, body, content_type, status):
    response = api.post("/api/v1/consent/batch", body, content_type=content_type)
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"


def test_a_body_over_the_size_limit_is_413(api, settings):
    settings.API_MAX_BODY_BYTES = 2048
    response = post(api, {"items": [{"url": "https://example.org/" + "x" * 3000}]})
    assert response.status_code == 413


def test_get_is_405(api):
    response = api.get("/api/v1/consent/batch")
    assert response.status_code == 405
    assert response.json()["type"] == "/api/problems/method-not-allowed"


def test_an_empty_batch_is_an_empty_answer(api):
    body = post(api, {"items": []}).json()
    assert body["results"] == [] and body["count"] == 0


def test_unicode_and_long_identifiers_never_500(api, artist):
    register_track(artist, TrackData(title="Ü", artist_credit="É", roles=["recording"]))
    items = [{"url": "https://例え.jp/曲"}, {"isrc": "Ü" * 500}, {"url": "x" * 5000}, {"isrc": 12}]
    response = post(api, {"items": items})
    assert response.status_code == 200
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["unregistered", "unrecognised", "unrecognised", "error"]
