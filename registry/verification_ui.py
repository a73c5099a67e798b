"""What the artist's pages show about proving claims: badges, the "Verify this claim" panel, which
links a verified owner may hide, and the notice that `allow` and licences wait for proof.

Shared by the track page, the dashboard, the choice forms (registry.views_artist) and the proofs
pages (registry.views_proofs); reads only, every change goes through consent.proofs,
consent.services and consent.links.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from consent import proof_pages
from consent.models import Claim, ClaimVerification, Creator, Declaration, ProfileProof, TrackLink
from consent.proofs import covers
from consent.purposes import Value

LOOSENING = {Value.ALLOW.value, Value.LICENSE.value}


def with_verification(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    """Each claim with `proof_method` ("" when unverified) and `proof_lapsing` (its proof was
    found missing and is in its grace period), in one query with the claims."""
    current = (
        ClaimVerification.objects.in_force()
        .filter(claim=OuterRef("pk"))
        .order_by("started_at", "id")
    )
    lapsing = ProfileProof.objects.filter(
        creator_id=OuterRef("creator_id"),
        url=OuterRef("proof_detail"),
        status=ProfileProof.Status.LAPSING,
    )
    return claims.annotate(
        proof_method=Subquery(current.values("method")[:1]),
        proof_detail=Subquery(current.values("detail")[:1]),
    ).annotate(proof_lapsing=Exists(lapsing))


def badge_of(claims: Iterable[Claim]) -> str:
    """ "verified", "lapsing", "partly" or "unverified" for claims annotated by
    `with_verification`."""
    claims = list(claims)
    verified = [c for c in claims if c.proof_method]
    if not verified:
        return "unverified"
    if len(verified) < len(claims):
        return "partly"
    return "lapsing" if any(c.proof_lapsing for c in verified) else "verified"


# --- The track page ---------------------------------------------------------------------------


def profile_of(url: str) -> str:
    """The profile a track link usually sits under: its first path segment
    (https://soundcloud.com/juniper-vale for …/juniper-vale/paper-lanterns), or ""."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2:
        return ""
    return urlunsplit((parts.scheme, parts.netloc, "/" + segments[0], "", ""))


@dataclass
class ClaimPanel:
    """One of the artist's claims on the track, with what proves it or how to prove it."""

    claim: Claim
    verification: ClaimVerification | None
    lapsing: ProfileProof | None = None
    links: list[str] = field(default_factory=list)
    # The artist's proofs not in force that would cover one of the claim's links.
    proofs: list[ProfileProof] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.verification is not None


def claim_panels(creator: Creator, claims: list[Claim]) -> list[ClaimPanel]:
    proofs = list(ProfileProof.objects.filter(creator=creator).order_by("-created_at"))
    by_url = {proof.url: proof for proof in proofs}
    panels = []
    for claim in claims:
        verification = claim.current_verification()
        links = list(TrackLink.objects.filter(claim=claim).values_list("url", flat=True))
        panel = ClaimPanel(claim, verification, links=links)
        if verification is not None:
            proof = by_url.get(verification.detail)
            if proof is not None and proof.status == ProfileProof.Status.LAPSING:
                panel.lapsing = proof
        else:
            panel.proofs = [
                proof
                for proof in proofs
                if not proof.in_force and any(covers(proof.url, link) for link in links)
            ]
            suggestions = []
            for link in links:
                suggestions += [profile_of(link), link]
            # Pages already proven, or shown above with their code, are not offered again.
            offered = {p.url for p in proofs if p.in_force} | {p.url for p in panel.proofs}
            panel.suggestions = [
                url for url in dict.fromkeys(suggestions) if url and url not in offered
            ][:8]
        panels.append(panel)
    return panels


def track_context(creator: Creator, claims: list[Claim], links: list[TrackLink]) -> dict:
    """What the track page needs to show and offer about proving the artist's claims."""
    return {
        "panels": claim_panels(creator, claims),
        "hideable": hideable_links(creator, claims, links),
        "creator_page": proof_pages.creator_page_url(creator),
        "meta_name": proof_pages.META_NAME,
        "well_known": proof_pages.WELL_KNOWN_PATH,
    }


def hideable_links(creator: Creator, claims: list[Claim], links: list[TrackLink]) -> set[str]:
    """URLs on the track a verified owner may hide: added by an unverified co-claimant."""
    proven = set(
        ClaimVerification.objects.in_force()
        .filter(
            claim_id__in=[c.pk for c in claims] + [link.claim_id for link in links if link.claim_id]
        )
        .values_list("claim_id", flat=True)
    )
    if not any(c.pk in proven for c in claims):
        return set()
    return {
        link.url
        for link in links
        if link.added_by_id != creator.id and link.claim_id and link.claim_id not in proven
    }


# --- Saving `allow` or a licence before the claim is proven -----------------------------------


def loosens(declarations: Iterable[Declaration]) -> bool:
    return any(d.value in LOOSENING for d in declarations)


def unverified_track_notice(claims: list[Claim]) -> SafeString | str:
    """Said after an unverified artist saved `allow` or a licence for one track."""
    if ClaimVerification.objects.in_force().filter(claim__in=claims).exists():
        return ""
    return format_html(
        "Your claim is not verified yet, so “Allowed” and licence terms you choose count only "
        'once it is: until then platforms see no reservation in their place. <a href="{}">'
        "Verify your claim</a>.",
        "#verify-title",
    )


def unverified_catalogue_notice(creator: Creator) -> SafeString | str:
    """Said after a catalogue-wide `allow` or licence while some claims are not verified."""
    claims = Claim.objects.active().filter(creator=creator)
    total = claims.values("track_id").distinct().count()
    in_force = ClaimVerification.objects.in_force().filter(claim=OuterRef("pk"))
    verified = claims.filter(Exists(in_force)).values("track_id").distinct().count()
    if total == 0 or verified == total:
        return ""
    pending = total - verified
    return format_html(
        "“Allowed” and licence terms count only on tracks whose claim is verified, and {} of "
        'your {} track{} {} not verified yet. <a href="{}">Verify your claims</a>.',
        pending,
        total,
        "s" if total != 1 else "",
        "is" if pending == 1 else "are",
        reverse("proofs"),
    )


def with_notice(text: str, notice: SafeString | str) -> SafeString | str:
    return format_html("{} {}", text, notice) if notice else text
