"""Proving claims on the website: badges, the "Verify this claim" panel with its Check button
against a real page on 127.0.0.1, the proofs page, hiding a co-claimant's link, the notice
that Allowed waits for proof, and the artist's public page."""

import pytest
from django.urls import reverse

from consent import proofs
from consent.links import add_links
from consent.models import Claim, ProfileProof, TrackLink
from consent.services import TrackData, register_track
from tests.conftest import make_artist, verify_claims_of
from tests.consent.proof_pages import PageServer, html

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fetch_settings(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.0/8"]
    settings.PROOF_FETCH_TIMEOUT_SECONDS = 2


@pytest.fixture
def site():
    with PageServer() as server:
        yield server


@pytest.fixture
def track(artist, site):
    data = TrackData(
        title="Night Drive",
        artist_credit="Owner Band",
        roles=["recording"],
        isrc="USRC17607839",
        links=[site.url("/owner-band/night-drive")],
    )
    return register_track(artist, data).tracks[0]


def page_of(track) -> str:
    return reverse("track_detail", args=[track.public_id])


def text(response) -> str:
    return response.content.decode()


def is_verified(artist, track) -> bool:
    claim = Claim.objects.get(creator=artist, track=track)
    return claim.current_verification() is not None


def test_an_unverified_claim_shows_its_badge_and_the_pages_that_could_prove_it(
    owner_client, track, site
):
    page = text(owner_client.get(page_of(track)))
    assert "Your claim on the recording" in page
    assert '<span class="badge badge-unverified">Unverified</span>' in page
    assert "Verify this claim" in page
    # Suggested in the form links are stored in (https, whatever was typed).
    stored = site.url("/owner-band").replace("http://", "https://")
    assert f'value="{stored}"' in page  # the profile above the link
    assert f'value="{stored}/night-drive"' in page  # the link itself


def test_the_artist_gets_a_code_publishes_it_and_the_check_verifies_the_claim(
    owner_client, artist, track, site
):
    back = page_of(track) + "#verify-title"
    claim = Claim.objects.get(creator=artist, track=track)
    response = owner_client.post(
        reverse("proof_start"),
        {"pick": site.url("/owner-band"), "url": "", "claim": str(claim.public_id), "next": back},
        follow=True,
    )
    proof = ProfileProof.objects.get(creator=artist)
    page = text(response)
    assert f"Your code for {proof.url} is {proof.token}" in page
    assert f'value="{proof.token}"' in page  # in the panel, with its copy button
    assert "consent-registry-verification" in page and "/.well-known/consent-registry.txt" in page

    site.pages["/owner-band"] = html(f"<p>Owner Band. {proof.token}</p>")
    response = owner_client.post(
        reverse("proof_check", args=[proof.public_id]), {"next": back}, follow=True
    )

    page = text(response)
    assert response.redirect_chain[-1][0] == back
    assert f"{proof.url} is proven by the code in the page&#x27;s text. 1 claim verified." in page
    assert '<span class="badge badge-verified">Verified</span>' in page
    assert f'Verified (link proof: <a href="{proof.url}"' in page
    assert is_verified(artist, track)


def test_a_failed_check_says_what_was_wrong_on_the_track_page(owner_client, artist, track, site):
    proof = proofs.start(artist, site.url("/owner-band"))
    site.pages["/owner-band"] = html("<p>Owner Band, no code yet.</p>")
    back = page_of(track) + "#verify-title"

    response = owner_client.post(
        reverse("proof_check", args=[proof.public_id]), {"next": back}, follow=True
    )

    page = text(response)
    assert f"The code {proof.token} is not on {proof.url}" in page
    assert "Last check" in page  # and it stays next to the Check button
    assert not is_verified(artist, track)


def test_a_page_that_covers_none_of_the_claims_links_is_not_offered_for_the_claim(
    owner_client, artist, track
):
    claim = Claim.objects.get(creator=artist, track=track)
    response = owner_client.post(
        reverse("proof_start"),
        {"url": "https://elsewhere.example/me", "claim": str(claim.public_id)},
        follow=True,
    )
    assert "covers none of the links you added to this track" in text(response)


def test_a_claim_without_links_is_told_to_add_one_first(owner_client, artist):
    lonely = register_track(
        artist, TrackData(title="Lonely", artist_credit="Owner Band", roles=["recording"])
    ).tracks[0]
    page = text(owner_client.get(page_of(lonely)))
    assert "Add the track's link first" in page


def test_the_proofs_page_lists_each_page_with_its_status_and_actions(
    owner_client, artist, track, site
):
    proven = proofs.start(artist, site.url("/owner-band"))
    site.pages["/owner-band"] = html(proven.token)
    proofs.check(proven)
    pending = proofs.start(artist, site.url("/other-profile"))

    page = text(owner_client.get(reverse("proofs")))

    assert proven.url in page and "Proven by the code in the page&#x27;s text" in page
    assert '<span class="badge badge-verified">Proven</span>' in page
    assert pending.token in page and "Not checked yet" in page
    assert reverse("proof_check", args=[proven.public_id]) in page and "Check again" in page
    assert reverse("proof_remove", args=[proven.public_id]) in page
    assert "This registry offers no account connections" in page


def test_check_again_on_the_proofs_page_reports_a_missing_proof(owner_client, artist, site, track):
    proof = proofs.start(artist, site.url("/owner-band"))
    site.pages["/owner-band"] = html(proof.token)
    proofs.check(proof)
    site.pages["/owner-band"] = html("gone")

    response = owner_client.post(
        reverse("proof_check", args=[proof.public_id]), {"next": reverse("proofs")}, follow=True
    )

    page = text(response)
    assert "Proof missing" in page
    assert "Your claims stay verified until" in page
    assert is_verified(artist, track)


def test_removing_a_proof_unverifies_its_claims(owner_client, artist, site, track):
    proof = proofs.start(artist, site.url("/owner-band"))
    site.pages["/owner-band"] = html(proof.token)
    proofs.check(proof)

    response = owner_client.post(reverse("proof_remove", args=[proof.public_id]), follow=True)

    assert f"Removed the proof of {proof.url}. The 1 claim it verified is unverified now" in text(
        response
    )
    assert not is_verified(artist, track)


def test_another_artists_proof_cannot_be_checked_or_removed(other_client, artist, site):
    proof = proofs.start(artist, site.url("/owner-band"))
    other_client.post(reverse("proof_remove", args=[proof.public_id]))
    other_client.post(reverse("proof_check", args=[proof.public_id]))
    assert ProfileProof.objects.filter(pk=proof.pk).exists()
    assert site.requests == []


def test_a_verified_owner_can_hide_a_link_an_unverified_co_claimant_added(
    client, artist, track, site
):
    songwriter = make_artist("Song Writer", "song-writer")
    register_track(
        songwriter,
        TrackData(
            title="Night Drive",
            artist_credit="Owner Band",
            roles=["composition"],
            isrc="USRC17607839",
        ),
    )
    add_links(songwriter, track, ["https://spam.example/night-drive"])
    client.force_login(artist.user)
    assert "Hide https://spam.example/night-drive" not in text(client.get(page_of(track)))

    verify_claims_of(artist)
    page = text(client.get(page_of(track)))
    assert 'aria-label="Hide https://spam.example/night-drive"' in page

    response = client.post(
        reverse("track_hide_link", args=[track.public_id]),
        {"url": "https://spam.example/night-drive"},
        follow=True,
    )
    assert "Hid the link https://spam.example/night-drive" in text(response)
    assert not TrackLink.objects.filter(track=track, url="https://spam.example/night-drive")
    hidden = TrackLink.all_objects.get(track=track, url="https://spam.example/night-drive")
    assert hidden.hidden_reason == TrackLink.Hidden.BY_OWNER


def test_saving_allowed_while_unverified_says_it_counts_only_once_verified(owner_client, track):
    form = {"action": "permissions", "terms_url": "", "contact_email": ""}
    form |= {f: "unset" for f in ("tdm", "train_ai", "train_genai", "ai_input", "search")}
    form["train_ai"] = "allow"

    response = owner_client.post(page_of(track), form, follow=True)

    page = text(response)
    assert "is now Allowed for “Night Drive”." in page
    assert "Your claim is not verified yet" in page
    assert '<a href="#verify-title">Verify your claim</a>' in page


def test_saving_allowed_for_the_catalogue_says_how_many_tracks_wait_for_proof(owner_client, track):
    form = {f: "unset" for f in ("tdm", "train_ai", "train_genai", "ai_input", "search")}
    form |= {"terms_url": "", "contact_email": "", "search": "allow"}

    response = owner_client.post(reverse("catalogue_permissions"), form, follow=True)

    page = text(response)
    assert "1 of your 1 track is not verified yet" in page
    assert f'<a href="{reverse("proofs")}">Verify your claims</a>' in page


def test_saving_a_denial_says_nothing_about_proof(owner_client, track):
    form = {"action": "permissions", "terms_url": "", "contact_email": ""}
    form |= {f: "unset" for f in ("tdm", "train_ai", "train_genai", "ai_input", "search")}
    form["train_ai"] = "deny"
    response = owner_client.post(page_of(track), form, follow=True)
    assert "not verified yet" not in text(response)


def test_the_dashboard_shows_a_verification_badge_per_track(owner_client, artist, site, track):
    other = register_track(
        artist, TrackData(title="Elsewhere", artist_credit="Owner Band", roles=["recording"])
    ).tracks[0]
    proof = proofs.start(artist, site.url("/owner-band"))
    site.pages["/owner-band"] = html(proof.token)
    proofs.check(proof)

    response = owner_client.get(reverse("dashboard"))

    rows = {row.track.title: row.verification for row in response.context["rows"]}
    assert rows == {"Night Drive": "verified", other.title: "unverified"}
    page = text(response)
    assert page.count('<span class="badge badge-verified"') == 1
    assert page.count('<span class="badge badge-unverified"') == 1

    site.pages["/owner-band"] = html("gone")
    proofs.check(proof, by_owner=False)
    response = owner_client.get(reverse("dashboard"))
    assert {r.track.title: r.verification for r in response.context["rows"]}["Night Drive"] == (
        "lapsing"
    )
    assert "Proof missing" in text(response)


def test_the_public_artist_page_links_proven_pages_with_rel_me(client, artist, site):
    proven = proofs.start(artist, site.url("/owner-band"))
    site.pages["/owner-band"] = html(proven.token)
    proofs.check(proven)
    pending = proofs.start(artist, "https://not-yet-mine.example/owner")

    page = text(client.get(reverse("creator_page", args=[artist.handle])))

    assert "Owner Band" in page
    assert f'<link rel="me" href="{proven.url}">' in page
    assert pending.url not in page  # only a proven page may be called theirs
    assert client.get(reverse("creator_page", args=["nobody-here"])).status_code == 404
