"""The artists' dispute pages: contesting, following a dispute, evidence, and who may see what."""

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consent.contests import contest_claim
from consent.models import Claim, Dispute, Evidence
from tests.conftest import give_second_factor, make_artist
from tests.disputes_helpers import (
    PDF_BYTES,
    PNG_BYTES,
    claim_of,
    owned_track,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute(artist, other_artist, private_media) -> Dispute:
    track = owned_track(artist)
    return contest_claim(
        other_artist,
        claim_of(artist, track),
        "I own this recording",
        "I recorded it.",
        files=[upload("contract.pdf", PDF_BYTES)],
    )


def test_a_signed_in_artist_contests_a_claim_with_evidence(
    other_client,
    artist,
    other_artist,
    private_media,
    django_capture_on_commit_callbacks,
):
    track = owned_track(artist)
    url = reverse("contest_claim", args=[track.public_id])
    page = other_client.get(url)
    assert "Recording, claimed by Owner Band" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = other_client.post(
            url,
            {
                "claim": str(claim_of(artist, track).public_id),
                "reason": "I own this recording",
                "statement": "Recorded at <b>our</b> studio.",
                "files": [SimpleUploadedFile("session.png", PNG_BYTES, "image/png")],
                "links": "https://label.example/release/1",
            },
        )
    dispute = Dispute.objects.get(track=track)
    assert response.status_code == 302 and response.url == dispute.get_absolute_url()
    assert dispute.opened_by == other_artist.user
    assert claim_of(other_artist, track).status == Claim.Status.ACTIVE
    assert dispute.evidence.count() == 2
    assert len(mail.outbox) == 2


def test_a_lying_file_is_refused_on_the_form_and_nothing_is_opened(
    other_client,
    artist,
    private_media,
):
    track = owned_track(artist)
    response = other_client.post(
        reverse("contest_claim", args=[track.public_id]),
        {
            "claim": str(claim_of(artist, track).public_id),
            "reason": "I own this recording",
            "statement": "Mine.",
            "files": [SimpleUploadedFile("contract.pdf", PNG_BYTES, "application/pdf")],
        },
    )
    assert response.status_code == 200
    assert "is named like a PDF document but contains a PNG image" in response.content.decode()
    assert not Dispute.objects.exists()
    assert not list(private_media.rglob("*"))


def test_contesting_needs_a_sign_in(client, artist):
    track = owned_track(artist)
    response = client.get(reverse("contest_claim", args=[track.public_id]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_both_parties_see_the_dispute_and_others_get_a_404(client, artist, other_artist, dispute):
    url = dispute.get_absolute_url()
    client.force_login(other_artist.user)
    body = client.get(url).content.decode()
    assert "I recorded it." in body and "contract.pdf" in body
    assert "seen by the reviewers, not by the other party" in body
    # The contested party sees that a dispute was opened, not what the contester submitted.
    client.force_login(artist.user)
    response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Dispute opened" in body
    assert "I recorded it." not in body and "contract.pdf" not in body
    assert "seen by the reviewers, not by the other party" in body
    client.force_login(make_artist().user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_the_dashboard_links_to_the_dispute(owner_client, dispute):
    body = owner_client.get(reverse("dashboard")).content.decode()
    assert f'href="{dispute.get_absolute_url()}"' in body


def test_html_in_a_statement_is_escaped(owner_client, dispute):
    owner_client.post(
        dispute.get_absolute_url(),
        {"action": "statement", "text": "<script>alert(1)</script> is mine"},
    )
    body = owner_client.get(dispute.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; is mine" in body


def test_a_party_adds_evidence_and_a_bad_file_is_explained(owner_client, dispute):
    response = owner_client.post(
        dispute.get_absolute_url(),
        {"action": "evidence", "files": [SimpleUploadedFile("x.txt", b"\x00\x01\x02")]},
    )
    assert "is not a file type accepted as evidence" in response.content.decode()
    response = owner_client.post(
        dispute.get_absolute_url(),
        {"action": "evidence", "files": [SimpleUploadedFile("note.txt", b"Signed.\n")]},
    )
    assert response.status_code == 302
    assert dispute.evidence.filter(original_name="note.txt", content_type="text/plain").exists()


def test_evidence_downloads_only_for_parties_and_staff_as_an_attachment(
    client, artist, dispute, django_user_model
):
    evidence = Evidence.objects.get(dispute=dispute)
    url = reverse("evidence_download", args=[dispute.public_id, evidence.public_id])
    client.force_login(dispute.opened_by)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="contract.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF_BYTES

    # The other party cannot download it, nor can an artist who joins by registering the ISRC.
    client.force_login(artist.user)
    assert client.get(url).status_code == 404
    newcomer = make_artist()
    owned_track(newcomer)
    assert dispute.claims.filter(creator=newcomer).exists()
    client.force_login(newcomer.user)
    assert client.get(url).status_code == 404
    assert "contract.pdf" not in client.get(dispute.get_absolute_url()).content.decode()
    client.force_login(make_artist().user)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302
    admin = django_user_model.objects.create_superuser("boss", "boss@example.org", "x")
    give_second_factor(admin)
    client.force_login(admin)
    assert client.get(url).status_code == 200


def test_a_party_withdraws_their_claim_from_the_dispute_page(other_client, other_artist, dispute):
    claim = claim_of(other_artist, dispute.track)
    response = other_client.post(
        dispute.get_absolute_url(), {"action": "withdraw", "claim": str(claim.public_id)}
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.CLOSED
    body = other_client.get(dispute.get_absolute_url()).content.decode()
    assert "Closed (a claim was withdrawn)" in body
    assert "Add a statement" not in body


def test_a_malformed_claim_to_withdraw_is_a_bad_request(other_client, other_artist, dispute):
    url = dispute.get_absolute_url()
    for data in ({"action": "withdraw", "claim": "not-a-uuid"}, {"action": "withdraw"}):
        assert other_client.post(url, data).status_code == 400
    assert claim_of(other_artist, dispute.track).status == Claim.Status.ACTIVE


def test_a_party_without_an_active_claim_gets_no_forms_to_add(client, artist, other_artist):
    track = owned_track(artist)
    dispute = contest_claim(other_artist, claim_of(artist, track), "I own this recording", "Mine.")
    third = make_artist()
    contest_claim(third, claim_of(artist, track), "I own this recording", "Mine too.")
    client.force_login(other_artist.user)
    client.post(
        dispute.get_absolute_url(),
        {"action": "withdraw", "claim": str(claim_of(other_artist, track).public_id)},
    )
    body = client.get(dispute.get_absolute_url()).content.decode()
    assert "Add a statement" not in body
    response = client.post(dispute.get_absolute_url(), {"action": "statement", "text": "Hi."})
    assert "no longer active" in response.content.decode()
    assert not dispute.statements.filter(text="Hi.").exists()


def test_the_opening_email_never_carries_a_statement(
    artist, other_artist, django_capture_on_commit_callbacks
):
    track = owned_track(artist)
    with django_capture_on_commit_callbacks(execute=True):
        contest_claim(
            other_artist, claim_of(artist, track), "I own this recording", "Secret session notes."
        )
    assert len(mail.outbox) == 2
    assert all("Secret session notes." not in m.body for m in mail.outbox)
    assert all("seen by the reviewers, not by the other party" in m.body for m in mail.outbox)
