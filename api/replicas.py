"""Which database answers a platform API read: a read replica, or the primary.

With DATABASE_REPLICA_URLS set, the API's read endpoints (lookups, batches, `as_of`, the changes
feed, the compatible query, the snapshot) are answered from a PostgreSQL streaming replica; every
other request, and everything outside the request (Celery, migrations), uses the primary
(consent.reading). docs/operations.md, "Read replicas", is the operator's side of this.

A replica is used only while it is up and close behind the primary. Each process checks its
replicas at most every REPLICA_CHECK_SECONDS, from whichever request comes first (the others go
on with what the last check found, never waiting for it): one statement on the primary for how
far its WAL has been flushed, one on each replica for how far it has replayed and the last change
sequence it holds. A replica's lag is measured against the primary's positions seen at earlier
checks: it is at most the time since the primary's WAL was where the replica's replay is now, so
a quiet registry never looks behind, and a replica that stopped replaying falls further behind
with every check. One further than REPLICA_MAX_LAG_SECONDS behind is skipped until it catches up;
one that cannot be reached is skipped, and tried again after REPLICA_RETRY_SECONDS. A request
that meets a replica failing is answered again from the primary: a replica is never an error
to the caller.

`min_sequence=N` asks for an answer that includes every change up to N (read-your-writes after a
webhook or a page of the changes feed named N): a replica that has reached N answers, else the
primary. The replica's sequence is the one its last check read; only when that is below N is it
read again, one primary-key read of a one-row table.

Answers that carry a receipt are read from the primary: the receipt states the registry's last
sequence and a checkpoint read there, and an answer read from an older state would not be the
answer at that sequence.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from functools import wraps

import psycopg
from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)

from api.errors import invalid
from consent.policies import last_sequence
from consent.reading import reading_from

logger = logging.getLogger(__name__)

PARAMETER = "min_sequence"
BIGINT_MAX = 2**63 - 1  # sequences are PostgreSQL bigints

# How far the primary has flushed its WAL, in bytes from the start; and when the server started,
# to tell the primary itself (reached under another address) from a promoted former replica.
_PRIMARY_SQL = (
    "SELECT pg_wal_lsn_diff(pg_current_wal_flush_lsn(), '0/0')::bigint, pg_postmaster_start_time()"
)
# How far a replica has replayed, and the last change sequence it holds (the table of
# consent.models.SequenceCounter, as consent/snapshot.py reads it).
_REPLICA_SQL = (
    "SELECT pg_is_in_recovery(), pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() "
    "THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END, '0/0')::bigint, "
    "pg_postmaster_start_time(), "
    "(SELECT value FROM consent_sequencecounter WHERE id = 1)"
)
# The replica failing rather than the query: unreachable, gone, or cancelling a query that
# conflicted with recovery. The hottest reads run on psycopg's own cursors (consent.lookup), whose
# errors Django does not translate.
FAILING = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
_SEQUENCE_SQL = "SELECT value FROM consent_sequencecounter WHERE id = 1"


@dataclass
class Replica:
    """What this process last found out about one replica."""

    alias: str
    up: bool = False
    # Seconds it may be behind the primary; None while that is unknown.
    lag: float | None = None
    # The last change sequence it was seen holding.
    sequence: int = 0
    # When (monotonic seconds) to try a replica found down again.
    retry_at: float = 0.0
    problem: str = "not checked yet"

    @property
    def usable(self) -> bool:
        return self.up and self.lag is not None and self.lag <= settings.REPLICA_MAX_LAG_SECONDS

    def status(self) -> str:
        return "ok" if self.usable else self.problem


def lag_seconds(samples: deque, replayed: int, now: float) -> float | None:
    """How far behind a replica that has replayed the WAL up to `replayed` may be, in seconds.

    `samples` are (monotonic time, the primary's flushed WAL position then), oldest first. The
    replica holds everything the primary had written at the newest sample at or below its
    position, so it is at most `now` minus that sample's time behind. None when it is behind
    every sample kept: further behind than anything this process can vouch for.
    """
    for at, position in reversed(samples):
        if position <= replayed:
            return max(0.0, now - at)
    return None


@dataclass
class ReplicaSet:
    """The replicas of this process, and the primary's WAL positions seen at recent checks."""

    aliases: tuple[str, ...]
    replicas: dict[str, Replica] = field(init=False)
    samples: deque = field(default_factory=deque)
    checked_at: float = float("-inf")
    primary_started: object = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    turns: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self):
        self.replicas = {alias: Replica(alias) for alias in self.aliases}

    def due(self, now: float) -> bool:
        return now - self.checked_at >= settings.REPLICA_CHECK_SECONDS

    def check(self, now: float | None = None, *, wait: bool = False) -> None:
        """Measure every replica now; a check already under way in another thread is left to
        finish on its own unless `wait`."""
        if not self.lock.acquire(blocking=wait):
            return
        try:
            now = time.monotonic() if now is None else now
            self.checked_at = now
            if not self._sample_primary(now):
                return
            for replica in self.replicas.values():
                if not replica.up and now < replica.retry_at:
                    continue
                self._check(replica, now)
        finally:
            self.lock.release()

    def _sample_primary(self, now: float) -> bool:
        try:
            with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
                cursor.execute(_PRIMARY_SQL)
                position, self.primary_started = cursor.fetchone()
        except DatabaseError as exc:
            # Without the primary's position no lag can be measured, and the request will meet
            # the same failure on the primary: it is not the replicas' to hide.
            for replica in self.replicas.values():
                replica.lag, replica.problem = None, f"primary unreachable: {_reason(exc)}"
            return False
        if self.samples and self.samples[-1][1] == position:
            self.samples[-1] = (now, position)  # no newer write: caught up to now means this
        else:
            self.samples.append((now, position))
        horizon = now - settings.REPLICA_MAX_LAG_SECONDS - settings.REPLICA_CHECK_SECONDS
        while len(self.samples) > 1 and self.samples[0][0] < horizon:
            self.samples.popleft()
        return True

    def _check(self, replica: Replica, now: float) -> None:
        try:
            with connections[replica.alias].cursor() as cursor:
                cursor.execute(_REPLICA_SQL)
                recovering, replayed, started, sequence = cursor.fetchone()
        except DatabaseError as exc:
            self.mark_down(replica.alias, exc)
            return
        replica.up, replica.sequence = True, sequence or 0
        if not recovering and started != self.primary_started:
            # A replica that was promoted no longer follows this primary.
            replica.lag, replica.problem = None, "not a replica (promoted?)"
            return
        replica.lag = None if replayed is None else lag_seconds(self.samples, replayed, now)
        if replica.lag is None:
            # It lacks what the primary had written at the oldest position kept, so it is at
            # least that old.
            oldest = self.samples[0][0] if self.samples else now
            replica.problem = f"behind by more than {now - oldest:.0f} s"
        elif replica.lag > settings.REPLICA_MAX_LAG_SECONDS:
            replica.problem = f"behind by {replica.lag:.0f} s"
        else:
            replica.problem = ""

    def mark_down(self, alias: str, exc: Exception) -> None:
        """Skip `alias` until REPLICA_RETRY_SECONDS from now, and drop its connection."""
        replica = self.replicas[alias]
        if replica.up:
            logger.warning("Read replica %s is down, skipped: %s", alias, _reason(exc))
        replica.up, replica.lag = False, None
        replica.problem = f"down: {_reason(exc)}"
        replica.retry_at = _now() + settings.REPLICA_RETRY_SECONDS
        with contextlib.suppress(DatabaseError):
            connections[alias].close()

    def reached(self, replica: Replica, minimum: int) -> bool:
        """Whether `replica` holds every change up to `minimum`, reading its sequence again only
        when the last one seen is below it."""
        if replica.sequence >= minimum:
            return True
        try:
            with connections[replica.alias].cursor() as cursor:
                cursor.execute(_SEQUENCE_SQL)
                row = cursor.fetchone()
        except DatabaseError as exc:
            self.mark_down(replica.alias, exc)
            return False
        replica.sequence = max(replica.sequence, row[0] if row else 0)
        return replica.sequence >= minimum

    def choose(self, minimum: int | None = None) -> str:
        """The alias to read from: a usable replica (in turn), else the primary."""
        now = _now()
        if self.due(now):
            self.check(now)
        usable = [replica for replica in self.replicas.values() if replica.usable]
        if not usable:
            return DEFAULT_DB_ALIAS
        start = next(self.turns) % len(usable)
        ordered = usable[start:] + usable[:start]
        if minimum is None:
            return ordered[0].alias
        for replica in ordered:
            if self.reached(replica, minimum):
                return replica.alias
        return DEFAULT_DB_ALIAS

    def statuses(self) -> dict[str, str]:
        if self.due(_now()):
            self.check()
        return {alias: replica.status() for alias, replica in self.replicas.items()}


def _now() -> float:
    return time.monotonic()


def _reason(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__


_current: ReplicaSet | None = None
_current_lock = threading.Lock()


def replica_set() -> ReplicaSet | None:
    """This process's replicas (None without any), made again when the setting changes."""
    global _current
    aliases = tuple(settings.DATABASE_REPLICAS)
    current = _current
    if current is not None and current.aliases == aliases:
        return current
    if not aliases:
        return None
    with _current_lock:
        if _current is None or _current.aliases != aliases:
            _current = ReplicaSet(aliases)
        return _current


def forget() -> None:
    """Forget what was found about the replicas (tests that change them call it)."""
    global _current
    _current = None


def min_sequence(request) -> int | None:
    """The `min_sequence` query parameter: None when not given; 400 when not a sequence."""
    raw = request.query_params.get(PARAMETER)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid(
            f"{PARAMETER} must be a change sequence, an integer; got {raw!r}.", field=PARAMETER
        ) from None
    if not 0 <= value <= BIGINT_MAX:
        raise invalid(f"{PARAMETER} must be between 0 and {BIGINT_MAX:,}.", field=PARAMETER)
    return value


def _check_reached_on_primary(minimum: int | None) -> None:
    if minimum is None:
        return
    latest = last_sequence()
    if minimum > latest:
        raise invalid(
            f"{PARAMETER}={minimum:,} is past the latest change event ({latest:,}); give a "
            "sequence this API or a webhook has given you.",
            field=PARAMETER,
        )


def replica_reads(handler=None, *, cursor: str | None = None):
    """For an API view's read handler: parse `min_sequence`, choose the database, run there.

    Authentication, permissions and throttling have run before (on the primary: a revoked key
    fails at once); the handler's reads go to the chosen replica. A replica that fails while
    answering is skipped and the request answered again from the primary, which a handler that
    only reads makes safe.

    `cursor` names a query parameter that is itself a sequence the client has seen (`after` of
    the changes feed): the answer must include it as `min_sequence` would, so a client paging
    from a cursor one replica gave it is never told by a replica further behind that its cursor
    lies in the future. A malformed one is left for the view to refuse.
    """
    if handler is None:
        return lambda handler: replica_reads(handler, cursor=cursor)

    @wraps(handler)
    def read(view, request, *args, **kwargs):
        minimum = min_sequence(request)
        floor = minimum
        if cursor is not None:
            seen = _sequence_or_none(request.query_params.get(cursor))
            if seen is not None and (floor is None or seen > floor):
                floor = seen
        replicas = replica_set()
        alias = DEFAULT_DB_ALIAS
        if replicas is not None and not getattr(request, "receipt_asked", None):
            alias = replicas.choose(floor)
        if alias != DEFAULT_DB_ALIAS:
            try:
                with reading_from(alias):
                    return handler(view, request, *args, **kwargs)
            except FAILING as exc:
                replicas.mark_down(alias, exc)
            except (DatabaseError, psycopg.Error) as exc:
                # Not the replica failing as such (a schema change not replayed yet, say): the
                # primary answers, and raises the same error itself if the fault is the query's.
                logger.warning(
                    "Read replica %s failed a read, answered by the primary: %s", alias, exc
                )
        _check_reached_on_primary(minimum)
        return handler(view, request, *args, **kwargs)

    return read


def _sequence_or_none(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 <= value <= BIGINT_MAX else None
