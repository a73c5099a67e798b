"""The signed-in artist's side of trust: collision notices, and verification by review.

A notice belongs to the creator it was written for: dismissing someone else's is a 404, like
every other page about music the creator does not claim. A request for review is sent from the
track's page; this view checks and stores it through `consent.verification_requests`.
"""

from uuid import UUID

from django.contrib import messages
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from consent.models import ClaimVerification, Notice, Track, VerificationRequest
from consent.services import ConsentError
from consent.verification_requests import request_review
from registry.decorators import CreatorRequest, creator_required
from registry.forms_verification import VerificationRequestForm
from registry.queries import active_claims, claimed_tracks

# --- Notices --------------------------------------------------------------------------------


@require_POST
@creator_required
def dismiss_notice(request: CreatorRequest, public_id: UUID) -> HttpResponse:
    notice = get_object_or_404(Notice, public_id=public_id, creator=request.creator)
    if notice.dismissed_at is None:
        notice.dismissed_at = timezone.now()
        notice.save(update_fields=["dismissed_at"])
    return redirect("dashboard")


@require_POST
@creator_required
def dismiss_all_notices(request: CreatorRequest) -> HttpResponse:
    count = request.creator.notices.filter(dismissed_at__isnull=True).update(
        dismissed_at=timezone.now()
    )
    if count:
        messages.info(request, f"Dismissed {count} notice{'s' if count != 1 else ''}.")
    return redirect("dashboard")


# --- Verification by review -----------------------------------------------------------------


def claims_to_prove(request: CreatorRequest, track: Track):
    """The creator's active claims on the track that are neither verified nor waiting."""
    verified = ClaimVerification.objects.in_force().filter(claim=OuterRef("pk"))
    waiting = VerificationRequest.objects.filter(
        claim=OuterRef("pk"), status=VerificationRequest.Status.OPEN
    )
    return list(
        active_claims(request.creator)
        .filter(track=track)
        .exclude(Exists(verified))
        .exclude(Exists(waiting))
        .order_by("role")
    )


@creator_required
@require_http_methods(["GET", "POST"])
def verification_request(request: CreatorRequest, public_id: UUID) -> HttpResponse:
    track = get_object_or_404(claimed_tracks(request.creator), public_id=public_id)
    back = reverse("track_detail", args=[track.public_id]) + "#verification"
    claims = claims_to_prove(request, track)
    if not claims:
        messages.info(
            request,
            "Your claims on this track are already verified or waiting for a reviewer.",
        )
        return redirect(back)
    form = VerificationRequestForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        claims=claims,
    )
    if request.method == "POST" and form.is_valid():
        try:
            request_review(
                request.creator,
                form.chosen_claim(),
                form.cleaned_data["document"],
                form.cleaned_data["statement"],
                file=form.evidence_file(),
                url=form.cleaned_data["url"],
            )
        except ConsentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                "Your document is sent. A reviewer will read it and verify your claim, or say "
                "on this page what is missing.",
            )
            return redirect(back)
    return render(
        request,
        "registry/artist/verification_request.html",
        {"track": track, "form": form},
    )
