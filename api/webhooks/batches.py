"""What an endpoint receives: the events after its cursor that pass its filters, as one body.

An event has the shape of `GET /api/v1/changes` (sequence, track, policy, previous,
previous_links, disputed, cause, created_at) plus `types`, so a platform handles both the same
way. A batch is
`{"type": "consent.changes", "timestamp": …, "data": {"endpoint", "after", "until", "events"}}`:
once acknowledged, the endpoint's cursor becomes `until`, which may lie beyond the last event
sent when the events between did not pass the endpoint's filters.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from api.events import event
from api.models import WebhookEndpoint
from api.renderers import dumps
from consent.models import ChangeEvent, Claim, TrackLink
from consent.times import rfc3339

BATCH_TYPE = "consent.changes"
TEST_TYPE = "webhook.test"
EVENT_TYPES = tuple(WebhookEndpoint.EventType.values)
# Events examined per batch when filters let few through, so one batch never reads the whole log.
SCAN_FACTOR = 10


def types_of(
    policy: dict,
    previous: dict,
    links: list[str] | None = None,
    previous_links: list[str] | None = None,
) -> list[str]:
    """The event types one change event belongs to (at least one).

    `links.changed` when the track's visible links differ before and after (a registration with
    links included); events recorded before link changes were events (links None) never are.
    """
    types = []
    values_now = {k: v for k, v in policy.items() if k != "disputed"}
    values_before = {k: v for k, v in previous.items() if k != "disputed"}
    if not previous or values_now != values_before:
        types.append(WebhookEndpoint.EventType.POLICY_CHANGED.value)
    was_disputed, disputed = bool(previous.get("disputed")), bool(policy.get("disputed"))
    if disputed and not was_disputed:
        types.append(WebhookEndpoint.EventType.DISPUTE_OPENED.value)
    elif was_disputed and not disputed:
        types.append(WebhookEndpoint.EventType.DISPUTE_CLOSED.value)
    if links is not None and links != (previous_links or []):
        types.append(WebhookEndpoint.EventType.LINKS_CHANGED.value)
    return types or [WebhookEndpoint.EventType.POLICY_CHANGED.value]


def host_matches(host: str, wanted: Sequence[str]) -> bool:
    """A link's host is wanted if it is one of the hosts, or a subdomain of one."""
    return any(host == h or host.endswith("." + h) for h in wanted)


def _events_after(after: int, limit: int) -> list[dict]:
    rows = (
        ChangeEvent.objects.filter(sequence__gt=after)
        .order_by("sequence")
        .values_list(
            "track_id",
            "sequence",
            "track__public_id",
            "track__isrc",
            "track__iswc",
            "policy",
            "previous",
            "disputed",
            "cause",
            "created_at",
            "links",
            "previous_links",
            "track__audio_sha256",
        )[:limit]
    )
    return [
        event(*row[1:]) | {"types": types_of(row[5], row[6], row[10], row[11]), "_track": row[0]}
        for row in rows
    ]


def _passing(endpoint: WebhookEndpoint, events: list[dict]) -> list[dict]:
    if endpoint.event_types:
        wanted = set(endpoint.event_types)
        events = [e for e in events if wanted.intersection(e["types"])]
    track_ids = {e["_track"] for e in events}
    if endpoint.filter_hosts and track_ids:
        hosts: dict[int, set[str]] = defaultdict(set)
        # Hidden links too: the change that ends a claim (and hides its links) concerns them.
        links = TrackLink.all_objects.filter(track_id__in=track_ids)
        for track_id, host in links.values_list("track_id", "host"):
            hosts[track_id].add(host)
        on_hosts = {
            track_id
            for track_id, names in hosts.items()
            if any(host_matches(name, endpoint.filter_hosts) for name in names)
        }
        events = [e for e in events if e["_track"] in on_hosts]
        track_ids = {e["_track"] for e in events}
    if endpoint.filter_creators and track_ids:
        # Any claim, also a withdrawn one: the change that ends a creator's claim is theirs too.
        claimed = set(
            Claim.objects.filter(
                Q(track_id__in=track_ids), creator__public_id__in=endpoint.filter_creators
            ).values_list("track_id", flat=True)
        )
        events = [e for e in events if e["_track"] in claimed]
    return events


@dataclass(frozen=True)
class Batch:
    events: list[dict]
    until: int  # the cursor once acknowledged; may exceed the last event's sequence

    @property
    def first(self) -> int | None:
        return self.events[0]["sequence"] if self.events else None

    @property
    def last(self) -> int | None:
        return self.events[-1]["sequence"] if self.events else None


def next_batch(endpoint: WebhookEndpoint, size: int) -> Batch | None:
    """Up to `size` events after the cursor that pass the filters; None when nothing is new.

    A batch without events (nothing passed the filters) still moves the cursor, without a POST.
    """
    scan = size if not _filters(endpoint) else size * SCAN_FACTOR
    candidates = _events_after(endpoint.cursor, scan)
    if not candidates:
        return None
    passing = _passing(endpoint, candidates)
    if len(passing) > size:
        passing = passing[:size]
        return Batch(passing, passing[-1]["sequence"])
    return Batch(passing, candidates[-1]["sequence"])


def _filters(endpoint: WebhookEndpoint) -> bool:
    return bool(endpoint.event_types or endpoint.filter_hosts or endpoint.filter_creators)


def batch_body(endpoint: WebhookEndpoint, batch: Batch, at: datetime) -> bytes:
    events = [{k: v for k, v in e.items() if k != "_track"} for e in batch.events]
    return dumps(
        {
            "type": BATCH_TYPE,
            "timestamp": rfc3339(at),
            "data": {
                "endpoint": str(endpoint.public_id),
                "after": endpoint.cursor,
                "until": batch.until,
                "events": events,
            },
        }
    )


def body_of_test_event(endpoint: WebhookEndpoint, at: datetime, last_sequence: int) -> bytes:
    return dumps(
        {
            "type": TEST_TYPE,
            "timestamp": rfc3339(at),
            "data": {
                "endpoint": str(endpoint.public_id),
                "message": "A test from the consent registry: no consent changed.",
                "last_sequence": last_sequence,
            },
        }
    )
