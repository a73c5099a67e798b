"""Writes that compute outside the consent write lock and hold it only to number and commit.

The consent write lock (consent.policies.lock_consent_writes) orders every writer: change
events are numbered without gaps and commit in order, and the transparency log's indexes with
them. Holding it while a write computes thousands of policies stalled every other writer of the
registry for as long, so a heavy write (a catalogue-wide change, an import, an update from a
file) runs in three steps, all in one transaction:

1. **Prepare, unlocked.** Note the log's size (the watermark), then run the write as it always
   ran: it writes its facts (declarations, tracks, claims, links) in its own still-invisible
   transaction and asks `refresh_policies` for its tracks. Here the lock is not taken, the log
   entries are encoded and kept, and the policies are derived (`derive_policies`), compared
   with the stored ones and every row to write rendered as SQL, each event's log entry encoded
   with its number left blank (`plan_policies`); the facts' foreign keys are checked. Nothing
   of the derived state is written yet.
2. **Check, locked.** Take the lock, then read what committed since the watermark. Every fact
   that can change an answer is a log entry written in the transaction that wrote it, after
   the lock, so the entries from the watermark on are exactly the commits the preparation may
   not have seen. Each names the tracks, creators and claims it concerns (consent.transparency
   .records); a prepared track is stale when an entry names it, one of its claims, or a creator
   holding one of its claims.
3. **Number and commit, locked.** Stale tracks (at most CONSENT_RECOMPUTE_UNDER_LOCK of them)
   are derived and planned again under the lock; then the kept log entries are appended, the
   sequence numbers allocated and added to the rendered rows and entries (`commit_planned`),
   and the transaction commits.

A write starts again from a savepoint (which also releases the lock) when it cannot trust its
own decisions: an entry names one of its `actors` (the creator who writes: the same artist's
concurrent save may have changed what "changed" meant), an entry is of a kind in `retry_on`
(registrations decide collisions and existing tracks from other claims and links), too many
tracks are stale, or an entry is of a kind this module does not know. After
CONSENT_WRITE_ATTEMPTS − 1 such attempts the last one takes the lock first and computes under
it, as every write once did, so a write always completes.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction

from consent import policies
from consent.models import Claim, Creator, EffectivePolicy, LogEntry, Track
from consent.transparency import log

T = TypeVar("T")

# Entries read back under the lock at most; a busier interval is treated as "everything
# changed" (the write starts again).
MAX_ENTRIES_CHECKED = 5000


class Retry(Exception):
    """The prepared write cannot be committed as it is: start again from its savepoint."""


@dataclass
class Touched:
    """What committed since a watermark, by the internal ids the log's public ids stand for."""

    tracks: set[int] = field(default_factory=set)
    creators: set[int] = field(default_factory=set)
    claims: set[int] = field(default_factory=set)
    kinds: set[str] = field(default_factory=set)


@dataclass
class Preparing:
    """A write being prepared outside the lock: the entries it will append and the policies it
    will write."""

    watermark: int
    log_entries: list[bytes] = field(default_factory=list)
    leaves: list[bytes] = field(default_factory=list)
    derived: dict[int, policies.Derived] = field(default_factory=dict)
    stored: dict[int, EffectivePolicy] = field(default_factory=dict)
    causes: dict[int, str] = field(default_factory=dict)

    def keep_log_entries(self, datas: Sequence[bytes], leaves: Sequence[bytes]) -> None:
        self.log_entries += datas
        self.leaves += leaves

    def refresh(self, track_ids: Sequence[int], cause: str) -> list:
        """`refresh_policies` while preparing: derive now, write under the lock. A track
        refreshed twice keeps the cause of its first refresh and the state of its last."""
        self.derived.update(policies.derive_policies(track_ids))
        unread = [track_id for track_id in track_ids if track_id not in self.stored]
        self.stored.update(policies.stored_policies(unread))
        for track_id in track_ids:
            self.causes.setdefault(track_id, cause)
        return []

    def plans(self, only: set[int] | None = None) -> list[policies.Planned]:
        """What to write, one plan per cause in the order the causes came."""
        plans = []
        for cause in dict.fromkeys(self.causes.values()):
            tracks = [
                t for t, c in self.causes.items() if c == cause and (only is None or t in only)
            ]
            derived = {t: self.derived[t] for t in tracks}
            stored = {t: self.stored[t] for t in tracks if t in self.stored}
            plans.append(policies.plan_policies(derived, stored, cause))
        return plans


def touched_since(watermark: int) -> Touched | None:
    """The tracks, creators and claims named by entries from `watermark` on; None when there
    are too many to check or one is of a kind not known here."""
    rows = list(
        LogEntry.objects.filter(index__gte=watermark)
        .order_by("index")
        .values_list("data", flat=True)[: MAX_ENTRIES_CHECKED + 1]
    )
    if len(rows) > MAX_ENTRIES_CHECKED:
        return None
    tracks: set[str] = set()
    creators: set[str] = set()
    claims: set[str] = set()
    kinds: set[str] = set()
    for data in rows:
        record = json.loads(bytes(data))
        kind = record.get("type")
        kinds.add(kind)
        if kind in ("declaration", "policy", "dispute-decision"):
            tracks.add(record.get("track"))
            creators.add(record.get("creator"))
        elif kind == "claim":
            tracks.add(record["track"])
            creators.add(record["creator"])
            claims.add(record["claim"])
        elif kind == "link":
            tracks.add(record["track"])
            claims.add(record.get("claim"))
        elif kind == "verification":
            claims.add(record["claim"])
        elif kind == "suspension":
            creators.add(record["creator"])
        else:
            return None
    # A catalogue-wide declaration names no track; a declaration's creator is what matters.
    tracks.discard(None)
    creators.discard(None)
    claims.discard(None)
    return Touched(
        tracks=set(_internal(Track, tracks)),
        creators=set(_internal(Creator, creators)),
        claims=set(_internal(Claim, claims)),
        kinds=kinds,
    )


def _internal(model, public_ids: Iterable[str]) -> list[int]:
    public_ids = list(public_ids)
    if not public_ids:
        return []
    return list(model.objects.filter(public_id__in=public_ids).values_list("pk", flat=True))


def stale_tracks(preparing: Preparing, touched: Touched) -> set[int]:
    return {
        track_id
        for track_id, derived in preparing.derived.items()
        if track_id in touched.tracks
        or derived.creators & touched.creators
        or derived.claims & touched.claims
    }


def prepared_write(
    body: Callable[[], T],
    *,
    actors: Iterable[int] = (),
    retry_on: Iterable[str] = (),
    attempts: int | None = None,
) -> T:
    """Run `body` (a write that takes the lock and refreshes policies as any write does) with
    its computation outside the consent write lock; see the module's docstring.

    Inside another prepared write (an update from a file registers tracks and declares) the
    body simply joins it. How long the lock is held is timed by `lock_consent_writes`.
    """
    if policies.preparing_write() is not None:
        return body()
    actors = set(actors)
    retry_on = set(retry_on)
    attempts = attempts or settings.CONSENT_WRITE_ATTEMPTS
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                if attempt == attempts - 1:
                    policies.lock_consent_writes()
                    return body()
                return _attempt(body, actors, retry_on)
        except Retry:
            continue
    raise AssertionError("unreachable: the last attempt runs under the lock")


def _attempt(body, actors: set[int], retry_on: set[str]):
    policies.bound_lock_waits()
    preparing = Preparing(watermark=log.size())
    with policies.preparing(preparing):
        result = body()
    # Everything but the numbers is worked out before the lock: the rows to write, and the
    # foreign keys of the facts written so far checked now rather than at the commit.
    plans = preparing.plans()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    policies.lock_consent_writes()
    if preparing.log_entries or preparing.derived:
        touched = touched_since(preparing.watermark)
        if touched is None or touched.creators & actors or touched.kinds & retry_on:
            raise Retry
        stale = stale_tracks(preparing, touched)
        if len(stale) > settings.CONSENT_RECOMPUTE_UNDER_LOCK:
            raise Retry
        if stale:
            preparing.derived.update(policies.derive_policies(sorted(stale)))
            preparing.stored.update(policies.stored_policies(sorted(stale)))
            plans = [plan.without(stale) for plan in plans]
            plans += preparing.plans(only=stale)
        log.append_encoded(preparing.log_entries, preparing.leaves)
        for plan in plans:
            policies.commit_planned(plan)
    return result
