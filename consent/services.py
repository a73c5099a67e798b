"""Domain operations: every face (website, import, API, admin) calls these, none re-implements them.

Each operation runs in one transaction that first takes the consent write lock and ends by
bringing the derived read model up to date (consent.policies: `lock_consent_writes`,
`refresh_policies`, where the lock's guarantees are explained). The commands on a track's links
are in consent.links, those on disputes in consent.contests and consent.disputes.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from consent import collisions, jobs, signals
from consent.addresses import normalize_web_link
from consent.errors import ConsentError
from consent.identifiers import url_host
from consent.models import (
    AuditEntry,
    Claim,
    ClaimVerification,
    Creator,
    Declaration,
    Dispute,
    Track,
    TrackLink,
    VerificationRequest,
)
from consent.policies import chunks, latest_statements, lock_consent_writes, refresh_policies
from consent.purposes import (
    AI_OPT_OUT,
    PURPOSES,
    Purpose,
    PurposeChoice,
    Value,
    licence_terms_missing,
)
from consent.ratelimits import limit_declarations
from consent.text import check_track_texts
from consent.tracks import DurationError, check_duration
from consent.transparency import records
from consent.writes import prepared_write

SUSPENDED = (
    "Your account is suspended, so it cannot change anything in the registry; your denials stay "
    "in force. Write to the registry's contact address if you think this is a mistake."
)


def refuse_if_suspended(creator: Creator) -> None:
    # Read from the database: a suspension decided a moment ago must hold for a creator object
    # loaded before it.
    if Creator.objects.filter(pk=creator.pk, suspended_at__isnull=False).exists():
        raise ConsentError(SUSPENDED)


@dataclass
class TrackData:
    """A track as an artist registers it; identifiers already validated and normalized."""

    title: str
    artist_credit: str
    roles: Sequence[str]
    isrc: str | None = None
    iswc: str = ""
    duration_seconds: int | None = None
    links: Sequence[str] = ()
    audio_sha256: str = ""
    choices: Mapping[Purpose, PurposeChoice] = field(default_factory=dict)


@dataclass
class RegistrationResult:
    tracks: list[Track]
    disputes: list[Dispute]


# --- Operations -----------------------------------------------------------------------------


def check_choices(choices: Mapping[Purpose, PurposeChoice]) -> None:
    """Refuse choices the registry cannot publish: a licence with nowhere to ask for it."""
    problem = licence_terms_missing(choices)
    if problem:
        raise ConsentError(problem)


def changes(before, choice: PurposeChoice) -> bool:
    """Whether declaring `choice` changes the statement in force (`before`, None when unset)."""
    before_key = (before.value, before.terms_url, before.contact_email) if before else None
    return (before_key or (Value.UNSET, "", "")) != (
        choice.value,
        choice.terms_url,
        choice.contact_email,
    )


def changed_declarations(
    creator: Creator,
    track_id: int | None,
    choices: Mapping[Purpose, PurposeChoice],
    in_force: Mapping[Purpose, object],
    batch: uuid.UUID,
    now,
) -> list[Declaration]:
    """The unsaved declarations of the choices that differ from those in force (`changes`), in
    purpose order, as one save (`batch`) at `now`."""
    return [
        Declaration(
            creator=creator,
            track_id=track_id,
            purpose=purpose.value,
            value=choices[purpose].value.value,
            terms_url=choices[purpose].terms_url,
            contact_email=choices[purpose].contact_email,
            batch=batch,
            declared_at=now,
        )
        for purpose in PURPOSES
        if purpose in choices and changes(in_force.get(purpose), choices[purpose])
    ]


def declare(
    creator: Creator,
    choices: Mapping[Purpose, PurposeChoice],
    track: Track | None = None,
) -> list[Declaration]:
    """Record a creator's choices for their whole catalogue (track None) or one track.

    Only purposes whose choice differs from the one in force are written, so history shows
    what changed. Returns the declarations written (empty when nothing changed).

    A catalogue-wide change is computed outside the consent write lock (consent.writes); for a
    catalogue of more than CATALOGUE_SYNC_TRACKS tracks it is recorded at once and applied to
    the tracks by a background job (consent.jobs).
    """
    refuse_if_suspended(creator)
    limit_declarations(creator, catalogue=track is None)
    check_choices(choices)
    if track is not None:
        with transaction.atomic():
            lock_consent_writes()
            return _declare(creator, choices, track)
    size = jobs.catalogue_size(creator.id)
    if size > settings.CATALOGUE_SYNC_TRACKS:
        with transaction.atomic():
            # Only the declarations and their log entries are written under the lock; the
            # job refreshes the tracks in chunks after the commit.
            lock_consent_writes()
            rows = _declare(creator, choices, None, refresh=False)
            if rows:
                jobs.start_job(creator, rows[0].batch, size)
            return rows
    return prepared_write(lambda: _declare(creator, choices, None), actors=[creator.id])


def _declare(
    creator: Creator,
    choices: Mapping[Purpose, PurposeChoice],
    track: Track | None,
    *,
    refresh: bool = True,
) -> list[Declaration]:
    claimed = Claim.objects.active().filter(track=track, creator=creator)
    if track is not None and not claimed.exists():
        raise ConsentError("You can only declare choices for tracks you have claimed.")
    current = latest_statements([creator.id], [track.id] if track else [])
    in_force = current.get((creator.id, track.id if track else None), {})
    rows = changed_declarations(
        creator, track.id if track else None, choices, in_force, uuid.uuid4(), timezone.now()
    )
    if not rows:
        return []
    Declaration.objects.bulk_create(rows)
    records.log_declarations(rows)
    if not refresh:
        return rows
    affected = [track.id] if track is not None else jobs.catalogue_track_ids(creator.id)
    refresh_policies(affected, cause="declaration")
    return rows


def declare_for_tracks(
    creator: Creator, choices_by_track: Mapping[int, Mapping[Purpose, PurposeChoice]]
) -> list[Declaration]:
    """`declare` for many of the creator's tracks (by id) at once, as one save in history.

    The same rules as `declare`, counted as one save: only purposes whose choice differs from
    the one in force are written, every track must be claimed by the creator, and the change
    events of every affected track are written in the same transaction (computed outside the
    consent write lock, consent.writes).
    """
    refuse_if_suspended(creator)
    for choices in choices_by_track.values():
        check_choices(choices)
    if not choices_by_track:
        return []
    limit_declarations(creator, catalogue=False)
    return prepared_write(
        lambda: _declare_for_tracks(creator, choices_by_track), actors=[creator.id]
    )


def _declare_for_tracks(
    creator: Creator, choices_by_track: Mapping[int, Mapping[Purpose, PurposeChoice]]
) -> list[Declaration]:
    track_ids = list(choices_by_track)
    lock_consent_writes()
    claimed: set[int] = set()
    for chunk in chunks(track_ids):
        claimed.update(
            Claim.objects.active()
            .filter(creator=creator, track_id__in=chunk)
            .values_list("track_id", flat=True)
        )
    if len(claimed) != len(set(track_ids)):
        raise ConsentError("You can only declare choices for tracks you have claimed.")
    current = latest_statements([creator.id], track_ids)
    now = timezone.now()
    batch = uuid.uuid4()
    rows = [
        row
        for track_id, choices in choices_by_track.items()
        for row in changed_declarations(
            creator, track_id, choices, current.get((creator.id, track_id), {}), batch, now
        )
    ]
    if not rows:
        return []
    Declaration.objects.bulk_create(rows, batch_size=1000)
    records.log_declarations(rows)
    refresh_policies(sorted({row.track_id for row in rows}), cause="declaration")
    return rows


def opt_out_of_ai_training(creator: Creator) -> list[Declaration]:
    """The one-click catalogue-wide denial of every AI use."""
    return declare(creator, {purpose: PurposeChoice(Value.DENY) for purpose in AI_OPT_OUT})


def register_track(creator: Creator, data: TrackData) -> RegistrationResult:
    return register_tracks(creator, [data])


def register_tracks(creator: Creator, items: Sequence[TrackData]) -> RegistrationResult:
    """Register tracks and claim them, all or nothing, in one transaction.

    A track whose ISRC is already registered is not overwritten: the creator's claim is added.
    Every collision with other creators' claims, on the same track or through a shared ISWC,
    link or audio hash, notifies them and may open a dispute (consent.collisions).

    Computed outside the consent write lock (consent.writes). Any claim or link committed by
    another writer meanwhile could be a collision this registration did not see, so it then
    starts again.
    """
    refuse_if_suspended(creator)
    check_track_texts(items)
    for item in items:
        if item.duration_seconds is not None:
            try:
                check_duration(item.duration_seconds)
            except DurationError as exc:
                raise ConsentError(f"“{item.title}”: {exc}") from exc
    return prepared_write(
        lambda: _register_tracks(creator, items),
        actors=[creator.id],
        retry_on=("claim", "link"),
    )


def _register_tracks(creator: Creator, items: Sequence[TrackData]) -> RegistrationResult:
    lock_consent_writes()
    isrcs = [item.isrc for item in items if item.isrc]
    if len(isrcs) != len(set(isrcs)):
        raise ConsentError("The same ISRC appears more than once.")
    existing: dict[str, Track] = {}
    for chunk in chunks(isrcs):
        existing.update({t.isrc: t for t in Track.objects.filter(isrc__in=chunk)})

    new_tracks = [
        Track(
            title=item.title,
            artist_credit=item.artist_credit,
            isrc=item.isrc or None,
            iswc=item.iswc,
            duration_seconds=item.duration_seconds,
            audio_sha256=item.audio_sha256,
        )
        for item in items
        if not (item.isrc and item.isrc in existing)
    ]
    Track.objects.bulk_create(new_tracks, batch_size=1000)
    new_iter = iter(new_tracks)
    tracks = [
        existing[item.isrc] if item.isrc and item.isrc in existing else next(new_iter)
        for item in items
    ]

    active: dict[int, list[Claim]] = defaultdict(list)
    own_inactive: dict[tuple[int, str], Claim] = {}
    existing_ids = [t.id for t in existing.values()]
    for chunk in chunks(existing_ids):
        for claim in Claim.objects.filter(track_id__in=chunk).select_related("creator"):
            if claim.is_active:
                active[claim.track_id].append(claim)
            elif claim.creator_id == creator.id:
                own_inactive[(claim.track_id, claim.role)] = claim

    new_claims: list[Claim] = []
    renewed: list[Claim] = []
    claims_by_track: dict[int, list[Claim]] = defaultdict(list)
    for item, track in zip(items, tracks, strict=True):
        for role in dict.fromkeys(item.roles):
            holders = [c for c in active.get(track.id, []) if c.role == role]
            if any(c.creator_id == creator.id for c in holders):
                raise ConsentError(f"You have already registered the {role} of “{track.title}”.")
            claim = own_inactive.get((track.id, role))
            if claim is not None:
                renewed.append(renew_claim(claim, "; it cannot be registered again.", save=False))
            else:
                claim = Claim(track=track, creator=creator, role=role)
                new_claims.append(claim)
            claims_by_track[track.id].append(claim)
    Claim.objects.bulk_create(new_claims, batch_size=1000)
    Claim.objects.bulk_update(renewed, RENEWED_FIELDS)
    records.log_written_claims(new_claims + renewed)

    links: list[TrackLink] = []
    identifiers: dict[int, list[tuple[str, str]]] = defaultdict(list)
    new_ids = {t.id for t in new_tracks}
    # Counted once for the whole batch: a new track has no links yet, and a new or renewed
    # claim has none visible (an ended claim's links were hidden with it).
    on_track: dict[int, int] = defaultdict(int)
    for chunk in chunks(existing_ids):
        for track_id in TrackLink.objects.filter(track_id__in=chunk).values_list(
            "track_id", flat=True
        ):
            on_track[track_id] += 1
    for item, track in zip(items, tracks, strict=True):
        urls = list(dict.fromkeys(normalize_web_link(link) for link in item.links))
        claim = claims_by_track[track.id][0]
        check_link_caps(track, claim, len(urls), on_track=on_track[track.id], mine=0)
        for url in urls:
            links.append(
                TrackLink(
                    track=track,
                    url=url,
                    host=url_host(url),
                    added_by=creator,
                    claim=claims_by_track[track.id][0],
                )
            )
            identifiers[track.id].append(("url", url))
        if track.id in new_ids:
            identifiers[track.id] += [("iswc", track.iswc), ("sha256", track.audio_sha256)]

    found: list[collisions.Collision] = []
    for track in tracks:
        for claim in claims_by_track[track.id]:
            collision = collisions.on_same_track(claim, active.get(track.id, []))
            if collision is not None:
                found.append(collision)
    found += collisions.through_identifiers(creator.id, claims_by_track, identifiers)
    try:
        collisions.check_allowance(creator.user_id, found)
    except collisions.CollisionRefused as exc:
        raise ConsentError(str(exc)) from exc
    links_before = set()
    for chunk in chunks([t.id for t in tracks]):
        links_before.update(
            TrackLink.all_objects.filter(track_id__in=chunk).values_list("pk", flat=True)
        )
    TrackLink.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
    added: list[int] = []
    for chunk in chunks([t.id for t in tracks]):
        rows = TrackLink.all_objects.filter(track_id__in=chunk).values_list("pk", flat=True)
        added += [pk for pk in rows if pk not in links_before]
    records.log_links(added)
    disputes = collisions.settle(found)

    now = timezone.now()
    batch = uuid.uuid4()  # one registration or import reads as one entry in history
    declarations: list[Declaration] = []
    for item, track in zip(items, tracks, strict=True):
        check_choices(item.choices)
        declarations += changed_declarations(creator, track.id, item.choices, {}, batch, now)
    Declaration.objects.bulk_create(declarations, batch_size=1000)
    records.log_declarations(declarations)
    refresh_policies([t.id for t in tracks], cause="claim")
    from consent import proofs  # links under a proven profile verify their claims at once

    proofs.verify_new_links(creator, [t.id for t in tracks])
    return RegistrationResult(tracks=tracks, disputes=disputes)


RENEWED_FIELDS = ("status", "ended_at")


def renew_claim(claim: Claim, refused: str, *, save: bool = True) -> Claim:
    """A creator's own earlier claim on a track and role counts again, in its own row.

    Registering a track again or contesting its owner after a withdrawal renews the same claim
    (one row per creator, track and role). As-of answers then count it through the gap too:
    more restrictive, never looser, than the truth. A claim revoked after a review never comes
    back: refused with "Your claim on the … was revoked after a review" and `refused` (how the
    caller's sentence ends). An active claim is returned as it is. With `save=False` the caller
    saves RENEWED_FIELDS, with its batch.
    """
    if claim.status == Claim.Status.REVOKED:
        raise ConsentError(
            f"Your claim on the {claim.get_role_display().lower()} of “{claim.track.title}” was "
            f"revoked after a review{refused}"
        )
    if not claim.is_active:
        claim.status = Claim.Status.ACTIVE
        claim.ended_at = None
        if save:
            claim.save(update_fields=RENEWED_FIELDS)
            records.log_claims([claim])
    return claim


def check_link_caps(
    track: Track, claim: Claim, adding: int, *, on_track: int | None = None, mine: int | None = None
) -> None:
    """Links per track and per claim are capped, so nobody can bury a track under links.

    `on_track` and `mine` (visible links on the track, and of the claim) are counted here unless
    the caller counted them already for a whole batch.
    """
    if not adding:
        return
    per_track = settings.LINKS_PER_TRACK
    per_claim = settings.LINKS_PER_CLAIM
    if on_track is None:
        on_track = TrackLink.objects.filter(track=track).count()
    if on_track + adding > per_track:
        raise ConsentError(
            f"“{track.title}” can have at most {per_track} links, and it has {on_track}; "
            f"adding {adding} would go over. Remove links it no longer needs first."
        )
    if mine is None:
        mine = TrackLink.objects.filter(claim=claim).count()
    if mine + adding > per_claim:
        raise ConsentError(
            f"You can add at most {per_claim} links to “{track.title}”, and you have added "
            f"{mine}; adding {adding} would go over."
        )


def end_claims(claim_ids: Iterable[int], status: str, now=None) -> None:
    """Claims stop counting: their links leave every answer with them, and any verification in
    force ends. Call inside the transaction that holds the consent write lock, then
    `refresh_policies` for the claims' tracks: its event carries the hidden links too."""
    claim_ids = list(claim_ids)
    now = now or timezone.now()
    hidden = list(TrackLink.objects.filter(claim_id__in=claim_ids).values_list("pk", flat=True))
    ended = ClaimVerification.objects.in_force().filter(claim_id__in=claim_ids)
    ended_ids = list(ended.values_list("pk", flat=True))
    Claim.objects.filter(pk__in=claim_ids).update(status=status, ended_at=now)
    TrackLink.objects.filter(pk__in=hidden).update(
        hidden_at=now, hidden_reason=TrackLink.Hidden.CLAIM_ENDED
    )
    ClaimVerification.objects.filter(pk__in=ended_ids).update(
        ended_at=now, ended_reason=f"The claim was {status}."
    )
    records.log_claims(claim_ids)
    records.log_links(hidden)
    records.log_verifications(ended_ids)
    # A request for review of a claim that no longer counts has nothing left to decide.
    VerificationRequest.objects.filter(
        claim_id__in=claim_ids, status=VerificationRequest.Status.OPEN
    ).update(
        status=VerificationRequest.Status.DECLINED,
        decided_at=now,
        decision_reason=f"The claim was {status} before a reviewer decided.",
    )


def withdraw_claim(claim: Claim) -> None:
    """The creator gives up a claim; their declarations and links stop counting for that track.

    A suspended creator cannot: withdrawing would drop their denials with the claim.
    """
    refuse_if_suspended(claim.creator)
    with transaction.atomic():
        lock_consent_writes()
        end_claims([claim.pk], Claim.Status.WITHDRAWN)
        for dispute in Dispute.objects.active().filter(claims=claim):
            AuditEntry.objects.create(
                user=claim.creator.user,
                action=AuditEntry.Action.CLAIM_WITHDRAWN,
                dispute=dispute,
                creator_id=claim.creator_id,
                claim=claim,
            )
        close_settled_disputes(claim.track_id)
        refresh_policies([claim.track_id], cause="claim-withdrawn")


def close_settled_disputes(track_id: int) -> None:
    """A dispute with fewer than two active claims left has nobody left to disagree with.

    Looks at disputes over the track and at those its claims take part in (a collision through
    an identifier weighs a claim on another track).
    """
    disputes = (
        Dispute.objects.active()
        .filter(Q(track_id=track_id) | Q(claims__track_id=track_id))
        .distinct()
    )
    for dispute in disputes:
        if dispute.claims.active().count() < 2:
            dispute.status = Dispute.Status.CLOSED
            dispute.closed_at = timezone.now()
            dispute.save(update_fields=["status", "closed_at"])
            reason = "Fewer than two active claims remain, so nobody is left to disagree."
            AuditEntry.objects.create(
                action=AuditEntry.Action.CLOSED, reason=reason, dispute=dispute
            )
            signals.dispute_changed.send(
                sender=Dispute, dispute=dispute, event=AuditEntry.Action.CLOSED, message=""
            )
            if dispute.track_id != track_id:
                refresh_policies([dispute.track_id], cause="dispute-closed")
