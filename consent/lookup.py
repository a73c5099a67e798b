"""Answering "what do this track's owners allow?" for one identifier or ten thousand.

One builder (`registered_answer`) shapes every answer the machine face gives — single lookups,
batches, snapshots — from the materialized EffectivePolicy, or, for a past instant, from
declarations (`consent.policies.compute_policies(at=…)`). Lookups are set-based: now, one SQL
statement per identifier kind reads tracks, policies and links together (plain SQL: this is the
API's hottest path, and the ORM's query building cost more than the query); for the past, the
same matching, then a few ORM queries recompute what the matched tracks allowed, whatever the
number of items.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import orjson
import psycopg
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from consent.identifiers import (
    InvalidIdentifier,
    normalize_isrc,
    normalize_iswc,
    normalize_sha256,
    normalize_url,
)
from consent.models import ChangeEvent, Track, TrackLink
from consent.policies import combine_summaries, compute_policies, verification_summary
from consent.provenance import UNSET_ANSWER, answer_policy
from consent.purposes import PURPOSES, RESTRICTIVENESS, Value
from consent.reading import read_connection
from consent.standards.policy import Policy

KINDS = ("isrc", "iswc", "url", "sha256", "track")
PURPOSE_NAMES = tuple(p.value for p in PURPOSES)
_RANK = {v.value: rank for v, rank in RESTRICTIVENESS.items()}


@dataclass(frozen=True)
class Query:
    kind: str
    value: str  # normalized


def parse_query(kind: str, raw: object) -> Query:
    """Validate and normalize one identifier; InvalidIdentifier says what is wrong."""
    if kind not in KINDS:
        raise InvalidIdentifier(f"Unknown identifier kind “{kind}”; use one of {', '.join(KINDS)}.")
    if not isinstance(raw, str):
        raise InvalidIdentifier(f"The {kind} must be a string.")
    text = raw.strip()
    if kind == "isrc":
        return Query(kind, normalize_isrc(text))
    if kind == "iswc":
        return Query(kind, normalize_iswc(text))
    if kind == "url":
        return Query(kind, normalize_url(text))
    if kind == "sha256":
        return Query(kind, normalize_sha256(text))
    try:
        return Query(kind, str(uuid.UUID(text)))
    except ValueError as exc:
        raise InvalidIdentifier("A track id is the UUID shown on the track's page.") from exc


def _verified(item: dict) -> bool:
    return ((item.get("source") or {}).get("verification") or {}).get("status") == "verified"


def _combine(policies: Iterable[dict]) -> dict:
    """Several tracks matched one identifier: per purpose the most restrictive answer wins, and
    between equally restrictive ones a verified source's (as `consent.resolution.combine`)."""
    combined: dict = {}
    for policy in policies:
        for purpose, item in policy.items():
            current = combined.get(purpose)
            if (
                current is None
                or _RANK[item["value"]] > _RANK[current["value"]]
                or (
                    _RANK[item["value"]] == _RANK[current["value"]]
                    and _verified(item)
                    and not _verified(current)
                )
            ):
                combined[purpose] = item
    return combined


def registered_answer(track: dict, disputed: bool, policy, sequence: int, verification) -> dict:
    """The answer for one registered track; every endpoint and the snapshot use this shape.

    `policy` is the API's policy: a dict, or the JSON text stored in EffectivePolicy.answer_policy
    wrapped in an orjson.Fragment so it goes out without being decoded and encoded again;
    `verification` (how far the track's claims are proven) likewise.
    """
    return {
        "status": "registered",
        "track": track,
        "disputed": disputed,
        "verification": verification,
        "policy": policy,
        "sequence": sequence,
    }


def track_summary(public_id, title, artist_credit, isrc, iswc, links, audio_sha256="") -> dict:
    """The track as every answer, the snapshot and change events name it: each identifier a
    platform may look it up or key a mirror by."""
    return {
        "id": public_id,
        "title": title,
        "artist_credit": artist_credit,
        "isrc": isrc,
        "iswc": iswc or None,
        "audio_sha256": audio_sha256 or None,
        "links": links,
    }


UNREGISTERED = {
    "status": "unregistered",
    "track": None,
    "disputed": False,
    "verification": None,
    "policy": {p: UNSET_ANSWER for p in PURPOSE_NAMES},
    "sequence": None,
}


# --- Now: one lean SQL statement per identifier kind, whatever the number of identifiers ---------

_IDENTIFIER_COLUMNS = {
    "isrc": "isrc",
    "iswc": "iswc",
    "sha256": "audio_sha256",
    "track": "public_id",
}
# Each track's visible links in one column, newline-separated (a normalized URL holds no
# newline). Hidden links (TrackLink.hidden_at) never reach an answer.
_LINKS_AGGREGATE = {
    "postgresql": "(SELECT string_agg(l.url, chr(10) ORDER BY l.url) "
    "FROM consent_tracklink l WHERE l.track_id = t.id AND l.hidden_at IS NULL)",
    "sqlite": "(SELECT group_concat(l.url, char(10)) FROM consent_tracklink l "
    "WHERE l.track_id = t.id AND l.hidden_at IS NULL)",
}
# Track, EffectivePolicy and TrackLink of consent.models.
_CURRENT_SQL = (
    "SELECT t.id, t.public_id, t.title, t.artist_credit, t.isrc, t.iswc, p.disputed, "
    "CAST(p.answer_policy AS text), p.sequence, CAST(p.verification AS text), {links}, "
    "t.audio_sha256, t.{column} "
    "FROM consent_track t LEFT JOIN consent_effectivepolicy p ON p.track_id = t.id "
    "WHERE {where}"
)
# The same columns for the tracks holding a visible link, matched link last (then the receipt's
# state when asked): one statement answers URL lookups too.
_URL_CURRENT_SQL = (
    "SELECT t.id, t.public_id, t.title, t.artist_credit, t.isrc, t.iswc, p.disputed, "
    "CAST(p.answer_policy AS text), p.sequence, CAST(p.verification AS text), {links}, "
    "t.audio_sha256, m.url{state} "
    "FROM consent_tracklink m JOIN consent_track t ON t.id = m.track_id "
    "LEFT JOIN consent_effectivepolicy p ON p.track_id = t.id "
    "WHERE m.hidden_at IS NULL AND {where}"
)
# What a receipt states about the registry (consent.transparency.receipts.LogState), read by the
# answer's own statement so that it is exactly the state the answer saw: the last change
# sequence (consent.models.SequenceCounter) and the log's size (consent.models.LogEntry; entries
# are gap-free from 0). Two scalar subqueries, each one index read, evaluated once per statement;
# written without ORDER BY … LIMIT on the one-row counter and without max(), which PostgreSQL
# plans in two ways and compares: planning is most of what they cost, as statements are not
# prepared (about 51 µs of CPU together rather than 56-70, bench/receipt_cost.py).
_STATE_COLUMNS = (
    ", (SELECT value FROM consent_sequencecounter WHERE id = 1)"
    ', (SELECT "index" + 1 FROM consent_logentry ORDER BY "index" DESC LIMIT 1)'
)


def db_datetime(value) -> datetime | None:
    """A timestamp read with plain SQL: PostgreSQL gives aware datetimes, SQLite UTC text."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _chunked(values: list, size: int) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@contextmanager
def hot_cursor():
    """A cursor for the API's hottest statements.

    On PostgreSQL it binds parameters server-side, one `= ANY(array)` text per identifier kind
    whatever the number of values. Statements are not prepared: Django's connections disable
    psycopg's automatic preparation, and preparing them explicitly gave no measurable gain in
    `make bench`.
    """
    connection = read_connection()
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with psycopg.Cursor(connection.connection) as cursor:
            yield cursor
    else:
        with connection.cursor() as cursor:
            yield cursor


def select_where_in(sql: str, column: str, values: Sequence) -> list[tuple]:
    """Rows of `sql` (which says `WHERE {where}`) whose `column` is one of `values`.

    On PostgreSQL: one statement, `column = ANY(array)`, so the same text serves one value or
    ten thousand. Elsewhere (the embedded SQLite): `IN (…)` in chunks under SQLite's limit on
    parameters.
    """
    if not values:
        return []
    with hot_cursor() as cursor:
        if read_connection().vendor == "postgresql":
            cursor.execute(sql.format(where=f"{column} = ANY(%s)"), [list(values)])
            return cursor.fetchall()
        rows: list[tuple] = []
        for part in _chunked(list(values), 900):
            cursor.execute(sql.format(where=f"{column} IN ({', '.join(['%s'] * len(part))})"), part)
            rows.extend(cursor.fetchall())
        return rows


def _current_states(
    queries: Sequence[Query], state: list | None = None
) -> tuple[dict[tuple[str, str], list[int]], dict[int, tuple]]:
    """Which tracks each identifier matches, and each track's (summary, disputed, policy as JSON
    text, sequence), read with one statement per identifier kind (plus one for URLs).

    With a `state` list on PostgreSQL, the statements also read the registry's last change
    sequence and log size (`_STATE_COLUMNS`), and `state` ends up holding them as the last
    statement read them, or nothing when that statement matched no track (then no row carried
    them, and an earlier statement's would be older than what the last one saw)."""
    connection = read_connection()
    links = _LINKS_AGGREGATE.get(connection.vendor, _LINKS_AGGREGATE["sqlite"])
    with_state = state is not None and connection.vendor == "postgresql"
    extra = _STATE_COLUMNS if with_state else ""
    wanted: dict[str, set] = defaultdict(set)
    for query in queries:
        wanted[query.kind].add(query.value)
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    states: dict[int, tuple] = {}

    def read(rows: list[tuple]) -> list[tuple]:
        if with_state:
            state[:] = [(int(rows[0][-2] or 0), int(rows[0][-1] or 0))] if rows else []
            rows = [row[:-2] for row in rows]
        return rows

    def load(column: str, values) -> list[tuple]:
        sql = _CURRENT_SQL.replace("{links}", links).replace("{column}", column + extra)
        rows = select_where_in(sql, f"t.{column}", values)
        if values:
            rows = read(rows)
        for row in rows:
            states[row[0]] = _state_from_row(row)
        return sorted(rows, key=lambda row: row[0])

    with_urls = wanted.pop("url", None)
    for kind, values in wanted.items():
        if kind == "track":
            if connection.vendor == "postgresql":
                values = [uuid.UUID(v) for v in values]
            else:
                values = [uuid.UUID(v).hex for v in values]
        for row in load(_IDENTIFIER_COLUMNS[kind], values):
            matched = str(uuid.UUID(str(row[-1]))) if kind == "track" else row[-1]
            found[(kind, matched)].append(row[0])
    if with_urls:
        sql = _URL_CURRENT_SQL.replace("{links}", links).replace("{state}", extra)
        rows = read(select_where_in(sql, "m.url", sorted(with_urls)))
        for row in sorted(rows, key=lambda row: row[0]):
            states.setdefault(row[0], _state_from_row(row))
            if row[0] not in found[("url", row[-1])]:
                found[("url", row[-1])].append(row[0])
    return found, states


_NO_CLAIM = orjson.dumps(verification_summary([])).decode()


def _state_from_row(row: tuple) -> tuple:
    _, public_id, title, credit, isrc, iswc, disputed, policy, sequence, proof, links, sha, _ = row
    if not isinstance(public_id, uuid.UUID):  # SQLite keeps UUIDs as hex text
        public_id = uuid.UUID(public_id)
    urls = sorted(links.split("\n")) if links else []
    summary = track_summary(public_id, title, credit, isrc, iswc, urls, sha)
    if not proof or proof == "{}":
        proof = _NO_CLAIM
    return summary, bool(disputed), policy or "{}", sequence or 0, proof


_URL_VALUES_SQL = (
    "SELECT l.url, p.tdm, p.train_ai, p.train_genai, p.ai_input, p.search "
    "FROM consent_tracklink l JOIN consent_effectivepolicy p ON p.track_id = l.track_id "
    "WHERE l.hidden_at IS NULL AND {where}"
)
_COLUMN_PURPOSES = tuple(PURPOSES)  # the order of the value columns selected above


@lru_cache(maxsize=1024)
def _policy_of(values: tuple[str, ...]) -> Policy:
    """Policies are immutable and there are few distinct ones: build each once per process."""
    return Policy(values={p: Value(v) for p, v in zip(_COLUMN_PURPOSES, values, strict=True)})


def url_policies(urls: Sequence[str | None], found: set[str] | None = None) -> list[Policy]:
    """The policy in force now for each normalized URL (None: no URL), most restrictive across
    the tracks that share it; what the robots-style answers need, without provenance. `found`,
    when given, receives the URLs that are registered."""
    per_url: dict[str, tuple[str, ...]] = {}
    for url, *values in select_where_in(_URL_VALUES_SQL, "l.url", sorted({u for u in urls if u})):
        known = per_url.get(url, values)
        pairs = zip(known, values, strict=True)
        per_url[url] = tuple(max(a, b, key=_RANK.__getitem__) for a, b in pairs)
    if found is not None:
        found.update(per_url)
    unset = ("unset",) * len(_COLUMN_PURPOSES)
    return [_policy_of(per_url.get(url, unset) if url else unset) for url in urls]


# --- The past: recomputed from declarations --------------------------------------------------


def _past_states(track_ids: Iterable[int], at: datetime) -> dict[int, tuple]:
    """(summary, disputed, policy, sequence, verification) of each track that existed at `at`."""
    ids = sorted(set(track_ids))
    if not ids:
        return {}
    tracks = {
        row[0]: row
        for row in Track.objects.filter(id__in=ids, created_at__lte=at).values_list(
            "id", "public_id", "title", "artist_credit", "isrc", "iswc", "audio_sha256"
        )
    }
    links: dict[int, list[str]] = defaultdict(list)
    rows = TrackLink.all_objects.filter(track_id__in=list(tracks), created_at__lte=at).filter(
        Q(hidden_at__isnull=True) | Q(hidden_at__gt=at)
    )
    for track_id, url in rows.order_by("track_id", "url").values_list("track_id", "url"):
        links[track_id].append(url)
    computed = compute_policies(list(tracks), at)
    sequences = dict(
        ChangeEvent.objects.filter(track_id__in=list(tracks), created_at__lte=at)
        .values("track_id")
        .annotate(last=Max("sequence"))
        .values_list("track_id", "last")
    )
    return {
        track_id: (
            track_summary(*row[1:6], links.get(track_id, []), row[6]),
            computed[track_id].disputed,
            answer_policy(computed[track_id].sources()),
            sequences.get(track_id, 0),
            computed[track_id].verification,
        )
        for track_id, row in tracks.items()
    }


# --- Answers -----------------------------------------------------------------------------------


def _policy(policy: dict | str):
    """A stored policy goes out as the JSON text it is; a computed one as the dict it is."""
    return orjson.Fragment(policy) if isinstance(policy, str) else policy


def _decoded(policy: dict | str) -> dict:
    return orjson.loads(policy) if isinstance(policy, str) else policy


def _compose(track_ids: Sequence[int], states: dict[int, tuple]) -> dict:
    """The answer for the tracks one identifier matched (none, one, or several)."""
    matched = [states[i] for i in track_ids if i in states]
    if not matched:
        return dict(UNREGISTERED)
    summary, disputed, policy, sequence, proof = matched[0]
    if len(matched) == 1:
        return registered_answer(summary, disputed, _policy(policy), sequence, _policy(proof))
    answer = registered_answer(
        summary,
        any(state[1] for state in matched),
        _combine(_decoded(state[2]) for state in matched),
        max(state[3] for state in matched),
        combine_summaries(_decoded(state[4]) for state in matched),
    )
    # Each matched track with its own answer, so a platform can see why the combined one says
    # what it says.
    answer["matches"] = [
        {
            "track": state[0],
            "disputed": state[1],
            "verification": _policy(state[4]),
            "policy": _policy(state[2]),
            "sequence": state[3],
        }
        for state in matched
    ]
    return answer


def answer_queries(
    queries: Sequence[Query], at: datetime | None = None, state: list | None = None
) -> list[dict]:
    """One answer per query, in order: now from the materialized policies, or as of `at`.

    Given a list as `state`, a present answer on PostgreSQL leaves in it the (last change
    sequence, log size) the answer's own last statement read, when it could (`_current_states`),
    for its receipt; otherwise the list is left empty."""
    # The same matching serves both; a past answer then recomputes what each track allowed.
    if state is not None:
        state.clear()
    found, states = _current_states(queries, state if at is None else None)
    per_query = [found.get((q.kind, q.value), []) for q in queries]
    if at is not None:
        states = _past_states((i for ids in per_query for i in ids), at)
    return [_compose(ids, states) for ids in per_query]
