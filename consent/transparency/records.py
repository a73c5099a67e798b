"""The versioned records the registry appends to its transparency log (docs/log.md).

Each builder turns one database row into the record its current values give, so the same
function writes the entry and lets `verify_log` re-derive it. Records carry public ids, fixed
vocabularies and times only (consent.times' one format): no names, emails, URLs of terms or free
text, so the log can be published in full for ever.
"""

from collections.abc import Iterable, Sequence

from consent.models import ChangeEvent, Declaration
from consent.purposes import PURPOSES
from consent.times import rfc3339

from . import log

VERSION = 1


def declaration(row: Declaration, creator_id: str, track_id: str | None) -> dict:
    """A creator's statement for one purpose, at catalogue level (track null) or one track."""
    return {
        "v": VERSION,
        "type": "declaration",
        "declaration": row.pk,
        "batch": str(row.batch),
        "creator": creator_id,
        "track": track_id,
        "purpose": row.purpose,
        "value": row.value,
        "at": rfc3339(row.declared_at),
    }


def policy_change(event: ChangeEvent, track_id: str) -> dict:
    """A change of a track's effective policy or visible links: the change event `sequence`."""
    after = event.policy or {}
    return {
        "v": VERSION,
        "type": "policy",
        "sequence": event.sequence,
        "track": track_id,
        "cause": event.cause,
        "values": {p.value: after[p.value] for p in PURPOSES if p.value in after},
        "disputed": bool(event.disputed),
        "links": list(event.links) if event.links is not None else None,
        "at": rfc3339(event.created_at),
    }


def _public_ids(model, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    found: dict[int, str] = {}
    ordered = sorted(wanted)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        for pk, public in model.objects.filter(pk__in=chunk).values_list("pk", "public_id"):
            found[pk] = str(public)
    return found


def declaration_records(rows: Sequence[Declaration]) -> list[dict]:
    from consent.models import Creator, Track

    creators = _public_ids(Creator, (row.creator_id for row in rows))
    tracks = _public_ids(Track, (row.track_id for row in rows))
    return [
        declaration(
            row, creators[row.creator_id], tracks.get(row.track_id) if row.track_id else None
        )
        for row in rows
    ]


def change_records(events: Sequence[ChangeEvent]) -> list[dict]:
    from consent.models import Track

    tracks = _public_ids(Track, (event.track_id for event in events))
    return [policy_change(event, tracks[event.track_id]) for event in events]


def log_declarations(rows: Sequence[Declaration]) -> range:
    """Append an entry per declaration just written (in the same locked transaction)."""
    return log.append_many(declaration_records(rows))


def log_changes(events: Sequence[ChangeEvent]) -> range:
    """Append an entry per change event just written (in the same locked transaction)."""
    return log.append_many(change_records(events))
