"""Disputes over who owns a track: contests, statements, evidence, reviews and decisions.

Every state change writes an AuditEntry (append-only in the database) and sends
`signals.dispute_changed` inside its transaction. A change that can move a track's effective
policy (a contest adds a competing claim, a decision revokes claims, a suspension narrows what
counts) takes the consent write lock and goes through `refresh_policies`, so platforms receive
the change events exactly as after an artist's own change.

While a dispute is active every competing claim counts and the most restrictive value wins, so
contesting a claim can tighten a track's policy but never loosen an opt-out.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from consent import collisions, filetypes, signals
from consent.models import AuditEntry, Claim, Creator, Dispute, DisputeStatement, Evidence
from consent.ratelimits import count_disputes_opened, disputes_left_today
from consent.services import (
    ConsentError,
    close_settled_disputes,
    end_claims,
    lock_consent_writes,
    refresh_policies,
    refuse_if_suspended,
    renew_claim,
)

MAX_STATEMENT_CHARS = 10_000
MAX_FILES = 10
MAX_LINKS = 10
CONTEST_REASONS = [
    "I own this recording",
    "I wrote or publish this composition",
    "The claimant is not who they say they are",
    "Other (explained in my statement)",
]
Action = AuditEntry.Action


# --- Evidence checks ------------------------------------------------------------------------


@dataclass
class EvidenceFile:
    """An uploaded file as the domain needs it: its name as sent, its size and its bytes."""

    name: str
    size: int
    file: IO[bytes]
    content_type: str = field(default="", init=False)


def check_evidence_file(upload: EvidenceFile) -> None:
    """Refuse a file that is too large, of a type not accepted, or named as something else.

    The type comes from the first bytes, never from the name or the browser's label; a name
    whose extension promises another type is refused too, so nobody downloads "contract.pdf"
    and opens an executable.
    """
    name = upload.name
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise ConsentError(
            f"“{name}” is larger than the {filesizeformat(settings.EVIDENCE_MAX_BYTES)} limit "
            "for evidence. Upload a smaller file, or give a link to it instead."
        )
    upload.file.seek(0)
    head = upload.file.read(filetypes.HEAD_BYTES)
    upload.file.seek(0)
    actual = filetypes.sniff(head)
    accepted = accepted_types_sentence()
    if actual is None or actual not in settings.EVIDENCE_TYPES:
        raise ConsentError(f"“{name}” is not a file type accepted as evidence. Upload {accepted}.")
    promised = filetypes.type_of_name(name)
    if promised != actual:
        looks = filetypes.DESCRIPTIONS[actual]
        if promised is None:
            raise ConsentError(
                f"“{name}” contains {looks} but its name does not end as one. Rename it with "
                "the right extension and upload it again."
            )
        raise ConsentError(
            f"“{name}” is named like {filetypes.DESCRIPTIONS[promised]} but contains {looks}. "
            "Rename it with the right extension, or upload the file you meant."
        )
    upload.content_type = actual


def accepted_types_sentence() -> str:
    """The types settings.EVIDENCE_TYPES accepts, as every form and refusal names them."""
    names = [filetypes.NAMES[t] for t in settings.EVIDENCE_TYPES]
    return (", ".join(names[:-1]) + " or " + names[-1]) if len(names) > 1 else "".join(names)


def _check_links(links: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(link.strip() for link in links if link.strip()))
    if len(cleaned) > MAX_LINKS:
        raise ConsentError(f"Give at most {MAX_LINKS} links at a time.")
    validate = URLValidator(schemes=["http", "https"])
    for link in cleaned:
        try:
            validate(link)
        except ValidationError as exc:
            raise ConsentError(
                f"“{link}” is not a web address. Links must start with https:// or http://."
            ) from exc
    return cleaned


def _check_evidence(files: Sequence[EvidenceFile], links: Iterable[str]) -> list[str]:
    if len(files) > MAX_FILES:
        raise ConsentError(f"Upload at most {MAX_FILES} files at a time.")
    for upload in files:
        check_evidence_file(upload)
    return _check_links(links)


def _store_evidence(
    dispute: Dispute,
    creator: Creator,
    files: Sequence[EvidenceFile],
    links: Sequence[str],
    stored: list[Evidence],
) -> None:
    """Save checked files and links; `stored` lets the caller remove files of a rollback."""
    for upload in files:
        evidence = Evidence(
            dispute=dispute,
            submitted_by=creator.user,
            creator=creator,
            original_name=upload.name[:255],
            content_type=upload.content_type,
            size=upload.size,
        )
        upload.file.seek(0)
        evidence.file.save("evidence", upload.file, save=False)
        stored.append(evidence)
        evidence.save()
    for link in links:
        stored.append(
            Evidence.objects.create(
                dispute=dispute, submitted_by=creator.user, creator=creator, url=link
            )
        )
    for evidence in stored:
        AuditEntry.objects.create(
            user=creator.user,
            action=Action.EVIDENCE,
            dispute=dispute,
            creator=creator,
            details={
                "evidence": str(evidence.public_id),
                "name": evidence.original_name or evidence.url,
            },
        )


@dataclass(frozen=True)
class _EvidenceCap:
    """One limit on evidence: the rows it counts, its settings, and how to say it."""

    evidence: QuerySet
    max_items: int
    max_bytes: int
    items_rule: str  # "You can add at most {limit} of evidence …", {limit} being "50 pieces"
    bytes_rule: str  # the same for bytes, {limit} being "200.0 MB"
    have: str  # "You have added {have}", "This dispute holds {have}"
    advice: str


def _pieces(count: int) -> str:
    return f"{count:,} piece{'s' if count != 1 else ''}"


def _check_evidence_caps(
    dispute: Dispute, creator: Creator, files: Sequence[EvidenceFile], links: Sequence[str]
) -> None:
    """Refuse evidence that would take the party, the dispute or the account past a limit.

    Called inside the transaction that stores the evidence, with the dispute's row locked; the
    creator's row is locked here too, so two uploads at once, to one dispute or to two, are
    counted one after the other and cannot both pass. Each limit counts pieces (files and
    links) and bytes of files.
    """
    Creator.objects.select_for_update().only("pk").get(pk=creator.pk)
    adding, adding_bytes = len(files) + len(links), sum(upload.size for upload in files)
    mine = Evidence.objects.filter(submitted_by_id=creator.user_id)
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    caps = [
        _EvidenceCap(
            mine.filter(dispute=dispute),
            settings.EVIDENCE_PARTY_MAX_ITEMS,
            settings.EVIDENCE_PARTY_MAX_BYTES,
            "You can add at most {limit} of evidence (files and links) to one dispute.",
            "Your evidence files in one dispute can total at most {limit}.",
            "You have added {have}",
            "Choose the evidence that matters most, or give links to large files.",
        ),
        _EvidenceCap(
            Evidence.objects.filter(dispute=dispute),
            settings.EVIDENCE_DISPUTE_MAX_ITEMS,
            settings.EVIDENCE_DISPUTE_MAX_BYTES,
            "A dispute can hold at most {limit} of evidence (files and links) from all its "
            "parties together.",
            "The evidence files of a dispute, from all its parties together, can total at most "
            "{limit}.",
            "This dispute holds {have}",
            "Choose the evidence that matters most, or give links to large files.",
        ),
        _EvidenceCap(
            mine.filter(created_at__gte=today),
            settings.EVIDENCE_DAILY_MAX_ITEMS,
            settings.EVIDENCE_DAILY_MAX_BYTES,
            "You can add at most {limit} of evidence (files and links) a day, across all your "
            "disputes.",
            "Your evidence files can total at most {limit} a day, across all your disputes.",
            "You have added {have} today",
            "Add the rest tomorrow.",
        ),
    ]
    for cap in caps:
        totals = cap.evidence.aggregate(items=Count("pk"), size=Sum("size"))
        items, size = totals["items"], totals["size"] or 0
        if items + adding > cap.max_items:
            left = cap.max_items - items
            raise ConsentError(
                f"{cap.items_rule.format(limit=_pieces(cap.max_items))} "
                f"{cap.have.format(have=_pieces(items))}, so {_room(f'{left:,}', left > 0)}, "
                f"and this addition has {adding:,}. Nothing was added. {cap.advice}"
            )
        if size + adding_bytes > cap.max_bytes:
            left = cap.max_bytes - size
            raise ConsentError(
                f"{cap.bytes_rule.format(limit=filesizeformat(cap.max_bytes))} "
                f"{cap.have.format(have=filesizeformat(size))}, so "
                f"{_room(filesizeformat(left), left > 0)}, and these files total "
                f"{filesizeformat(adding_bytes)}. Nothing was added. {cap.advice}"
            )


def _room(amount: str, any_left: bool) -> str:
    return f"there is room for {amount} more" if any_left else "there is no room left"


def _remove_files(stored: list[Evidence]) -> None:
    for evidence in stored:
        if evidence.file:
            evidence.file.delete(save=False)


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


# --- Artists --------------------------------------------------------------------------------


def _required_text(text: str, what: str, limit: int = MAX_STATEMENT_CHARS) -> str:
    text = text.strip()
    if not text:
        raise ConsentError(f"Write {what}: it cannot be empty.")
    if len(text) > limit:
        raise ConsentError(f"Keep {what} under {limit:,} characters.")
    return text


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
    reason = _required_text(reason, "a reason", limit=300)
    statement = _required_text(statement, "a statement")
    checked_links = _check_evidence(files, links)
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
            _check_evidence_caps(dispute, creator, files, checked_links)
            _store_evidence(dispute, creator, files, checked_links, stored)
            refresh_policies([track.id], cause="dispute-opened")
    except BaseException:
        _remove_files(stored)
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


def party_of(user, dispute: Dispute) -> Creator | None:
    """The user's creator profile if it has a claim in the dispute, else None."""
    if not user.is_authenticated:
        return None
    return Creator.objects.filter(user=user, claims__disputes=dispute).first()


def is_reviewer(user) -> bool:
    """Staff allowed to read every party's statements and evidence."""
    return user.is_authenticated and user.is_staff and user.has_perm("consent.view_evidence")


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
    """A party's answer to a request for information puts the dispute back in the queue."""
    if dispute.status == Dispute.Status.INFO_REQUESTED:
        dispute.status = Dispute.Status.OPEN
        dispute.save(update_fields=["status"])
        AuditEntry.objects.create(
            user=creator.user,
            action=Action.REOPENED,
            reason="A party answered the request for information.",
            dispute=dispute,
            creator=creator,
        )


def add_statement(creator: Creator, dispute: Dispute, text: str) -> DisputeStatement:
    text = _required_text(text, "your statement")
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
    checked_links = _check_evidence(files, links)
    if not files and not checked_links:
        raise ConsentError("Choose a file or give a link to add as evidence.")
    stored: list[Evidence] = []
    try:
        with transaction.atomic():
            dispute = _active_for_party(creator, dispute)
            _check_evidence_caps(dispute, creator, files, checked_links)
            _store_evidence(dispute, creator, files, checked_links, stored)
            _reopen_if_answered(dispute, creator)
            signals.dispute_changed.send(
                sender=Dispute, dispute=dispute, event=Action.EVIDENCE, message=""
            )
    except BaseException:
        _remove_files(stored)
        raise
    return stored


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


def _reviewed(reviewer, dispute: Dispute) -> Dispute:
    dispute = Dispute.objects.select_for_update().get(pk=dispute.pk)
    if not dispute.is_active:
        raise ConsentError(f"This dispute is already {dispute.get_status_display().lower()}.")
    if party_of(reviewer, dispute) is not None:
        raise ConsentError("You are a party to this dispute, so another reviewer must decide it.")
    return dispute


def request_information(reviewer, dispute: Dispute, message: str) -> Dispute:
    """Ask the parties for something; the dispute waits until one of them answers."""
    message = _required_text(message, "the message to the parties")
    with transaction.atomic():
        dispute = _reviewed(reviewer, dispute)
        dispute.status = Dispute.Status.INFO_REQUESTED
        dispute.save(update_fields=["status"])
        written = DisputeStatement.objects.create(
            dispute=dispute, party=DisputeStatement.Party.ADMIN, author=reviewer, text=message
        )
        AuditEntry.objects.create(
            user=reviewer,
            action=Action.INFO_REQUESTED,
            reason=message,
            dispute=dispute,
            details={"statement": written.pk},
        )
        signals.dispute_changed.send(
            sender=Dispute, dispute=dispute, event=Action.INFO_REQUESTED, message=message
        )
    return dispute


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
        active = list(dispute.claims.active().select_related("creator"))
        revoke: list[Claim] = []
        if outcome == Dispute.Outcome.UPHELD:
            if upheld_claim is None or upheld_claim.pk not in {c.pk for c in active}:
                raise ConsentError("Choose which of the dispute's active claims is upheld.")
            revoke = [c for c in active if c.pk != upheld_claim.pk]
            dispute.upheld_claim = upheld_claim
        elif outcome == Dispute.Outcome.REJECTED:
            if dispute.contester_claim_id is None:
                raise ConsentError(
                    "The registry opened this dispute itself, so there is no contest to reject. "
                    "Uphold one of the claims instead."
                )
            if dispute.contested_claim_id not in {c.pk for c in active}:
                raise ConsentError(
                    "The contested claim is no longer active, so rejecting the contest would "
                    "leave nobody's claim standing. Uphold one of the remaining claims instead."
                )
            # Everyone who joined competes with the contested claim, not only the first
            # contester: rejecting the contest rejects them all.
            revoke = [c for c in active if c.pk != dispute.contested_claim_id]
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
            raise ConsentError("Choose an outcome: uphold a claim, reject, or duplicate.")

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
