"""Proving a claim by link proof: the artist shows that a page or profile is theirs.

The registry gives a short token for a URL; the artist puts it on that page (in its text, such as
a profile bio or a track description, in `<meta name="consent-registry-verification"
content="TOKEN">`, or, for their own site's root, in `/.well-known/consent-registry.txt`), or
links from the page to their public page on this registry with `rel="me"` (the IndieWeb
convention). The registry then fetches the page itself and looks (`consent.proof_pages`, through
the same guarded client as webhooks); this module decides what the outcome means and records it.

A proven proof of URL P covers a track link L when L is P or lies beneath it: same host (and
port), and P's path a prefix of L's path at a segment boundary (`/juniper-vale` covers
`/juniper-vale/paper-lanterns`, not `/juniper-vale2/…`); a proven site root covers its whole
host. Every active claim of the proof's creator with a link it covers is verified
(`consent.verification.verify_claims`, method `link`, detail: the proof's URL), now and whenever
the creator adds such a link later (`verify_new_links`, called by `consent.services`). One claim
may stand on several proofs at once; each is its own verification period.

Link proofs are checked again periodically (`recheck_due`, a Celery beat task). A proof found
missing is `lapsing`: its verifications still count, the artist is told (`proof_changed`), and
after `PROOF_GRACE_DAYS` still missing its verifications end (a change event follows). Found
again within the grace period, it is proven again.

Network I/O never happens inside a transaction: pages are fetched first (`look`), then the
outcome is applied under the consent write lock (`apply`).
"""

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consent import signals
from consent.collisions import shared_tracks
from consent.identifiers import InvalidIdentifier, normalize_url, url_host
from consent.models import Claim, ClaimVerification, Creator, ProfileProof, TrackLink
from consent.policies import lock_consent_writes
from consent.proof_pages import Outcome, look
from consent.ratelimits import limit_proof_checks
from consent.services import ConsentError, refuse_if_suspended
from consent.verification import Method, end_verifications, verify_claims

TOKEN_PREFIX = "crv-"  # noqa: S105 (a label, not a secret)
# Lower-case letters and digits that cannot be mistaken for one another when copied by hand.
_TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 (an alphabet)
_TOKEN_LENGTH = 16  # about 79 bits
Status = ProfileProof.Status
Found = ProfileProof.Found

logger = logging.getLogger(__name__)


def new_token() -> str:
    return TOKEN_PREFIX + "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_LENGTH))


# --- Coverage -----------------------------------------------------------------------------------


def covers(proof_url: str, link_url: str) -> bool:
    """Whether a proof of `proof_url` vouches for `link_url` (both normalized).

    Same host and port (http and https alike), and the proof's path equal to the link's or a
    prefix of it at a `/`. A proof URL with a query covers only itself.
    """
    proof, link = urlsplit(proof_url), urlsplit(link_url)
    if proof.netloc != link.netloc:
        return False
    if proof.query:
        return proof.path == link.path and proof.query == link.query
    path = proof.path.rstrip("/")
    return link.path == path or link.path.startswith(path + "/")


def covered_claims(proof: ProfileProof, track_ids: Iterable[int] | None = None) -> list[Claim]:
    """The proof's creator's active claims with a visible link the proof covers, on tracks
    nobody else has a say in.

    A link is whatever its claimant typed, so proving a page proves only that the page is theirs,
    not that the track is. On a track another creator also claims, or that shares an identifier
    with another creator's track (consent.collisions.shared_tracks), a proven page therefore
    verifies nothing: only a reviewer can.
    """
    links = TrackLink.objects.filter(
        host=url_host(proof.url),
        claim__creator_id=proof.creator_id,
        claim__status=Claim.Status.ACTIVE,
    ).select_related("claim")
    if track_ids is not None:
        links = links.filter(track_id__in=list(track_ids))
    claims: dict[int, Claim] = {}
    for link in links:
        if covers(proof.url, link.url):
            claims[link.claim_id] = link.claim
    shared = shared_tracks({c.track_id for c in claims.values()}, proof.creator_id)
    return [c for c in claims.values() if c.track_id not in shared]


def _method(proof: ProfileProof) -> str:
    return Method.ACCOUNT if proof.method == Method.ACCOUNT else Method.LINK


def _verify(proof: ProfileProof, track_ids: Iterable[int] | None = None) -> list:
    """Verify the claims the proof covers. Inside a transaction holding the write lock."""
    claims = covered_claims(proof, track_ids)
    how = Found(proof.found_by).label if proof.found_by else "a proof"
    return verify_claims(
        claims, _method(proof), detail=proof.url, reason=f"{proof.url} is proven by {how}."
    )


def _verifications_of(proof: ProfileProof):
    return (
        ClaimVerification.objects.in_force()
        .filter(
            claim__creator_id=proof.creator_id,
            method__in=[Method.LINK, Method.ACCOUNT],
            detail=proof.url[:2000],
        )
        .select_related("claim")
    )


def reconcile_claims(claim_ids: Iterable[int]) -> list[ClaimVerification]:
    """End the link and account verifications of these claims that no visible link of the claim
    lies beneath any more (the link that earned them was removed or hidden). Inside a
    transaction holding the write lock."""
    stale = []
    in_force = (
        ClaimVerification.objects.in_force()
        .filter(claim_id__in=list(claim_ids), method__in=[Method.LINK, Method.ACCOUNT])
        .select_related("claim")
    )
    for verification in in_force:
        links = TrackLink.objects.filter(claim_id=verification.claim_id)
        if not any(covers(verification.detail, link.url) for link in links):
            stale.append(verification)
    return end_verifications(
        stale, "The link beneath the proven page was removed, so the proof no longer covers it."
    )


def verify_new_links(creator: Creator, track_ids: Iterable[int]) -> None:
    """Links just added to these tracks under a proven profile of the creator verify their
    claims at once. Called by consent.services inside its transaction, after the links exist."""
    proofs = list(ProfileProof.objects.filter(creator=creator, status=Status.PROVEN))
    track_ids = list(track_ids)
    for proof in proofs:
        _verify(proof, track_ids)


# --- Starting, removing ---------------------------------------------------------------------------


def _registry_netloc() -> str:
    try:
        return urlsplit(normalize_url(settings.SITE_URL)).netloc
    except InvalidIdentifier:  # a SITE_URL such as http://localhost:8000
        return urlsplit(settings.SITE_URL).netloc.lower()


def start(creator: Creator, raw_url: str) -> ProfileProof:
    """The creator's proof for a URL, created with a fresh token if there is none yet."""
    refuse_if_suspended(creator)
    try:
        url = normalize_url(raw_url, keep_scheme=True)
    except InvalidIdentifier as exc:
        raise ConsentError(str(exc)) from exc
    if urlsplit(url).netloc == _registry_netloc():
        # Anyone can make their artist name appear on the registry's own pages.
        raise ConsentError(
            "Pages of this registry cannot prove that music is yours. Prove the page where the "
            "music is published, or your own website."
        )
    existing = ProfileProof.objects.filter(creator=creator, url=url).first()
    if existing is not None:
        return existing
    if ProfileProof.objects.filter(creator=creator).count() >= settings.PROOFS_PER_CREATOR:
        raise ConsentError(
            f"You have {settings.PROOFS_PER_CREATOR} pages to prove already, the most one account "
            "may have. Remove those you no longer need from “Your proofs” first."
        )
    proof, _ = ProfileProof.objects.get_or_create(
        creator=creator, url=url, defaults={"token": new_token()}
    )
    return proof


def remove(proof: ProfileProof) -> int:
    """The creator removes a proof: the verifications it gave end now. Returns how many."""
    with transaction.atomic():
        lock_consent_writes()
        proof = ProfileProof.objects.filter(pk=proof.pk).first()
        if proof is None:
            return 0
        ended = end_verifications(
            list(_verifications_of(proof)), f"The proof of {proof.url} was removed by its owner."
        )
        proof.delete()
        return len(ended)


# --- Checking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    proof: ProfileProof
    proven: bool
    message: str  # what the artist reads
    verified: int = 0  # claims verified by this check
    ended: int = 0  # verifications ended by it


def check(proof: ProfileProof, *, by_owner: bool = True) -> CheckResult:
    """Look for the proof now and record what was found.

    `by_owner`: the artist clicked "Check" (counted against PROOF_CHECKS_PER_HOUR); otherwise the
    periodic re-check.
    """
    if by_owner:
        refuse_if_suspended(proof.creator)
        limit_proof_checks(proof.creator)
    if proof.method == Method.ACCOUNT:
        return CheckResult(proof, proof.status == Status.PROVEN, _account_message(proof))
    outcome = look(proof)
    return apply(proof, outcome)


def _account_message(proof: ProfileProof) -> str:
    return (
        f"{proof.url} is proven by your connected account; it stays proven while the account "
        "stays connected."
    )


def apply(proof: ProfileProof, outcome: Outcome, now=None) -> CheckResult:
    """Record a check's outcome under the write lock: prove, start the grace period, or end it."""
    now = now or timezone.now()
    with transaction.atomic():
        lock_consent_writes()
        proof = (
            ProfileProof.objects.select_for_update()
            .select_related("creator")
            .filter(pk=proof.pk)
            .first()
        )
        if proof is None:
            raise ConsentError("This proof was removed in the meantime; nothing was checked.")
        proof.checked_at = now
        if outcome.found:
            return _proven(proof, outcome.found, now)
        proof.last_error = outcome.message
        if proof.status == Status.PROVEN:
            proof.status = Status.LAPSING
            proof.failing_since = now
            proof.save()
            signals.proof_changed.send(sender=ProfileProof, proof=proof, event="lapsing")
            return CheckResult(proof, False, _lapsing_message(proof, outcome.message))
        if proof.status == Status.LAPSING:
            if now - proof.failing_since < timedelta(days=settings.PROOF_GRACE_DAYS):
                proof.save()
                return CheckResult(proof, False, _lapsing_message(proof, outcome.message))
            since = proof.failing_since
            ended = end_verifications(
                list(_verifications_of(proof)),
                f"The proof on {proof.url} has been missing since {since:%Y-%m-%d %H:%M} UTC.",
            )
            proof.status = Status.FAILED
            proof.failing_since = None
            proof.save()
            signals.proof_changed.send(sender=ProfileProof, proof=proof, event="ended")
            return CheckResult(
                proof,
                False,
                f"{outcome.message} The proof was missing for the whole grace period, so the "
                "claims it verified are unverified now.",
                ended=len(ended),
            )
        proof.status = Status.FAILED
        proof.save()
        return CheckResult(proof, False, outcome.message)


def _lapsing_message(proof: ProfileProof, reason: str) -> str:
    ends = proof.failing_since + timedelta(days=settings.PROOF_GRACE_DAYS)
    return (
        f"{reason} Your claims stay verified until {ends.day} {ends:%B %Y, %H:%M} UTC; put the "
        "proof "
        "back before then and check again."
    )


def _proven(proof: ProfileProof, found: str, now) -> CheckResult:
    proof.status = Status.PROVEN
    proof.found_by = found
    proof.proven_at = now
    proof.failing_since = None
    proof.last_error = ""
    proof.save()
    verified = _verify(proof)
    count = len(verified)
    message = f"{proof.url} is proven by {Found(found).label}."
    if count:
        message += f" {count} claim{'s' if count != 1 else ''} verified."
    return CheckResult(proof, True, message, verified=count)


# --- The periodic re-check ----------------------------------------------------------------------


def due(now=None, limit: int = 500):
    """Link proofs to fetch again: proven ones not checked for PROOF_RECHECK_HOURS, and every
    lapsing one (each sweep, so one put back is noticed, and the grace period ends on time)."""
    now = now or timezone.now()
    stale = now - timedelta(hours=settings.PROOF_RECHECK_HOURS)
    return (
        ProfileProof.objects.filter(method=Method.LINK)
        .filter(
            Q(status=Status.LAPSING)
            | (Q(status=Status.PROVEN) & (Q(checked_at__lt=stale) | Q(checked_at__isnull=True)))
        )
        .select_related("creator")
        .order_by("checked_at", "id")[:limit]
    )


def recheck_due(now=None) -> dict[str, int]:
    """Check every proof that is due; returns how many ended up in each status."""
    counts: dict[str, int] = {}
    for proof in list(due(now)):
        try:
            result = check(proof, by_owner=False)
        except ConsentError:  # removed while the sweep ran
            continue
        except Exception:
            # One page that breaks the check must not stall every other proof's re-check: it is
            # logged and moves to the back of the queue.
            logger.exception("Re-checking proof %s failed.", proof.pk)
            ProfileProof.objects.filter(pk=proof.pk).update(checked_at=timezone.now())
            counts["error"] = counts.get("error", 0) + 1
            continue
        counts[result.proof.status] = counts.get(result.proof.status, 0) + 1
    return counts


# --- Connected accounts -------------------------------------------------------------------------


def prove_by_account(creator: Creator, raw_url: str, provider: str, uid: str) -> CheckResult:
    """A connected account proves the profile it belongs to (its URL from the provider's API)."""
    refuse_if_suspended(creator)
    url = normalize_url(raw_url, keep_scheme=True)
    now = timezone.now()
    with transaction.atomic():
        lock_consent_writes()
        proof = ProfileProof.objects.select_for_update().filter(creator=creator, url=url).first()
        if proof is None:
            proof = ProfileProof(creator=creator, url=url, token=new_token())
        proof.method = Method.ACCOUNT
        proof.provider = provider
        proof.account_uid = uid
        proof.checked_at = now
        return _proven(proof, Found.ACCOUNT, now)


def account_removed(creator_id: int, provider: str, uid: str, keep: str = "") -> int:
    """A disconnected account proves nothing any more: its proofs go (but the one of `keep`, the
    URL it still proves), their verifications end. Returns how many verifications ended."""
    ended = 0
    with transaction.atomic():
        lock_consent_writes()
        gone = ProfileProof.objects.filter(
            creator_id=creator_id, method=Method.ACCOUNT, provider=provider, account_uid=uid
        )
        if keep:
            gone = gone.exclude(url=normalize_url(keep, keep_scheme=True))
        for proof in gone:
            ended += len(
                end_verifications(
                    list(_verifications_of(proof)),
                    f"The account that proved {proof.url} was disconnected.",
                )
            )
            proof.delete()
    return ended
