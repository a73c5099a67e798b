"""Answering "what do this track's owners allow?" for one identifier or ten thousand.

One builder (`Answers`) shapes every answer the machine face gives — single lookups, batches,
snapshots — from the materialized EffectivePolicy, or, for a past instant, from declarations
(`consent.services.compute_policies(at=…)`). Lookups are set-based: one query per identifier
kind, one for the tracks and their policies, one for their links, whatever the number of items.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max

from consent.identifiers import InvalidIdentifier, normalize_isrc, normalize_iswc, normalize_url
from consent.models import ChangeEvent, Track, TrackLink
from consent.purposes import PURPOSES, RESTRICTIVENESS, Value
from consent.services import compute_policies

KINDS = ("isrc", "iswc", "url", "sha256", "track")
PURPOSE_NAMES = tuple(p.value for p in PURPOSES)
_RANK = {v.value: rank for v, rank in RESTRICTIVENESS.items()}
_HEX = frozenset("0123456789abcdef")
_SOURCE_FIELDS = ("level", "declared_for", "claim", "role", "creator", "declaration", "declared_at")
_UNSET = {"value": Value.UNSET.value, "source": None}


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
        digest = text.lower()
        if len(digest) != 64 or not set(digest) <= _HEX:
            raise InvalidIdentifier("A sha256 is 64 hexadecimal characters.")
        return Query(kind, digest)
    try:
        return Query(kind, str(uuid.UUID(text)))
    except ValueError as exc:
        raise InvalidIdentifier("A track id is the UUID shown on the track's page.") from exc


def find_tracks(queries: Sequence[Query]) -> list[list[int]]:
    """The ids of the tracks each query matches, in order; one SQL query per kind used."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for query in queries:
        wanted[query.kind].add(query.value)
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    column = {"isrc": "isrc", "iswc": "iswc", "sha256": "audio_sha256", "track": "public_id"}
    for kind, values in wanted.items():
        if kind == "url":
            rows = TrackLink.objects.filter(url__in=values).order_by("track_id")
            pairs = rows.values_list("url", "track_id")
        else:
            rows = Track.objects.filter(**{f"{column[kind]}__in": values}).order_by("id")
            pairs = rows.values_list(column[kind], "id")
        for value, track_id in pairs:
            ids = found[(kind, str(value))]
            if track_id not in ids:
                ids.append(track_id)
    return [found.get((q.kind, q.value), []) for q in queries]


def policy_from_provenance(provenance: dict) -> dict:
    """The API's `policy`: per purpose its value, where it comes from, and licence terms."""
    policy = {}
    for purpose in PURPOSE_NAMES:
        entry = provenance.get(purpose)
        if not entry or entry.get("value", "unset") == "unset":
            policy[purpose] = _UNSET
            continue
        item = {
            "value": entry["value"],
            "source": {field: entry.get(field) for field in _SOURCE_FIELDS},
        }
        if entry["value"] == "license":
            item["terms"] = {
                "terms_url": entry.get("terms_url", ""),
                "contact_email": entry.get("contact_email", ""),
            }
        policy[purpose] = item
    return policy


def _combine(policies: Iterable[dict]) -> dict:
    """Several tracks matched one identifier: per purpose the most restrictive answer wins."""
    combined: dict = {}
    for policy in policies:
        for purpose, item in policy.items():
            current = combined.get(purpose)
            if current is None or _RANK[item["value"]] > _RANK[current["value"]]:
                combined[purpose] = item
    return combined


def registered_answer(track: dict, disputed: bool, provenance: dict, sequence: int) -> dict:
    """The answer for one registered track; every endpoint and the snapshot use this shape."""
    return {
        "status": "registered",
        "track": track,
        "disputed": disputed,
        "policy": policy_from_provenance(provenance),
        "sequence": sequence,
    }


def track_summary(public_id, title, artist_credit, isrc, iswc, links) -> dict:
    return {
        "id": public_id,
        "title": title,
        "artist_credit": artist_credit,
        "isrc": isrc,
        "iswc": iswc or None,
        "links": links,
    }


UNREGISTERED = {
    "status": "unregistered",
    "track": None,
    "disputed": False,
    "policy": {p: _UNSET for p in PURPOSE_NAMES},
    "sequence": None,
}


class Answers:
    """Loads what the answers for a set of tracks need, now or as of a past instant."""

    def __init__(self, track_ids: Iterable[int], at: datetime | None = None):
        self.at = at
        ids = sorted(set(track_ids))
        self.tracks: dict[int, tuple] = {}
        self.links: dict[int, list[str]] = defaultdict(list)
        self.past: dict[int, tuple[bool, dict, int]] = {}
        if not ids:
            return
        fields = ["id", "public_id", "title", "artist_credit", "isrc", "iswc", "created_at"]
        if at is None:
            fields += ["policy__disputed", "policy__provenance", "policy__sequence"]
        for row in Track.objects.filter(id__in=ids).values_list(*fields):
            self.tracks[row[0]] = row
        links = TrackLink.objects.filter(track_id__in=ids).order_by("track_id", "url")
        if at is not None:
            links = links.filter(created_at__lte=at)
        for track_id, url in links.values_list("track_id", "url"):
            self.links[track_id].append(url)
        if at is not None:
            self._load_past(ids, at)

    def _load_past(self, ids: list[int], at: datetime) -> None:
        existing = [i for i in ids if self.tracks[i][6] <= at]
        computed = compute_policies(existing, at)
        sequences = dict(
            ChangeEvent.objects.filter(track_id__in=existing, created_at__lte=at)
            .values("track_id")
            .annotate(last=Max("sequence"))
            .values_list("track_id", "last")
        )
        self.past = {
            track_id: (policy.disputed, policy.provenance(), sequences.get(track_id, 0))
            for track_id, policy in computed.items()
        }

    def _state(self, track_id: int) -> tuple[bool, dict, int] | None:
        """(disputed, provenance, sequence) of a track, or None if it was not registered."""
        row = self.tracks.get(track_id)
        if row is None:
            return None
        if self.at is None:
            return bool(row[7]), row[8] or {}, row[9] or 0
        return self.past.get(track_id)

    def track(self, track_id: int) -> dict:
        row = self.tracks[track_id]
        return track_summary(*row[1:6], self.links.get(track_id, []))

    def answer(self, track_ids: Sequence[int]) -> dict:
        """The answer for the tracks one identifier matched (none, one, or several)."""
        states = [(i, self._state(i)) for i in track_ids]
        states = [(i, s) for i, s in states if s is not None]
        if not states:
            return dict(UNREGISTERED)
        first_id, (disputed, provenance, sequence) = states[0]
        answer = registered_answer(self.track(first_id), disputed, provenance, sequence)
        if len(states) > 1:
            answer["disputed"] = any(s[0] for _, s in states)
            answer["policy"] = _combine(policy_from_provenance(s[1]) for _, s in states)
            answer["sequence"] = max(s[2] for _, s in states)
            answer["matches"] = [self.tracks[i][1] for i, _ in states]
        return answer
