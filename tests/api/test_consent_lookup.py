"""GET /api/v1/consent: one track's answer by any identifier, with provenance and ETags."""

import pytest

from consent.models import EffectivePolicy
from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import verify_claims_of

pytestmark = pytest.mark.django_db

ISRC = "USRC17607839"
ISWC = "T0345246801"
SHA = "a" * 64


@pytest.fixture
def track(artist):
    data = TrackData(
        title="Night Drive",
        artist_credit="Owner Band",
        roles=["recording"],
        isrc=ISRC,
        iswc=ISWC,
        audio_sha256=SHA,
        links=["https://www.soundcloud.com/owner/night-drive/"],
    )
    track = register_track(artist, data).tracks[0]
    verify_claims_of(artist)
    declare(
        artist,
        {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT}
        | {Purpose.SEARCH: PurposeChoice(Value.LICENSE, terms_url="https://owner.example/terms")},
    )
    return track


@pytest.mark.parametrize(
    "query",
    [
        {"isrc": "US-RC1-76-07839"},
        {"isrc": ISRC.lower()},
        {"iswc": "T-034.524.680-1"},
        {"url": "https://soundcloud.com/owner/night-drive?utm_source=x#top"},
        {"sha256": SHA.upper()},
    ],
)
def test_every_identifier_kind_finds_the_track(api, track, query):
    response = api.get("/api/v1/consent", query)
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == query
    assert body["status"] == "registered"
    assert body["track"]["id"] == str(track.public_id)
    assert body["track"]["isrc"] == ISRC
    assert body["track"]["links"] == ["https://soundcloud.com/owner/night-drive"]


def test_the_answer_carries_values_provenance_and_terms(api, track, artist):
    body = api.get("/api/v1/consent", {"track": str(track.public_id)}).json()
    policy = body["policy"]
    assert policy["train-genai"]["value"] == "deny"
    source = policy["train-genai"]["source"]
    assert source["level"] == "catalogue"
    assert source["creator"] == str(artist.public_id)
    assert isinstance(source["declaration"], int)
    assert source["declared_at"]
    assert source["verification"] == {"status": "verified", "method": "review"}
    assert policy["tdm"] == {"value": "unset", "source": None}
    assert policy["search"]["terms"] == {
        "terms_url": "https://owner.example/terms",
        "contact_email": "",
        "withheld": False,
    }
    assert body["verification"] == {
        "status": "verified",
        "verified_claims": 1,
        "unverified_claims": 0,
    }
    assert body["disputed"] is False
    assert body["sequence"] == EffectivePolicy.objects.get(track=track).sequence > 0
    assert body["as_of"].endswith("Z")


def test_an_unknown_track_is_unregistered_with_no_reservation(api):
    body = api.get("/api/v1/consent", {"isrc": "GBAYE0601498"}).json()
    assert body["status"] == "unregistered"
    assert body["track"] is None
    assert {item["value"] for item in body["policy"].values()} == {"unset"}
    assert body["sequence"] is None


def test_etag_answers_304_until_the_policy_changes(api, track, artist):
    first = api.get("/api/v1/consent", {"isrc": ISRC})
    etag = first["ETag"]
    again = api.get("/api/v1/consent", {"isrc": ISRC}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)}, track=track)
    changed = api.get("/api/v1/consent", {"isrc": ISRC}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    assert changed.json()["policy"]["search"]["value"] == "allow"


def test_several_tracks_sharing_an_iswc_answer_the_most_restrictive(api, artist, other_artist):
    allowed = register_track(
        other_artist,
        TrackData(title="Cover", artist_credit="X", roles=["recording"], iswc=ISWC),
    ).tracks[0]
    declare(other_artist, {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)}, track=allowed)
    denied = register_track(
        artist, TrackData(title="Orig", artist_credit="Y", roles=["recording"], iswc=ISWC)
    ).tracks[0]
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)}, track=denied)
    body = api.get("/api/v1/consent", {"iswc": ISWC}).json()
    assert body["policy"]["train-ai"]["value"] == "deny"
    by_id = {match["track"]["id"]: match for match in body["matches"]}
    assert set(by_id) == {str(allowed.public_id), str(denied.public_id)}
    # Each matched track with its own answer, which explains the combined one.
    assert by_id[str(denied.public_id)]["policy"]["train-ai"]["value"] == "deny"
    own = by_id[str(allowed.public_id)]["policy"]["train-ai"]
    assert own["value"] == "unset"  # the cover's owner is not verified: its allow does not count
    assert by_id[str(allowed.public_id)]["verification"]["status"] == "unverified"


@pytest.mark.parametrize(
    "query, field",
    [
        ({}, None),
        ({"isrc": ISRC, "iswc": ISWC}, "isrc"),
        ({"isrc": "not-an-isrc"}, "isrc"),
        ({"iswc": "T-034.524.680-9"}, "iswc"),
        ({"url": "ftp://example.org/x"}, "url"),
        ({"sha256": "xyz"}, "sha256"),
        ({"track": "42"}, "track"),
        ({"isrc": ISRC, "as_of": "yesterday"}, "as_of"),
        ({"isrc": ISRC, "as_of": "2026-01-01T00:00:00"}, "as_of"),
        ({"isrc": ISRC, "as_of": "2999-01-01T00:00:00Z"}, "as_of"),
    ],
)
def test_bad_input_is_a_400_problem_naming_the_field(api, query, field):
    response = api.get("/api/v1/consent", query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/api/problems/invalid-request"
    assert problem["status"] == 400
    assert problem["detail"]
    if field == "as_of":
        assert problem["field"] == "as_of"
    elif field:
        assert field in {e["field"] for e in problem["errors"]}
