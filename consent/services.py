"""Domain operations: every face (website, import, API, admin) calls these, none re-implements them.

Each operation runs in one transaction that first takes the consent write lock (the row of
SequenceCounter). That lock serializes consent writes, which gives two guarantees at once: a
policy is always computed from every earlier committed declaration (no lost update between two
writers of one track), and change events commit in the order of their sequence numbers.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from consent import collisions, signals
from consent.identifiers import normalize_url, url_host
from consent.models import (
    POLICY_FIELDS,
    AuditEntry,
    ChangeEvent,
    Claim,
    ClaimVerification,
    Creator,
    Declaration,
    Dispute,
    EffectivePolicy,
    SequenceCounter,
    Track,
    TrackLink,
    VerificationRequest,
)
from consent.provenance import (
    ClaimProof,
    Source,
    answer_policy,
    provenance_json,
    read_sources,
)
from consent.purposes import (
    AI_OPT_OUT,
    PURPOSES,
    Purpose,
    PurposeChoice,
    Value,
    licence_terms_missing,
)
from consent.ratelimits import limit_declarations, limit_link_changes
from consent.resolution import (
    Resolved,
    Statement,
    combine,
    reservations_only,
    resolve_claim,
    unverified,
)
from consent.text import check_track_texts
from consent.tracks import DurationError, check_duration

CHUNK = 2000


class ConsentError(Exception):
    """A request the domain refuses; the message is a sentence for the person who asked."""


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


def verification_summary(proofs: Sequence[str]) -> dict:
    """How far a track's active claims are proven, from each claim's proof ("" if unverified)."""
    verified = sum(1 for proof in proofs if proof)
    return _summary(verified, len(proofs) - verified)


def combine_summaries(summaries: Iterable[dict]) -> dict:
    """One summary for several tracks that share an identifier: all their claims together."""
    verified = pending = 0
    for summary in summaries:
        verified += summary.get("verified_claims", 0)
        pending += summary.get("unverified_claims", 0)
    return _summary(verified, pending)


def _summary(verified: int, pending: int) -> dict:
    """`verified` when every active claim is, `unverified` when none is, `partly-verified` in
    between, and `unclaimed` when nobody claims the track."""
    if not verified and not pending:
        status = "unclaimed"
    elif not pending:
        status = "verified"
    elif not verified:
        status = "unverified"
    else:
        status = "partly-verified"
    return {"status": status, "verified_claims": verified, "unverified_claims": pending}


@dataclass(frozen=True)
class ComputedPolicy:
    values: dict[Purpose, Resolved]
    disputed: bool
    claims: dict[int, Claim]
    verification: dict = field(default_factory=lambda: verification_summary([]))

    def snapshot(self) -> dict:
        """What platforms see change: each value, where to ask for each licence, and how far
        the track's claims are proven."""
        snapshot: dict = {p.value: self.values[p].value.value for p in PURPOSES}
        terms = {
            p.value: {"terms_url": r.terms_url, "contact_email": r.contact_email}
            for p, r in self.values.items()
            if r.value == Value.LICENSE
        }
        if terms:
            snapshot["terms"] = terms
        snapshot["verification"] = self.verification
        return snapshot

    def sources(self) -> dict[Purpose, Source]:
        """Where each value in force comes from: the declaration and claim behind it."""
        result: dict[Purpose, Source] = {}
        for purpose, resolved in self.values.items():
            if resolved.value == Value.UNSET:
                continue
            claim = self.claims[resolved.claim_id]
            licence = resolved.value == Value.LICENSE
            result[purpose] = Source(
                purpose=purpose,
                value=resolved.value,
                level=resolved.level,
                declared_for=resolved.declared_for,
                declaration=resolved.declaration_id,
                declared_at=resolved.declared_at,
                claim=claim.public_id,
                role=claim.role,
                creator=claim.creator.public_id,
                proof=ClaimProof(resolved.proof),
                terms_url=resolved.terms_url if licence else "",
                contact_email=resolved.contact_email if licence else "",
                terms_withheld=licence and resolved.terms_withheld,
            )
        return result

    def provenance(self) -> dict[str, dict]:
        """What EffectivePolicy.provenance stores (consent.provenance)."""
        return provenance_json(self.sources())


def policy_from_provenance(provenance: dict) -> dict:
    """The API's `policy`: per purpose its value, where it comes from, and licence terms.

    Stored beside the provenance it is derived from (EffectivePolicy.answer_policy), so that
    lookups and snapshots send it as it is.
    """
    return answer_policy(read_sources(provenance))


def lock_consent_writes() -> None:
    # The row comes from a migration; get_or_create only matters after a table flush (tests).
    SequenceCounter.objects.select_for_update().get_or_create(pk=1)


def last_sequence() -> int:
    """The number of the registry's latest change event (0 before the first one)."""
    return SequenceCounter.objects.values_list("value", flat=True).first() or 0


def allocate_sequence(count: int) -> range:
    """Reserve `count` consecutive change-event numbers inside the current transaction."""
    SequenceCounter.objects.filter(pk=1).update(value=F("value") + count)
    end = SequenceCounter.objects.values_list("value", flat=True).get(pk=1)
    return range(end - count + 1, end + 1)


# --- Reading declarations -------------------------------------------------------------------


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _statement(declaration: Declaration) -> Statement:
    return Statement(
        value=Value(declaration.value),
        declaration_id=declaration.id,
        declared_at=declaration.declared_at,
        terms_url=declaration.terms_url,
        contact_email=declaration.contact_email,
    )


def latest_statements(
    creator_ids: Iterable[int], track_ids: Iterable[int] | None, at: datetime | None = None
) -> dict[tuple[int, int | None], dict[Purpose, Statement]]:
    """The declaration in force per (creator, track or None for catalogue), per purpose.

    Declarations are append-only, so the row with the highest id for a key is the one in force;
    with `at`, only declarations made by then count.
    """
    creator_ids = list(set(creator_ids))
    track_filter = Q(track__isnull=True)
    if track_ids is not None:
        track_filter |= Q(track_id__in=list(track_ids))
    if at is not None:
        track_filter &= Q(declared_at__lte=at)
    statements: dict[tuple[int, int | None], dict[Purpose, Statement]] = defaultdict(dict)
    for creator_chunk in _chunks(creator_ids):
        rows = (
            Declaration.objects.filter(track_filter, creator_id__in=creator_chunk)
            .order_by("id")
            .only(
                "id",
                "creator_id",
                "track_id",
                "purpose",
                "value",
                "terms_url",
                "contact_email",
                "declared_at",
            )
        )
        for declaration in rows.iterator(chunk_size=5000):
            key = (declaration.creator_id, declaration.track_id)
            statements[key][Purpose(declaration.purpose)] = _statement(declaration)
    return statements


def compute_policies(
    track_ids: Sequence[int], at: datetime | None = None
) -> dict[int, ComputedPolicy]:
    """What each track's policy is, derived from claims and declarations alone.

    With `at`, the policy that was in force at that instant: the claims held then, the disputes
    open then, the declarations made by then, and suspensions already decided then.
    """
    if at is None:
        claims_then = Claim.objects.active()
        disputes_then = Dispute.objects.active()
        proofs_then = ClaimVerification.objects.in_force()
    else:
        claims_then = Claim.objects.in_force_at(at)
        disputes_then = Dispute.objects.in_force_at(at)
        proofs_then = ClaimVerification.objects.in_force_at(at)
    claims_by_track: dict[int, list[Claim]] = defaultdict(list)
    claims: dict[int, Claim] = {}
    disputed: set[int] = set()
    proofs: dict[int, str] = {}
    for chunk in _chunks(list(track_ids)):
        for claim in (
            claims_then.filter(track_id__in=chunk)
            .select_related("creator")
            .order_by("created_at", "id")
        ):
            claims_by_track[claim.track_id].append(claim)
            claims[claim.id] = claim
        disputed.update(disputes_then.filter(track_id__in=chunk).values_list("track_id", flat=True))
    for chunk in _chunks(list(claims)):
        rows = proofs_then.filter(claim_id__in=chunk)
        for claim_id, method in rows.order_by("-started_at", "-id").values_list(
            "claim_id", "method"
        ):
            proofs[claim_id] = method  # the oldest proof in force wins: it is written last
    statements = latest_statements(
        (c.creator_id for c in claims.values()), list(claims_by_track.keys()), at
    )
    result: dict[int, ComputedPolicy] = {}
    for track_id in track_ids:
        per_claim = []
        track_claims = claims_by_track.get(track_id, [])
        for claim in track_claims:
            proof = proofs.get(claim.id, "")
            resolution = resolve_claim(
                statements.get((claim.creator_id, track_id), {}),
                statements.get((claim.creator_id, None), {}),
                claim.id,
                proof,
            )
            if not proof:
                resolution = unverified(resolution)
            suspended_at = claim.creator.suspended_at
            if suspended_at is not None and (at is None or suspended_at <= at):
                resolution = reservations_only(resolution)
            per_claim.append(resolution)
        summary = verification_summary([proofs.get(c.id, "") for c in track_claims])
        result[track_id] = ComputedPolicy(combine(per_claim), track_id in disputed, claims, summary)
    return result


# --- Writing the derived state --------------------------------------------------------------


def visible_links(track_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each track's visible links, sorted: what answers, snapshots and change events carry."""
    links: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(list(track_ids)):
        rows = TrackLink.objects.filter(track_id__in=chunk).order_by("track_id", "url")
        for track_id, url in rows.values_list("track_id", "url"):
            links[track_id].append(url)
    return links


def refresh_policies(track_ids: Iterable[int], cause: str) -> list[ChangeEvent]:
    """Bring EffectivePolicy up to date for these tracks and log every change as a ChangeEvent.

    A change is one of the policy (values, terms, verification, disputed) or of the track's
    visible links: EffectivePolicy.links holds the sorted links of the track's last event and is
    compared like the values. So every operation that adds, removes, hides or restores a link
    calls this one function, and a platform mirroring `snapshot + changes` learns of every URL
    that starts or stops answering, in the same numbered order as every other change. An
    operation that changes both the policy and the links writes one event, which carries both.

    Must run inside the transaction that changed claims, declarations or links, after
    `lock_consent_writes()`.
    """
    track_ids = sorted(set(track_ids))
    if not track_ids:
        return []
    now = timezone.now()
    computed = compute_policies(track_ids)
    links = visible_links(track_ids)
    stored: dict[int, EffectivePolicy] = {}
    for chunk in _chunks(track_ids):
        stored.update({p.track_id: p for p in EffectivePolicy.objects.filter(track_id__in=chunk)})

    changed: list[tuple[EffectivePolicy, dict, dict, list[str]]] = []
    to_create: list[EffectivePolicy] = []
    to_update: list[EffectivePolicy] = []
    for track_id in track_ids:
        policy = computed[track_id]
        snapshot = policy.snapshot()
        sources = policy.sources()
        provenance = provenance_json(sources)
        urls = links.get(track_id, [])
        current = stored.get(track_id)
        if current is None:
            current = EffectivePolicy(track_id=track_id, updated_at=now)
            previous: dict = {}
            previous_links: list[str] = []
            to_create.append(current)
        else:
            previous = current.snapshot() | {"disputed": current.disputed}
            previous_links = list(current.links)
            if previous == snapshot | {"disputed": policy.disputed} and previous_links == urls:
                answer = answer_policy(sources)
                if current.provenance != provenance or current.answer_policy != answer:
                    current.provenance = provenance
                    current.answer_policy = answer
                    to_update.append(current)
                continue
            to_update.append(current)
        for purpose in PURPOSES:
            setattr(current, POLICY_FIELDS[purpose], snapshot[purpose.value])
        current.disputed = policy.disputed
        current.verification = policy.verification
        current.provenance = provenance
        current.answer_policy = answer_policy(sources)
        current.links = urls
        current.updated_at = now
        changed.append(
            (current, snapshot | {"disputed": policy.disputed}, previous, previous_links)
        )

    events: list[ChangeEvent] = []
    if changed:
        for number, (current, after, before, links_before) in zip(
            allocate_sequence(len(changed)), changed, strict=True
        ):
            current.sequence = number
            events.append(
                ChangeEvent(
                    sequence=number,
                    track_id=current.track_id,
                    policy=after,
                    previous=before,
                    links=current.links,
                    previous_links=links_before,
                    disputed=after["disputed"],
                    cause=cause,
                    created_at=now,
                )
            )
    EffectivePolicy.objects.bulk_create(to_create, batch_size=1000)
    fields = [
        *POLICY_FIELDS.values(),
        "disputed",
        "verification",
        "provenance",
        "answer_policy",
        "links",
        "sequence",
        "updated_at",
    ]
    EffectivePolicy.objects.bulk_update(to_update, fields, batch_size=1000)
    ChangeEvent.objects.bulk_create(events, batch_size=1000)
    if events:
        last = events[-1].sequence
        transaction.on_commit(
            lambda: signals.changes_committed.send(sender=ChangeEvent, last_sequence=last)
        )
    return events


# --- Operations -----------------------------------------------------------------------------


def check_choices(choices: Mapping[Purpose, PurposeChoice]) -> None:
    """Refuse choices the registry cannot publish: a licence with nowhere to ask for it."""
    problem = licence_terms_missing(choices)
    if problem:
        raise ConsentError(problem)


def declare(
    creator: Creator,
    choices: Mapping[Purpose, PurposeChoice],
    track: Track | None = None,
) -> list[Declaration]:
    """Record a creator's choices for their whole catalogue (track None) or one track.

    Only purposes whose choice differs from the one in force are written, so history shows
    what changed. Returns the declarations written (empty when nothing changed).
    """
    refuse_if_suspended(creator)
    limit_declarations(creator, catalogue=track is None)
    check_choices(choices)
    with transaction.atomic():
        lock_consent_writes()
        if (
            track is not None
            and not Claim.objects.active().filter(track=track, creator=creator).exists()
        ):
            raise ConsentError("You can only declare choices for tracks you have claimed.")
        current = latest_statements([creator.id], [track.id] if track else [])
        in_force = current.get((creator.id, track.id if track else None), {})
        now = timezone.now()
        batch = None
        rows: list[Declaration] = []
        for purpose in PURPOSES:
            if purpose not in choices:
                continue
            choice = choices[purpose]
            before = in_force.get(purpose)
            before_key = (
                (before.value, before.terms_url, before.contact_email)
                if before
                else (Value.UNSET, "", "")
            )
            if before_key == (choice.value, choice.terms_url, choice.contact_email):
                continue
            row = Declaration(
                creator=creator,
                track=track,
                purpose=purpose.value,
                value=choice.value.value,
                terms_url=choice.terms_url,
                contact_email=choice.contact_email,
                declared_at=now,
            )
            batch = batch or row.batch
            row.batch = batch
            rows.append(row)
        if not rows:
            return []
        Declaration.objects.bulk_create(rows)
        if track is not None:
            affected = [track.id]
        else:
            affected = list(
                Claim.objects.active()
                .filter(creator=creator)
                .values_list("track_id", flat=True)
                .distinct()
            )
        refresh_policies(affected, cause="declaration")
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
    """
    refuse_if_suspended(creator)
    check_track_texts(items)
    for item in items:
        if item.duration_seconds is not None:
            try:
                check_duration(item.duration_seconds)
            except DurationError as exc:
                raise ConsentError(f"“{item.title}”: {exc}") from exc
    with transaction.atomic():
        lock_consent_writes()
        isrcs = [item.isrc for item in items if item.isrc]
        if len(isrcs) != len(set(isrcs)):
            raise ConsentError("The same ISRC appears more than once.")
        existing: dict[str, Track] = {}
        for chunk in _chunks(isrcs):
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
        for chunk in _chunks(existing_ids):
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
                    raise ConsentError(
                        f"You have already registered the {role} of “{track.title}”."
                    )
                claim = own_inactive.get((track.id, role))
                if claim is not None:
                    renewed.append(
                        renew_claim(claim, "; it cannot be registered again.", save=False)
                    )
                else:
                    claim = Claim(track=track, creator=creator, role=role)
                    new_claims.append(claim)
                claims_by_track[track.id].append(claim)
        Claim.objects.bulk_create(new_claims, batch_size=1000)
        Claim.objects.bulk_update(renewed, RENEWED_FIELDS)

        links: list[TrackLink] = []
        identifiers: dict[int, list[tuple[str, str]]] = defaultdict(list)
        new_ids = {t.id for t in new_tracks}
        # Counted once for the whole batch: a new track has no links yet, and a new or renewed
        # claim has none visible (an ended claim's links were hidden with it).
        on_track: dict[int, int] = defaultdict(int)
        for chunk in _chunks(existing_ids):
            for track_id in TrackLink.objects.filter(track_id__in=chunk).values_list(
                "track_id", flat=True
            ):
                on_track[track_id] += 1
        for item, track in zip(items, tracks, strict=True):
            urls = list(dict.fromkeys(normalize_url(link) for link in item.links))
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
        TrackLink.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
        disputes = collisions.settle(found)

        now = timezone.now()
        batch = uuid.uuid4()  # one registration or import reads as one entry in history
        declarations: list[Declaration] = []
        for item, track in zip(items, tracks, strict=True):
            check_choices(item.choices)
            for purpose, choice in item.choices.items():
                if choice.value == Value.UNSET:
                    continue
                declarations.append(
                    Declaration(
                        creator=creator,
                        track=track,
                        purpose=purpose.value,
                        value=choice.value.value,
                        terms_url=choice.terms_url,
                        contact_email=choice.contact_email,
                        batch=batch,
                        declared_at=now,
                    )
                )
        Declaration.objects.bulk_create(declarations, batch_size=1000)
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
        urls = [u for u in dict.fromkeys(normalize_url(u) for u in urls) if u not in present]
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
    return TrackLink.objects.filter(pk__in=list(link_ids)).update(
        hidden_at=timezone.now(), hidden_reason=reason, hidden_by=by
    )


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
        refresh_policies([link.track_id], cause="link-restored")
        AuditEntry.objects.create(
            user=reviewer,
            action=AuditEntry.Action.LINK_RESTORED,
            reason=reason,
            claim=link.claim,
            details={"link": link.url, "track": str(link.track.public_id)},
        )


def end_claims(claim_ids: Iterable[int], status: str, now=None) -> None:
    """Claims stop counting: their links leave every answer with them, and any verification in
    force ends. Call inside the transaction that holds the consent write lock, then
    `refresh_policies` for the claims' tracks: its event carries the hidden links too."""
    claim_ids = list(claim_ids)
    now = now or timezone.now()
    Claim.objects.filter(pk__in=claim_ids).update(status=status, ended_at=now)
    TrackLink.objects.filter(claim_id__in=claim_ids).update(
        hidden_at=now, hidden_reason=TrackLink.Hidden.CLAIM_ENDED
    )
    ClaimVerification.objects.in_force().filter(claim_id__in=claim_ids).update(
        ended_at=now, ended_reason=f"The claim was {status}."
    )
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


# --- Checking the derived state ------------------------------------------------------------


@dataclass
class Difference:
    track: Track
    stored: dict
    computed: dict


def find_policy_differences(track_ids: Sequence[int] | None = None) -> list[Difference]:
    """Every track whose stored EffectivePolicy differs from what its declarations and visible
    links give."""
    if track_ids is None:
        track_ids = list(Track.objects.order_by("id").values_list("id", flat=True))
    differences: list[Difference] = []
    for chunk in _chunks(list(track_ids)):
        computed = compute_policies(chunk)
        links = visible_links(chunk)
        stored = {p.track_id: p for p in EffectivePolicy.objects.filter(track_id__in=chunk)}
        tracks = Track.objects.in_bulk(chunk)
        for track_id in chunk:
            policy = computed[track_id]
            sources = policy.sources()
            want = policy.snapshot() | {
                "disputed": policy.disputed,
                "provenance": provenance_json(sources),
                "answer_policy": answer_policy(sources),
                "links": links.get(track_id, []),
            }
            current = stored.get(track_id)
            have = (
                current.snapshot()
                | {
                    "disputed": current.disputed,
                    "provenance": current.provenance,
                    "answer_policy": current.answer_policy,
                    "links": current.links,
                }
                if current
                else {}
            )
            if have != want:
                differences.append(Difference(tracks[track_id], have, want))
    return differences


def rebuild_policies(track_ids: Sequence[int] | None = None) -> list[Difference]:
    """Find differences and repair them through the normal path (so each repair is an event)."""
    with transaction.atomic():
        # Under the write lock, so what is reported as repaired is exactly what was repaired.
        lock_consent_writes()
        differences = find_policy_differences(track_ids)
        if differences:
            refresh_policies([d.track.id for d in differences], cause="rebuild")
    return differences
