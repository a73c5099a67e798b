"""The rules of the dispute desk in the domain: requests to one party with a deadline and one
reminder, one reviewer per case, a preview that writes nothing, and one outcome per effect."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from consent import disputes
from consent.contests import add_evidence, add_statement, contest_claim
from consent.decision_preview import preview_decision
from consent.models import AuditEntry, ChangeEvent, Claim, Dispute, EffectivePolicy
from consent.services import ConsentError, opt_out_of_ai_training
from registry.tasks import chase_information_requests
from tests.disputes_helpers import claim_of, owned_track

pytestmark = pytest.mark.django_db

merge_migration = importlib.import_module("consent.migrations.0016_merge_rejected_outcome")


@pytest.fixture
def dispute(artist, other_artist) -> Dispute:
    track = owned_track(artist)
    opt_out_of_ai_training(other_artist)
    return contest_claim(other_artist, claim_of(artist, track), "I own this recording", "Mine.")


@pytest.fixture
def second_reviewer(db):
    user = get_user_model().objects.create_user(
        username="second", email="second@example.org", is_staff=True
    )
    user.groups.add(Group.objects.get(name="reviewer"))
    return user


def status(dispute: Dispute) -> str:
    dispute.refresh_from_db()
    return dispute.status


def test_only_the_asked_party_answering_returns_the_case_to_the_queue(
    dispute, reviewer, artist, other_artist
):
    disputes.request_information(reviewer, dispute, "Send the label contract.", other_artist)
    assert not Dispute.objects.needs_action().filter(pk=dispute.pk).exists()

    add_statement(artist, dispute, "They have no contract.")
    add_evidence(artist, dispute, links=["https://label.example/ours"])
    assert status(dispute) == Dispute.Status.INFO_REQUESTED, "the other side was not asked"
    assert dispute.answered_at is None

    add_statement(other_artist, dispute, "Contract attached.")
    assert status(dispute) == Dispute.Status.OPEN
    assert dispute.answered_at is not None
    assert Dispute.objects.needs_action().filter(pk=dispute.pk).exists()
    reopened = dispute.audit_entries.get(action=AuditEntry.Action.REOPENED)
    assert reopened.creator == other_artist


def test_a_request_goes_to_a_party_with_an_active_claim_and_a_future_deadline(
    dispute, reviewer, artist, other_artist
):
    from consent.services import withdraw_claim
    from tests.conftest import make_artist

    third = make_artist()
    contest_claim(third, claim_of(artist, dispute.track), "Mine", "Mine too.")
    withdraw_claim(claim_of(third, dispute.track))
    with pytest.raises(ConsentError, match="has no active claim in this dispute"):
        disputes.request_information(reviewer, dispute, "Send it.", third)
    with pytest.raises(ConsentError, match="deadline in the future"):
        disputes.request_information(
            reviewer, dispute, "Send it.", artist, deadline=timezone.now() - timedelta(hours=1)
        )
    assert status(dispute) == Dispute.Status.OPEN


def test_the_default_deadline_comes_from_settings(dispute, reviewer, artist, settings):
    settings.DISPUTE_INFORMATION_DAYS = 3
    before = timezone.now()
    disputes.request_information(reviewer, dispute, "Send it.", artist)
    dispute.refresh_from_db()
    assert before + timedelta(days=3) <= dispute.information_deadline
    assert dispute.information_deadline <= timezone.now() + timedelta(days=3)


def test_a_passed_deadline_returns_the_case_even_before_the_sweep(
    dispute, reviewer, artist, django_capture_on_commit_callbacks
):
    deadline = timezone.now() + timedelta(hours=1)
    disputes.request_information(reviewer, dispute, "Send it.", artist, deadline=deadline)
    later = deadline + timedelta(seconds=1)
    # The queue counts it as needing action from the deadline on, sweep or not.
    assert Dispute.objects.needs_action(later).filter(pk=dispute.pk).exists()
    assert not Dispute.objects.needs_action(deadline - timedelta(seconds=1)).exists()

    assert disputes.expire_information_requests(deadline - timedelta(seconds=1)) == 0
    assert disputes.expire_information_requests(later) == 1
    assert status(dispute) == Dispute.Status.OPEN
    assert dispute.answered_at is None
    entry = dispute.audit_entries.get(action=AuditEntry.Action.DEADLINE_PASSED)
    assert entry.user is None and entry.creator == artist
    assert disputes.expire_information_requests(later) == 0


def test_the_reminder_goes_once_to_the_asked_party_before_the_deadline(
    dispute, reviewer, artist, other_artist, settings, django_capture_on_commit_callbacks
):
    settings.DISPUTE_REMINDER_HOURS = 24
    now = timezone.now()
    deadline = now + timedelta(days=3)
    disputes.request_information(reviewer, dispute, "Send it.", artist, deadline=deadline)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert disputes.remind_information_requests(now) == 0, "too early"
        in_window = deadline - timedelta(hours=12)
        assert disputes.remind_information_requests(in_window) == 1
        assert disputes.remind_information_requests(in_window + timedelta(hours=1)) == 0
    assert [m.to for m in mail.outbox] == [[artist.user.email]]
    assert "Reminder" in mail.outbox[0].subject
    assert "still waiting for your answer" in mail.outbox[0].body
    assert dispute.audit_entries.filter(action=AuditEntry.Action.REMINDED).count() == 1


def test_a_request_shorter_than_the_reminder_window_gets_no_reminder(
    dispute, reviewer, artist, settings
):
    settings.DISPUTE_REMINDER_HOURS = 48
    now = timezone.now()
    disputes.request_information(
        reviewer, dispute, "Send it.", artist, deadline=now + timedelta(hours=24)
    )
    for later in (now + timedelta(minutes=15), now + timedelta(hours=23)):
        assert disputes.remind_information_requests(later) == 0
    assert not dispute.audit_entries.filter(action=AuditEntry.Action.REMINDED).exists()


def test_the_beat_task_reminds_and_returns(dispute, reviewer, artist, settings):
    disputes.request_information(
        reviewer, dispute, "Send it.", artist, deadline=timezone.now() + timedelta(hours=1)
    )
    # Asked three days ago, an hour left: due for its reminder.
    Dispute.objects.filter(pk=dispute.pk).update(
        information_requested_at=timezone.now() - timedelta(days=3)
    )
    assert chase_information_requests() == {"reminded": 1, "returned": 0}
    Dispute.objects.filter(pk=dispute.pk).update(
        information_deadline=timezone.now() - timedelta(seconds=1)
    )
    assert chase_information_requests() == {"reminded": 0, "returned": 1}
    assert "chase-information-requests" in settings.CELERY_BEAT_SCHEDULE


def test_another_reviewer_cannot_act_on_an_assigned_case_without_taking_it_over(
    dispute, reviewer, second_reviewer, artist
):
    disputes.assign(reviewer, dispute)
    owner = claim_of(artist, dispute.track)
    with pytest.raises(ConsentError, match="is working on this case. Take it over first"):
        disputes.decide(second_reviewer, dispute, "upheld", "Mine.", upheld_claim=owner)
    with pytest.raises(ConsentError, match="is working on this case. Take it over first"):
        disputes.request_information(second_reviewer, dispute, "Send it.", artist)
    with pytest.raises(ConsentError, match="already working on this case"):
        disputes.assign(second_reviewer, dispute)
    assert status(dispute) == Dispute.Status.OPEN

    disputes.assign(second_reviewer, dispute, take_over=True)
    dispute.refresh_from_db()
    assert dispute.assigned_to == second_reviewer
    taken = dispute.audit_entries.filter(action=AuditEntry.Action.ASSIGNED).last()
    assert taken.reason == "Taken over from reviewer."
    with pytest.raises(ConsentError, match="is working on this case. Take it over first"):
        disputes.decide(reviewer, dispute, "upheld", "Mine.", upheld_claim=owner)
    disputes.decide(second_reviewer, dispute, "upheld", "Mine.", upheld_claim=owner)
    assert status(dispute) == Dispute.Status.DECIDED


def test_a_released_case_is_anyone_s_and_acting_on_it_claims_it(
    dispute, reviewer, second_reviewer, artist
):
    disputes.assign(reviewer, dispute)
    with pytest.raises(ConsentError, match="Only the reviewer working"):
        disputes.release(second_reviewer, dispute)
    disputes.release(reviewer, dispute)
    disputes.request_information(second_reviewer, dispute, "Send it.", artist)
    dispute.refresh_from_db()
    assert dispute.assigned_to == second_reviewer


def test_the_preview_shows_each_purpose_and_writes_nothing(
    dispute, reviewer, artist, other_artist, django_capture_on_commit_callbacks
):
    events = ChangeEvent.objects.count()
    entries = AuditEntry.objects.count()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        preview = preview_decision(
            reviewer, dispute, "upheld", upheld_claim=claim_of(artist, dispute.track)
        )
    effects = {e.purpose: (e.before, e.after) for e in preview.effects}
    assert effects["Training any AI model"] == ("Not allowed", "Allowed")
    assert effects["Search indexing"] == ("Allowed", "Allowed")
    assert [c.creator for c in preview.revoked] == [other_artist]
    assert [c.creator for c in preview.kept] == [artist]
    # Nothing happened: no event, no audit entry, no assignment, no email, no revoked claim.
    assert (ChangeEvent.objects.count(), AuditEntry.objects.count()) == (events, entries)
    assert callbacks == [] and mail.outbox == []
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN and dispute.assigned_to is None
    assert claim_of(other_artist, dispute.track).status == Claim.Status.ACTIVE
    assert EffectivePolicy.objects.get(track=dispute.track).train_ai == "deny"


def test_the_preview_refuses_what_the_decision_refuses(dispute, reviewer, second_reviewer):
    disputes.assign(second_reviewer, dispute)
    with pytest.raises(ConsentError, match="working on this case"):
        preview_decision(reviewer, dispute, disputes.REJECT_CONTEST)


def test_rejecting_a_contest_is_upholding_the_contested_claim(dispute, reviewer, artist):
    disputes.decide(reviewer, dispute, disputes.REJECT_CONTEST, "Not theirs.")
    dispute.refresh_from_db()
    assert dispute.outcome == Dispute.Outcome.UPHELD
    assert dispute.upheld_claim == claim_of(artist, dispute.track)
    assert set(Dispute.Outcome.values) == {"upheld", "duplicate"}


def test_the_migration_merges_former_rejections_into_upheld(dispute, reviewer, artist):
    disputes.decide(reviewer, dispute, disputes.REJECT_CONTEST, "Not theirs.")
    # A row as the desk wrote it before the outcomes were merged.
    Dispute.objects.filter(pk=dispute.pk).update(outcome="rejected", upheld_claim=None)
    untouched = Dispute.objects.filter(pk=dispute.pk).values_list("decision_reason", flat=True)
    merge_migration.merge_rejected(apps, None)
    dispute.refresh_from_db()
    assert dispute.outcome == "upheld"
    assert dispute.upheld_claim == claim_of(artist, dispute.track) == dispute.contested_claim
    assert list(untouched) == ["Not theirs."]
    assert not Dispute.objects.filter(outcome="rejected").exists()


def test_the_migration_gives_old_requests_a_deadline(dispute, settings):
    Dispute.objects.filter(pk=dispute.pk).update(status="info-requested")
    merge_migration.merge_rejected(apps, None)
    dispute.refresh_from_db()
    expected = timezone.now() + timedelta(days=settings.DISPUTE_INFORMATION_DAYS)
    assert abs(dispute.information_deadline - expected) < timedelta(minutes=1)


def test_decision_emails_say_what_each_party_can_do_next(
    dispute, reviewer, artist, other_artist, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        disputes.decide(reviewer, dispute, disputes.REJECT_CONTEST, "The contract says so.")
    bodies = {m.to[0]: m.body for m in mail.outbox}
    kept, lost = bodies[artist.user.email], bodies[other_artist.user.email]
    assert "your claim is upheld" in kept and "What you can do next:" in kept
    assert "Nothing is needed" in kept and "change your choices" in kept
    assert "your claim is revoked" in lost and "What you can do next:" in lost
    assert "cannot be contested again" in lost and "/terms/#contact" in lost
    assert "The contract says so." in lost
