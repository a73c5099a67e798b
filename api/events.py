"""One change event as platforms see it: on `GET /api/v1/changes` and inside webhook batches.

`event()` is the shape. On PostgreSQL the feed has the database write the same JSON
(`JSON_SQL`, faster for pages of 10,000), and a test holds the two to the same output.
"""

import uuid

import orjson

from consent.lookup import db_datetime, hot_cursor
from consent.reading import read_connection
from consent.times import SQL_FORMAT, rfc3339

# A row of ChangeEvent joined with its Track, in the order `event()` takes.
COLUMNS = (
    "e.sequence, t.public_id, t.isrc, t.iswc, CAST(e.policy AS text), "
    "CAST(e.previous AS text), e.disputed, e.cause, e.created_at, CAST(e.links AS text), "
    "CAST(e.previous_links AS text), t.audio_sha256"
)
JSON_SQL = (
    "json_build_object('sequence', e.sequence, 'track', json_build_object('id', t.public_id, "
    "'isrc', t.isrc, 'iswc', NULLIF(t.iswc, ''), 'audio_sha256', NULLIF(t.audio_sha256, ''), "
    "'links', e.links), 'policy', e.policy, "
    "'previous', e.previous, 'previous_links', e.previous_links, "
    "'disputed', e.disputed, 'cause', e.cause, 'created_at', "
    f"to_char(e.created_at AT TIME ZONE 'UTC', '{SQL_FORMAT}'))::text"
)
PAGE_SQL = (
    "SELECT {columns} FROM consent_changeevent e JOIN consent_track t ON t.id = e.track_id "
    "WHERE e.sequence > %s ORDER BY e.sequence LIMIT %s"
)


def _json(value):
    """A JSON column as read: text (sent as it is stored), a decoded value, or None."""
    return orjson.Fragment(value) if isinstance(value, str) else value


def event(
    sequence,
    public_id,
    isrc,
    iswc,
    policy,
    previous,
    disputed,
    cause,
    created_at,
    links=None,
    previous_links=None,
    audio_sha256="",
) -> dict:
    """`policy`, `previous`, `links` and `previous_links` as JSON text or as decoded values.

    `track` names the identifiers a mirror keys on, as the snapshot's track does: id, isrc, iswc,
    audio_sha256 and the track's visible links after the change; `previous_links` the links
    before it. Both are null on events recorded before link changes were change events.
    """
    if not isinstance(public_id, uuid.UUID):  # SQLite keeps UUIDs as hex text
        public_id = uuid.UUID(public_id)
    return {
        "sequence": sequence,
        "track": {
            "id": public_id,
            "isrc": isrc,
            "iswc": iswc or None,
            "audio_sha256": audio_sha256 or None,
            "links": _json(links),
        },
        "policy": _json(policy),
        "previous": _json(previous),
        "previous_links": _json(previous_links),
        "disputed": bool(disputed),
        "cause": cause,
        # The same spelling as PostgreSQL's `SQL_FORMAT` above (consent.times).
        "created_at": rfc3339(db_datetime(created_at)),
    }


def read_page(after: int, limit: int) -> list[tuple[int, object]]:
    """(sequence, the event's JSON) for up to `limit` events after `after`."""
    with hot_cursor() as cursor:
        if read_connection().vendor == "postgresql":
            cursor.execute(PAGE_SQL.format(columns=f"e.sequence, {JSON_SQL}"), [after, limit])
            return cursor.fetchall()
        cursor.execute(PAGE_SQL.format(columns=COLUMNS), [after, limit])
        return [(row[0], orjson.dumps(event(*row))) for row in cursor.fetchall()]
