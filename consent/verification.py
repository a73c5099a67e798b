"""Proving a claim: who may permit and sell a track's music.

A claim counts as verified while it has a `ClaimVerification` in force. Only then do its
`allow` and the licence terms it names reach platforms (consent.resolution.unverified); its
reservations count either way. Verifying or un-verifying a claim changes what platforms are
told, so each is recorded in the audit log and recomputes the track's policy under the consent
write lock, which writes the change event that feeds and webhooks carry.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from consent.models import AuditEntry, Claim, ClaimVerification, VerificationRequest
from consent.policies import lock_consent_writes, refresh_policies
from consent.services import ConsentError
from consent.transparency import records

Method = ClaimVerification.Method


def is_verified(claim: Claim) -> bool:
    return claim.verifications.in_force().exists()


def verify_claims(
    claims: Iterable[Claim], method: str, detail: str = "", by=None, reason: str = ""
) -> list[ClaimVerification]:
    """Record that these active claims are proven by `method`; claims already proven the same
    way are left as they are. Must run inside a transaction holding the write lock.

    For a link proof or a connected account "the same way" means by the same proven URL
    (`detail`): a claim can stand on several proofs at once, each its own period, so one of
    them lapsing leaves the others in force (consent.proofs)."""
    claims = [c for c in claims if c.is_active]
    in_force = ClaimVerification.objects.in_force().filter(claim__in=claims, method=method)
    if method != Method.REVIEW:
        in_force = in_force.filter(detail=detail[:2000])
    already = set(in_force.values_list("claim_id", flat=True))
    rows = [
        ClaimVerification(claim=c, method=method, detail=detail[:2000], verified_by=by)
        for c in claims
        if c.pk not in already
    ]
    ClaimVerification.objects.bulk_create(rows)
    records.log_verifications(rows)
    for row in rows:
        AuditEntry.objects.create(
            user=by,
            action=AuditEntry.Action.CLAIM_VERIFIED,
            reason=reason,
            creator_id=row.claim.creator_id,
            claim=row.claim,
            details={"method": method, "detail": detail[:500]},
        )
    if rows:
        # Whatever proved the claim answers a request for review that was waiting.
        VerificationRequest.objects.filter(
            claim__in=[r.claim for r in rows], status=VerificationRequest.Status.OPEN
        ).update(
            status=VerificationRequest.Status.VERIFIED,
            decided_at=timezone.now(),
            decided_by=by,
            decision_reason=reason or Method(method).label,
        )
        refresh_policies({r.claim.track_id for r in rows}, cause="claim-verified")
    return rows


def end_verifications(
    verifications: Iterable[ClaimVerification], reason: str, by=None
) -> list[ClaimVerification]:
    """These verifications stop counting (a proof disappeared, a reviewer withdrew it). Must run
    inside a transaction holding the write lock."""
    ended = [v for v in verifications if v.ended_at is None]
    if not ended:
        return []
    now = timezone.now()
    ClaimVerification.objects.filter(pk__in=[v.pk for v in ended]).update(
        ended_at=now, ended_reason=reason[:300]
    )
    records.log_verifications(ended)
    for verification in ended:
        AuditEntry.objects.create(
            user=by,
            action=AuditEntry.Action.VERIFICATION_ENDED,
            reason=reason,
            creator_id=verification.claim.creator_id,
            claim=verification.claim,
            details={"method": verification.method},
        )
    refresh_policies({v.claim.track_id for v in ended}, cause="verification-ended")
    return ended


def has_a_say(user, track_id: int) -> bool:
    """Whether the user actively claims the track: such a reviewer decides nothing on it."""
    return (
        Claim.objects.active()
        .filter(track_id=track_id, creator__user_id=getattr(user, "pk", None))
        .exists()
    )


def verify_by_review(reviewer, claim: Claim, reason: str) -> ClaimVerification:
    """A reviewer, having read the claimant's evidence, marks the claim verified, on the record."""
    reason = reason.strip()
    if not reason:
        raise ConsentError(
            "Write why the claim is verified (which evidence proves it): it is on the record."
        )
    with transaction.atomic():
        lock_consent_writes()
        claim = Claim.objects.select_related("creator").get(pk=claim.pk)
        if not claim.is_active:
            raise ConsentError("This claim is no longer active, so it cannot be verified.")
        if claim.creator.user_id == getattr(reviewer, "pk", None):
            raise ConsentError("A reviewer cannot verify their own claim.")
        if has_a_say(reviewer, claim.track_id):
            raise ConsentError(
                "You also claim this track, so another reviewer must verify claims on it."
            )
        rows = verify_claims([claim], Method.REVIEW, reason, by=reviewer, reason=reason)
        if not rows:
            raise ConsentError("A reviewer has already verified this claim.")
        return rows[0]


def withdraw_review(reviewer, claim: Claim, reason: str) -> None:
    """A reviewer takes back a verification by review (the evidence turned out wrong)."""
    reason = reason.strip()
    if not reason:
        raise ConsentError("Write why the verification is withdrawn: it is on the record.")
    with transaction.atomic():
        lock_consent_writes()
        rows = (
            ClaimVerification.objects.in_force()
            .filter(claim=claim, method=Method.REVIEW)
            .select_related("claim")
        )
        if not end_verifications(list(rows), reason, by=reviewer):
            raise ConsentError("This claim has no verification by review to withdraw.")
