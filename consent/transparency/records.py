"""The versioned records the registry appends to its transparency log (docs/log.md).

Each builder turns one database row into the record its current values give, so the same
function writes the entry and lets `verify_log` re-derive it (on PostgreSQL the numerous kinds'
records are written by SQL that mirrors these builders, `verify.CANONICAL_SQL`: a change here
must be made there too, and tests/consent/test_verify_log.py compares the two). Records carry
public ids, fixed vocabularies and times only (consent.times' one format): no names, emails, URLs
of terms or free text, so the log can be published in full for ever.
"""

from collections.abc import Iterable, Sequence
from types import SimpleNamespace

from django.db import connection
from django.db.models.expressions import RawSQL

from consent.models import ChangeEvent, Declaration
from consent.purposes import PURPOSES
from consent.times import rfc3339

from . import log
from .jcs import canonical

VERSION = 1
PURPOSE_VALUES = tuple(p.value for p in PURPOSES)


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
        "values": {value: after[value] for value in PURPOSE_VALUES if value in after},
        "disputed": bool(event.disputed),
        "links": list(event.links) if event.links is not None else None,
        "at": rfc3339(event.created_at),
    }


def _in(ids: list[int]) -> list | RawSQL:
    """`ids` for a `pk__in` lookup: on PostgreSQL one array parameter (a query of 10,000 ids
    costs what one of ten does), elsewhere the list itself."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"])
    return ids


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    step = 50_000 if connection.vendor == "postgresql" else 1000
    for start in range(0, len(ids), step):
        yield ids[start : start + step]


def _public_ids(model, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(wanted)):
        for pk, public in model.objects.filter(pk__in=_in(chunk)).values_list("pk", "public_id"):
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


# A change event's entry is encoded before its number is known (consent.policies plans writes
# outside the lock); this number stands in for it and is replaced once allocated. JCS writes an
# integer as its digits, and a quote inside a string value is escaped, so the key and this value
# appear nowhere else in the entry.
_SEQUENCE_PLACEHOLDER = b'"sequence":9007199254740991'


def policy_change_template(
    *, track_id: int, public_id: str, cause: str, policy: dict, links, created_at
) -> bytes:
    """The canonical bytes of a change event's entry, its sequence number to be filled in by
    `log_numbered`."""
    event = SimpleNamespace(
        sequence=9007199254740991,
        track_id=track_id,
        cause=cause,
        policy=policy,
        disputed=policy.get("disputed", False),
        links=links,
        created_at=created_at,
    )
    data = canonical(policy_change(event, public_id))
    if data.count(_SEQUENCE_PLACEHOLDER) != 1:
        raise ValueError("A change event's entry must name its sequence once.")
    return data


def log_numbered(templates: Sequence[bytes], numbers: range) -> range:
    """Append the entries of change events just numbered, from their templates."""
    return log.append_many_encoded(
        [
            data.replace(_SEQUENCE_PLACEHOLDER, b'"sequence":%d' % number)
            for data, number in zip(templates, numbers, strict=True)
        ]
    )


def track_public_ids(track_ids: Iterable[int]) -> dict[int, str]:
    """The public ids of tracks, to log their events (read before the lock: they never change)."""
    from consent.models import Track

    return _public_ids(Track, track_ids)


def log_changes(events: Sequence[ChangeEvent], public_ids: dict[int, str] | None = None) -> range:
    """Append an entry per change event just written (in the same locked transaction);
    `public_ids` are the tracks' public ids when read already."""
    if public_ids is None:
        return log.append_many(change_records(events))
    return log.append_many([policy_change(event, public_ids[event.track_id]) for event in events])


# --- Rows whose state changes: an entry each time it does; the latest one is the row now ----


def _at(value) -> str | None:
    return rfc3339(value) if value is not None else None


def _plain(choice):
    """A choice's value as the str it is: a claim just written holds the enumeration's member
    (a str subclass), which `jcs.canonical` writes the same but only by its slow path."""
    return getattr(choice, "value", choice)


def claim_state(claim, creator_id: str, track_id: str) -> dict:
    """A claim registered, renewed, withdrawn or revoked: its status and when it ended."""
    return {
        "v": VERSION,
        "type": "claim",
        "claim": str(claim.public_id),
        "track": track_id,
        "creator": creator_id,
        "role": _plain(claim.role),
        "status": _plain(claim.status),
        "created_at": rfc3339(claim.created_at),
        "ended_at": _at(claim.ended_at),
    }


def verification_state(verification, claim_id: str) -> dict:
    """A verification of a claim started (and, once it has, ended); method, not detail."""
    return {
        "v": VERSION,
        "type": "verification",
        "verification": verification.pk,
        "claim": claim_id,
        "method": verification.method,
        "started_at": rfc3339(verification.started_at),
        "ended_at": _at(verification.ended_at),
    }


def link_state(link, track_id: str, creator_id: str, claim_id: str | None) -> dict:
    """A link added to a track, and whether (and why, from a fixed list) it is hidden."""
    return {
        "v": VERSION,
        "type": "link",
        "link": link.pk,
        "track": track_id,
        "url": link.url,
        "added_by": creator_id,
        "claim": claim_id,
        "created_at": rfc3339(link.created_at),
        "hidden_at": _at(link.hidden_at),
        "hidden_reason": link.hidden_reason or None,
    }


def dispute_decision(dispute, track_id: str, upheld: str | None) -> dict:
    """A reviewer's decision on a dispute: the outcome and the claim it kept (no reasons)."""
    return {
        "v": VERSION,
        "type": "dispute-decision",
        "dispute": str(dispute.public_id),
        "track": track_id,
        "role": dispute.role,
        "outcome": dispute.outcome,
        "upheld_claim": upheld,
        "at": rfc3339(dispute.decided_at),
    }


def suspension(creator) -> dict:
    """A creator's account suspended after a review (their denials stay in force)."""
    return {
        "v": VERSION,
        "type": "suspension",
        "creator": str(creator.public_id),
        "at": rfc3339(creator.suspended_at),
    }


def _ids(rows) -> list[int]:
    return sorted({row if isinstance(row, int) else row.pk for row in rows})


def _fetch(model, ids: list[int], related: tuple = ()) -> list:
    found = []
    for start in range(0, len(ids), 1000):
        query = model._base_manager.filter(pk__in=ids[start : start + 1000])
        found += list(query.select_related(*related).order_by("pk"))
    return found


def claim_records(claims) -> list[dict]:
    from consent.models import Creator, Track

    creators = _public_ids(Creator, (c.creator_id for c in claims))
    tracks = _public_ids(Track, (c.track_id for c in claims))
    return [claim_state(c, creators[c.creator_id], tracks[c.track_id]) for c in claims]


def verification_records(rows) -> list[dict]:
    from consent.models import Claim

    claims = _public_ids(Claim, (v.claim_id for v in rows))
    return [verification_state(v, claims[v.claim_id]) for v in rows]


def link_records(links) -> list[dict]:
    from consent.models import Claim, Creator, Track

    tracks = _public_ids(Track, (link.track_id for link in links))
    creators = _public_ids(Creator, (link.added_by_id for link in links))
    claims = _public_ids(Claim, (link.claim_id for link in links))
    return [
        link_state(
            link, tracks[link.track_id], creators[link.added_by_id], claims.get(link.claim_id)
        )
        for link in links
    ]


def decision_records(disputes) -> list[dict]:
    from consent.models import Claim, Track

    tracks = _public_ids(Track, (d.track_id for d in disputes))
    claims = _public_ids(Claim, (d.upheld_claim_id for d in disputes))
    return [
        dispute_decision(d, tracks[d.track_id], claims.get(d.upheld_claim_id)) for d in disputes
    ]


def _states(model, ids: list[int], fields: tuple[str, ...], public: tuple[str, ...]) -> list:
    """The rows `ids` of `model` as they are now in the transaction, as namespaces of `fields`
    and of the public ids `public` (joined, in the same query), in id order. Reading values, not
    model instances, keeps logging a 10,000-row import cheap."""
    found = []
    names = ("pk", *fields, *(name.replace("__public_id", "_public") for name in public))
    for chunk in _chunks(ids):
        query = model._base_manager.filter(pk__in=_in(chunk)).order_by("pk")
        for row in query.values_list("pk", *fields, *public):
            found.append(SimpleNamespace(**dict(zip(names, row, strict=True))))
    return found


def _text(value) -> str | None:
    return None if value is None else str(value)


def log_claims(claims) -> range:
    """Append the state of these claims (rows or ids) as they are now in the transaction."""
    from consent.models import Claim

    fields = ("public_id", "role", "status", "created_at", "ended_at")
    rows = _states(Claim, _ids(claims), fields, ("creator__public_id", "track__public_id"))
    return log.append_many(
        [claim_state(c, str(c.creator_public), str(c.track_public)) for c in rows]
    )


def log_written_claims(claims) -> range:
    """Append the state of claims this transaction has just written from these very instances
    (their track and creator loaded with them): reading 10,000 of them back would cost more than
    the rest of logging an import. Any other claim is read back as `log_claims` does."""
    from consent.models import Claim

    fields = (Claim.track, Claim.creator)
    if not all(
        c.pk is not None and c.created_at is not None and all(f.is_cached(c) for f in fields)
        for c in claims
    ):
        return log_claims(claims)
    return log.append_many(
        [claim_state(c, str(c.creator.public_id), str(c.track.public_id)) for c in claims]
    )


def log_verifications(rows) -> range:
    from consent.models import ClaimVerification

    fields = ("method", "started_at", "ended_at")
    found = _states(ClaimVerification, _ids(rows), fields, ("claim__public_id",))
    return log.append_many([verification_state(v, str(v.claim_public)) for v in found])


def log_links(links) -> range:
    from consent.models import TrackLink

    fields = ("url", "created_at", "hidden_at", "hidden_reason")
    public = ("track__public_id", "added_by__public_id", "claim__public_id")
    found = _states(TrackLink, _ids(links), fields, public)
    return log.append_many(
        [
            link_state(
                link,
                str(link.track_public),
                str(link.added_by_public),
                _text(link.claim_public),
            )
            for link in found
        ]
    )


def log_decision(dispute) -> range:
    from consent.models import Dispute

    return log.append_many(decision_records(_fetch(Dispute, _ids([dispute]))))


def log_suspension(creator) -> range:
    return log.append_many([suspension(creator)])
