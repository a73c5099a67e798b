"""The derived read model: each track's EffectivePolicy and the ChangeEvent log of its changes.

Declarations, claims, verifications, disputes and visible links are the source of truth; this
module derives from them what each track's policy is (`compute_policies`, also as of any past
instant), writes it where it changed (`refresh_policies`, one numbered ChangeEvent per change),
and checks and repairs the stored state (`find_policy_differences`, `rebuild_policies`).

Every operation that changes the source of truth (consent.services, consent.links,
consent.disputes ...) runs in one transaction that first takes the consent write lock
(`lock_consent_writes`, the row of SequenceCounter), then calls `refresh_policies`. That lock
serializes consent writes, which gives two guarantees at once: a policy is always computed from
every earlier committed declaration (no lost update between two writers of one track), and
change events commit in the order of their sequence numbers.
"""

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from consent import signals
from consent.bulk import update_rows
from consent.errors import ConsentError
from consent.models import (
    POLICY_FIELDS,
    ChangeEvent,
    Claim,
    ClaimVerification,
    Declaration,
    Dispute,
    EffectivePolicy,
    SequenceCounter,
    Track,
    TrackLink,
)
from consent.provenance import ClaimProof, Source, answer_policy, provenance_json, read_sources
from consent.purposes import PURPOSES, Purpose, Value
from consent.resolution import (
    Resolved,
    Statement,
    combine,
    reservations_only,
    resolve_claim,
    unverified,
)
from consent.transparency import records

CHUNK = 2000


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
    # The track's own active claims (`claims` holds every claim of the computation).
    claim_ids: tuple[int, ...] = ()

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


class RegistryBusy(ConsentError):
    """The consent write lock could not be taken within CONSENT_LOCK_TIMEOUT_MS.

    Nothing of the write was saved (its transaction is rolled back). A ConsentError, so every
    face shows its sentence as it shows any refusal.
    """

    MESSAGE = (
        "The registry is busy saving other changes, so nothing was saved. Please try again in a "
        "moment."
    )

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)


# While consent.writes prepares a write outside the lock, taking the lock is deferred to the
# moment it commits (`consent.writes.prepared_write`); this holds that write's state.
_preparing: ContextVar = ContextVar("consent_preparing", default=None)


def preparing_write():
    """The write being prepared outside the lock in this context (consent.writes), or None."""
    return _preparing.get()


@contextmanager
def preparing(write) -> Iterator[None]:
    """Within the block, `write` is being prepared outside the lock (consent.writes)."""
    token = _preparing.set(write)
    try:
        yield
    finally:
        _preparing.reset(token)


def lock_consent_writes() -> None:
    """Take the consent write lock for the rest of the transaction.

    Every write first bounds how long it may wait for any lock (`SET LOCAL lock_timeout`,
    CONSENT_LOCK_TIMEOUT_MS): a writer queued behind a long one gives up with RegistryBusy
    instead of piling up requests. Inside `consent.writes.prepared_write` the lock is taken
    later, once the write is computed (a no-op here).
    """
    if _preparing.get() is not None:
        return
    bound_lock_waits()
    try:
        # The row comes from a migration; get_or_create only matters after a table flush (tests).
        SequenceCounter.objects.select_for_update().get_or_create(pk=1)
    except OperationalError as exc:
        if getattr(getattr(exc, "__cause__", None), "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise RegistryBusy from exc
        raise
    _time_hold()


LOCK_NOT_AVAILABLE = "55P03"
logger = logging.getLogger("consent.writes")
# Called with the seconds each commit held the lock (the bench records them).
lock_hold_observers: list = []


class _LockHold:
    """Registered once per transaction that takes the lock: after its commit, how long the
    lock was held (from taking it, to the end of the commit) is logged when it exceeds
    CONSENT_LOCK_WARN_MS and given to `lock_hold_observers`."""

    def __init__(self) -> None:
        self.since = time.perf_counter()

    def __call__(self) -> None:
        held = time.perf_counter() - self.since
        if held * 1000 > settings.CONSENT_LOCK_WARN_MS:
            logger.warning("The consent write lock was held for %.0f ms", held * 1000)
        for observer in list(lock_hold_observers):
            observer(held)


def _time_hold() -> None:
    if any(isinstance(callback[1], _LockHold) for callback in connection.run_on_commit):
        return  # taken earlier in this transaction: the first time counts
    transaction.on_commit(_LockHold())


def bound_lock_waits() -> None:
    """Every lock this transaction waits for from now on (the consent write lock, a row being
    inserted by another writer) gives up after CONSENT_LOCK_TIMEOUT_MS (`SET LOCAL`)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)",
                [f"{int(settings.CONSENT_LOCK_TIMEOUT_MS)}ms"],
            )


def last_sequence() -> int:
    """The number of the registry's latest change event (0 before the first one)."""
    return SequenceCounter.objects.values_list("value", flat=True).first() or 0


def allocate_sequence(count: int) -> range:
    """Reserve `count` consecutive change-event numbers inside the current transaction."""
    SequenceCounter.objects.filter(pk=1).update(value=F("value") + count)
    end = SequenceCounter.objects.values_list("value", flat=True).get(pk=1)
    return range(end - count + 1, end + 1)


# --- Reading declarations -------------------------------------------------------------------


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
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
    for creator_chunk in chunks(creator_ids):
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
    track_ids: Sequence[int],
    at: datetime | None = None,
    *,
    assume: Mapping[tuple[int, int | None], Mapping[Purpose, Statement]] | None = None,
) -> dict[int, ComputedPolicy]:
    """What each track's policy is, derived from claims and declarations alone.

    With `at`, the policy that was in force at that instant: the claims held then, the disputes
    open then, the declarations made by then, and suspensions already decided then.

    With `assume`, the statements given replace those in force for their (creator, track or None)
    keys: what the policy would be after such a change, through the same resolution (the track
    page says what "inherit" would lead to for a purpose the artist has set).
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
    for chunk in chunks(list(track_ids)):
        for claim in (
            claims_then.filter(track_id__in=chunk)
            .select_related("creator")
            .order_by("created_at", "id")
        ):
            claims_by_track[claim.track_id].append(claim)
            claims[claim.id] = claim
        disputed.update(disputes_then.filter(track_id__in=chunk).values_list("track_id", flat=True))
    for chunk in chunks(list(claims)):
        rows = proofs_then.filter(claim_id__in=chunk)
        for claim_id, method in rows.order_by("-started_at", "-id").values_list(
            "claim_id", "method"
        ):
            proofs[claim_id] = method  # the oldest proof in force wins: it is written last
    statements = latest_statements(
        (c.creator_id for c in claims.values()), list(claims_by_track.keys()), at
    )
    statements.update(assume or {})
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
        result[track_id] = ComputedPolicy(
            combine(per_claim),
            track_id in disputed,
            claims,
            summary,
            tuple(claim.id for claim in track_claims),
        )
    return result


# --- Writing the derived state --------------------------------------------------------------


def visible_links(track_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each track's visible links, sorted: what answers, snapshots and change events carry."""
    links: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(list(track_ids)):
        rows = TrackLink.objects.filter(track_id__in=chunk).order_by("track_id", "url")
        for track_id, url in rows.values_list("track_id", "url"):
            links[track_id].append(url)
    return links


@dataclass(frozen=True)
class Derived:
    """A track's policy as it would be stored: what `write_policies` compares and writes.

    `creators` and `claims` are what it was derived from (the track's active claims and their
    creators), so a write computed outside the lock knows which later commits could change it
    (consent.writes).
    """

    snapshot: dict
    disputed: bool
    verification: dict
    provenance: dict
    answer: dict
    links: list[str]
    creators: frozenset[int] = frozenset()
    claims: frozenset[int] = frozenset()


def derive_policies(track_ids: Sequence[int]) -> dict[int, Derived]:
    """Every track's policy as `refresh_policies` would store it now. Reads only."""
    track_ids = list(track_ids)
    computed = compute_policies(track_ids)
    links = visible_links(track_ids)
    derived: dict[int, Derived] = {}
    for track_id in track_ids:
        policy = computed[track_id]
        sources = policy.sources()
        derived[track_id] = Derived(
            snapshot=policy.snapshot(),
            disputed=policy.disputed,
            verification=policy.verification,
            provenance=provenance_json(sources),
            answer=answer_policy(sources),
            links=links.get(track_id, []),
            creators=frozenset(policy.claims[c].creator_id for c in policy.claim_ids),
            claims=frozenset(policy.claim_ids),
        )
    return derived


def stored_policies(track_ids: Sequence[int]) -> dict[int, EffectivePolicy]:
    stored: dict[int, EffectivePolicy] = {}
    for chunk in chunks(list(track_ids)):
        stored.update({p.track_id: p for p in EffectivePolicy.objects.filter(track_id__in=chunk)})
    return stored


def refresh_policies(track_ids: Iterable[int], cause: str) -> range:
    """Bring EffectivePolicy up to date for these tracks and log every change as a ChangeEvent.

    A change is one of the policy (values, terms, verification, disputed) or of the track's
    visible links: EffectivePolicy.links holds the sorted links of the track's last event and is
    compared like the values. So every operation that adds, removes, hides or restores a link
    calls this one function, and a platform mirroring `snapshot + changes` learns of every URL
    that starts or stops answering, in the same numbered order as every other change. An
    operation that changes both the policy and the links writes one event, which carries both.

    Must run inside the transaction that changed claims, declarations or links, after
    `lock_consent_writes()`. Returns the sequence numbers of the events written. Inside
    `consent.writes.prepared_write` the policies are derived here and written once the lock is
    taken (nothing is written yet: an empty range).
    """
    track_ids = sorted(set(track_ids))
    if not track_ids:
        return range(0)
    preparing = _preparing.get()
    if preparing is not None:
        return preparing.refresh(track_ids, cause)
    return write_policies(derive_policies(track_ids), stored_policies(track_ids), cause)


def write_policies(
    derived: Mapping[int, Derived], stored: Mapping[int, EffectivePolicy], cause: str
) -> range:
    """Store `derived` where it differs from `stored` and number an event for each change.

    Under the consent write lock: it allocates sequence numbers.
    """
    return commit_planned(plan_policies(derived, stored, cause))


@dataclass
class Planned:
    """What `write_policies` will write, worked out before the lock (`plan_policies`): per
    changed track the stored row as it will be and its event's before and after, and on
    PostgreSQL every row's values already rendered as SQL, so that under the lock only the
    sequence numbers are added and the statements sent."""

    cause: str
    now: datetime
    # track id → (the policy as it will be stored, after, before, links before)
    changed: dict[int, tuple[EffectivePolicy, dict, dict, list[str]]] = field(default_factory=dict)
    quiet: dict[int, EffectivePolicy] = field(default_factory=dict)  # provenance only
    created: set[int] = field(default_factory=set)
    public_ids: dict[int, str] = field(default_factory=dict)
    policy_sql: dict[int, str] = field(default_factory=dict)
    event_sql: dict[int, str] = field(default_factory=dict)
    quiet_sql: dict[int, str] = field(default_factory=dict)
    # Each event's log entry in its canonical bytes, its sequence number still a placeholder.
    log_entries: dict[int, bytes] = field(default_factory=dict)

    def without(self, track_ids: Iterable[int]) -> "Planned":
        """This plan less some tracks (to be planned again under the lock)."""
        drop = set(track_ids)
        keep = {
            name: {k: v for k, v in getattr(self, name).items() if k not in drop}
            for name in (
                "changed",
                "quiet",
                "public_ids",
                "policy_sql",
                "event_sql",
                "quiet_sql",
                "log_entries",
            )
        }
        return Planned(self.cause, self.now, created=self.created - drop, **keep)


_POLICY_COLUMNS = (
    "track_id",
    *POLICY_FIELDS.values(),
    "disputed",
    "verification",
    "provenance",
    "answer_policy",
    "links",
    "updated_at",
)
_EVENT_COLUMNS = (
    "track_id",
    "policy",
    "previous",
    "links",
    "previous_links",
    "disputed",
    "cause",
    "created_at",
)


def plan_policies(
    derived: Mapping[int, Derived], stored: Mapping[int, EffectivePolicy], cause: str
) -> Planned:
    """Compare `derived` with `stored` and prepare every row to write; reads only."""
    plan = Planned(cause=cause, now=timezone.now())
    now = plan.now
    for track_id in sorted(derived):
        policy = derived[track_id]
        snapshot = policy.snapshot
        provenance = policy.provenance
        urls = policy.links
        current = stored.get(track_id)
        if current is None:
            current = EffectivePolicy(track_id=track_id, updated_at=now)
            previous: dict = {}
            previous_links: list[str] = []
            plan.created.add(track_id)
        else:
            previous = current.snapshot() | {"disputed": current.disputed}
            previous_links = list(current.links)
            if previous == snapshot | {"disputed": policy.disputed} and previous_links == urls:
                answer = policy.answer
                if current.provenance != provenance or current.answer_policy != answer:
                    current.provenance = provenance
                    current.answer_policy = answer
                    plan.quiet[track_id] = current
                continue
        for purpose in PURPOSES:
            setattr(current, POLICY_FIELDS[purpose], snapshot[purpose.value])
        current.disputed = policy.disputed
        current.verification = policy.verification
        current.provenance = provenance
        current.answer_policy = policy.answer
        current.links = urls
        current.updated_at = now
        after = snapshot | {"disputed": policy.disputed}
        plan.changed[track_id] = (current, after, previous, previous_links)
    if plan.changed:
        plan.public_ids = records.track_public_ids(list(plan.changed))
        for track_id, (current, after, _, _) in plan.changed.items():
            plan.log_entries[track_id] = records.policy_change_template(
                track_id=track_id,
                public_id=plan.public_ids[track_id],
                cause=cause,
                policy=after,
                links=current.links,
                created_at=now,
            )
    if connection.vendor == "postgresql":
        _render(plan)
    return plan


def _render(plan: Planned) -> None:
    """Every row's values as SQL text (psycopg's own quoting), before the lock."""
    from psycopg import ClientCursor

    connection.ensure_connection()
    cursor = ClientCursor(connection.connection)
    casts = {"provenance", "answer_policy", "verification", "links", "policy", "previous"}
    casts |= {"previous_links"}

    def values(obj, columns, extra=None) -> list:
        out = []
        for column in columns:
            value = extra[column] if extra and column in extra else getattr(obj, column)
            if column in casts:
                value = None if value is None else json.dumps(value)
            out.append(value)
        return out

    policy_row = "(" + ", ".join(_typed(c) for c in _POLICY_COLUMNS) + ", "
    event_row = ", ".join(_typed(c) for c in _EVENT_COLUMNS) + ")"
    for track_id, (current, after, before, links_before) in plan.changed.items():
        plan.policy_sql[track_id] = cursor.mogrify(policy_row, values(current, _POLICY_COLUMNS))
        event = {
            "track_id": track_id,
            "policy": after,
            "previous": before,
            "links": current.links,
            "previous_links": links_before,
            "disputed": after["disputed"],
            "cause": plan.cause,
            "created_at": plan.now,
        }
        plan.event_sql[track_id] = cursor.mogrify(event_row, values(None, _EVENT_COLUMNS, event))
    for track_id, current in plan.quiet.items():
        plan.quiet_sql[track_id] = cursor.mogrify(
            "(%s::bigint, %s::jsonb, %s::jsonb)",
            [track_id, json.dumps(current.provenance), json.dumps(current.answer_policy)],
        )


def _typed(column: str) -> str:
    if column in ("provenance", "answer_policy", "verification", "links", "policy", "previous"):
        return "%s::jsonb"
    if column == "previous_links":
        return "%s::jsonb"
    if column in ("updated_at", "created_at"):
        return "%s::timestamptz"
    if column == "disputed":
        return "%s::boolean"
    if column == "track_id":
        return "%s::bigint"
    return "%s"


def commit_planned(plan: Planned) -> range:
    """Number the plan's events and write it all; their sequence numbers. Under the consent
    write lock."""
    track_ids = list(plan.changed)
    numbers = allocate_sequence(len(track_ids)) if track_ids else range(0)
    if connection.vendor == "postgresql":
        _send(plan, numbers)
    else:
        events = []
        for number, track_id in zip(numbers, track_ids, strict=True):
            current, after, before, links_before = plan.changed[track_id]
            current.sequence = number
            events.append(
                ChangeEvent(
                    sequence=number,
                    track_id=track_id,
                    policy=after,
                    previous=before,
                    links=current.links,
                    previous_links=links_before,
                    disputed=after["disputed"],
                    cause=plan.cause,
                    created_at=plan.now,
                )
            )
        EffectivePolicy.objects.bulk_create(
            [plan.changed[t][0] for t in track_ids if t in plan.created], batch_size=1000
        )
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
        update_rows(
            EffectivePolicy,
            [plan.changed[t][0] for t in track_ids if t not in plan.created],
            fields,
        )
        update_rows(EffectivePolicy, list(plan.quiet.values()), ["provenance", "answer_policy"])
        ChangeEvent.objects.bulk_create(events, batch_size=1000)
    records.log_numbered([plan.log_entries[track_id] for track_id in track_ids], numbers)
    if numbers:
        last = numbers[-1]
        transaction.on_commit(
            lambda: signals.changes_committed.send(sender=ChangeEvent, last_sequence=last)
        )
    return numbers


def _send(plan: Planned, numbers: range) -> None:
    """The plan's statements, with the sequence numbers added to the rendered rows."""
    quote = connection.ops.quote_name
    policy_columns = ", ".join(quote(c) for c in (*_POLICY_COLUMNS, "sequence"))
    assignments = ", ".join(
        f"{quote(c)} = EXCLUDED.{quote(c)}" for c in (*_POLICY_COLUMNS[1:], "sequence")
    )
    event_columns = ", ".join(quote(c) for c in ("sequence", *_EVENT_COLUMNS))
    with connection.cursor() as cursor:
        numbered = list(zip(numbers, plan.changed, strict=True))
        for start in range(0, len(numbered), 1000):
            chunk = numbered[start : start + 1000]
            rows = ", ".join(f"{plan.policy_sql[track]}{int(number)})" for number, track in chunk)
            cursor.execute(
                f"INSERT INTO consent_effectivepolicy ({policy_columns}) VALUES {rows} "  # noqa: S608
                f"ON CONFLICT (track_id) DO UPDATE SET {assignments}"
            )
            rows = ", ".join(f"({int(number)}, {plan.event_sql[track]}" for number, track in chunk)
            cursor.execute(
                f"INSERT INTO consent_changeevent ({event_columns}) VALUES {rows}"  # noqa: S608
            )
        quiet = list(plan.quiet_sql.values())
        for start in range(0, len(quiet), 1000):
            cursor.execute(
                "UPDATE consent_effectivepolicy AS t SET provenance = v.provenance, "  # noqa: S608
                "answer_policy = v.answer_policy FROM (VALUES "
                + ", ".join(quiet[start : start + 1000])
                + ") AS v(track_id, provenance, answer_policy) WHERE t.track_id = v.track_id"
            )


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
    for chunk in chunks(list(track_ids)):
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
