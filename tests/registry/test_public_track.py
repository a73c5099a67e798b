"""The public page of a track: its effective values, where they come from, and disputes."""

import uuid

import pytest
from django.utils import timezone

from consent.disputes import decide
from consent.models import Claim, Dispute, EffectivePolicy, Track
from consent.purposes import LABELS, Purpose, Value
from consent.services import PurposeChoice, declare
from tests.conftest import make_artist
from tests.factories import register

pytestmark = pytest.mark.django_db


# Blue Hour, registered by an owner who has proven the claim; registering its ISRC again claims
# the same track.
BLUE_HOUR = {"title": "Blue Hour", "isrc": "GBAYE6800011", "verified": True}


def page(client, track) -> tuple[int, str]:
    response = client.get(f"/t/{track.public_id}/")
    return response.status_code, response.content.decode()


def purpose_section(body: str, purpose: Purpose) -> str:
    """The list item of one purpose, so assertions do not leak into the next purpose."""
    start = body.index(f"<h3>{LABELS[purpose]}</h3>")
    end = body.find("</li>", start)
    return body[start:end]


def test_it_shows_the_track_its_identifiers_and_links(client, artist):
    track = register(
        artist,
        "https://music.example.com/blue-hour",
        **BLUE_HOUR,
        artist_credit="Owner Band feat. Guest",
        iswc="T0345246801",
    )

    status, body = page(client, track)

    assert status == 200
    assert "<h1>Blue Hour</h1>" in body
    assert "Owner Band feat. Guest" in body
    assert "GB-AYE-68-00011" in body
    assert "T-034.524.680-1" in body
    assert 'href="https://music.example.com/blue-hour"' in body


def test_it_shows_each_value_in_words_with_its_badge(client, artist):
    track = register(
        artist,
        **BLUE_HOUR,
        choices={
            Purpose.TRAIN_AI: PurposeChoice(Value.DENY),
            Purpose.SEARCH: PurposeChoice(Value.ALLOW),
        },
    )

    _, body = page(client, track)

    train_ai = purpose_section(body, Purpose.TRAIN_AI)
    assert '<span class="badge badge-deny">Not allowed</span>' in train_ai
    assert "The owners do not allow this use." in train_ai
    assert "Set for this track" in train_ai
    assert f"by {artist.artist_name} (recording owner)" in train_ai

    search = purpose_section(body, Purpose.SEARCH)
    assert '<span class="badge badge-allow">Allowed</span>' in search
    assert "The owners allow this use." in search

    # Nobody chose for mining as a whole, but the page's TDMRep header reserves all of it
    # because training is refused: the row says so instead of "no reservation".
    tdm = purpose_section(body, Purpose.TDM)
    assert '<span class="badge badge-unset">No choice made</span>' in tdm
    assert "no reservation is expressed" not in tdm
    assert "TDMRep still reserves it (tdm-reservation: 1)" in tdm
    assert "because of Training any AI model (not allowed)" in tdm


def test_a_purpose_nobody_chose_and_no_signal_reserves_says_no_reservation(client, artist):
    track = register(artist, **BLUE_HOUR, choices={Purpose.SEARCH: PurposeChoice(Value.DENY)})

    _, body = page(client, track)

    tdm = purpose_section(body, Purpose.TDM)
    assert '<span class="badge badge-unset">No reservation</span>' in tdm
    assert "no reservation is expressed" in tdm


def test_an_allowed_use_says_which_crawlers_are_kept_out_all_the_same(client, artist):
    track = register(
        artist,
        **BLUE_HOUR,
        choices={
            Purpose.SEARCH: PurposeChoice(Value.ALLOW),
            Purpose.AI_INPUT: PurposeChoice(Value.DENY),
        },
    )

    _, body = page(client, track)

    search = purpose_section(body, Purpose.SEARCH)
    assert "The owners allow this use." in search
    assert "robots.txt keeps" in search
    assert "OAI-SearchBot" in search
    assert "because they also serve AI input (RAG, grounding) (not allowed)" in search


def test_it_says_when_a_value_comes_from_a_broader_purpose_and_the_catalogue(client, artist):
    track = register(artist, **BLUE_HOUR)
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})

    _, body = page(client, track)

    genai = purpose_section(body, Purpose.TRAIN_GENAI)
    assert "badge-deny" in genai
    assert "Artist&#x27;s catalogue default" in genai
    assert f"broader purpose “{LABELS[Purpose.TRAIN_AI]}”" in genai
    assert timezone.now().strftime("%Y-%m-%d") in genai


def test_it_shows_where_to_ask_for_a_licence(client, artist):
    track = register(
        artist,
        **BLUE_HOUR,
        choices={
            Purpose.TRAIN_GENAI: PurposeChoice(
                Value.LICENSE,
                terms_url="https://owner.example/ai-licence",
                contact_email="licensing@owner.example",
            )
        },
    )

    _, body = page(client, track)

    genai = purpose_section(body, Purpose.TRAIN_GENAI)
    assert '<span class="badge badge-license">Only under licence</span>' in genai
    assert "This use needs a licence from the owners." in genai
    assert 'href="https://owner.example/ai-licence"' in genai
    assert 'href="mailto:licensing@owner.example"' in genai


def test_a_licence_address_that_is_not_a_web_link_is_never_made_clickable(client, artist):
    track = register(
        artist,
        **BLUE_HOUR,
        choices={Purpose.TDM: PurposeChoice(Value.LICENSE, terms_url="javascript:alert(1)")},
    )

    _, body = page(client, track)

    assert 'href="javascript:' not in body
    assert "javascript:alert(1)" in purpose_section(body, Purpose.TDM)


def test_it_warns_that_a_disputed_track_takes_the_most_restrictive_choice(client, artist):
    rival = make_artist("Rival Label", "rival-label")
    track = register(artist, **BLUE_HOUR, choices={Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)})
    register(rival, **BLUE_HOUR, choices={Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    assert Dispute.objects.filter(track=track).exists()

    _, body = page(client, track)

    assert "The ownership of this track is disputed." in body
    assert "Ownership is disputed; the most restrictive choice applies." in body
    assert '<span class="badge badge-disputed">Disputed</span>' in body
    train_ai = purpose_section(body, Purpose.TRAIN_AI)
    assert "badge-deny" in train_ai
    assert "by Rival Label" in train_ai


def test_an_undisputed_track_shows_no_dispute_banner(client, artist):
    track = register(artist, **BLUE_HOUR)
    _, body = page(client, track)
    assert "disputed" not in body.lower()


def test_a_track_with_two_owners_explains_that_the_strictest_choice_applies(
    client, artist, django_user_model
):
    songwriter = make_artist("The Songwriter", "the-songwriter")
    track = register(artist, **BLUE_HOUR, choices={Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    register(
        songwriter,
        **BLUE_HOUR,
        roles=["composition"],
        choices={Purpose.SEARCH: PurposeChoice(Value.DENY)},
    )
    # The owner's claim was verified, so the songwriter's new one went to review; a reviewer
    # upholds it, which revokes nobody's claim on the recording.
    reviewer = django_user_model.objects.create_user("desk", "desk@example.org", is_staff=True)
    dispute = Dispute.objects.get(track=track, role="composition")
    upheld = Claim.objects.get(track=track, creator=songwriter)
    decide(reviewer, dispute, "upheld", "The publisher's letter shows it.", upheld_claim=upheld)

    _, body = page(client, track)

    assert "This track has 2 owners." in body
    search = purpose_section(body, Purpose.SEARCH)
    assert "badge-deny" in search
    assert "by The Songwriter (songwriter or publisher)" in search


def test_an_unknown_track_is_not_found(client):
    response = client.get(f"/t/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert "We could not find that page." in response.content.decode()


def test_a_track_without_a_published_policy_is_not_found(client):
    track = Track.objects.create(title="Half registered", artist_credit="Nobody")
    assert not EffectivePolicy.objects.filter(track=track).exists()
    assert client.get(f"/t/{track.public_id}/").status_code == 404


def test_the_title_is_escaped_in_the_page_title_and_heading(client, artist):
    track = register(
        artist, title="<script>alert('x')</script> & Friends", isrc="GBAYE6800011", verified=True
    )

    _, body = page(client, track)

    escaped = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Friends"
    assert f"<title>{escaped} · " in body
    assert f"<h1>{escaped}</h1>" in body
    assert "<script>alert(" not in body


def test_an_unverified_licence_names_nobody_and_says_why(client, other_artist):
    track = register(
        other_artist,
        title="Copy",
        artist_credit="X",
        choices={
            Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, terms_url="https://pay.example/me")
        },
    )
    _, body = page(client, track)
    assert "pay.example" not in body
    assert "Ask for a licence:" not in body
    assert "Nobody is named to ask for a licence yet" in body
