"""The whole dispute process in the domain: contest, statements, review, decision, record."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from consent.contests import add_evidence, add_statement, contest_claim
from consent.disputes import (
    REJECT_CONTEST,
    can_read_evidence,
    decide,
    request_information,
    suspend_creator,
    timeline,
)
from consent.models import AuditEntry, ChangeEvent, Claim, Dispute, EffectivePolicy, Track
from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import (
    ConsentError,
    PurposeChoice,
    declare,
    opt_out_of_ai_training,
    withdraw_claim,
)
from tests.conftest import make_artist
from tests.disputes_helpers import claim_of, owned_track, upload

pytestmark = pytest.mark.django_db


def contest(contester, claim, **kwargs):
    defaults = {"reason": "I own this recording", "statement": "I recorded it in 2019."}
    return contest_claim(contester, claim, **(defaults | kwargs))


def assert_every_conflict_is_under_review(track: Track) -> None:
    """Two active claims of one role on a track are only allowed inside an open dispute."""
    for role in Claim.Role.values:
        active = set(
            Claim.objects.filter(track=track, role=role, status=Claim.Status.ACTIVE).values_list(
                "pk", flat=True
            )
        )
        if len(active) < 2:
            continue
        covered = set(
            Claim.objects.filter(
                pk__in=active, disputes__status__in=Dispute.ACTIVE, disputes__role=role
            ).values_list("pk", flat=True)
        )
        assert covered == active, f"{len(active)} active {role} claims and no open dispute"
        assert EffectivePolicy.objects.get(track=track).disputed


def test_the_whole_flow_from_contest_to_decision_is_recorded_and_delivered(
    artist, other_artist, reviewer, django_capture_on_commit_callbacks
):
    track = owned_track(artist)
    opt_out_of_ai_training(other_artist)
    assert EffectivePolicy.objects.get(track=track).train_ai == Value.ALLOW
    before = ChangeEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        dispute = contest(other_artist, claim_of(artist, track))
    # The contester's denials count at once: a contest can only tighten the policy.
    policy = EffectivePolicy.objects.get(track=track)
    assert policy.disputed
    assert all(policy.value_of(p) == Value.DENY for p in AI_OPT_OUT)
    assert policy.search == Value.ALLOW
    event = ChangeEvent.objects.order_by("sequence").last()
    assert ChangeEvent.objects.count() == before + 1
    assert event.cause == "dispute-opened" and event.disputed
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [artist.user.email, other_artist.user.email]
    )
    assert "A dispute was opened" in mail.outbox[0].subject

    add_statement(artist, dispute, "I have the master tapes and the distribution contract.")
    add_statement(other_artist, dispute, "They were my session files.")

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_information(reviewer, dispute, "Please send the distribution contract.", artist)
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.INFO_REQUESTED
    assert EffectivePolicy.objects.get(track=track).disputed  # still active while waiting
    # The request is addressed to one party: only they are emailed.
    assert [m.to[0] for m in mail.outbox] == [artist.user.email]
    assert "Please send the distribution contract." in mail.outbox[0].body

    add_statement(artist, dispute, "Contract attached by post.")
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN  # an answer puts it back in the queue

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        decide(
            reviewer,
            dispute,
            Dispute.Outcome.UPHELD,
            "The contract names Owner Band as the master owner.",
            upheld_claim=claim_of(artist, track),
        )
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.DECIDED
    assert dispute.decided_by == reviewer and dispute.decided_at
    assert claim_of(other_artist, track).status == Claim.Status.REVOKED
    policy = EffectivePolicy.objects.get(track=track)
    assert not policy.disputed and policy.train_ai == Value.ALLOW
    event = ChangeEvent.objects.order_by("sequence").last()
    assert event.cause == "dispute-decided"
    assert event.previous["train-ai"] == "deny" and event.policy["train-ai"] == "allow"
    assert len(mail.outbox) == 2
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "your claim is upheld" in bodies[artist.user.email]
    assert "your claim is revoked" in bodies[other_artist.user.email]
    assert "The contract names Owner Band" in bodies[other_artist.user.email]

    assert_every_conflict_is_under_review(track)
    actions = list(dispute.audit_entries.values_list("action", flat=True))
    assert actions == [
        "opened",
        "statement",
        "statement",
        "assigned",  # the first reviewer to act on the case takes it
        "info-requested",
        "statement",
        "reopened",
        "claim-revoked",
        "decided",
    ]
    decided = dispute.audit_entries.get(action="decided")
    assert decided.user == reviewer
    assert decided.reason == "The contract names Owner Band as the master owner."


def test_rejecting_a_contest_revokes_the_contesters_claim(artist, other_artist, reviewer):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    decide(reviewer, dispute, REJECT_CONTEST, "No evidence of ownership.")
    assert claim_of(other_artist, track).status == Claim.Status.REVOKED
    assert claim_of(artist, track).status == Claim.Status.ACTIVE
    # A revoked claim cannot come back by contesting someone else's claim on the same role.
    third = make_artist()
    contest(third, claim_of(artist, track))
    with pytest.raises(ConsentError, match="revoked after a review"):
        contest(other_artist, claim_of(third, track))


def test_rejecting_a_contest_revokes_every_contesters_claim(artist, other_artist, reviewer):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    third = make_artist()
    assert contest(third, claim_of(artist, track)).pk == dispute.pk
    decide(reviewer, dispute, REJECT_CONTEST, "Neither contest holds.")
    assert claim_of(other_artist, track).status == Claim.Status.REVOKED
    assert claim_of(third, track).status == Claim.Status.REVOKED
    assert claim_of(artist, track).status == Claim.Status.ACTIVE
    revoked = dispute.audit_entries.filter(action="claim-revoked")
    assert set(revoked.values_list("creator", flat=True)) == {other_artist.pk, third.pk}
    assert_every_conflict_is_under_review(track)


def test_rejecting_is_refused_once_the_contested_claim_is_gone(artist, other_artist, reviewer):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    third = make_artist()
    contest(third, claim_of(artist, track))
    withdraw_claim(claim_of(artist, track))
    with pytest.raises(ConsentError, match="contested claim is no longer active"):
        decide(reviewer, dispute, REJECT_CONTEST, "No.")
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN
    assert claim_of(other_artist, track).status == Claim.Status.ACTIVE
    assert_every_conflict_is_under_review(track)


def test_a_duplicate_repeats_a_decided_dispute_and_that_decision_stands(
    artist, other_artist, reviewer
):
    track = owned_track(artist)
    first = contest(other_artist, claim_of(artist, track))
    third = make_artist()
    decide(reviewer, first, REJECT_CONTEST, "Not theirs.")
    second = contest(third, claim_of(artist, track))
    with pytest.raises(ConsentError, match="earlier, decided dispute"):
        decide(reviewer, second, Dispute.Outcome.DUPLICATE, "Itself.", duplicate_of=second)
    with pytest.raises(ConsentError, match="earlier, decided dispute"):
        decide(reviewer, second, Dispute.Outcome.DUPLICATE, "Nothing.")
    elsewhere = contest(third, claim_of(artist, owned_track(artist, isrc="USRC17607830")))
    with pytest.raises(ConsentError, match="not decided"):
        # An open question has no answer yet to repeat.
        decide(reviewer, second, Dispute.Outcome.DUPLICATE, "Same.", duplicate_of=elsewhere)
    decide(reviewer, elsewhere, REJECT_CONTEST, "Not theirs either.")
    with pytest.raises(ConsentError, match="another track or role"):
        decide(reviewer, second, Dispute.Outcome.DUPLICATE, "Other.", duplicate_of=elsewhere)

    decide(reviewer, second, Dispute.Outcome.DUPLICATE, "Decided in March.", duplicate_of=first)

    second.refresh_from_db()
    assert (second.status, second.duplicate_of) == (Dispute.Status.DECIDED, first)
    assert claim_of(third, track).status == Claim.Status.REVOKED
    assert claim_of(artist, track).status == Claim.Status.ACTIVE
    assert_every_conflict_is_under_review(track)


def test_a_reviewer_who_is_a_party_can_neither_decide_nor_ask(artist, other_artist):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    artist.user.is_staff = True
    artist.user.save()
    message = "You are a party to this dispute, so another reviewer must decide it."
    with pytest.raises(ConsentError, match=message):
        decide(
            artist.user,
            dispute,
            Dispute.Outcome.UPHELD,
            "Mine, obviously.",
            upheld_claim=claim_of(artist, track),
        )
    with pytest.raises(ConsentError, match=message):
        request_information(artist.user, dispute, "Prove it.", artist)
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN
    assert claim_of(other_artist, track).status == Claim.Status.ACTIVE


def test_a_party_whose_claim_is_no_longer_active_cannot_add_to_the_dispute(
    artist, other_artist, private_media
):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    third = make_artist()
    contest(third, claim_of(artist, track))
    withdraw_claim(claim_of(other_artist, track))
    dispute.refresh_from_db()
    assert dispute.is_active  # the owner and the third artist still disagree
    with pytest.raises(ConsentError, match="no longer active"):
        add_statement(other_artist, dispute, "Still here.")
    with pytest.raises(ConsentError, match="no longer active"):
        add_evidence(other_artist, dispute, links=["https://label.example/1"])
    assert not dispute.statements.filter(text="Still here.").exists()
    assert not dispute.evidence.filter(creator=other_artist, url__startswith="https").exists()


def test_an_answer_to_a_request_for_information_is_recorded(artist, other_artist, reviewer):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    request_information(reviewer, dispute, "Send the contract.", artist)
    add_evidence(artist, dispute, links=["https://label.example/contract"])
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN
    entry = dispute.audit_entries.order_by("created_at", "id").last()
    assert entry.action == "reopened"
    assert entry.user == artist.user and entry.creator == artist


def test_each_party_reads_only_its_own_statements_and_evidence(
    artist, other_artist, reviewer, private_media, django_user_model
):
    track = owned_track(artist)
    dispute = contest(
        other_artist,
        claim_of(artist, track),
        statement="My session notes.",
        files=[upload("contract.pdf", b"%PDF-1.4 contract")],
    )
    add_statement(artist, dispute, "I hold the masters.")
    request_information(reviewer, dispute, "Send the contract.", other_artist)
    # Anyone can join by registering the same ISRC; joining opens nothing already submitted.
    newcomer = make_artist()
    owned_track(newcomer)
    evidence = dispute.evidence.get()

    def texts(viewer):
        return [item.text for item in timeline(dispute, viewer=viewer) if item.text]

    assert texts(other_artist) == ["My session notes.", "Send the contract."]
    assert texts(artist) == ["I hold the masters.", "Send the contract."]
    assert texts(newcomer) == ["Send the contract."]
    assert not any(item.evidence for item in timeline(dispute, viewer=artist))
    staff_texts = [i.text for i in timeline(dispute, for_staff=True) if i.text]
    assert staff_texts == ["My session notes.", "I hold the masters.", "Send the contract."]
    assert can_read_evidence(other_artist.user, evidence)
    assert not can_read_evidence(artist.user, evidence)
    assert not can_read_evidence(newcomer.user, evidence)
    assert can_read_evidence(reviewer, evidence)  # the reviewer group holds the permission
    staff = django_user_model.objects.create_user(
        username="staff", email="staff@example.org", password="x", is_staff=True
    )
    assert not can_read_evidence(staff, evidence)  # staff without the evidence permission
    staff.user_permissions.add(Permission.objects.get(codename="view_evidence"))
    staff = django_user_model.objects.get(pk=staff.pk)
    assert can_read_evidence(staff, evidence)


def test_a_decision_needs_a_written_reason(artist, other_artist, reviewer):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    with pytest.raises(ConsentError, match="reason"):
        decide(reviewer, dispute, REJECT_CONTEST, "   ")
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.OPEN
    assert claim_of(other_artist, track).status == Claim.Status.ACTIVE


def test_a_decided_dispute_cannot_be_decided_again(artist, other_artist, reviewer):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    decide(reviewer, dispute, REJECT_CONTEST, "Not theirs.")
    with pytest.raises(ConsentError, match="already decided"):
        decide(
            reviewer,
            dispute,
            Dispute.Outcome.UPHELD,
            "Changed my mind.",
            upheld_claim=claim_of(other_artist, track),
        )


def test_the_same_user_cannot_contest_the_same_claim_twice(artist, other_artist, reviewer):
    track = owned_track(artist)
    contest(other_artist, claim_of(artist, track))
    with pytest.raises(ConsentError, match="already contested this claim"):
        contest(other_artist, claim_of(artist, track))
    # Not even after withdrawing their own claim and the dispute closing.
    withdraw_claim(claim_of(other_artist, track))
    with pytest.raises(ConsentError, match="already contested this claim"):
        contest(other_artist, claim_of(artist, track))
    assert Dispute.objects.count() == 1


def test_nobody_contests_their_own_claim(artist):
    track = owned_track(artist)
    with pytest.raises(ConsentError, match="your own claim"):
        contest(artist, claim_of(artist, track))


def test_opening_disputes_is_rate_limited_per_user(settings, artist, other_artist):
    settings.DISPUTES_PER_DAY = 2
    claims = [
        claim_of(artist, owned_track(artist, isrc=isrc))
        for isrc in ("USRC17607831", "USRC17607832", "USRC17607833")
    ]
    contest(other_artist, claims[0])
    contest(other_artist, claims[1])
    with pytest.raises(ConsentError, match="daily limit"):
        contest(other_artist, claims[2])
    assert Dispute.objects.count() == 2
    # The limit is per user: someone else may still contest.
    contest(make_artist(), claims[2])


def test_withdrawing_a_claim_closes_the_dispute_on_the_record(
    artist, other_artist, django_capture_on_commit_callbacks
):
    track = owned_track(artist)
    dispute = contest(other_artist, claim_of(artist, track))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_claim(claim_of(other_artist, track))
    dispute.refresh_from_db()
    assert dispute.status == Dispute.Status.CLOSED
    assert list(dispute.audit_entries.values_list("action", flat=True))[-2:] == [
        "claim-withdrawn",
        "closed",
    ]
    assert len(mail.outbox) == 2 and "is closed" in mail.outbox[0].subject


def test_an_automatic_dispute_is_recorded_and_emails_both_parties(
    artist, other_artist, django_capture_on_commit_callbacks
):
    owned_track(artist)
    with django_capture_on_commit_callbacks(execute=True):
        track = owned_track(other_artist)
    dispute = Dispute.objects.get(track=track)
    assert dispute.opened_by is None
    entry = dispute.audit_entries.get()
    assert entry.action == "opened" and entry.user is None
    opened = [m for m in mail.outbox if "A dispute was opened" in m.subject]
    assert sorted(m.to[0] for m in opened) == sorted([artist.user.email, other_artist.user.email])
    # Besides, the existing owner is told who claimed their track (registry.notices).
    (notice,) = [m for m in mail.outbox if m not in opened]
    assert notice.to == [artist.user.email] and "claimed your track" in notice.subject


def test_an_automatic_dispute_has_no_contest_to_reject(artist, other_artist, reviewer):
    owned_track(artist)
    track = owned_track(other_artist)
    dispute = Dispute.objects.get(track=track)
    with pytest.raises(ConsentError, match="no contest to reject"):
        decide(reviewer, dispute, REJECT_CONTEST, "No.")


def test_suspension_keeps_the_creators_denials_in_force(artist, other_artist, reviewer):
    track = owned_track(artist)
    # The suspended creator denied AI training on their catalogue and allowed search.
    declare(
        other_artist,
        {
            Purpose.TRAIN_AI: PurposeChoice(Value.DENY),
            Purpose.AI_INPUT: PurposeChoice(Value.LICENSE, contact_email="x@example.org"),
            Purpose.SEARCH: PurposeChoice(Value.ALLOW),
        },
    )
    contest(other_artist, claim_of(artist, track))
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.UNSET)}, track=track)
    before = ChangeEvent.objects.count()

    suspend_creator(reviewer, other_artist, "Impersonated another artist.")

    policy = EffectivePolicy.objects.get(track=track)
    assert policy.train_ai == Value.DENY  # the denial stays
    assert policy.ai_input == Value.DENY  # a licence reservation stays, as a denial
    assert policy.search == Value.UNSET  # what the suspended creator allowed no longer counts
    assert ChangeEvent.objects.count() == before + 1
    assert ChangeEvent.objects.order_by("sequence").last().cause == "creator-suspended"
    entry = AuditEntry.objects.get(action="creator-suspended")
    assert entry.user == reviewer and entry.creator == other_artist
    assert entry.reason == "Impersonated another artist."
    # A suspended account cannot drop its denials by withdrawing, nor change anything else.
    with pytest.raises(ConsentError, match="suspended"):
        withdraw_claim(claim_of(other_artist, track))
    with pytest.raises(ConsentError, match="suspended"):
        declare(other_artist, {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)})


def test_suspension_needs_a_reason(artist, reviewer):
    with pytest.raises(ConsentError, match="reason"):
        suspend_creator(reviewer, artist, "")
    artist.refresh_from_db()
    assert artist.suspended_at is None


def test_evidence_is_stored_privately_under_a_random_name(
    artist,
    other_artist,
    private_media,
):
    track = owned_track(artist)
    dispute = contest(
        other_artist,
        claim_of(artist, track),
        files=[upload("contract.pdf", b"%PDF-1.4 contract")],
        links=["https://label.example/release/1"],
    )
    stored = dispute.evidence.exclude(file="").get()
    assert stored.original_name == "contract.pdf"
    assert stored.content_type == "application/pdf"
    assert stored.file.name.startswith("evidence/")
    assert "contract" not in stored.file.name
    assert (private_media / stored.file.name).read_bytes() == b"%PDF-1.4 contract"
    assert dispute.evidence.exclude(url="").get().url == "https://label.example/release/1"
