"""When a newcomer's claim touches music that other creators already claim.

A collision is one of two things:

- **on the same track**: a new claim, in either role, on a track other creators actively claim
  (the same ISRC registered again, or a contest);
- **through an identifier**: a track, when registered or given a new link, shares its ISWC, a
  URL or its audio SHA-256 with a track that other creators claim. Lookups by that identifier
  combine both tracks, so the newcomer speaks for the other track's music too.

Every collision notifies the existing claimants: a `Notice` on their dashboard, written in the
same transaction, and an email after commit. A dispute opens for review when the newcomer
competes for the same role of the same track (as it always has), and whenever an existing claim
is verified and the newcomer's is not. Each dispute that opens counts against the newcomer's
daily limit, whatever the face (form, import, API).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from consent import signals
from consent.models import (
    Claim,
    ClaimVerification,
    Dispute,
    Notice,
    Track,
    TrackLink,
)
from consent.ratelimits import count_disputes_opened, disputes_left_today

SAME_TRACK = Notice.Kind.SAME_TRACK
IDENTIFIER = Notice.Kind.IDENTIFIER
IDENTIFIER_LABELS = {"isrc": "ISRC", "iswc": "ISWC", "url": "link", "sha256": "audio SHA-256"}


class CollisionRefused(Exception):
    """The collisions would open more disputes than the newcomer may open today."""


@dataclass
class Collision:
    claim: Claim  # the newcomer's claim
    holders: list[Claim]  # other creators' active claims it collides with
    kind: str
    identifier_kind: str = ""
    identifier: str = ""

    @property
    def same_role(self) -> list[Claim]:
        if self.kind != SAME_TRACK:
            return []
        return [h for h in self.holders if h.role == self.claim.role]

    def reviewed_against(self, proven: set[int]) -> list[Claim]:
        """The existing claims a dispute weighs the newcomer's against; empty: no dispute."""
        verified = [h for h in self.holders if h.pk in proven]
        if self.claim.pk in proven:
            verified = []
        against = self.same_role + [h for h in verified if h not in self.same_role]
        return against


def proven_claims(claim_ids: Iterable[int]) -> set[int]:
    """Which of these claims have a verification in force now."""
    return set(
        ClaimVerification.objects.in_force()
        .filter(claim_id__in=list(claim_ids))
        .values_list("claim_id", flat=True)
    )


def on_same_track(claim: Claim, active: Sequence[Claim]) -> Collision | None:
    """The collision of a new claim with other creators' active claims on its track."""
    holders = [c for c in active if c.creator_id != claim.creator_id and c.pk != claim.pk]
    return Collision(claim, holders, SAME_TRACK) if holders else None


def through_identifiers(
    creator_id: int,
    claims_by_track: dict[int, list[Claim]],
    identifiers: dict[int, list[tuple[str, str]]],
) -> list[Collision]:
    """Collisions of the newcomer's tracks with other tracks through shared identifiers.

    `identifiers` maps each of the newcomer's track ids to (kind, value) pairs to check: its ISWC,
    its audio SHA-256 and its new links. One collision per (newcomer track, other track).
    """
    own = set(claims_by_track)
    wanted: dict[str, set[str]] = defaultdict(set)
    for pairs in identifiers.values():
        for kind, value in pairs:
            if value:
                wanted[kind].add(value)
    if not wanted:
        return []
    # (kind, value) -> other tracks that carry it
    carriers: dict[tuple[str, str], set[int]] = defaultdict(set)
    column = {"iswc": "iswc", "sha256": "audio_sha256"}
    for kind, field in column.items():
        if wanted.get(kind):
            rows = Track.objects.filter(**{f"{field}__in": wanted[kind]}).exclude(id__in=own)
            for track_id, value in rows.values_list("id", field):
                carriers[(kind, value)].add(track_id)
    if wanted.get("url"):
        rows = TrackLink.objects.filter(url__in=wanted["url"]).exclude(track_id__in=own)
        for track_id, url in rows.values_list("track_id", "url"):
            carriers[("url", url)].add(track_id)
    other_tracks = {t for ids in carriers.values() for t in ids}
    if not other_tracks:
        return []
    holders_by_track: dict[int, list[Claim]] = defaultdict(list)
    for claim in (
        Claim.objects.active()
        .filter(track_id__in=other_tracks)
        .exclude(creator_id=creator_id)
        .select_related("creator", "track")
        .order_by("created_at", "id")
    ):
        holders_by_track[claim.track_id].append(claim)
    collisions: list[Collision] = []
    for track_id, pairs in identifiers.items():
        seen: set[int] = set()
        newcomer = claims_by_track.get(track_id)
        if not newcomer:
            continue
        for kind, value in pairs:
            for other in sorted(carriers.get((kind, value), ())):
                if other in seen or not holders_by_track.get(other):
                    continue
                seen.add(other)
                collisions.append(
                    Collision(newcomer[0], holders_by_track[other], IDENTIFIER, kind, value)
                )
    return collisions


def shared_tracks(track_ids: Iterable[int], creator_id: int) -> set[int]:
    """Of these tracks, those another creator has a say in: another creator actively claims the
    track, or a track another creator claims shares its ISWC, its audio SHA-256 or a visible
    link with it."""
    track_ids = set(track_ids)
    if not track_ids:
        return set()
    others = Claim.objects.active().exclude(creator_id=creator_id)
    shared = set(
        others.filter(track_id__in=track_ids).values_list("track_id", flat=True).distinct()
    )
    rest = track_ids - shared
    if not rest:
        return shared
    tracks = Track.objects.filter(id__in=rest).values_list("id", "iswc", "audio_sha256")
    by_iswc: dict[str, set[int]] = defaultdict(set)
    by_sha: dict[str, set[int]] = defaultdict(set)
    for track_id, iswc, sha in tracks:
        if iswc:
            by_iswc[iswc].add(track_id)
        if sha:
            by_sha[sha].add(track_id)
    claimed_by_others = others.values("track_id")
    for field, wanted in (("iswc", by_iswc), ("audio_sha256", by_sha)):
        if wanted:
            rows = (
                Track.objects.filter(**{f"{field}__in": list(wanted)}, id__in=claimed_by_others)
                .exclude(id__in=rest)
                .values_list(field, flat=True)
            )
            for value in rows:
                shared |= wanted[value]
    urls: dict[str, set[int]] = defaultdict(set)
    for track_id, url in TrackLink.objects.filter(track_id__in=rest).values_list("track_id", "url"):
        urls[url].add(track_id)
    if urls:
        rows = (
            TrackLink.objects.filter(url__in=list(urls), track_id__in=claimed_by_others)
            .exclude(track_id__in=rest)
            .values_list("url", flat=True)
        )
        for url in rows:
            shared |= urls[url]
    return shared


def check_allowance(user_id: int, collisions: Sequence[Collision]) -> list[Collision]:
    """The collisions that go to review; refuses when they would open more disputes today than
    the newcomer may, so a bulk import cannot flood the desk or anyone's inbox."""
    if not collisions:
        return []
    proven = proven_claims(
        {c.claim.pk for c in collisions} | {h.pk for c in collisions for h in c.holders}
    )
    reviewed = [c for c in collisions if c.reviewed_against(proven)]
    keys = {(c.claim.track_id, c.claim.role) for c in reviewed}
    if not keys:
        return []
    already = set(
        Dispute.objects.active()
        .filter(track_id__in={track_id for track_id, _ in keys})
        .values_list("track_id", "role")
    )
    opening = len(keys - already)
    if opening:
        left = disputes_left_today(user_id)
        if opening > left:
            raise CollisionRefused(
                f"This would open {opening} disputes over music other creators already claim, "
                f"and you can open {left} more today. Remove those rows, or register them over "
                "several days; nothing was registered."
            )
        transaction.on_commit(lambda: count_disputes_opened(user_id, opening))
    return reviewed


def settle(collisions: Sequence[Collision]) -> list[Dispute]:
    """Notify every existing claimant, and open (or join) the disputes that need review.

    Call `check_allowance` first, in the same transaction.
    """
    if not collisions:
        return []
    proven = proven_claims(
        {c.claim.pk for c in collisions} | {h.pk for c in collisions for h in c.holders}
    )
    disputes: dict[int, Dispute] = {}
    notices: list[Notice] = []
    for collision in collisions:
        against = collision.reviewed_against(proven)
        dispute = None
        if against:
            dispute = open_or_join_dispute(collision, against)
            disputes[dispute.pk] = dispute
        notified: set[int] = set()
        for holder in collision.holders:
            if holder.creator_id in notified:
                continue
            notified.add(holder.creator_id)
            notices.append(
                Notice(
                    creator_id=holder.creator_id,
                    kind=collision.kind,
                    track_id=holder.track_id,
                    claim=collision.claim,
                    identifier_kind=collision.identifier_kind,
                    identifier=collision.identifier[:2000],
                    dispute=dispute,
                )
            )
    Notice.objects.bulk_create(notices, batch_size=1000)
    ids = [n.pk for n in notices]
    transaction.on_commit(lambda: signals.notices_created.send(sender=Notice, notice_ids=ids))
    return list(disputes.values())


def _reason(collision: Collision) -> str:
    if collision.kind == IDENTIFIER:
        label = IDENTIFIER_LABELS.get(collision.identifier_kind, collision.identifier_kind)
        return (
            f"The {collision.claim.role} of this track was registered with the same {label} as "
            "a track another creator claims and has verified."
        )
    if collision.same_role:
        return (
            f"Competing claims on the {collision.claim.role}: the same ISRC was registered again."
        )
    return (
        f"A claim on the {collision.claim.role} was added to a track whose owner has verified "
        "their claim."
    )


def open_or_join_dispute(collision: Collision, against: Sequence[Claim]) -> Dispute:
    """The registry opens a dispute itself, or joins the one already open on the track and role
    (consent.contests.open_or_join_dispute).

    When the newcomer is checked against a verified claim, the dispute reads as a contest of the
    newcomer's claim: rejecting it revokes the newcomer's claim, and no decision on it ever
    revokes a claim of another role or on another track (consent.disputes.decide).
    """
    from consent import contests  # which imports consent.services, which imports this module

    claim = collision.claim
    verified_rival = next((c for c in against if c not in collision.same_role), None)
    details: dict = {"automatic": True, "kind": collision.kind}
    if collision.identifier_kind:
        details |= {
            "identifier_kind": collision.identifier_kind,
            "identifier": collision.identifier,
        }
    return contests.open_or_join_dispute(
        [claim, *against],
        reason=_reason(collision),
        contested=verified_rival,
        contester=claim if verified_rival is not None else None,
        details=details,
    )


def revocable(dispute: Dispute, claims: Iterable[Claim]) -> list[Claim]:
    """Of a dispute's claims, those a decision may revoke: its own track and role only."""
    return [c for c in claims if c.track_id == dispute.track_id and c.role == dispute.role]
