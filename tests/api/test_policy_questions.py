"""The policy questions the site asks are defined once (consent.models.PolicyQuestions): the home
page's count of tracks reserving AI training and the compatible API's `optOut` give the same
answer for every track, licence-only ones included, and each question means what it says."""

import pytest
from django.core.cache import cache

from consent.models import EffectivePolicy, Track
from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from registry.views_public import registry_numbers
from tests.conftest import verify_claims_of

pytestmark = pytest.mark.django_db

P = Purpose
LICENCE = PurposeChoice(Value.LICENSE, "https://owner.example/terms")
# One track per line: its choices, and whether it reserves AI training.
TRACKS = {
    "train-ai-denied": ({P.TRAIN_AI: PurposeChoice(Value.DENY)}, True),
    "genai-denied": ({P.TRAIN_GENAI: PurposeChoice(Value.DENY)}, True),
    "train-ai-licence-only": ({P.TRAIN_AI: LICENCE}, True),
    "genai-licence-only": ({P.TRAIN_GENAI: LICENCE}, True),
    # Training inherits a reservation of text and data mining.
    "tdm-licence-only": ({P.TDM: LICENCE}, True),
    "allowed": (
        {P.TRAIN_AI: PurposeChoice(Value.ALLOW), P.TRAIN_GENAI: PurposeChoice(Value.ALLOW)},
        False,
    ),
    "ai-input-denied-only": ({P.AI_INPUT: PurposeChoice(Value.DENY)}, False),
    "search-licence-only": ({P.SEARCH: LICENCE}, False),
    "nothing-said": ({}, False),
}


def url(name: str) -> str:
    return f"https://music.example/{name}"


@pytest.fixture
def registry(artist):
    """One track per line of TRACKS, each with its own link, its owner's claim verified."""
    for name, (choices, _) in TRACKS.items():
        data = TrackData(
            title=name, artist_credit="Owner Band", roles=["recording"], links=[url(name)]
        )
        track = register_track(artist, data).tracks[0]
        if choices:
            declare(artist, choices, track=track)
    verify_claims_of(artist)


def opted_out(api) -> dict[str, bool]:
    body = "\n".join(url(name) for name in TRACKS)
    response = api.post("/api/v2/query/urls/", body, content_type="text/plain")
    assert response.status_code == 200
    return {item["url"].rsplit("/", 1)[1]: item["optOut"] for item in response.json()["urls"]}


def test_the_home_count_and_the_api_opt_out_are_the_same_question(api, registry, client):
    answers = opted_out(api)
    assert answers == {name: expected for name, (_, expected) in TRACKS.items()}
    cache.clear()
    assert registry_numbers()["reserving_ai_training"] == sum(answers.values())
    label = "where AI training is not allowed or needs a licence"
    body = client.get("/").content.decode()
    before = body.partition(label)[0]
    shown = before.rsplit('<span class="stat-value">', 1)[1].split("</span>", 1)[0].strip()
    assert shown == str(sum(answers.values()))


def test_reserving_means_not_allowed_or_only_under_licence(registry):
    reserving = EffectivePolicy.objects.reserving(P.TRAIN_AI)
    names = set(reserving.values_list("track__title", flat=True))
    assert names == {"train-ai-denied", "train-ai-licence-only", "tdm-licence-only"}
    tracks = set(Track.objects.reserving(P.SEARCH).values_list("title", flat=True))
    assert tracks == {"search-licence-only"}


def test_the_same_question_asked_of_tracks_and_of_policies_gives_the_same_tracks(registry):
    for question in ("reserving_ai_training", "opted_out_of_ai", "licensing", "stating_something"):
        of_tracks = set(getattr(Track.objects, question)().values_list("id", flat=True))
        of_policies = set(
            getattr(EffectivePolicy.objects, question)().values_list("track_id", flat=True)
        )
        assert of_tracks == of_policies, question


def test_the_ai_opt_out_counts_only_tracks_denying_every_ai_use(artist, registry):
    assert not EffectivePolicy.objects.opted_out_of_ai().exists()
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    opted = set(EffectivePolicy.objects.opted_out_of_ai().values_list("track__title", flat=True))
    # A track-level choice of a purpose keeps it from the catalogue-wide denial.
    assert opted == set(TRACKS) - {
        "train-ai-licence-only",
        "genai-licence-only",
        "allowed",
        "tdm-licence-only",
    }
