"""The pages that list a track with its policy (the artist's dashboard and track page, the public
page of the track) list the same rows (registry.policy_rows), read from the policy's typed
sources; only the words for where a value comes from depend on the reader."""

import pytest
from django.urls import reverse

from consent.models import Claim, Declaration, EffectivePolicy
from consent.purposes import PURPOSES, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from registry.policy_rows import PurposeRow, owner_rows, public_rows
from tests.conftest import make_artist, verify_claims_of

pytestmark = pytest.mark.django_db

ISRC = "USRC17607839"


@pytest.fixture
def track(artist):
    """The owner's catalogue denies TDM; a verified songwriter licenses search on the track."""
    data = TrackData(
        title="Night Drive", artist_credit="Owner Band", roles=["recording"], isrc=ISRC
    )
    track = register_track(artist, data).tracks[0]
    songwriter = make_artist("Song Writer", "song-writer")
    register_track(
        songwriter, TrackData(title="x", artist_credit="x", roles=["composition"], isrc=ISRC)
    )
    verify_claims_of(artist)
    verify_claims_of(songwriter)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    licence = PurposeChoice(Value.LICENSE, "javascript:alert(1)", "rights@writer.example")
    declare(songwriter, {Purpose.SEARCH: licence}, track=track)
    return track


def without_origin(rows: list[PurposeRow]) -> list[tuple]:
    return [(row.purpose, row.value, row.source) for row in rows]


def test_the_dashboard_the_track_page_and_the_public_page_list_the_same_rows(
    owner_client, client, track
):
    (dashboard_row,) = owner_client.get(reverse("dashboard")).context["rows"]
    detail = owner_client.get(reverse("track_detail", args=[track.public_id])).context["cells"]
    public = client.get(reverse("track_public", args=[track.public_id])).context["rows"]
    assert all(isinstance(row, PurposeRow) for row in [*dashboard_row.cells, *detail, *public])
    assert without_origin(dashboard_row.cells) == without_origin(detail) == without_origin(public)
    assert [row.purpose for row in public] == list(PURPOSES)


def test_each_reader_is_told_where_a_value_comes_from_in_their_own_words(artist, track):
    policy = EffectivePolicy.objects.get(track=track)
    mine = {c.public_id for c in Claim.objects.filter(track=track, creator=artist)}
    owner = {row.purpose: row for row in owner_rows(policy, mine)}
    public = {row.purpose: row for row in public_rows(policy)}
    assert owner[Purpose.TRAIN_GENAI].origin == "catalogue default"
    assert owner[Purpose.TRAIN_GENAI].broader == "Text and data mining"
    assert owner[Purpose.SEARCH].origin == "from a co-owner's claim"
    assert public[Purpose.TRAIN_GENAI].origin == "Artist's catalogue default"
    assert public[Purpose.TRAIN_GENAI].declared_by == "Owner Band"
    assert public[Purpose.TRAIN_GENAI].role == "recording owner"
    assert public[Purpose.SEARCH].origin == "Set for this track"
    assert public[Purpose.SEARCH].declared_by == "Song Writer"
    declared = Declaration.objects.get(purpose="tdm", track=None)
    assert public[Purpose.AI_INPUT].declared_at == declared.declared_at


def test_a_track_without_a_policy_lists_every_purpose_unset():
    rows = owner_rows(None, set())
    assert [(row.purpose, row.value, row.source, row.origin) for row in rows] == [
        (purpose, Value.UNSET, None, "") for purpose in PURPOSES
    ]


def test_licence_terms_that_are_not_a_web_address_are_never_a_link(owner_client, client, track):
    pages = [
        owner_client.get(reverse("track_detail", args=[track.public_id])),
        client.get(reverse("track_public", args=[track.public_id])),
    ]
    for response in pages:
        page = response.content.decode()
        assert "rights@writer.example" in page
        assert 'href="javascript:' not in page
