"""Proving claims on the website: the artist's proofs, the Check button, hiding a co-claimant's
link, and the artist's public page that `rel="me"` links point to.

Every change goes through consent.proofs or consent.links; a POST answers with a redirect
back where it came from (`next`), and its outcome as a message.
"""

from uuid import UUID

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from consent import proof_pages, proofs
from consent.links import hide_link
from consent.models import Creator, ProfileProof, TrackLink
from consent.services import ConsentError
from registry.decorators import CreatorRequest, creator_required, safe_next
from registry.queries import active_claims, claimed_tracks

WAYS = "the page's text, a <meta> tag, or a file on your own site"


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(safe_next(request) or reverse("proofs"))


def _connectable_providers(request: HttpRequest) -> list:
    """The account providers an operator configured (none unless their credentials are set)."""
    return get_adapter(request).list_providers(request)


@creator_required
@require_GET
def proof_list(request: CreatorRequest) -> HttpResponse:
    creator = request.creator
    rows = list(ProfileProof.objects.filter(creator=creator).order_by("url"))
    connected = list(SocialAccount.objects.filter(user=request.user).order_by("provider"))
    return render(
        request,
        "registry/artist/proofs.html",
        {
            "creator": creator,
            "proofs": rows,
            "creator_page": proof_pages.creator_page_url(creator),
            "meta_name": proof_pages.META_NAME,
            "well_known": proof_pages.WELL_KNOWN_PATH,
            "providers": _connectable_providers(request),
            "connected": connected,
            "grace_days": settings.PROOF_GRACE_DAYS,
        },
    )


@require_POST
@creator_required
def proof_start(request: CreatorRequest) -> HttpResponse:
    """A URL to prove: the typed one wins over a picked suggestion."""
    creator = request.creator
    raw = (request.POST.get("url") or "").strip() or (request.POST.get("pick") or "").strip()
    if not raw:
        messages.error(
            request,
            "Pick a page or type the address of the page that proves the claim, then ask for "
            "a code.",
        )
        return _back(request)
    links = []
    claim_id = request.POST.get("claim")
    if claim_id:
        claim = active_claims(creator).filter(public_id=_uuid(claim_id)).first()
        if claim is None:
            messages.info(request, "That claim is no longer active.")
            return _back(request)
        links = list(TrackLink.objects.filter(claim=claim).values_list("url", flat=True))
    try:
        proof = proofs.start(creator, raw)
    except ConsentError as exc:
        messages.error(request, str(exc))
        return _back(request)
    if claim_id and not any(proofs.covers(proof.url, link) for link in links):
        messages.warning(
            request,
            f"{proof.url} covers none of the links you added to this track, so proving it "
            "would not verify this claim. Prove the page a link of yours is on, or the "
            "profile it sits under, or add the track's link on that site first.",
        )
        return _back(request)
    if proof.in_force:
        messages.info(request, f"{proof.url} is already proven.")
    else:
        messages.info(
            request,
            f"Your code for {proof.url} is {proof.token}. Put it on that page ({WAYS}), then "
            "click Check.",
        )
    return _back(request)


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except (TypeError, ValueError):
        return None


@require_POST
@creator_required
def proof_check(request: CreatorRequest, public_id: UUID) -> HttpResponse:
    proof = ProfileProof.objects.filter(creator=request.creator, public_id=public_id).first()
    if proof is None:
        messages.info(request, "That proof was removed; ask for a new code to prove the page.")
        return _back(request)
    try:
        result = proofs.check(proof)
    except ConsentError as exc:
        messages.error(request, str(exc))
        return _back(request)
    if result.proven:
        messages.success(request, result.message)
    else:
        messages.error(request, result.message)
    return _back(request)


@require_POST
@creator_required
def proof_remove(request: CreatorRequest, public_id: UUID) -> HttpResponse:
    proof = ProfileProof.objects.filter(creator=request.creator, public_id=public_id).first()
    if proof is None:
        messages.info(request, "That proof was already removed.")
        return _back(request)
    ended = proofs.remove(proof)
    text = f"Removed the proof of {proof.url}."
    if ended:
        text += (
            f" The {ended} claim{'s' if ended != 1 else ''} it verified "
            f"{'are' if ended != 1 else 'is'} unverified now, unless another proof covers "
            f"{'them' if ended != 1 else 'it'}."
        )
    messages.success(request, text)
    return _back(request)


@require_POST
@creator_required
def track_hide_link(request: CreatorRequest, public_id: UUID) -> HttpResponse:
    """A verified owner hides a link an unverified co-claimant added, pending review."""
    track = get_object_or_404(claimed_tracks(request.creator), public_id=public_id)
    back = redirect("track_detail", public_id=track.public_id)
    link = TrackLink.objects.filter(track=track, url=request.POST.get("url", "")).first()
    if link is None:
        messages.info(request, "That link is no longer on the track.")
        return back
    try:
        hide_link(request.creator, link)
    except ConsentError as exc:
        messages.error(request, str(exc))
        return back
    messages.success(
        request,
        f"Hid the link {link.url}: it has left every answer and feed. A reviewer will look at "
        "it, and can bring it back if hiding it was wrong.",
    )
    return back


# --- The public page ------------------------------------------------------------------------


@require_GET
def creator_page(request: HttpRequest, handle: str) -> HttpResponse:
    """The artist's page on this registry: who they are and the pages proven to be theirs,
    linked with rel="me" so the link between their site and this page runs both ways."""
    creator = Creator.objects.filter(handle=handle.lower()).first()
    if creator is None or creator.suspended_at is not None:
        raise Http404("No artist has this handle.")
    proven = ProfileProof.objects.filter(
        creator=creator, status__in=[ProfileProof.Status.PROVEN, ProfileProof.Status.LAPSING]
    ).order_by("url")
    return render(
        request,
        "registry/public/creator.html",
        {
            "creator": creator,
            "proven": list(proven),
            "track_count": claimed_tracks(creator).count(),
        },
    )
