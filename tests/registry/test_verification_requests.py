"""An artist asks a reviewer to verify their claim, from the track's page, with a document."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consent.models import AuditEntry, VerificationRequest
from tests.disputes_helpers import PDF_BYTES, PNG_BYTES, claim_of, owned_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def unproven(artist):
    return owned_track(artist, verified=False)


def form_url(track) -> str:
    return reverse("verification_request", args=[track.public_id])


def sent(claim, **fields) -> dict:
    return {
        "claim": str(claim.public_id),
        "document": "distribution",
        "statement": "Our distributor's statement lists this ISRC under our account.",
    } | fields


def test_an_artist_sends_a_document_for_review_from_the_track_page(
    owner_client, artist, unproven, private_media
):
    track_page = reverse("track_detail", args=[unproven.public_id])
    page = owner_client.get(track_page).content.decode()
    assert "not verified" in page and form_url(unproven) in page
    assert "Request verification by review" in page

    claim = claim_of(artist, unproven)
    upload = SimpleUploadedFile("statement.pdf", PDF_BYTES, "application/pdf")
    response = owner_client.post(form_url(unproven), sent(claim, file=upload), follow=True)
    assert response.redirect_chain[-1][0] == track_page + "#verification"
    body = response.content.decode()
    assert "Your document is sent" in body
    assert "waiting for a reviewer" in body and "statement.pdf" in body
    assert "Request verification by review" not in body

    waiting = VerificationRequest.objects.get(claim=claim)
    assert (waiting.status, waiting.original_name, waiting.size) == (
        "open",
        "statement.pdf",
        len(PDF_BYTES),
    )
    assert waiting.content_type == "application/pdf"
    assert (private_media / waiting.file.name).read_bytes() == PDF_BYTES
    entry = AuditEntry.objects.get(action="review-requested")
    assert (entry.user, entry.claim) == (artist.user, claim)


def test_a_file_that_is_not_what_its_name_says_is_refused(
    owner_client, artist, unproven, private_media
):
    fake = SimpleUploadedFile("letter.pdf", PNG_BYTES, "application/pdf")
    response = owner_client.post(form_url(unproven), sent(claim_of(artist, unproven), file=fake))
    assert response.status_code == 200
    assert "“letter.pdf” is named like a PDF document but contains a PNG image" in (
        response.content.decode()
    )
    assert not VerificationRequest.objects.exists()
    assert not list(private_media.rglob("*"))


def test_a_document_and_an_explanation_are_required(owner_client, artist, unproven):
    claim = claim_of(artist, unproven)
    response = owner_client.post(form_url(unproven), sent(claim))
    assert "Upload the document, or give a link to it." in response.content.decode()
    response = owner_client.post(
        form_url(unproven), sent(claim, statement="", url="https://distro.example/s/1")
    )
    assert response.status_code == 200
    assert 'class="field field-invalid"' in response.content.decode()
    assert not VerificationRequest.objects.exists()


def test_a_link_alone_is_enough(owner_client, artist, unproven):
    claim = claim_of(artist, unproven)
    response = owner_client.post(form_url(unproven), sent(claim, url="https://distro.example/s/1"))
    assert response.status_code == 302
    assert VerificationRequest.objects.get(claim=claim).url == "https://distro.example/s/1"


def test_one_request_per_claim_waits_at_a_time(owner_client, artist, unproven):
    claim = claim_of(artist, unproven)
    owner_client.post(form_url(unproven), sent(claim, url="https://distro.example/s/1"))
    again = owner_client.post(
        form_url(unproven), sent(claim, url="https://distro.example/s/2"), follow=True
    )
    assert "already verified or waiting for a reviewer" in again.content.decode()
    assert VerificationRequest.objects.filter(claim=claim).count() == 1


def test_someone_elses_track_has_no_verification_page(other_client, unproven):
    assert other_client.get(form_url(unproven)).status_code == 404


def test_a_verified_claim_needs_no_request(owner_client, artist):
    track = owned_track(artist)  # verified
    page = owner_client.get(reverse("track_detail", args=[track.public_id])).content.decode()
    assert "<strong>verified</strong>" in page
    assert form_url(track) not in page


def test_requests_count_against_the_daily_evidence_limit(owner_client, artist, unproven, settings):
    settings.EVIDENCE_DAILY_MAX_ITEMS = 1
    second = owned_track(artist, verified=False, isrc="USRC17607830")
    owner_client.post(
        form_url(unproven), sent(claim_of(artist, unproven), url="https://distro.example/s/1")
    )
    response = owner_client.post(
        form_url(second), sent(claim_of(artist, second), url="https://distro.example/s/2")
    )
    assert "the daily limit across your disputes and verification requests" in (
        response.content.decode()
    )
    assert VerificationRequest.objects.count() == 1
