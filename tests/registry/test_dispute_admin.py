"""The review desk: the queue, decisions through the domain, and what a reviewer may do."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from consent import disputes
from consent.contests import contest_claim
from consent.models import AuditEntry, Claim, Dispute, EffectivePolicy
from consent.purposes import Value
from consent.services import opt_out_of_ai_training
from tests.conftest import give_second_factor, make_artist
from tests.disputes_helpers import claim_of, owned_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute(artist, other_artist) -> Dispute:
    track = owned_track(artist)
    opt_out_of_ai_training(other_artist)
    return contest_claim(other_artist, claim_of(artist, track), "I own this recording", "Mine.")


def test_the_queue_shows_age_counts_and_filters_by_age(reviewer_client, dispute):
    Dispute.objects.filter(pk=dispute.pk).update(opened_at=timezone.now() - timedelta(days=10))
    response = reviewer_client.get(reverse("admin:consent_dispute_changelist"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "10 days" in body
    assert "<strong>1</strong> open, waiting for review" in body
    filtered = reviewer_client.get(reverse("admin:consent_dispute_changelist"), {"age": "day"})
    assert "10 days" not in filtered.content.decode()
    filtered = reviewer_client.get(reverse("admin:consent_dispute_changelist"), {"age": "month"})
    assert "10 days" in filtered.content.decode()


def test_the_review_page_shows_both_claims_and_the_timeline(reviewer_client, dispute):
    response = reviewer_client.get(reverse("admin:consent_dispute_change", args=[dispute.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Owner Band (contested)" in body and "Someone Else (contester)" in body
    assert "Dispute opened" in body and "Mine." in body
    assert "Uphold the claim of Owner Band (rejects the contest)" in body
    assert "Uphold the claim of Someone Else" in body
    assert "Reject the contest<" not in body, "one outcome per effect: no second button for it"


def test_a_reviewer_decides_through_the_desk_and_the_policy_changes(
    reviewer_client, reviewer, dispute, artist
):
    assert EffectivePolicy.objects.get(track=dispute.track).train_ai == Value.DENY
    url = reverse("admin:consent_dispute_decide", args=[dispute.pk])
    refused = reviewer_client.post(url, {"outcome": "rejected", "reason": ""}, follow=True)
    assert "Write the reason for the decision" in refused.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN

    owner = str(claim_of(artist, dispute.track).public_id)
    chosen = {"outcome": "upheld", "claim": owner, "reason": "No evidence."}
    preview = reviewer_client.post(url, chosen)
    assert preview.status_code == 200 and "Confirm the decision" in preview.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN, (
        "a preview decides nothing"
    )
    response = reviewer_client.post(url, chosen | {"confirmed": "on"})
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.outcome == "upheld" and dispute.decided_by == reviewer
    assert dispute.upheld_claim == claim_of(artist, dispute.track)
    assert EffectivePolicy.objects.get(track=dispute.track).train_ai == Value.ALLOW
    assert AuditEntry.objects.filter(action="decided", user=reviewer).exists()


def test_a_reviewer_requests_information_from_one_party(reviewer_client, dispute, other_artist):
    url = reverse("admin:consent_dispute_request_information", args=[dispute.pk])
    deadline = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S")
    data = {"party": other_artist.pk, "deadline": deadline, "message": "Send the contract."}
    reviewer_client.post(url, data)
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.INFO_REQUESTED
    assert dispute.information_from == other_artist
    assert dispute.information_deadline.strftime("%S") == deadline[-2:]


def test_a_reviewer_can_view_what_a_decision_rests_on(reviewer_client, dispute):
    for name in (
        "admin:consent_claim_changelist",
        "admin:consent_creator_changelist",
        "admin:consent_track_changelist",
        "admin:consent_evidence_changelist",
        "admin:consent_auditentry_changelist",
    ):
        assert reviewer_client.get(reverse(name)).status_code == 200, name
    track_page = reverse("admin:consent_track_change", args=[dispute.track.pk])
    assert reviewer_client.get(track_page).status_code == 200


def test_a_reviewer_cannot_edit_tracks_declarations_or_claims(reviewer_client, dispute, artist):
    track = dispute.track
    forbidden_gets = [
        reverse("admin:consent_track_add"),
        reverse("admin:consent_track_delete", args=[track.pk]),
        reverse("admin:consent_declaration_changelist"),
        reverse("admin:consent_creator_add"),
        reverse("admin:consent_creator_suspend", args=[artist.pk]),
        reverse("admin:consent_dispute_delete", args=[dispute.pk]),
        reverse("admin:auth_user_changelist"),
    ]
    for url in forbidden_gets:
        assert reviewer_client.get(url).status_code == 403, url
    # Posting a changed title is refused: the page is read-only for a reviewer.
    change = reverse("admin:consent_track_change", args=[track.pk])
    response = reviewer_client.post(change, {"title": "Renamed", "artist_credit": "X"})
    assert response.status_code == 403
    track.refresh_from_db()
    assert track.title == "Night Drive"
    claim = claim_of(artist, track)
    response = reviewer_client.post(
        reverse("admin:consent_claim_change", args=[claim.pk]), {"status": "revoked"}
    )
    assert response.status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.ACTIVE


def test_the_reviewer_group_has_exactly_the_review_permissions():
    codenames = set(
        Group.objects.get(name="reviewer").permissions.values_list("codename", flat=True)
    )
    assert codenames == {
        "view_dispute",
        "change_dispute",
        "view_disputestatement",
        "view_auditentry",
        "view_evidence",
        "view_claim",
        "view_creator",
        "view_track",
        "view_platform",
        "approve_platform",
        "view_claimverification",
        "view_verificationrequest",
        "view_notice",
        "view_tracklink",
        "verify_by_review",
        "restore_tracklink",
    }


def test_an_admin_suspends_a_creator_with_a_reason(client, django_user_model, other_artist):
    admin = django_user_model.objects.create_superuser("boss", "boss@example.org", "x")
    give_second_factor(admin)
    client.force_login(admin)
    url = reverse("admin:consent_creator_suspend", args=[other_artist.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    other_artist.refresh_from_db()
    assert other_artist.suspended_at is None
    response = client.post(url, {"reason": "Impersonation."})
    assert response.status_code == 302
    other_artist.refresh_from_db()
    assert other_artist.suspended_at is not None
    assert AuditEntry.objects.get(action="creator-suspended").reason == "Impersonation."


def test_the_queue_puts_the_oldest_dispute_first(reviewer_client, dispute, artist, other_artist):
    newer_track = owned_track(artist, isrc="USRC17607830")
    newer = contest_claim(other_artist, claim_of(artist, newer_track), "Mine", "Mine too.")
    Dispute.objects.filter(pk=dispute.pk).update(opened_at=timezone.now() - timedelta(days=3))
    response = reviewer_client.get(reverse("admin:consent_dispute_changelist"))
    assert list(response.context["cl"].result_list) == [dispute, newer]


def test_a_repeat_of_a_decided_dispute_is_marked_duplicate_from_the_desk(
    reviewer_client, reviewer, dispute, artist
):
    page = reviewer_client.get(reverse("admin:consent_dispute_change", args=[dispute.pk]))
    assert "Mark as duplicate" not in page.content.decode(), "nothing decided to repeat yet"
    disputes.decide(reviewer, dispute, disputes.REJECT_CONTEST, "Not theirs.")
    repeater = make_artist()
    again = contest_claim(repeater, claim_of(artist, dispute.track), "Mine", "Mine.")
    response = reviewer_client.get(reverse("admin:consent_dispute_change", args=[again.pk]))
    assert list(response.context["other_disputes"]) == [dispute]
    url = reverse("admin:consent_dispute_decide", args=[again.pk])
    data = {
        "outcome": "duplicate",
        "duplicate_of": str(dispute.public_id),
        "reason": "Same.",
        "confirmed": "on",
    }
    reviewer_client.post(url, data, follow=True)
    again.refresh_from_db()
    assert (again.status, again.duplicate_of) == (Dispute.Status.DECIDED, dispute)
    assert claim_of(repeater, dispute.track).status == Claim.Status.REVOKED


def test_a_reviewer_who_is_a_party_is_sent_to_another_reviewer(client, dispute, artist):
    artist.user.is_staff = True
    artist.user.save()
    artist.user.groups.add(Group.objects.get(name="reviewer"))
    give_second_factor(artist.user)
    client.force_login(artist.user)
    url = reverse("admin:consent_dispute_decide", args=[dispute.pk])
    claim = claim_of(artist, dispute.track)
    data = {"outcome": "upheld", "claim": str(claim.public_id), "reason": "Mine."}
    body = client.post(url, data, follow=True).content.decode()
    assert "another reviewer must decide it" in body
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN
