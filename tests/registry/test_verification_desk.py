"""The verification desk: reviewers read a claim's evidence and verify it, decline or withdraw,
on the record; hidden links are restored from the desk."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from api.services import create_key
from consent.contests import contest_claim
from consent.links import add_links, hide_link
from consent.models import (
    AuditEntry,
    ClaimVerification,
    EffectivePolicy,
    TrackLink,
    VerificationRequest,
)
from consent.purposes import Value
from consent.services import TrackData, register_track
from consent.verification_requests import request_review
from tests.api.conftest import KeyClient
from tests.api.platform_helpers import make_platform
from tests.conftest import give_second_factor, verify_claims_of
from tests.disputes_helpers import ISRC, PDF_BYTES, PNG_BYTES, claim_of, owned_track, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def unproven(artist):
    """The artist's track, allowing every use, but their claim is not verified yet."""
    return owned_track(artist, verified=False)


@pytest.fixture
def api(db) -> KeyClient:
    return KeyClient(create_key(make_platform("Acme AI"), "tests")[1])


def claim_page(claim) -> str:
    return reverse("admin:consent_claim_change", args=[claim.pk])


def verify_url(claim) -> str:
    return reverse("admin:consent_claim_verify", args=[claim.pk])


def test_a_reviewer_verifies_a_claim_and_its_allow_starts_counting(
    reviewer_client, reviewer, artist, unproven, api
):
    claim = claim_of(artist, unproven)
    before = api.get("/api/v1/consent", {"isrc": ISRC}).json()
    assert before["policy"]["train-ai"]["value"] == "unset"
    assert before["verification"]["status"] == "unverified"

    page = reviewer_client.get(claim_page(claim)).content.decode()
    assert "not verified" in page and "Verify the claim" in page

    response = reviewer_client.post(verify_url(claim), {"reason": "Distributor statement."})
    assert response.status_code == 302
    after = api.get("/api/v1/consent", {"isrc": ISRC}).json()
    assert after["policy"]["train-ai"]["value"] == "allow"
    assert after["policy"]["train-ai"]["source"]["verification"] == {
        "status": "verified",
        "method": "review",
    }
    assert after["verification"]["status"] == "verified"
    assert EffectivePolicy.objects.get(track=unproven).train_ai == Value.ALLOW
    entry = AuditEntry.objects.get(action="claim-verified", claim=claim)
    assert (entry.user, entry.reason) == (reviewer, "Distributor statement.")
    shown = reviewer_client.get(claim_page(claim)).content.decode()
    assert "Distributor statement." in shown and "Withdraw the verification" in shown


def test_verifying_needs_a_written_reason(reviewer_client, artist, unproven):
    claim = claim_of(artist, unproven)
    response = reviewer_client.post(verify_url(claim), {"reason": "  "}, follow=True)
    assert "Write why the claim is verified" in response.content.decode()
    assert not ClaimVerification.objects.filter(claim=claim).exists()
    assert not AuditEntry.objects.filter(action="claim-verified").exists()
    assert EffectivePolicy.objects.get(track=unproven).train_ai == Value.UNSET


def test_a_reviewer_cannot_verify_their_own_claim(client, artist, unproven):
    artist.user.is_staff = True
    artist.user.save()
    artist.user.groups.add(Group.objects.get(name="reviewer"))
    give_second_factor(artist.user)
    client.force_login(artist.user)
    claim = claim_of(artist, unproven)
    page = client.get(claim_page(claim)).content.decode()
    assert "This is your own claim" in page and "Verify the claim" not in page
    response = client.post(verify_url(claim), {"reason": "It is mine."}, follow=True)
    assert "A reviewer cannot verify their own claim." in response.content.decode()
    assert not ClaimVerification.objects.filter(claim=claim).exists()
    assert EffectivePolicy.objects.get(track=unproven).train_ai == Value.UNSET


def test_a_reviewer_withdraws_a_verification_with_a_reason(
    reviewer_client, reviewer, artist, unproven
):
    claim = claim_of(artist, unproven)
    reviewer_client.post(verify_url(claim), {"reason": "Label letter."})
    assert EffectivePolicy.objects.get(track=unproven).train_ai == Value.ALLOW
    url = reverse("admin:consent_claim_withdraw_verification", args=[claim.pk])

    refused = reviewer_client.post(url, {"reason": ""}, follow=True)
    assert "Write why the verification is withdrawn" in refused.content.decode()
    assert EffectivePolicy.objects.get(track=unproven).train_ai == Value.ALLOW

    reviewer_client.post(url, {"reason": "The letter was forged."})
    assert EffectivePolicy.objects.get(track=unproven).train_ai == Value.UNSET
    ended = ClaimVerification.objects.get(claim=claim)
    assert ended.ended_at is not None and ended.ended_reason == "The letter was forged."
    entry = AuditEntry.objects.get(action="verification-ended", claim=claim)
    assert (entry.user, entry.reason) == (reviewer, "The letter was forged.")


def test_staff_outside_the_reviewer_group_and_artists_cannot_verify(
    client, django_user_model, artist, other_artist, unproven
):
    claim = claim_of(artist, unproven)
    staff = django_user_model.objects.create_user(
        username="helpdesk", email="helpdesk@example.org", password="x", is_staff=True
    )
    give_second_factor(staff)
    client.force_login(staff)
    assert client.get(claim_page(claim)).status_code == 403
    assert client.post(verify_url(claim), {"reason": "Looks fine."}).status_code == 403
    assert client.get(reverse("admin:consent_verificationrequest_changelist")).status_code == 403

    client.force_login(other_artist.user)
    response = client.post(verify_url(claim), {"reason": "Trust me."})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not ClaimVerification.objects.filter(claim=claim).exists()
    assert not AuditEntry.objects.filter(action="claim-verified").exists()


def test_the_claim_page_shows_the_documents_sent_and_the_evidence_given_in_disputes(
    reviewer_client, artist, other_artist, unproven, private_media
):
    # The other artist contests with evidence, then asks to have their own claim verified.
    verify_claims_of(artist)
    contest_claim(
        other_artist,
        claim_of(artist, unproven),
        "I own this recording",
        "Mine.",
        files=[upload("session.png", PNG_BYTES)],
    )
    theirs = claim_of(other_artist, unproven)
    request_review(
        other_artist,
        theirs,
        VerificationRequest.Document.LABEL_LETTER,
        "Our label confirms we own the master.",
        file=upload("letter.pdf", PDF_BYTES),
    )
    page = reviewer_client.get(claim_page(theirs)).content.decode()
    assert "Our label confirms we own the master." in page
    assert "letter.pdf" in page and "session.png" in page
    assert "Decline the request" in page

    waiting = VerificationRequest.objects.get(claim=theirs)
    document = reverse("admin:consent_verificationrequest_document", args=[waiting.pk])
    response = reviewer_client.get(document)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert 'filename="letter.pdf"' in response["Content-Disposition"]
    # The queue opens on waiting requests and leads to the claim's page.
    queue = reviewer_client.get(reverse("admin:consent_verificationrequest_changelist"))
    assert list(queue.context["cl"].result_list) == [waiting]
    row = reviewer_client.get(
        reverse("admin:consent_verificationrequest_change", args=[waiting.pk])
    )
    assert row["Location"] == claim_page(theirs)

    reviewer_client.logout()
    reviewer_client.force_login(other_artist.user)
    assert reviewer_client.get(document).status_code == 302


def test_verifying_answers_the_waiting_request(
    reviewer_client, reviewer, artist, unproven, private_media
):
    claim = claim_of(artist, unproven)
    request_review(
        artist, claim, "distribution", "Statement.", file=upload("statement.pdf", PDF_BYTES)
    )
    reviewer_client.post(verify_url(claim), {"reason": "The statement lists the ISRC."})
    waiting = VerificationRequest.objects.get(claim=claim)
    assert waiting.status == VerificationRequest.Status.VERIFIED
    assert waiting.decided_by == reviewer
    assert waiting.decision_reason == "The statement lists the ISRC."


def test_a_reviewer_declines_a_request_and_the_artist_reads_why(
    reviewer_client, reviewer, artist, unproven
):
    claim = claim_of(artist, unproven)
    waiting = request_review(artist, claim, "other", "A screenshot.", url="https://x.example/a")
    url = reverse("admin:consent_claim_decline_request", args=[claim.pk])
    refused = reviewer_client.post(url, {"request": str(waiting.public_id), "reason": ""})
    assert refused.status_code == 302
    assert VerificationRequest.objects.get(pk=waiting.pk).status == "open"

    reason = "A screenshot does not show who owns the master; send your distributor's statement."
    reviewer_client.post(url, {"request": str(waiting.public_id), "reason": reason})
    waiting.refresh_from_db()
    assert (waiting.status, waiting.decided_by) == ("declined", reviewer)
    entry = AuditEntry.objects.get(action="review-declined", claim=claim)
    assert (entry.user, entry.reason) == (reviewer, reason)
    assert not ClaimVerification.objects.filter(claim=claim).exists()

    reviewer_client.logout()
    reviewer_client.force_login(artist.user)
    page = reviewer_client.get(reverse("track_detail", args=[unproven.public_id]))
    body = page.content.decode()
    assert "A reviewer declined your request" in body
    assert "send your distributor&#x27;s statement" in body
    assert "Request verification by review" in body, "the artist may try again"


def test_a_reviewer_cannot_decline_a_request_on_their_own_claim(client, artist, unproven):
    waiting = request_review(
        artist, claim_of(artist, unproven), "other", "Mine.", url="https://x.example/a"
    )
    artist.user.is_staff = True
    artist.user.save()
    artist.user.groups.add(Group.objects.get(name="reviewer"))
    give_second_factor(artist.user)
    client.force_login(artist.user)
    url = reverse("admin:consent_claim_decline_request", args=[waiting.claim.pk])
    client.post(url, {"request": str(waiting.public_id), "reason": "Never mind."})
    assert VerificationRequest.objects.get(pk=waiting.pk).status == "open"


def test_a_reviewer_sees_the_verification_records_notices_and_links(reviewer_client, unproven):
    for name in (
        "admin:consent_claimverification_changelist",
        "admin:consent_notice_changelist",
        "admin:consent_verificationrequest_changelist",
        "admin:consent_tracklink_changelist",
    ):
        assert reviewer_client.get(reverse(name)).status_code == 200, name


@pytest.fixture
def hidden_link(artist, other_artist, unproven) -> TrackLink:
    """A co-owner's link that the verified recording owner hid."""
    verify_claims_of(artist)
    data = TrackData(
        title="Night Drive", artist_credit="X", roles=["composition"], isrc=ISRC, choices={}
    )
    register_track(other_artist, data)
    (link,) = add_links(other_artist, unproven, ["https://example.org/their-page"])
    hide_link(artist, link)
    assert not TrackLink.objects.filter(pk=link.pk).exists()
    return link


def test_a_reviewer_restores_a_link_an_owner_hid(reviewer_client, reviewer, hidden_link):
    listing = reviewer_client.get(
        reverse("admin:consent_tracklink_changelist"), {"hidden": "by-owner"}
    )
    assert "https://example.org/their-page" in listing.content.decode()
    url = reverse("admin:consent_tracklink_restore", args=[hidden_link.pk])
    assert url in listing.content.decode()

    refused = reviewer_client.post(url, {"reason": ""})
    assert refused.status_code == 200
    assert not TrackLink.objects.filter(pk=hidden_link.pk).exists()

    response = reviewer_client.post(url, {"reason": "The link is the songwriter's own page."})
    assert response.status_code == 302
    assert TrackLink.objects.filter(pk=hidden_link.pk).exists()
    entry = AuditEntry.objects.get(action="link-restored")
    assert (entry.user, entry.reason) == (reviewer, "The link is the songwriter's own page.")


def test_staff_outside_the_reviewer_group_cannot_restore_a_link(
    client, django_user_model, hidden_link
):
    staff = django_user_model.objects.create_user(
        username="helpdesk", email="helpdesk@example.org", password="x", is_staff=True
    )
    give_second_factor(staff)
    client.force_login(staff)
    url = reverse("admin:consent_tracklink_restore", args=[hidden_link.pk])
    assert client.post(url, {"reason": "Why not."}).status_code == 403
    assert not TrackLink.objects.filter(pk=hidden_link.pk).exists()


def test_an_uploaded_document_reaches_the_reviewer_intact(
    client, reviewer, artist, unproven, private_media
):
    """From the artist's form to the reviewer's download, through the desk's permissions."""
    client.force_login(artist.user)
    client.post(
        reverse("verification_request", args=[unproven.public_id]),
        {
            "claim": str(claim_of(artist, unproven).public_id),
            "document": "label-letter",
            "statement": "Signed by our label.",
            "file": SimpleUploadedFile("letter.pdf", PDF_BYTES, "application/pdf"),
        },
    )
    waiting = VerificationRequest.objects.get()
    client.force_login(reviewer)
    response = client.get(reverse("admin:consent_verificationrequest_document", args=[waiting.pk]))
    assert b"".join(response.streaming_content) == PDF_BYTES
