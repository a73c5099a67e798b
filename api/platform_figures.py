"""The figures of the public page /platforms/: how quickly each platform applies artists' changes.

A platform acknowledges the change log ("applied every change up to #N", `Acknowledgement`), and
acknowledgements only rise. So a change event with sequence s, recorded at t, was applied at the
first acknowledgement with a sequence >= s, and its lag is that acknowledgement's time minus t.
Seen from the acknowledgements, each one applies exactly the events with a sequence in
(the platform's previous acknowledged sequence, this acknowledgement's sequence]: one range join
per acknowledgement, on the events' unique sequence index, computes every lag of the period in
the database. PostgreSQL then aggregates them with `percentile_cont`, per platform and per day in
one pass (GROUPING SETS); SQLite, which `make run` uses and which has no percentile function,
returns the lags and Python aggregates them the same way (`percentile_cont` below).

The period is the last 30 days, as whole UTC days ending today: changes recorded since midnight
(UTC) 29 days ago. Changes of the period not yet acknowledged are pending. "Applied within 24
hours" is judged only where it is known: every applied change, and the pending ones recorded more
than 24 hours ago (which missed it); pending changes younger than that are not counted either way.

The page is read by anyone, so its data is shared between visitors. With a Celery beat running,
`refresh_platforms_page` (api/tasks.py) recomputes it every PLATFORMS_PAGE_SECONDS and keeps it
cached a little longer than that, so no visitor waits for the computation (a month of a few
million changes takes seconds); without one (`make run`), the first visitor after the figures
expire computes them, and they are kept CACHE_SECONDS.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from api.models import WebhookDelivery, WebhookEndpoint
from consent.models import Acknowledgement, ChangeEvent, Platform
from consent.policies import last_sequence

DAYS = 30
WITHIN = timedelta(hours=24)
CACHE_KEY = "public:platforms-page"
# Long enough that a busy page costs one computation a minute, short enough that a platform
# sees its new acknowledgement there soon after making it.
CACHE_SECONDS = 60


def percentile_cont(ordered: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over values sorted ascending: linear interpolation."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Lags:
    """The lags (seconds) of the changes applied in a period, or of one day's changes."""

    count: int = 0
    median: float | None = None
    p95: float | None = None
    within_day: int = 0


@dataclass(frozen=True)
class WebhookHealth:
    """A platform's webhook deliveries of change events over the period (test events aside)."""

    endpoints: int = 0
    delivered: int = 0
    failed: int = 0
    last_success: datetime | None = None

    @property
    def attempts(self) -> int:
        return self.delivered + self.failed

    @property
    def delivered_share(self) -> float | None:
        return self.delivered / self.attempts if self.attempts else None

    @property
    def failed_share(self) -> float | None:
        return self.failed / self.attempts if self.attempts else None


@dataclass(frozen=True)
class Figures:
    """One listed platform on the page."""

    platform_id: int
    name: str
    last_applied: int
    last_acknowledged_at: datetime
    behind: int
    lags: Lags
    pending: int
    pending_over_day: int
    oldest_pending: datetime | None
    days: list[tuple[date, Lags]] = field(default_factory=list)
    webhooks: WebhookHealth = field(default_factory=WebhookHealth)

    @property
    def applied(self) -> int:
        return self.lags.count

    @property
    def judged(self) -> int:
        """Changes whose "within 24 hours" is decided: applied, or pending for over a day."""
        return self.lags.count + self.pending_over_day

    @property
    def within_day_share(self) -> float | None:
        return self.lags.within_day / self.judged if self.judged else None


@dataclass(frozen=True)
class PageData:
    platforms: list[Figures]
    unlisted: int
    not_following: int
    last_sequence: int
    since: datetime
    computed_at: datetime

    @property
    def days(self) -> list[date]:
        first = self.since.date()
        return [first + timedelta(days=n) for n in range(DAYS)]


def period_start(now: datetime) -> datetime:
    """Midnight UTC, DAYS - 1 days before today: the period is DAYS whole days."""
    today = now.astimezone(UTC).date() - timedelta(days=DAYS - 1)
    return datetime(today.year, today.month, today.day, tzinfo=UTC)


def _tables() -> dict[str, str]:
    return {
        "ack": connection.ops.quote_name(Acknowledgement._meta.db_table),
        "event": connection.ops.quote_name(ChangeEvent._meta.db_table),
    }


def _placeholders(values: list) -> str:
    return ", ".join(["%s"] * len(values))


# Each acknowledgement of the period with the sequence before it: the platform's previous
# acknowledgement in the period (LAG), or for the period's first one the highest acknowledged
# before it (one backward step on the (platform, sequence) index), or 0.
_ACK_INTERVALS = """
    SELECT a.platform_id, a.sequence, a.acknowledged_at,
           COALESCE(
               LAG(a.sequence) OVER (PARTITION BY a.platform_id ORDER BY a.sequence),
               (SELECT MAX(b.sequence) FROM {ack} b
                 WHERE b.platform_id = a.platform_id AND b.sequence < a.sequence),
               0
           ) AS previous
      FROM {ack} a
     WHERE a.platform_id IN ({ids}) AND a.acknowledged_at >= %s
"""

# The lag of every change of the period that has been applied: the events of each interval.
_POSTGRES_LAGS = """
    WITH intervals AS ({intervals}),
    lags AS (
        SELECT i.platform_id,
               (e.created_at AT TIME ZONE 'UTC')::date AS day,
               GREATEST(EXTRACT(EPOCH FROM (i.acknowledged_at - e.created_at))::float8, 0) AS lag
          FROM intervals i
          JOIN {event} e ON e.sequence > i.previous AND e.sequence <= i.sequence
         WHERE e.created_at >= %s
    )
    SELECT platform_id, day, GROUPING(day) AS whole_period, COUNT(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY lag),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY lag),
           COUNT(*) FILTER (WHERE lag <= %s)
      FROM lags
     GROUP BY GROUPING SETS ((platform_id), (platform_id, day))
"""

_SQLITE_LAGS = """
    WITH intervals AS ({intervals})
    SELECT i.platform_id, date(e.created_at),
           MAX((julianday(i.acknowledged_at) - julianday(e.created_at)) * 86400.0, 0)
      FROM intervals i
      JOIN {event} e ON e.sequence > i.previous AND e.sequence <= i.sequence
     WHERE e.created_at >= %s
"""

# Changes of the period above each platform's highest acknowledged sequence: not applied yet.
_PENDING = """
    SELECT h.platform_id, COUNT(*),
           SUM(CASE WHEN e.created_at < %s THEN 1 ELSE 0 END), MIN(e.created_at)
      FROM (SELECT platform_id, MAX(sequence) AS highest FROM {ack}
             WHERE platform_id IN ({ids}) GROUP BY platform_id) h
      JOIN {event} e ON e.sequence > h.highest
     WHERE e.created_at >= %s
     GROUP BY h.platform_id
"""


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _as_datetime(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    parsed = parse_datetime(str(value))
    return parsed if parsed is None or timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def lags_by_platform(
    ids: list[int], since: datetime
) -> tuple[dict[int, Lags], dict[int, dict[date, Lags]]]:
    """Per platform, the lags of the period's applied changes, overall and per day (UTC)."""
    overall: dict[int, Lags] = {}
    daily: dict[int, dict[date, Lags]] = defaultdict(dict)
    if not ids:
        return overall, daily
    at = connection.ops.adapt_datetimefield_value(since)
    intervals = _ACK_INTERVALS.format(ids=_placeholders(ids), **_tables())
    params = [*ids, at, at]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _POSTGRES_LAGS.format(intervals=intervals, **_tables()),
                [*params, WITHIN.total_seconds()],
            )
            for platform_id, day, whole_period, count, median, p95, within in cursor.fetchall():
                lags = Lags(count, float(median), float(p95), within)
                if whole_period:
                    overall[platform_id] = lags
                else:
                    daily[platform_id][_as_date(day)] = lags
            return overall, daily
        cursor.execute(_SQLITE_LAGS.format(intervals=intervals, **_tables()), params)
        rows = cursor.fetchall()
    # SQLite (make run): the same lags, aggregated here.
    values: dict[int, list[float]] = defaultdict(list)
    per_day: dict[tuple[int, date], list[float]] = defaultdict(list)
    for platform_id, day, lag in rows:
        values[platform_id].append(float(lag))
        per_day[platform_id, _as_date(day)].append(float(lag))
    for platform_id, lags in values.items():
        overall[platform_id] = aggregate(lags)
    for (platform_id, day), lags in per_day.items():
        daily[platform_id][day] = aggregate(lags)
    return overall, daily


def aggregate(lags: list[float]) -> Lags:
    ordered = sorted(lags)
    limit = WITHIN.total_seconds()
    return Lags(
        len(ordered),
        percentile_cont(ordered, 0.5),
        percentile_cont(ordered, 0.95),
        sum(1 for lag in ordered if lag <= limit),
    )


def pending_by_platform(
    ids: list[int], since: datetime, now: datetime
) -> dict[int, tuple[int, int, datetime | None]]:
    """Per platform: the period's changes not applied yet, how many of them are over a day old,
    and when the oldest was recorded."""
    if not ids:
        return {}
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            _PENDING.format(ids=_placeholders(ids), **_tables()),
            [adapt(now - WITHIN), *ids, adapt(since)],
        )
        return {
            platform_id: (count, int(over_day or 0), _as_datetime(oldest))
            for platform_id, count, over_day, oldest in cursor.fetchall()
        }


def webhook_health(ids: list[int], since: datetime) -> dict[int, WebhookHealth]:
    """Per platform: enabled endpoints, change-event deliveries of the period, last success."""
    delivered = Q(outcome=WebhookDelivery.Outcome.DELIVERED)
    deliveries = {
        row["endpoint__platform_id"]: row
        for row in WebhookDelivery.objects.filter(
            endpoint__platform_id__in=ids,
            attempted_at__gte=since,
            kind=WebhookDelivery.Kind.EVENTS,
        )
        .values("endpoint__platform_id")
        .annotate(delivered=Count("pk", filter=delivered), failed=Count("pk", filter=~delivered))
        .order_by()
    }
    endpoints = {
        row["platform_id"]: row
        for row in WebhookEndpoint.objects.filter(platform_id__in=ids)
        .values("platform_id")
        .annotate(enabled=Count("pk", filter=Q(enabled=True)), last=Max("last_success_at"))
        .order_by()
    }
    health = {}
    for platform_id in set(deliveries) | set(endpoints):
        sent = deliveries.get(platform_id, {})
        own = endpoints.get(platform_id, {})
        health[platform_id] = WebhookHealth(
            endpoints=own.get("enabled", 0),
            delivered=sent.get("delivered", 0),
            failed=sent.get("failed", 0),
            last_success=own.get("last"),
        )
    return health


def compute(now: datetime | None = None) -> PageData:
    """Every figure of the page, in a fixed number of queries whatever the number of changes."""
    now = now or timezone.now()
    since = period_start(now)
    approved = Platform.objects.filter(status=Platform.Status.APPROVED)
    following = approved.annotate(
        highest=Max("acknowledgements__sequence"),
        last_at=Max("acknowledgements__acknowledged_at"),
    ).filter(highest__isnull=False)
    listed = list(following.filter(listed_on_platforms_page=True).order_by("name"))
    ids = [platform.pk for platform in listed]
    overall, daily = lags_by_platform(ids, since)
    pending = pending_by_platform(ids, since, now)
    health = webhook_health(ids, since)
    latest = last_sequence()
    first_day = since.date()
    days = [first_day + timedelta(days=n) for n in range(DAYS)]
    figures = []
    for platform in listed:
        waiting, over_day, oldest = pending.get(platform.pk, (0, 0, None))
        figures.append(
            Figures(
                platform_id=platform.pk,
                name=platform.name,
                last_applied=platform.highest,
                last_acknowledged_at=platform.last_at,
                behind=max(latest - platform.highest, 0),
                lags=overall.get(platform.pk, Lags()),
                pending=waiting,
                pending_over_day=over_day,
                oldest_pending=oldest,
                days=[(day, daily.get(platform.pk, {}).get(day, Lags())) for day in days],
                webhooks=health.get(platform.pk, WebhookHealth()),
            )
        )
    return PageData(
        platforms=figures,
        unlisted=approved.filter(listed_on_platforms_page=False).count(),
        not_following=approved.filter(listed_on_platforms_page=True).count() - len(listed),
        last_sequence=latest,
        since=since,
        computed_at=now,
    )


def refresh() -> PageData:
    """Compute the figures now and keep them until well after the next refresh is due."""
    data = compute()
    cache.set(CACHE_KEY, data, 3 * settings.PLATFORMS_PAGE_SECONDS)
    return data


def page_data() -> PageData:
    """The page's figures: as the last refresh left them, or computed now and kept briefly."""
    data = cache.get(CACHE_KEY)
    if data is None:
        data = compute()
        cache.set(CACHE_KEY, data, CACHE_SECONDS)
    return data
