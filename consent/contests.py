"""Contesting a claim and taking part in a dispute: opening or joining one, statements, evidence.

While a dispute is active every competing claim counts and the most restrictive value wins, so
contesting a claim can tighten a track's policy but never loosen an opt-out. A contest adds a
competing claim, so it takes the consent write lock and goes through `refresh_policies`; every
step writes an AuditEntry and sends `signals.dispute_changed` inside its transaction. Reviewers'
decisions are in consent.disputes.
"""

from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consent import signals
from consent.disputes import party_of
from consent.evidence import (
    EvidenceFile,
    check_evidence,
    check_evidence_caps,
    remove_files,
    required_text,
    store_evidence,
)
from consent.models import AuditEntry, Claim, Creator, Dispute, DisputeStatement, Evidence
from consent.policies import lock_consent_writes, refresh_policies
from consent.ratelimits import count_disputes_opened, disputes_left_today
from consent.services import (
    ConsentError,
    refuse_if_suspended,
    renew_claim,
)
from consent.transparency import records

CONTEST_REASONS = [
    "I own this recording",
    "I wrote or publish this composition",
    "The claimant is not who they say they are",
    "Other (explained in my statement)",
]
Action = AuditEntry.Action


# --- Rate limit -----------------------------------------------------------------------------


def _check_rate(user_id: int) -> None:
    limit = settings.DISPUTES_PER_DAY
    if disputes_left_today(user_id) <= 0:
        raise ConsentError(
            f"You have contested {limit} claim{'s' if limit != 1 else ''} today, the daily "
            "limit. Add to your open disputes instead, or contest again tomorrow."
        )


def _count_contest(user_id: int) -> None:
    count_disputes_opened(user_id)


# --- Parties --------------------------------------------------------------------------------


def _statement(dispute: Dispute, creator: Creator, text: str) -> DisputeStatement:
    return DisputeStatement.objects.create(
        dispute=dispute,
        party=DisputeStatement.Party.CREATOR,
        author=creator.user,
        creator=creator,
        text=text,
    )


def contest_claim(
    creator: Creator,
    claim: Claim,
    reason: str,
    statement: str,
    files: Sequence[EvidenceFile] = (),
    links: Iterable[str] = (),
) -> Dispute:
    """Contest someone's claim: the contester gets a competing claim and a dispute opens.

    The competing claim counts at once, so while the dispute is open the most restrictive value
    of both parties applies. One user contests one claim once; a claim of theirs revoked after a
    review cannot come back this way.
    """
    refuse_if_suspended(creator)
    reason = required_text(reason, "a reason", limit=300)
    statement = required_text(statement, "a statement")
    checked_links = check_evidence(files, links)
    _check_rate(creator.user_id)
    stored: list[Evidence] = []
    try:
        with transaction.atomic():
            lock_consent_writes()
            claim = Claim.objects.select_related("track").get(pk=claim.pk)
            track = claim.track
            if claim.creator_id == creator.id:
                raise ConsentError("This is your own claim; there is nothing to contest.")
            if not claim.is_active:
                raise ConsentError("This claim is no longer active, so it cannot be contested.")
            if AuditEntry.objects.filter(
                user=creator.user, claim=claim, action__in=[Action.OPENED, Action.JOINED]
            ).exists():
                raise ConsentError(
                    "You have already contested this claim. Add statements or evidence to that "
                    "dispute instead."
                )
            own = Claim.objects.filter(track=track, creator=creator, role=claim.role).first()
            if own is None:
                own = Claim.objects.create(track=track, creator=creator, role=claim.role)
                records.log_claims([own])
            else:
                own.track = track  # loaded already; a refusal names its title
                renew_claim(own, ", so you cannot contest it again.")
            dispute = open_or_join_dispute(
                [claim, own],
                reason=reason,
                contested=claim,
                contester=own,
                by=creator,
                statement=statement,
                details={"contester_claim": str(own.public_id)},
            )
            check_evidence_caps(dispute, creator, files, checked_links)
            store_evidence(dispute, creator, files, checked_links, stored)
            refresh_policies([track.id], cause="dispute-opened")
    except BaseException:
        remove_files(stored)
        raise
    _count_contest(creator.user_id)
    return dispute


def open_or_join_dispute(
    claims: Sequence[Claim],
    *,
    reason: str,
    contested: Claim | None = None,
    contester: Claim | None = None,
    by: Creator | None = None,
    statement: str = "",
    details: dict | None = None,
) -> Dispute:
    """Open a dispute over the first claim's track and role, or join the one under way there.

    The one place a dispute opens: when a creator contests a claim (`by`, with their
    `statement`) and when the registry opens one itself over a collision (consent.collisions).
    Only one dispute per track and role is under way at a time, so a second contest or
    collision joins it. Every claim of `claims` takes part; a new dispute records the claim
    contested and the claim contesting it (neither when the registry weighs claims of the same
    role against each other). The entry in the audit log (opened or joined, about the first
    claim, with `details`) and the message to the parties are written here.

    Runs inside the transaction holding the consent write lock; the dispute's row is locked, as
    every addition of evidence expects, and the caller refreshes the track's policy.
    """
    first = claims[0]
    dispute = (
        Dispute.objects.select_for_update()
        .active()
        .filter(track_id=first.track_id, role=first.role)
        .first()
    )
    action = Action.JOINED if dispute else Action.OPENED
    if dispute is None:
        dispute = Dispute.objects.create(
            track_id=first.track_id,
            role=first.role,
            reason=reason,
            opened_by=by.user if by else None,
            contested_claim=contested,
            contester_claim=contester,
        )
    dispute.claims.add(*claims)
    details = dict(details or {})
    if by is not None and statement:
        details["statement"] = _statement(dispute, by, statement).pk
    AuditEntry.objects.create(
        user=by.user if by else None,
        action=action,
        reason=reason,
        dispute=dispute,
        creator_id=by.id if by else first.creator_id,
        claim=first,
        details=details,
    )
    signals.dispute_changed.send(sender=Dispute, dispute=dispute, event=action, message="")
    return dispute


def _active_for_party(creator: Creator, dispute: Dispute) -> Dispute:
    refuse_if_suspended(creator)
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if party_of(creator.user, dispute) is None:
        raise ConsentError("Only the parties to a dispute can add to it.")
    if not dispute.is_active:
        raise ConsentError("This dispute is no longer open; nothing more can be added to it.")
    # A withdrawn or revoked claim no longer competes, so its holder has no case left to argue.
    if not dispute.claims.active().filter(creator=creator).exists():
        raise ConsentError(
            "Your claim in this dispute is no longer active, so you cannot add statements or "
            "evidence to it."
        )
    return dispute


def _reopen_if_answered(dispute: Dispute, creator: Creator) -> None:
    """The asked party's answer puts the dispute back in the queue; the other side's does not.

    A reviewer asks one party at a time (consent.disputes.request_information); what the other
    party adds meanwhile is recorded but leaves the case waiting for the answer it needs.
    """
    if (
        dispute.status == Dispute.Status.INFO_REQUESTED
        # A request from before requests named one party waits for either.
        and dispute.information_from_id in (None, creator.id)
    ):
        dispute.status = Dispute.Status.OPEN
        dispute.answered_at = timezone.now()
        dispute.save(update_fields=["status", "answered_at"])
        AuditEntry.objects.create(
            user=creator.user,
            action=Action.REOPENED,
            reason="The party asked for information answered.",
            dispute=dispute,
            creator=creator,
        )


def add_statement(creator: Creator, dispute: Dispute, text: str) -> DisputeStatement:
    text = required_text(text, "your statement")
    with transaction.atomic():
        dispute = _active_for_party(creator, dispute)
        written = _statement(dispute, creator, text)
        AuditEntry.objects.create(
            user=creator.user,
            action=Action.STATEMENT,
            dispute=dispute,
            creator=creator,
            details={"statement": written.pk},
        )
        _reopen_if_answered(dispute, creator)
        signals.dispute_changed.send(
            sender=Dispute, dispute=dispute, event=Action.STATEMENT, message=""
        )
    return written


def add_evidence(
    creator: Creator,
    dispute: Dispute,
    files: Sequence[EvidenceFile] = (),
    links: Iterable[str] = (),
) -> list[Evidence]:
    checked_links = check_evidence(files, links)
    if not files and not checked_links:
        raise ConsentError("Choose a file or give a link to add as evidence.")
    stored: list[Evidence] = []
    try:
        with transaction.atomic():
            dispute = _active_for_party(creator, dispute)
            check_evidence_caps(dispute, creator, files, checked_links)
            store_evidence(dispute, creator, files, checked_links, stored)
            _reopen_if_answered(dispute, creator)
            signals.dispute_changed.send(
                sender=Dispute, dispute=dispute, event=Action.EVIDENCE, message=""
            )
    except BaseException:
        remove_files(stored)
        raise
    return stored
