"""`as_of=`: the policy in force at a past instant, computed from the append-only declarations."""

import time

import pytest
from django.utils import timezone

from consent.contests import contest_claim
from consent.models import Claim
from consent.purposes import Purpose, Value
from consent.services import (
    PurposeChoice,
    TrackData,
    declare,
    register_track,
    withdraw_claim,
)
from consent.times import rfc3339
from tests.conftest import verify_claims_of

pytestmark = pytest.mark.django_db

ISRC = "USRC17607839"


def instant():
    """A moment strictly between two writes."""
    time.sleep(0.01)
    at = timezone.now()
    time.sleep(0.01)
    return at


def lookup(api, at=None) -> dict:
    query = {"isrc": ISRC} | ({"as_of": rfc3339(at)} if at else {})
    response = api.get("/api/v1/consent", query)
    assert response.status_code == 200, response.content
    return response.json()


def values(answer: dict) -> dict[str, str]:
    return {purpose: item["value"] for purpose, item in answer["policy"].items()}


def test_changes_after_t_never_alter_the_answer_for_t(api, artist, other_artist):
    before_registration = instant()
    track = register_track(
        artist, TrackData(title="Night", artist_credit="Band", roles=["recording"], isrc=ISRC)
    ).tracks[0]
    verify_claims_of(artist)
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    t1 = instant()
    answer_t1 = lookup(api, t1)
    assert values(answer_t1)["train-ai"] == "deny"

    # Everything that can happen next: a track override, a new catalogue value, links, a
    # dispute, a withdrawal.
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)}, track=track)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)})
    t2 = instant()
    claim = Claim.objects.get(track=track, creator=artist)
    contest_claim(other_artist, claim, reason="It is mine", statement="I recorded it.")
    t3 = instant()
    withdraw_claim(Claim.objects.get(track=track, creator=other_artist))

    assert lookup(api, t1) | {"as_of": None} == answer_t1 | {"as_of": None}
    assert values(lookup(api, t2))["train-ai"] == "allow"
    assert values(lookup(api, t2))["search"] == "deny"
    assert lookup(api, t2)["disputed"] is False
    assert lookup(api, t3)["disputed"] is True
    assert lookup(api)["disputed"] is False
    assert lookup(api, before_registration)["status"] == "unregistered"
    assert lookup(api, t1)["as_of"] == rfc3339(t1)


def test_as_of_now_equals_the_materialized_answer(api, artist):
    track = register_track(
        artist, TrackData(title="Night", artist_credit="Band", roles=["recording"], isrc=ISRC)
    ).tracks[0]
    declare(artist, {Purpose.TDM: PurposeChoice(Value.LICENSE, contact_email="a@b.example")})
    declare(artist, {Purpose.AI_INPUT: PurposeChoice(Value.DENY)}, track=track)
    now = instant()
    past = lookup(api, now)
    current = lookup(api)
    for answer in (past, current):
        answer.pop("as_of")
    assert past == current


def test_a_withdrawn_claim_still_counts_before_its_withdrawal(api, artist):
    track = register_track(
        artist, TrackData(title="Night", artist_credit="Band", roles=["recording"], isrc=ISRC)
    ).tracks[0]
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    t1 = instant()
    withdraw_claim(Claim.objects.get(track=track, creator=artist))
    assert values(lookup(api))["train-genai"] == "unset"
    assert values(lookup(api, t1))["train-genai"] == "deny"


def test_batch_takes_as_of_too(api, artist):
    register_track(
        artist, TrackData(title="Night", artist_credit="Band", roles=["recording"], isrc=ISRC)
    )
    t1 = instant()
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    response = api.post(
        "/api/v1/consent/batch",
        {"items": [{"isrc": ISRC}], "as_of": rfc3339(t1)},
        content_type="application/json",
    )
    body = response.json()
    assert body["as_of"] == rfc3339(t1)
    assert body["results"][0]["policy"]["train-ai"]["value"] == "unset"
