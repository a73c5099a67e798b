"""Panels of the artist's pages about trust: collision notices, and verifying a claim by review.

Each panel reads what it shows for the signed-in creator, so a page includes it with one tag.
"""

from dataclasses import dataclass

from django import template

from consent.models import Claim, ClaimVerification, Creator, Track, VerificationRequest
from registry.notices import NOTICES_SHOWN, describe, open_notices

register = template.Library()


@register.inclusion_tag("registry/artist/_notices.html", takes_context=True)
def collision_notices(context, creator: Creator) -> dict:
    """The creator's notices not yet dismissed, newest first, capped, with how many are left."""
    notices = list(open_notices(creator)[: NOTICES_SHOWN + 1])
    shown = notices[:NOTICES_SHOWN]
    more = 0
    if len(notices) > NOTICES_SHOWN:
        more = creator.notices.filter(dismissed_at__isnull=True).count() - NOTICES_SHOWN
    return {
        "items": describe(shown),
        "more": more,
        "csrf_token": context.get("csrf_token"),
    }


@dataclass(frozen=True)
class ClaimProof:
    claim: Claim
    verification: ClaimVerification | None
    # The latest request for review, whatever became of it.
    latest: VerificationRequest | None

    @property
    def waiting(self) -> bool:
        return self.latest is not None and self.latest.status == VerificationRequest.Status.OPEN


@register.inclusion_tag("registry/artist/_verification.html", takes_context=True)
def verification_panel(context, creator: Creator, track: Track) -> dict:
    """Whether each of the creator's claims on the track is verified, and asking for review."""
    claims = list(Claim.objects.active().filter(track=track, creator=creator).order_by("role"))
    proofs = [
        ClaimProof(
            claim=claim,
            verification=claim.current_verification(),
            latest=claim.verification_requests.order_by("-created_at", "-id").first(),
        )
        for claim in claims
    ]
    return {
        "track": track,
        "proofs": proofs,
        "can_request": any(p.verification is None and not p.waiting for p in proofs),
    }
