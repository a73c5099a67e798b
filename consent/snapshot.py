"""Every registered track's answer, streamed from one consistent database snapshot.

The snapshot reads in a REPEATABLE READ transaction on its own connection: the change-event
counter and every row come from the same instant, so `snapshot + changes?after=<its sequence>`
is an exact sync. Rows are read with server-side cursors in blocks, so memory stays constant
whatever the size of the registry.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import orjson
from django.db import connections, transaction
from django.utils import timezone

from consent.lookup import registered_answer, track_summary

BLOCK = 5000

# The tables of consent.models Track, EffectivePolicy, TrackLink and SequenceCounter.
_TRACKS_SQL = """
    SELECT t.id, t.public_id, t.title, t.artist_credit, t.isrc, t.iswc, t.audio_sha256,
           p.disputed, CAST(p.answer_policy AS text), p.sequence, CAST(p.verification AS text)
    FROM consent_track t
    JOIN consent_effectivepolicy p ON p.track_id = t.id
    ORDER BY t.id
"""
_LINKS_SQL = (
    "SELECT track_id, url FROM consent_tracklink WHERE hidden_at IS NULL ORDER BY track_id, url"
)
_SEQUENCE_SQL = "SELECT value FROM consent_sequencecounter WHERE id = 1"
# consent.models LogEntry: entries are numbered from 0 without gaps.
_LOG_SIZE_SQL = 'SELECT COALESCE(MAX("index") + 1, 0)'


def _merge(tracks: Iterator[tuple], links: Iterator[tuple]) -> Iterator[dict]:
    """Join two cursors ordered by track id, without holding either in memory."""
    pending = next(links, None)
    for row in tracks:
        track_id, public_id, title, credit, isrc, iswc, sha, disputed, policy, sequence, proof = row
        urls = []
        while pending is not None and pending[0] <= track_id:
            if pending[0] == track_id:
                urls.append(pending[1])
            pending = next(links, None)
        if not isinstance(public_id, uuid.UUID):  # SQLite keeps UUIDs as hex text
            public_id = uuid.UUID(public_id)
        summary = track_summary(public_id, title, credit, isrc, iswc, urls, sha)
        yield registered_answer(
            summary, bool(disputed), orjson.Fragment(policy), sequence, orjson.Fragment(proof)
        )


def _rows(cursor, sql: str) -> Iterator[tuple]:
    cursor.execute(sql)
    while block := cursor.fetchmany(BLOCK):
        yield from block


@dataclass(frozen=True)
class SnapshotState:
    """What one snapshot read saw, besides its rows: the last change event it includes, the
    size of the transparency log then (every entry behind every row it holds: entries are
    appended in the transaction that records their facts), and when the read happened."""

    sequence: int
    log_size: int
    at: datetime


@contextmanager
def open_snapshot(alias: str = "default"):
    """Yields (sequence, answers): the last change event the snapshot includes, and its rows."""
    with read_snapshot(alias) as (state, answers):
        yield state.sequence, answers


@contextmanager
def read_snapshot(alias: str = "default"):
    """Yields (SnapshotState, answers), all read in one consistent database snapshot."""
    connection = connections[alias]
    if connection.vendor != "postgresql":
        # The embedded SQLite set-up has one writer at a time; one transaction is consistent.
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(_SEQUENCE_SQL)
            row = cursor.fetchone()
            cursor.execute(_LOG_SIZE_SQL + " FROM consent_logentry")
            (log_size,) = cursor.fetchone()
            tracks = list(_rows(cursor, _TRACKS_SQL))
            links = list(_rows(cursor, _LINKS_SQL))
        state = SnapshotState(row[0] if row else 0, int(log_size), timezone.now())
        yield state, _merge(iter(tracks), iter(links))
        return

    import psycopg

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("server_side_binding", None)
    with psycopg.connect(**params) as raw:
        raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        row = raw.execute(_SEQUENCE_SQL).fetchone()
        # now() is the transaction's start: the instant this snapshot of the database shows.
        log_size, at = raw.execute(_LOG_SIZE_SQL + ", now() FROM consent_logentry").fetchone()
        with (
            raw.cursor(name="snapshot_tracks") as tracks,
            raw.cursor(name="snapshot_links") as links,
        ):
            tracks.itersize = links.itersize = BLOCK
            yield (
                SnapshotState(row[0] if row else 0, int(log_size), at),
                _merge(_rows(tracks, _TRACKS_SQL), _rows(links, _LINKS_SQL)),
            )
        raw.rollback()
