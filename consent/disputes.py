"""Disputes over who owns a track, as reviewers and readers see them: parties, decisions, timeline.

Disputes open and grow through consent.contests (contests, collisions, statements, evidence);
here reviewers ask for information, decide, and suspend accounts. Every state change writes an
AuditEntry (append-only in the database) and sends `signals.dispute_changed` inside its
transaction. A change that can move a track's effective policy (a decision revokes claims, a
suspension narrows what counts) takes the consent write lock and goes through
`refresh_policies`, so platforms receive the change events exactly as after an artist's own
change.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from consent import collisions, signals
from consent.evidence import required_text
from consent.models import (
    AuditEntry,
    Claim,
    Creator,
    Dispute,
    DisputeStatement,
    Evidence,
)
from consent.policies import lock_consent_writes, refresh_policies
from consent.services import (
    ConsentError,
    close_settled_disputes,
    end_claims,
)
from consent.times import rfc3339
from consent.transparency import records

Action = AuditEntry.Action


def party_of(user, dispute: Dispute) -> Creator | None:
    """The user's creator profile if it has a claim in the dispute, else None."""
    if not user.is_authenticated:
        return None
    return Creator.objects.filter(user=user, claims__disputes=dispute).first()


def is_reviewer(user) -> bool:
    """Staff allowed to read every party's statements and evidence."""
    return user.is_authenticated and user.is_staff and user.has_perm("consent.view_evidence")


def can_read_evidence(user, evidence: Evidence) -> bool:
    """The party who submitted it, and reviewers; never the other side, never anonymously.

    Anyone can become a party by registering the same ISRC, so being a party must not open
    what the other side submitted: each side's case is for the reviewers to weigh.
    """
    if not user.is_authenticated:
        return False
    if is_reviewer(user):
        return True
    return evidence.submitted_by_id == user.id


# --- Reviewers ------------------------------------------------------------------------------

# Rejecting a contest is upholding the contested claim; callers may still name it so.
REJECT_CONTEST = "rejected"


def _reviewed(reviewer, dispute: Dispute) -> Dispute:
    """The dispute, locked, if `reviewer` may act on it now; unassigned, it becomes theirs.

    One reviewer works a case at a time: another reviewer's case must be taken over first
    (`assign(..., take_over=True)`), which is on the record.
    """
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if not dispute.is_active:
        raise ConsentError(f"This dispute is already {dispute.get_status_display().lower()}.")
    if party_of(reviewer, dispute) is not None:
        raise ConsentError("You are a party to this dispute, so another reviewer must decide it.")
    if dispute.assigned_to_id is not None and dispute.assigned_to_id != reviewer.pk:
        raise ConsentError(
            f"{dispute.assigned_to.get_username()} is working on this case. Take it over first "
            "if you need to act on it: they will see that you did."
        )
    if dispute.assigned_to_id is None:
        _assign(reviewer, dispute, previous=None)
    return dispute


def _assign(reviewer, dispute: Dispute, previous) -> None:
    dispute.assigned_to = reviewer
    dispute.assigned_at = timezone.now()
    dispute.save(update_fields=["assigned_to", "assigned_at"])
    AuditEntry.objects.create(
        user=reviewer,
        action=Action.ASSIGNED,
        reason=f"Taken over from {previous.get_username()}." if previous else "",
        dispute=dispute,
        details={"previous": previous.pk if previous else None},
    )


def assign(reviewer, dispute: Dispute, *, take_over: bool = False) -> Dispute:
    """Claim a case for `reviewer`; another reviewer's case only with `take_over`."""
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if not dispute.is_active:
            raise ConsentError(f"This dispute is already {dispute.get_status_display().lower()}.")
        if party_of(reviewer, dispute) is not None:
            raise ConsentError("You are a party to this dispute, so another reviewer must take it.")
        previous = dispute.assigned_to
        if previous is not None and previous.pk == reviewer.pk:
            return dispute
        if previous is not None and not take_over:
            raise ConsentError(
                f"{previous.get_username()} is already working on this case. Take it over "
                "explicitly if you need to."
            )
        _assign(reviewer, dispute, previous)
    return dispute


def release(reviewer, dispute: Dispute) -> Dispute:
    """Give a case of one's own back to the queue, for any reviewer to take."""
    with transaction.atomic():
        dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
        if dispute.assigned_to_id != reviewer.pk:
            raise ConsentError("Only the reviewer working on this case can release it.")
        dispute.assigned_to = None
        dispute.assigned_at = None
        dispute.save(update_fields=["assigned_to", "assigned_at"])
        AuditEntry.objects.create(user=reviewer, action=Action.UNASSIGNED, dispute=dispute)
    return dispute


def request_information(
    reviewer, dispute: Dispute, message: str, party: Creator, deadline=None
) -> Dispute:
    """Ask ONE party for something, by a deadline; the case waits for that party alone.

    The case returns to the queue when that party answers (consent.contests) or when the
    deadline passes (`expire_information_requests`), never when the other side adds something.
    `deadline` defaults to DISPUTE_INFORMATION_DAYS from now; a reminder goes out
    DISPUTE_REMINDER_HOURS before it (`remind_information_requests`).
    """
    message = required_text(message, "the message to the party")
    now = timezone.now()
    deadline = deadline or now + timedelta(days=settings.DISPUTE_INFORMATION_DAYS)
    if deadline <= now:
        raise ConsentError("Choose a deadline in the future.")
    with transaction.atomic():
        dispute = _reviewed(reviewer, dispute)
        if not dispute.claims.active().filter(creator=party).exists():
            raise ConsentError(
                f"{party.artist_name} has no active claim in this dispute, so they cannot answer."
            )
        dispute.status = Dispute.Status.INFO_REQUESTED
        dispute.information_from = party
        dispute.information_requested_at = now
        dispute.information_deadline = deadline
        dispute.information_reminded_at = None
        dispute.answered_at = None
        dispute.save(
            update_fields=[
                "status",
                "information_from",
                "information_requested_at",
                "information_deadline",
                "information_reminded_at",
                "answered_at",
            ]
        )
        written = DisputeStatement.objects.create(
            dispute=dispute, party=DisputeStatement.Party.ADMIN, author=reviewer, text=message
        )
        AuditEntry.objects.create(
            user=reviewer,
            action=Action.INFO_REQUESTED,
            reason=message,
            dispute=dispute,
            creator=party,
            details={"statement": written.pk, "deadline": rfc3339(deadline)},
        )
        signals.dispute_changed.send(
            sender=Dispute, dispute=dispute, event=Action.INFO_REQUESTED, message=message
        )
    return dispute


def remind_information_requests(now=None) -> int:
    """Remind each asked party once, DISPUTE_REMINDER_HOURS before the deadline; run by beat.

    A request whose whole time to answer is shorter than that gets no reminder: its own email,
    minutes old, already says the deadline.
    """
    now = now or timezone.now()
    window = timedelta(hours=settings.DISPUTE_REMINDER_HOURS)
    due = Dispute.objects.filter(
        status=Dispute.Status.INFO_REQUESTED,
        information_reminded_at__isnull=True,
        information_deadline__gt=now,
        information_deadline__lte=now + window,
        information_requested_at__lte=F("information_deadline") - window,
    )
    sent = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            # Again under the row lock: the request may have been answered or made anew since.
            dispute = due.select_for_update(skip_locked=True).filter(pk=pk).first()
            if dispute is None:
                continue
            dispute.information_reminded_at = now
            dispute.save(update_fields=["information_reminded_at"])
            AuditEntry.objects.create(
                action=Action.REMINDED, dispute=dispute, creator=dispute.information_from
            )
            signals.dispute_changed.send(
                sender=Dispute, dispute=dispute, event=Action.REMINDED, message=""
            )
            sent += 1
    return sent


def expire_information_requests(now=None) -> int:
    """Return to the queue every case whose asked party let the deadline pass; run by beat."""
    now = now or timezone.now()
    due = Dispute.objects.filter(
        status=Dispute.Status.INFO_REQUESTED, information_deadline__lte=now
    ).values_list("pk", flat=True)
    returned = 0
    for pk in due:
        with transaction.atomic():
            dispute = (
                Dispute.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=Dispute.Status.INFO_REQUESTED)
                .first()
            )
            if dispute is None:
                continue
            dispute.status = Dispute.Status.OPEN
            dispute.save(update_fields=["status"])
            AuditEntry.objects.create(
                action=Action.DEADLINE_PASSED,
                reason="The party asked for information did not answer by the deadline.",
                dispute=dispute,
                creator=dispute.information_from,
            )
            returned += 1
    return returned


def decide(
    reviewer,
    dispute: Dispute,
    outcome: str,
    reason: str,
    *,
    upheld_claim: Claim | None = None,
    duplicate_of: Dispute | None = None,
) -> Dispute:
    """Settle a dispute, on the record, with a written reason.

    Upholding a claim revokes every other active claim in the dispute; rejecting a contest
    revokes every contester's claim and keeps the contested one; a duplicate repeats a dispute
    already decided over the same track and role, so that decision stands: the claims that came
    through it stay, every other claim in this dispute is revoked. The policy is then recomputed
    from the claims that remain. No outcome may leave two active claims of the same role on the
    track without an open dispute over them.
    """
    reason = reason.strip()
    if not reason:
        raise ConsentError("Write the reason for the decision: every decision is on the record.")
    with transaction.atomic():
        lock_consent_writes()
        dispute = _reviewed(reviewer, dispute)
        if outcome == REJECT_CONTEST:
            outcome, upheld_claim = Dispute.Outcome.UPHELD, _contested_claim(dispute)
        active = list(dispute.claims.active().select_related("creator"))
        revoke: list[Claim] = []
        if outcome == Dispute.Outcome.UPHELD:
            if upheld_claim is None or upheld_claim.pk not in {c.pk for c in active}:
                raise ConsentError("Choose which of the dispute's active claims is upheld.")
            revoke = [c for c in active if c.pk != upheld_claim.pk]
            dispute.upheld_claim = upheld_claim
        elif outcome == Dispute.Outcome.DUPLICATE:
            duplicate_of = _decided_duplicate_target(dispute, duplicate_of)
            dispute.duplicate_of = duplicate_of
            stood = set(duplicate_of.claims.active().values_list("pk", flat=True))
            if not any(c.pk in stood for c in active):
                raise ConsentError(
                    "None of this dispute's claims came through that decision, so this dispute "
                    "does not repeat it. Uphold one of the claims instead."
                )
            revoke = [c for c in active if c.pk not in stood]
        else:
            raise ConsentError("Choose an outcome: uphold a claim, or mark as a duplicate.")

        # Only claims on the disputed track and role are at stake; the verified claims that a
        # collision was weighed against (another role, another track) are never revoked here.
        revoke = collisions.revocable(dispute, revoke)
        revoked = {c.pk for c in revoke}
        rivals = (
            Claim.objects.active()
            .filter(track_id=dispute.track_id, role=dispute.role)
            .exclude(pk__in=revoked)
        )
        if rivals.count() > 1:
            raise ConsentError(
                "This decision would leave several active claims on the "
                f"{dispute.get_role_display().lower()} of the track with no open dispute over "
                "them. Uphold one claim instead."
            )

        now = timezone.now()
        end_claims([c.pk for c in revoke], Claim.Status.REVOKED, now)
        for claim in revoke:
            AuditEntry.objects.create(
                user=reviewer,
                action=Action.CLAIM_REVOKED,
                reason=reason,
                dispute=dispute,
                creator=claim.creator,
                claim=claim,
            )
        dispute.status = Dispute.Status.DECIDED
        dispute.outcome = outcome
        dispute.decision_reason = reason
        dispute.decided_by = reviewer
        dispute.decided_at = now
        dispute.closed_at = now
        dispute.save()
        records.log_decision(dispute)
        AuditEntry.objects.create(
            user=reviewer,
            action=Action.DECIDED,
            reason=reason,
            dispute=dispute,
            claim=dispute.upheld_claim,
            details={
                "outcome": outcome,
                "upheld_claim": str(upheld_claim.public_id) if upheld_claim else None,
                "duplicate_of": str(duplicate_of.public_id) if duplicate_of else None,
                "revoked": [str(c.public_id) for c in revoke],
            },
        )
        # A revoked claim may also have been the last rival in a dispute over the other role.
        close_settled_disputes(dispute.track_id)
        refresh_policies([dispute.track_id], cause="dispute-decided")
        signals.dispute_changed.send(
            sender=Dispute, dispute=dispute, event=Action.DECIDED, message=reason
        )
    return dispute


def _contested_claim(dispute: Dispute) -> Claim:
    """The claim that rejecting the contest upholds."""
    if dispute.contester_claim_id is None:
        raise ConsentError(
            "The registry opened this dispute itself, so there is no contest to reject. "
            "Uphold one of the claims instead."
        )
    claim = dispute.claims.active().filter(pk=dispute.contested_claim_id).first()
    if claim is None:
        raise ConsentError(
            "The contested claim is no longer active, so rejecting the contest would leave "
            "nobody's claim standing. Uphold one of the remaining claims instead."
        )
    return claim


def _decided_duplicate_target(dispute: Dispute, other: Dispute | None) -> Dispute:
    """The earlier dispute that `dispute` repeats: decided, over the same track and role.

    Only one dispute per track and role can be open at a time (a new contest joins it), so a
    duplicate is always a second round of a question already decided.
    """
    if other is None or other.pk == dispute.pk:
        raise ConsentError("Choose the earlier, decided dispute that this one repeats.")
    other = Dispute.objects.select_for_update().get(pk=other.pk)
    if other.status != Dispute.Status.DECIDED:
        raise ConsentError(
            f"That dispute is {other.get_status_display().lower()}, not decided: only a "
            "decision can be repeated."
        )
    if other.track_id != dispute.track_id or other.role != dispute.role:
        raise ConsentError(
            "That dispute is over another track or role, so it does not cover these claims."
        )
    return other


def suspend_creator(reviewer, creator: Creator, reason: str) -> None:
    """Suspend an account, on the record; its reservations stay in force as denials.

    The creator's claims keep counting for their denials (and licence reservations, as
    denials) but no longer for what they allowed, see `resolution.reservations_only`; the
    tracks concerned are recomputed so platforms hear of it.
    """
    reason = reason.strip()
    if not reason:
        raise ConsentError("Write the reason for the suspension: every decision is on the record.")
    with transaction.atomic():
        lock_consent_writes()
        creator = Creator.objects.select_for_update().get(pk=creator.pk)
        if creator.suspended_at is not None:
            raise ConsentError(f"{creator.artist_name} is already suspended.")
        creator.suspended_at = timezone.now()
        creator.save(update_fields=["suspended_at"])
        records.log_suspension(creator)
        AuditEntry.objects.create(
            user=reviewer, action=Action.CREATOR_SUSPENDED, reason=reason, creator=creator
        )
        track_ids = (
            Claim.objects.active().filter(creator=creator).values_list("track_id", flat=True)
        )
        refresh_policies(list(track_ids), cause="creator-suspended")


# --- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    entry: AuditEntry
    actor: str
    text: str = ""
    evidence: Evidence | None = None


def timeline(
    dispute: Dispute, *, for_staff: bool = False, viewer: Creator | None = None
) -> list[TimelineItem]:
    """The dispute's audit log, oldest first, with the statement or evidence each entry added.

    Artists see "An administrator" where staff see the reviewer's account: the decision is the
    registry's, not one person's. A party (`viewer`) sees the text and evidence of its own
    entries and the reviewers' messages, but only that the other side added something: anyone
    can join a dispute by registering the same ISRC, so one side's case is for the reviewers.
    """
    statements = {s.pk: s for s in dispute.statements.all()}
    evidence = {str(e.public_id): e for e in dispute.evidence.all()}
    items = []
    for entry in dispute.audit_entries.select_related("user", "creator").order_by("created_at"):
        if entry.user is None:
            actor = "The registry"
        elif entry.creator is not None and entry.creator.user_id == entry.user_id:
            actor = entry.creator.artist_name
        else:
            actor = entry.user.get_username() if for_staff else "An administrator"
        statement = statements.get(entry.details.get("statement"))
        shown = evidence.get(entry.details.get("evidence", ""))
        if not for_staff:
            if statement is not None and not _readable_by(statement, viewer):
                statement = None
            if shown is not None and not _readable_by(shown, viewer):
                shown = None
        items.append(
            TimelineItem(
                entry=entry,
                actor=actor,
                text=statement.text if statement else "",
                evidence=shown,
            )
        )
    return items


def _readable_by(written: DisputeStatement | Evidence, viewer: Creator | None) -> bool:
    """A reviewer's message reaches every party; a party's text and files only its author."""
    if isinstance(written, DisputeStatement) and written.party == DisputeStatement.Party.ADMIN:
        return True
    return viewer is not None and written.creator_id == viewer.id
