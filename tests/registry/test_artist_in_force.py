"""What the owner's track page says is in force, and what each "Inherit" choice leads to: the
value the API answers with, and where it comes from (the catalogue, a broader choice on the
track, a co-owner), never a value worked out apart from the resolution. And how many owners a
track has: creators, not claims."""

import pytest
from django.urls import reverse

from consent.models import Claim, EffectivePolicy
from consent.purposes import PURPOSES, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from registry.in_force import explain_track
from registry.queries import owner_count
from tests.conftest import make_artist, verify_claims_of

pytestmark = pytest.mark.django_db

ISRC = "USRC17607839"
DENY = PurposeChoice(Value.DENY)
ALLOW = PurposeChoice(Value.ALLOW)
LICENCE = PurposeChoice(Value.LICENSE, contact_email="licensing@owner.example")


@pytest.fixture
def track(artist):
    """The owner's recording; `verified` or `songwriter` proves their claim."""
    data = TrackData(
        title="Night Drive", artist_credit="Owner Band", roles=["recording"], isrc=ISRC
    )
    return register_track(artist, data).tracks[0]


@pytest.fixture
def verified(artist, track):
    verify_claims_of(artist)


@pytest.fixture
def songwriter(artist, track):
    """A co-owner: the songwriter of the same track. Both claims are proven once both are
    made, as for owners who registered their own rights (no dispute opens)."""
    songwriter = make_artist("Song Writer", "song-writer")
    data = TrackData(title="x", artist_credit="x", roles=["composition"], isrc=ISRC)
    register_track(songwriter, data)
    verify_claims_of(artist)
    verify_claims_of(songwriter)
    return songwriter


def explained(artist, track):
    policy = EffectivePolicy.objects.get(track=track)
    claims = list(Claim.objects.active().filter(track=track, creator=artist))
    return explain_track(artist, track, policy, claims)


def labels(owner_client, track) -> dict[str, str]:
    """The "Inherit" choice of each purpose on the track's form, as the page renders it."""
    form = owner_client.get(reverse("track_detail", args=[track.public_id])).context[
        "permissions_form"
    ]
    return {
        field.name: dict(field.field.choices)[Value.UNSET.value] for field in form.purpose_fields()
    }


def test_a_catalogue_choice_is_named_as_the_catalogue(owner_client, artist, track, verified):
    declare(artist, {Purpose.TRAIN_GENAI: DENY})
    assert labels(owner_client, track)["train_genai"] == (
        "Inherit: Not allowed (from your catalogue)"
    )


def test_the_tracks_broader_choice_beats_the_catalogues_narrower_one_and_is_named(
    owner_client, artist, track, verified
):
    """The reported case: the one-click opt-out, then a licence for any AI training on a track."""
    owner_client.post(reverse("opt_out_ai"))
    declare(artist, {Purpose.TRAIN_AI: LICENCE}, track=track)
    policy = EffectivePolicy.objects.get(track=track)
    assert policy.value_of(Purpose.TRAIN_GENAI) == Value.LICENSE  # what the API answers

    names = labels(owner_client, track)
    assert names["train_genai"] == (
        "Inherit: Only under licence (from this track's broader choice “Training any AI model”)"
    )
    # The purpose set on the track says what inheriting would give back: the opt-out.
    assert names["train_ai"] == "Inherit: would be Not allowed (from your catalogue)"
    assert names["ai_input"] == "Inherit: Not allowed (from your catalogue)"

    rows = {row.purpose: row for row in explained(artist, track).rows}
    assert rows[Purpose.TRAIN_GENAI].value == Value.LICENSE
    assert rows[Purpose.TRAIN_GENAI].origin == (
        "this track's broader choice “Training any AI model”"
    )
    assert rows[Purpose.TRAIN_AI].origin == "your choice for this track"


def test_a_co_owners_stricter_choice_is_named_as_theirs(owner_client, artist, track, songwriter):
    declare(artist, {Purpose.AI_INPUT: ALLOW})
    declare(songwriter, {Purpose.AI_INPUT: DENY})
    assert labels(owner_client, track)["ai_input"] == (
        "Inherit: Not allowed (from a co-owner's claim on the composition)"
    )


def test_what_inheriting_would_give_goes_through_every_claim(
    owner_client, artist, track, songwriter
):
    """The owner allows AI input on the track, the songwriter denies it in their catalogue:
    the denial is in force, and inheriting would leave it so."""
    declare(artist, {Purpose.AI_INPUT: ALLOW}, track=track)
    declare(songwriter, {Purpose.AI_INPUT: DENY})
    explanation = explained(artist, track)
    assert explanation.inherited[Purpose.AI_INPUT].value == Value.DENY
    assert explanation.inherited[Purpose.AI_INPUT].if_chosen
    assert labels(owner_client, track)["ai_input"] == (
        "Inherit: would be Not allowed (from a co-owner's claim on the composition)"
    )


def test_nothing_reserved_says_why(owner_client, artist, track, verified):
    assert labels(owner_client, track)["search"] == "Inherit: No reservation (no choice covers it)"


def test_an_unverified_allow_says_it_counts_once_verified(owner_client, artist):
    data = TrackData(title="Demo", artist_credit="Owner Band", roles=["recording"])
    track = register_track(artist, data).tracks[0]  # not verified
    declare(artist, {Purpose.SEARCH: ALLOW})
    assert EffectivePolicy.objects.get(track=track).value_of(Purpose.SEARCH) == Value.UNSET
    assert labels(owner_client, track)["search"] == (
        "Inherit: No reservation (your catalogue says “Allowed”, which counts once your claim "
        "is verified)"
    )
    row = next(r for r in explained(artist, track).rows if r.purpose == Purpose.SEARCH)
    assert row.origin == "your catalogue says “Allowed”, which counts once your claim is verified"


def test_every_label_matches_the_value_the_api_answers(owner_client, artist, track, songwriter):
    """Whatever the mix, what "Inherit" says is in force is what the policy holds."""
    declare(artist, {Purpose.TDM: DENY, Purpose.SEARCH: ALLOW})
    declare(artist, {Purpose.TRAIN_AI: LICENCE}, track=track)
    declare(songwriter, {Purpose.SEARCH: DENY}, track=track)
    policy = EffectivePolicy.objects.get(track=track)
    explanation = explained(artist, track)
    for purpose in PURPOSES:
        item = explanation.inherited[purpose]
        if not item.if_chosen:
            assert item.value == policy.value_of(purpose), purpose


def test_one_artist_with_two_roles_is_one_owner(owner_client, client, artist):
    data = TrackData(title="Solo", artist_credit="x", roles=["recording", "composition"])
    track = register_track(artist, data).tracks[0]
    assert Claim.objects.active().filter(track=track).count() == 2
    assert owner_count(track) == 1
    page = owner_client.get(reverse("track_detail", args=[track.public_id])).content.decode()
    assert "You are this track's only owner." in page
    public = client.get(reverse("track_public", args=[track.public_id]))
    assert public.context["owners"] == 1
    assert "This track has 2 owners" not in public.content.decode()


def test_a_co_owner_makes_two_owners(owner_client, artist, track, songwriter):
    assert owner_count(track) == 2
    assert not EffectivePolicy.objects.get(track=track).disputed
    page = owner_client.get(reverse("track_detail", args=[track.public_id])).content.decode()
    assert "This track has 2 owners: for each purpose, the most restrictive" in page
