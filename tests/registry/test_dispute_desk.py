"""The dispute desk in the admin: the needs-action queue and its triage columns at a bounded
cost, search by any printed identifier or party, assignment, preview before a decision, the
sandboxed evidence viewer and the bulk rejection of one account's disputes."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from consent import disputes
from consent.contests import add_evidence
from consent.models import Claim, Dispute, Evidence
from tests.conftest import give_second_factor
from tests.disputes_helpers import (
    PDF_BYTES,
    PNG_BYTES,
    claim_of,
    real_pdf,
    real_png,
    seed_queue,
    upload,
)

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:consent_dispute_changelist")


@pytest.fixture
def queue(db) -> list[Dispute]:
    return seed_queue(10)


def shown(response) -> list[Dispute]:
    return list(response.context["cl"].result_list)


def test_fifty_disputes_list_with_every_column_in_a_bounded_number_of_queries(
    reviewer_client, django_assert_max_num_queries
):
    seed_queue(50)
    reviewer_client.get(QUEUE)  # warm the session and the permission caches
    with django_assert_max_num_queries(20):
        response = reviewer_client.get(QUEUE)
    assert len(shown(response)) == 50
    body = response.content.decode()
    for header in (
        "parties",
        "last activity",
        "answered",
        "evidence",
        "opener&#x27;s age",
        "opener&#x27;s claims",
        "opener&#x27;s other open",
    ):
        assert header in body.lower(), header
    first = shown(response)[0]
    assert first.evidence_count == 0
    assert first.opener_open_disputes == 4  # each contester opened five
    assert first.opener_catalogue == 5
    assert "Owner 0 v. Adler Records" in body


def test_the_same_page_costs_the_same_with_five_or_fifty(
    reviewer_client, django_assert_max_num_queries
):
    seed_queue(5)
    reviewer_client.get(QUEUE)
    with django_assert_max_num_queries(20) as few:
        reviewer_client.get(QUEUE)
    seed_queue(15, start=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        reviewer_client.get(QUEUE)


def test_needs_action_is_the_default_and_other_views_are_a_click_away(
    reviewer_client, reviewer, queue
):
    owner = queue[0].contested_claim.creator
    disputes.decide(reviewer, queue[0], disputes.REJECT_CONTEST, "Not theirs.")
    disputes.request_information(reviewer, queue[1], "Send it.", owner)
    late = queue[2]
    disputes.request_information(
        reviewer,
        late,
        "Send it.",
        late.contested_claim.creator,
        deadline=timezone.now() + timedelta(hours=1),
    )
    Dispute.objects.filter(pk=late.pk).update(
        information_deadline=timezone.now() - timedelta(seconds=1)
    )
    default = {d.pk for d in shown(reviewer_client.get(QUEUE))}
    assert queue[0].pk not in default and queue[1].pk not in default
    assert late.pk in default and len(default) == 8
    body = reviewer_client.get(QUEUE).content.decode()
    assert "Needs action" in body and "Waiting for a party" in body
    waiting = shown(reviewer_client.get(QUEUE, {"view": "waiting"}))
    assert [d.pk for d in waiting] == [queue[1].pk]
    decided = shown(reviewer_client.get(QUEUE, {"view": "decided"}))
    assert [d.pk for d in decided] == [queue[0].pk]
    assert len(shown(reviewer_client.get(QUEUE, {"view": "all"}))) == 10
    mine = shown(reviewer_client.get(QUEUE, {"view": "mine"}))
    assert {d.pk for d in mine} == {queue[1].pk, late.pk}


@pytest.mark.parametrize(
    "term", ["DE-A4K-23-00407", "dea4k2300407", "DE.A4K.23.00407", " de-a4k-23-00407 "]
)
def test_search_finds_an_isrc_however_it_is_printed(reviewer_client, queue, term):
    found = shown(reviewer_client.get(QUEUE, {"q": term}))
    assert [d.track.title for d in found] == ["Track 07"]


def test_search_finds_an_iswc_as_printed(reviewer_client, queue):
    Dispute.objects.get(pk=queue[3].pk).track.__class__.objects.filter(pk=queue[3].track_id).update(
        iswc="T0345246801"
    )
    for term in ("T-034.524.680-1", "t0345246801"):
        assert [d.pk for d in shown(reviewer_client.get(QUEUE, {"q": term}))] == [queue[3].pk]


def test_search_finds_a_party_by_name_or_handle(reviewer_client, queue):
    by_name = shown(reviewer_client.get(QUEUE, {"q": "Baker Records"}))
    by_handle = shown(reviewer_client.get(QUEUE, {"q": "baker-records"}))
    assert len(by_name) == 5 and {d.pk for d in by_name} == {d.pk for d in by_handle}
    assert {d.opened_by.email for d in by_name} == {queue[1].opened_by.email}
    assert len(shown(reviewer_client.get(QUEUE, {"q": "owner-1"}))) == 5


def test_times_on_the_desk_are_to_the_second(reviewer_client, queue):
    dispute = queue[0]
    claim = dispute.contested_claim
    page = reviewer_client.get(reverse("admin:consent_dispute_change", args=[dispute.pk]))
    stamp = timezone.localtime(claim.created_at).strftime("%H:%M:%S")
    assert stamp in page.content.decode()
    listed = reviewer_client.get(QUEUE).content.decode()
    assert timezone.localtime(dispute.opened_at).strftime("%H:%M:%S") in listed


@pytest.fixture
def other_reviewer(db):
    user = get_user_model().objects.create_user(
        username="other-reviewer", email="other@example.org", is_staff=True
    )
    user.groups.add(Group.objects.get(name="reviewer"))
    give_second_factor(user)
    return user


def test_another_reviewer_sees_who_has_the_case_and_must_take_it_over(
    client, reviewer, other_reviewer, queue
):
    dispute = queue[0]
    disputes.assign(reviewer, dispute)
    client.force_login(other_reviewer)
    page = client.get(reverse("admin:consent_dispute_change", args=[dispute.pk])).content.decode()
    assert "Reviewer: <strong>reviewer</strong>" in page
    assert "Take over from reviewer" in page
    decide = reverse("admin:consent_dispute_decide", args=[dispute.pk])
    data = {
        "outcome": "upheld",
        "claim": str(dispute.contested_claim.public_id),
        "reason": "Mine.",
        "confirmed": "on",
    }
    refused = client.post(decide, data, follow=True).content.decode()
    assert "reviewer is working on this case" in refused
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN

    client.post(reverse("admin:consent_dispute_assign", args=[dispute.pk]), {"action": "take-over"})
    assert Dispute.objects.get(pk=dispute.pk).assigned_to == other_reviewer
    client.post(decide, data)
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.DECIDED


def test_a_decision_is_previewed_and_needs_confirmation(reviewer_client, queue):
    dispute = queue[0]
    decide = reverse("admin:consent_dispute_decide", args=[dispute.pk])
    contester = dispute.contester_claim
    data = {"outcome": "upheld", "claim": str(contester.public_id), "reason": "Proven."}
    preview = reviewer_client.post(decide, data).content.decode()
    assert "Effect on the policy" in preview and "Confirm the decision" in preview
    assert "Claims revoked: <strong>Owner 0</strong>" in preview
    assert Claim.objects.get(pk=dispute.contested_claim_id).status == Claim.Status.ACTIVE
    reviewer_client.post(decide, data | {"confirmed": "on"})
    assert Claim.objects.get(pk=dispute.contested_claim_id).status == Claim.Status.REVOKED


# --- Evidence viewer ----------------------------------------------------------------------------


def evidence_of(dispute, name: str, content: bytes) -> Evidence:
    add_evidence(dispute.contester_claim.creator, dispute, files=[upload(name, content)])
    return dispute.evidence.get(original_name=name)


def locked_down(response) -> None:
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src 'self'" in csp
    assert csp.rstrip().endswith("sandbox")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_images_and_pdf_pages_are_shown_inline_as_images_under_a_locked_down_policy(
    reviewer_client, queue, private_media
):
    dispute = queue[0]
    image = evidence_of(dispute, "shot.png", real_png())
    pdf = evidence_of(dispute, "deal.pdf", real_pdf(pages=2))

    url = reverse("admin:consent_dispute_evidence", args=[dispute.pk, image.public_id])
    response = reviewer_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == real_png()
    locked_down(response)

    url = reverse("admin:consent_dispute_evidence", args=[dispute.pk, pdf.public_id])
    for number in (1, 2):
        response = reviewer_client.get(url, {"page": number})
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        drawn = Image.open(io.BytesIO(response.content))
        assert drawn.format == "PNG" and drawn.width == 1000
        locked_down(response)
    assert reviewer_client.get(url, {"page": 3}).status_code == 404
    assert reviewer_client.get(url, {"page": "one"}).status_code == 404

    page = reviewer_client.get(reverse("admin:consent_dispute_change", args=[dispute.pk]))
    body = page.content.decode()
    assert 'alt="Evidence: shot.png"' in body
    assert 'alt="Evidence: deal.pdf, page 1 of 2"' in body
    assert 'alt="Evidence: deal.pdf, page 2 of 2"' in body
    assert "<iframe" not in body


def test_a_pdf_that_does_not_open_is_offered_for_download_only(
    reviewer_client, queue, private_media
):
    dispute = queue[0]
    broken = evidence_of(dispute, "broken.pdf", PDF_BYTES)
    page = reviewer_client.get(reverse("admin:consent_dispute_change", args=[dispute.pk]))
    assert "This PDF cannot be drawn here" in page.content.decode()
    url = reverse("admin:consent_dispute_evidence", args=[dispute.pk, broken.public_id])
    assert reviewer_client.get(url, {"page": 1}).status_code == 404


def test_other_types_stay_download_only_and_parties_cannot_use_the_viewer(
    client, reviewer_client, queue, private_media, settings
):
    dispute = queue[0]
    text = evidence_of(dispute, "notes.txt", b"plain notes about the session\n")
    url = reverse("admin:consent_dispute_evidence", args=[dispute.pk, text.public_id])
    assert reviewer_client.get(url).status_code == 404
    image = evidence_of(dispute, "shot.png", PNG_BYTES)
    # Only a type the upload check still accepts is shown inline.
    settings.EVIDENCE_TYPES = [t for t in settings.EVIDENCE_TYPES if t != "image/png"]
    url = reverse("admin:consent_dispute_evidence", args=[dispute.pk, image.public_id])
    assert reviewer_client.get(url).status_code == 404
    client.force_login(dispute.contester_claim.creator.user)
    assert client.get(url).status_code == 302  # the admin sends a non-staff user to log in


# --- Bulk action --------------------------------------------------------------------------------


def test_every_open_dispute_of_one_account_is_rejected_after_confirmation(
    reviewer_client, reviewer, queue
):
    serial = queue[0].opened_by
    theirs = [d for d in queue if d.opened_by_id == serial.pk]
    assert len(theirs) == 5 and len(queue) == 10
    form = {"action": "reject_everything_opened_by", "_selected_action": [queue[0].pk]}
    confirm = reviewer_client.post(QUEUE, form)
    body = confirm.content.decode()
    assert confirm.status_code == 200 and "Reject all 5" in body
    assert all(d.status == Dispute.Status.OPEN for d in Dispute.objects.filter(opened_by=serial))

    no_reason = reviewer_client.post(QUEUE, form | {"confirmed": "yes", "reason": " "})
    assert "Write the reason for the decisions" in no_reason.content.decode()

    reviewer_client.post(QUEUE, form | {"confirmed": "yes", "reason": "A serial claimant."})
    assert set(Dispute.objects.filter(opened_by=serial).values_list("status", flat=True)) == {
        Dispute.Status.DECIDED
    }
    assert not Claim.objects.filter(creator__user=serial, status=Claim.Status.ACTIVE).exists()
    owners_kept = [claim_of(d.contested_claim.creator, d.track).status for d in theirs]
    assert set(owners_kept) == {Claim.Status.ACTIVE}
    others = Dispute.objects.exclude(opened_by=serial)
    assert set(others.values_list("status", flat=True)) == {Dispute.Status.OPEN}


def test_the_bulk_rejection_leaves_a_case_another_reviewer_works_on(
    reviewer_client, other_reviewer, queue
):
    serial = queue[0].opened_by
    theirs = [d for d in queue if d.opened_by_id == serial.pk]
    disputes.assign(other_reviewer, theirs[1])
    form = {
        "action": "reject_everything_opened_by",
        "_selected_action": [queue[0].pk],
        "confirmed": "yes",
        "reason": "A serial claimant.",
    }
    body = reviewer_client.post(QUEUE, form, follow=True).content.decode()
    assert "Rejected 4 disputes." in body and "Left undecided" in body
    assert Dispute.objects.get(pk=theirs[1].pk).status == Dispute.Status.OPEN


def test_the_opener_s_other_disputes_are_one_click_away(reviewer_client, queue):
    body = reviewer_client.get(QUEUE).content.decode()
    opener = queue[0].opened_by
    link = f"?view=undecided&amp;opener={opener.pk}"
    assert link in body
    theirs = shown(reviewer_client.get(QUEUE, {"view": "undecided", "opener": opener.pk}))
    assert len(theirs) == 5 and {d.opened_by_id for d in theirs} == {opener.pk}
