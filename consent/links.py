"""A track's links as its claimants change them: add, remove, hide pending review, restore.

Each link belongs to the claim that added it and ends with it (consent.services.end_claims).
Every change of the visible links is a change event, written by `refresh_policies` in the same
transaction, so platforms learn of every URL that starts or stops answering.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consent import collisions
from consent.addresses import normalize_web_link
from consent.identifiers import url_host
from consent.models import AuditEntry, Claim, ClaimVerification, Creator, Track, TrackLink
from consent.policies import lock_consent_writes, refresh_policies
from consent.ratelimits import limit_link_changes
from consent.services import ConsentError, check_link_caps, refuse_if_suspended
from consent.transparency import records


def _active_claim(creator: Creator, track: Track, refusal: str) -> Claim:
    claim = (
        Claim.objects.active()
        .filter(track=track, creator=creator)
        .order_by("created_at", "id")
        .first()
    )
    if claim is None:
        raise ConsentError(refusal)
    return claim


def add_links(creator: Creator, track: Track, urls: Iterable[str]) -> list[TrackLink]:
    """Add links to a track the creator claims; duplicates of existing links are ignored.

    Each link belongs to the creator's claim and ends with it. A link that another creator's
    track already carries is a collision (consent.collisions): they are notified, and a dispute
    opens when their claim is verified and this one is not.
    """
    refuse_if_suspended(creator)
    limit_link_changes(creator)
    with transaction.atomic():
        lock_consent_writes()
        claim = _active_claim(creator, track, "You can only add links to tracks you have claimed.")
        present = set(TrackLink.objects.filter(track=track).values_list("url", flat=True))
        # Only web pages: a stored link is published, down to its host's robots.txt.
        urls = [u for u in dict.fromkeys(normalize_web_link(u) for u in urls) if u not in present]
        check_link_caps(track, claim, len(urls))
        found = collisions.through_identifiers(
            creator.id, {track.id: [claim]}, {track.id: [("url", url) for url in urls]}
        )
        try:
            collisions.check_allowance(creator.user_id, found)
        except collisions.CollisionRefused as exc:
            raise ConsentError(str(exc).replace("registered", "added")) from exc
        links = TrackLink.objects.bulk_create(
            [
                TrackLink(track=track, url=url, host=url_host(url), added_by=creator, claim=claim)
                for url in urls
            ]
        )
        records.log_links(links)
        # One event for the new links, and for the dispute they opened if they did.
        disputes = collisions.settle(found)
        refresh_policies([track.id], cause="dispute-opened" if disputes else "links-added")
        from consent import proofs  # links under a proven profile verify their claims at once

        proofs.verify_new_links(creator, [track.id])
        return links


def remove_link(creator: Creator, link: TrackLink) -> None:
    """Remove a link the creator added; a co-owner's links are theirs to remove, not anyone's.

    A verified owner can instead hide an unverified claimant's link (`hide_link`).
    """
    refuse_if_suspended(creator)
    limit_link_changes(creator)
    with transaction.atomic():
        lock_consent_writes()
        _active_claim(
            creator, link.track, "You can only remove links from tracks you have claimed."
        )
        if link.added_by_id != creator.id:
            raise ConsentError(
                "Another owner of this track added that link, so only they can remove it. If "
                "it is wrong and your claim is verified, hide it pending review; otherwise "
                "contest their claim from the track's public page."
            )
        _hide([link.pk], TrackLink.Hidden.REMOVED, creator)
        from consent import proofs  # a claim proven through this link is proven no longer

        # A verification that ends with the link writes the event that carries both; otherwise
        # the link's own event follows.
        proofs.reconcile_claims([link.claim_id])
        refresh_policies([link.track_id], cause="link-removed")


def _hide(link_ids: Iterable[int], reason: str, by: Creator | None = None) -> int:
    link_ids = list(link_ids)
    hidden = TrackLink.objects.filter(pk__in=link_ids).update(
        hidden_at=timezone.now(), hidden_reason=reason, hidden_by=by
    )
    records.log_links(link_ids)
    return hidden


def hide_link(creator: Creator, link: TrackLink) -> None:
    """A verified owner hides a link an unverified claimant added to their track, pending review.

    The link leaves every answer, feed and page at once; a reviewer can restore it
    (`restore_link`). Recorded in the audit log.
    """
    refuse_if_suspended(creator)
    with transaction.atomic():
        lock_consent_writes()
        claim = _active_claim(
            creator, link.track, "You can only hide links on tracks you have claimed."
        )
        # A verification counts here when a reviewer decided it, or when it predates the claim
        # that added the link: a page proven after a stranger's claim arrived says nothing about
        # who owns the track (consent.proofs.covered_claims).
        earned = claim.verifications.in_force().filter(
            Q(method=ClaimVerification.Method.REVIEW)
            | Q(started_at__lte=link.claim.created_at if link.claim_id else link.created_at)
        )
        if not earned.exists():
            raise ConsentError(
                "Only a verified owner can hide another claimant's link: one a reviewer "
                "verified, or one verified before that claimant arrived. Ask for verification by "
                "review from the track's page."
            )
        if link.added_by_id == creator.id:
            raise ConsentError("This is your own link: remove it instead.")
        if link.claim_id and link.claim.verifications.in_force().exists():
            raise ConsentError(
                "That link was added by a verified owner, so it cannot be hidden. If it is "
                "wrong, contest their claim from the track's public page."
            )
        _hide([link.pk], TrackLink.Hidden.BY_OWNER, creator)
        from consent import proofs  # a claim proven through this link is proven no longer

        proofs.reconcile_claims([link.claim_id])
        refresh_policies([link.track_id], cause="link-hidden")
        AuditEntry.objects.create(
            user=creator.user,
            action=AuditEntry.Action.LINK_HIDDEN,
            creator=creator,
            claim=link.claim,
            details={"link": link.url, "track": str(link.track.public_id)},
        )


def restore_link(reviewer, link: TrackLink, reason: str) -> None:
    """A reviewer brings back a link a verified owner hid, when the hiding was wrong."""
    with transaction.atomic():
        lock_consent_writes()
        link = TrackLink.all_objects.select_for_update().get(pk=link.pk)
        if link.hidden_reason != TrackLink.Hidden.BY_OWNER:
            raise ConsentError("Only a link hidden by an owner can be restored.")
        if link.claim_id is None or not link.claim.is_active:
            raise ConsentError("The claim that added this link has ended, so it stays hidden.")
        if TrackLink.objects.filter(track_id=link.track_id, url=link.url).exists():
            raise ConsentError("The track already carries this link again.")
        TrackLink.all_objects.filter(pk=link.pk).update(
            hidden_at=None, hidden_reason="", hidden_by=None
        )
        records.log_links([link.pk])
        refresh_policies([link.track_id], cause="link-restored")
        AuditEntry.objects.create(
            user=reviewer,
            action=AuditEntry.Action.LINK_RESTORED,
            reason=reason,
            claim=link.claim,
            details={"link": link.url, "track": str(link.track.public_id)},
        )
