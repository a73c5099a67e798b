"""One track's page: its identifiers and links, what is in force, overrides and withdrawing."""

import pytest
from django.urls import reverse

from consent.models import Claim, Declaration, EffectivePolicy, TrackLink
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import make_artist, verify_claims_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def track(artist):
    data = TrackData(
        title="Night Drive",
        artist_credit="Owner Band",
        roles=["recording"],
        isrc="USRC17607839",
        links=["https://soundcloud.com/owner/night-drive"],
    )
    return register_track(artist, data).tracks[0]


def url(track) -> str:
    return reverse("track_detail", args=[track.public_id])


def choices(**values) -> dict:
    form = {"action": "permissions", "terms_url": "", "contact_email": ""}
    for field in ("tdm", "train_ai", "train_genai", "ai_input", "search"):
        form[field] = values.pop(field, "unset")
    return form | values


def in_force(track) -> dict[str, str]:
    return EffectivePolicy.objects.get(track=track).values()


def test_the_page_shows_identifiers_links_and_the_public_page(owner_client, track):
    page = owner_client.get(url(track)).content.decode()
    assert "US-RC1-76-07839" in page
    assert "https://soundcloud.com/owner/night-drive" in page
    assert reverse("track_public", args=[track.public_id]) in page
    assert "you claim the recording" in page


def test_a_track_override_beats_the_catalogue_and_says_where_it_comes_from(
    owner_client, artist, track
):
    verify_claims_of(artist)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    response = owner_client.post(url(track), choices(train_genai="allow"), follow=True)
    assert in_force(track)["train-genai"] == "allow"
    page = response.content.decode()
    assert f"Saved: training generative AI is now Allowed for “{track.title}”." in page
    cells = {cell.purpose: cell for cell in response.context["cells"]}
    assert cells[Purpose.TRAIN_GENAI].value == "allow"
    assert cells[Purpose.TRAIN_GENAI].origin == "your choice for this track"
    assert response.context["permissions_form"]["train_genai"].value() == "allow"
    # Inheriting again would give the catalogue's value back, and the choice says so.
    assert "Inherit: would be Not allowed (from your catalogue)" in page


def test_inherit_says_which_catalogue_value_it_leads_to(owner_client, artist, track):
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    page = owner_client.get(url(track)).content.decode()
    assert page.count("Inherit: Not allowed (from your catalogue)") == 1  # tdm
    broader = (
        "Inherit: Not allowed (from your catalogue&#x27;s broader choice “Text and data mining”)"
    )
    assert page.count(broader) == 3  # its narrower purposes
    assert "Inherit: No reservation (no choice covers it)" in page  # search


def test_choosing_inherit_restores_the_catalogue_default(owner_client, artist, track):
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}, track=track)
    response = owner_client.post(url(track), choices(train_genai="unset"), follow=True)
    assert in_force(track)["train-genai"] == "deny"
    assert "training generative AI now inherits from your catalogue" in response.content.decode()
    cells = {cell.purpose: cell for cell in response.context["cells"]}
    assert cells[Purpose.TRAIN_GENAI].origin == "your catalogue"


def test_a_broader_choice_is_named_as_the_source_of_a_narrower_value(owner_client, artist, track):
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    response = owner_client.get(url(track))
    cells = {cell.purpose: cell for cell in response.context["cells"]}
    assert cells[Purpose.TRAIN_GENAI].value == "deny"
    assert cells[Purpose.TRAIN_GENAI].broader == "Text and data mining"
    assert cells[Purpose.TRAIN_GENAI].origin == (
        "your catalogue's broader choice “Text and data mining”"
    )
    page = response.content.decode()
    assert "Your catalogue&#x27;s broader choice “Text and data mining”, since" in page


def test_saving_the_same_choices_again_says_nothing_changed(owner_client, track):
    owner_client.post(url(track), choices(search="allow"))
    response = owner_client.post(url(track), choices(search="allow"), follow=True)
    assert "Nothing changed for “Night Drive”." in response.content.decode()
    assert Declaration.objects.filter(track=track).count() == 1


def test_it_refuses_a_licence_without_terms_or_contact(owner_client, track):
    response = owner_client.post(url(track), choices(train_genai="license"))
    assert response.status_code == 200
    error = response.context["permissions_form"].errors["terms_url"][0]
    assert error == (
        "“Only under licence” for Training generative AI needs a terms URL or a contact email, "
        "so that anyone who wants a licence knows where to ask."
    )
    assert "needs a terms URL or a contact email" in response.content.decode()
    assert not Declaration.objects.exists()


def test_a_licence_with_a_contact_email_is_saved_with_it(owner_client, track):
    response = owner_client.post(
        url(track),
        choices(train_genai="license", search="allow", contact_email="licensing@owner.example"),
        follow=True,
    )
    assert in_force(track)["train-genai"] == "license"
    licensed = Declaration.objects.get(track=track, purpose="train-genai")
    assert licensed.contact_email == "licensing@owner.example"
    # Terms belong to the licence only, not to the purposes that are simply allowed.
    assert Declaration.objects.get(track=track, purpose="search").contact_email == ""
    assert "licensing@owner.example" in response.content.decode()


def test_a_co_owners_stricter_choice_is_shown_as_coming_from_their_claim(
    owner_client, artist, track
):
    songwriter = make_artist("Song Writer", "song-writer")
    data = TrackData(
        title="Night Drive", artist_credit="x", roles=["composition"], isrc="USRC17607839"
    )
    register_track(songwriter, data)
    declare(songwriter, {Purpose.AI_INPUT: PurposeChoice(Value.DENY)})
    response = owner_client.get(url(track))
    cells = {cell.purpose: cell for cell in response.context["cells"]}
    assert cells[Purpose.AI_INPUT].value == "deny"
    assert cells[Purpose.AI_INPUT].origin == "a co-owner's claim on the composition"


def test_links_can_be_added_and_removed(owner_client, track):
    response = owner_client.post(
        url(track),
        {"action": "add-links", "links": "https://www.bandcamp.com/night-drive/\nexample.org/nd"},
        follow=True,
    )
    assert "Added 2 links." in response.content.decode()
    assert set(track.links.values_list("url", flat=True)) == {
        "https://soundcloud.com/owner/night-drive",
        "https://bandcamp.com/night-drive",
        "https://example.org/nd",
    }
    response = owner_client.post(
        url(track), {"action": "remove-link", "url": "https://example.org/nd"}, follow=True
    )
    assert "Removed the link https://example.org/nd." in response.content.decode()
    assert not TrackLink.objects.filter(url="https://example.org/nd").exists()


def test_a_bad_link_is_refused_with_its_line(owner_client, track):
    response = owner_client.post(
        url(track), {"action": "add-links", "links": "https://ok.example/a\nnot a link"}
    )
    assert response.status_code == 200
    assert response.context["links_form"].errors["links"][0].startswith("Line 2: ")
    assert track.links.count() == 1


def test_withdrawing_the_claim_removes_the_track_from_the_dashboard(owner_client, artist, track):
    claim = Claim.objects.get(track=track, creator=artist)
    response = owner_client.post(
        url(track), {"action": "withdraw", "claim": str(claim.public_id)}, follow=True
    )
    claim.refresh_from_db()
    assert claim.status == Claim.Status.WITHDRAWN
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    page = response.content.decode()
    assert "You withdrew your claim on the recording of “Night Drive”." in page
    assert response.context["summary"]["total"] == 0
    assert owner_client.get(url(track)).status_code == 404


def test_an_unknown_action_is_a_bad_request(owner_client, track):
    assert owner_client.post(url(track), {"action": "delete-everything"}).status_code == 400
