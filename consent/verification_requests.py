"""Verification by review: a claimant sends a document, a reviewer reads it and decides.

A claimant asks for review with a document that proves their claim (a distribution statement, a
letter from their label or publisher, a registration with a collecting society) as a file or a
link. Files are checked like dispute evidence (`consent.evidence.check_evidence_file`: size,
type from the first bytes, a name that does not lie about it) and count against the same daily
evidence limits of the account. One request per claim waits at a time.

The reviewer verifies the claim with `consent.verification.verify_by_review`, which answers the
waiting request, or declines the request with `decline`; both need a written reason, both are
in the audit log, and a reviewer never decides on a claim of their own.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from consent.evidence import MAX_STATEMENT_CHARS, EvidenceFile, check_evidence_file
from consent.models import AuditEntry, Claim, Creator, Evidence, VerificationRequest
from consent.services import ConsentError, refuse_if_suspended
from consent.verification import has_a_say

Document = VerificationRequest.Document
Status = VerificationRequest.Status


def open_request(claim: Claim) -> VerificationRequest | None:
    return claim.verification_requests.filter(status=Status.OPEN).first()


def request_review(
    creator: Creator,
    claim: Claim,
    document: str,
    statement: str,
    file: EvidenceFile | None = None,
    url: str = "",
) -> VerificationRequest:
    """Ask a reviewer to verify one of the creator's own claims, with the document proving it."""
    refuse_if_suspended(creator)
    if claim.creator_id != creator.id:
        raise ConsentError("You can only ask for your own claims to be verified.")
    if document not in Document.values:
        raise ConsentError("Choose what kind of document proves your claim.")
    statement = statement.strip()
    if not statement:
        raise ConsentError(
            "Say in a few words what the document shows and how it proves the claim is yours."
        )
    if len(statement) > MAX_STATEMENT_CHARS:
        raise ConsentError(f"Keep the explanation under {MAX_STATEMENT_CHARS:,} characters.")
    url = url.strip()
    if file is None and not url:
        raise ConsentError("Upload the document, or give a link to it.")
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            raise ConsentError(
                f"“{url}” is not a web address. Links must start with https:// or http://."
            ) from exc
    if file is not None:
        check_evidence_file(file)

    request = None
    try:
        with transaction.atomic():
            # Two requests of one account at once are counted one after the other.
            Creator.objects.select_for_update().only("pk").get(pk=creator.pk)
            claim = Claim.objects.select_related("track").get(pk=claim.pk)
            role = claim.get_role_display().lower()
            if not claim.is_active:
                raise ConsentError("This claim is no longer active, so there is nothing to verify.")
            if claim.verifications.in_force().exists():
                raise ConsentError(
                    f"Your claim on the {role} of “{claim.track.title}” is already verified."
                )
            if open_request(claim) is not None:
                raise ConsentError(
                    f"Your request to verify the {role} of “{claim.track.title}” is already "
                    "waiting for a reviewer. You will see the decision on the track's page."
                )
            _check_daily_caps(creator, file)
            request = VerificationRequest(
                claim=claim,
                submitted_by=creator.user,
                document=document,
                statement=statement,
                url=url,
            )
            if file is not None:
                request.original_name = file.name[:255]
                request.content_type = file.content_type
                request.size = file.size
                file.file.seek(0)
                request.file.save("evidence", file.file, save=False)
            request.save()
            AuditEntry.objects.create(
                user=creator.user,
                action=AuditEntry.Action.REVIEW_REQUESTED,
                creator=creator,
                claim=claim,
                details={
                    "request": str(request.public_id),
                    "document": document,
                    "name": request.original_name or url,
                },
            )
    except BaseException as exc:
        if request is not None and request.file:
            request.file.delete(save=False)
        if isinstance(exc, IntegrityError):
            raise ConsentError(
                "A request to verify this claim is already waiting for a reviewer."
            ) from exc
        raise
    return request


def _check_daily_caps(creator: Creator, file: EvidenceFile | None) -> None:
    """A request is evidence too: it counts against the account's daily evidence limits."""
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    counted = [
        Evidence.objects.filter(submitted_by_id=creator.user_id, created_at__gte=today),
        VerificationRequest.objects.filter(submitted_by_id=creator.user_id, created_at__gte=today),
    ]
    items = size = 0
    for rows in counted:
        totals = rows.aggregate(items=Count("pk"), size=Sum("size"))
        items += totals["items"]
        size += totals["size"] or 0
    adding = file.size if file is not None else 0
    if items + 1 > settings.EVIDENCE_DAILY_MAX_ITEMS:
        raise ConsentError(
            f"You have added {items:,} pieces of evidence today, the daily limit across your "
            "disputes and verification requests. Nothing was sent; send this request tomorrow."
        )
    if size + adding > settings.EVIDENCE_DAILY_MAX_BYTES:
        raise ConsentError(
            f"Your evidence files can total at most "
            f"{filesizeformat(settings.EVIDENCE_DAILY_MAX_BYTES)} a day, and you have sent "
            f"{filesizeformat(size)} today. Nothing was sent; give a link to the document "
            "instead, or send it tomorrow."
        )


def decline(reviewer, request: VerificationRequest, reason: str) -> VerificationRequest:
    """A reviewer finds that the document does not prove the claim; the claimant sees why."""
    reason = reason.strip()
    if not reason:
        raise ConsentError(
            "Write why the request is declined: the claimant reads it, and it is on the record."
        )
    with transaction.atomic():
        request = (
            VerificationRequest.objects.select_for_update()
            .select_related("claim__creator")
            .get(pk=request.pk)
        )
        if request.status != Status.OPEN:
            raise ConsentError(
                f"This request is already {request.get_status_display().lower()}; there is "
                "nothing left to decide."
            )
        if request.claim.creator.user_id == getattr(reviewer, "pk", None) or has_a_say(
            reviewer, request.claim.track_id
        ):
            raise ConsentError(
                "A reviewer cannot decide on their own claim, or on a track they also claim; "
                "another reviewer must."
            )
        request.status = Status.DECLINED
        request.decided_at = timezone.now()
        request.decided_by = reviewer
        request.decision_reason = reason
        request.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        AuditEntry.objects.create(
            user=reviewer,
            action=AuditEntry.Action.REVIEW_DECLINED,
            reason=reason,
            creator=request.claim.creator,
            claim=request.claim,
            details={"request": str(request.public_id)},
        )
    return request


def dispute_evidence_of(claim: Claim) -> QuerySet[Evidence]:
    """What the claim's creator gave in the disputes this claim took part in."""
    return (
        Evidence.objects.filter(dispute__claims=claim, creator_id=claim.creator_id)
        .select_related("dispute")
        .distinct()
        .order_by("created_at", "id")
    )
