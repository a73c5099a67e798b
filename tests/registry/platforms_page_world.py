"""A registry with change events and acknowledgements at known times, for the figures of
/platforms/ (test_platforms_page.py), on PostgreSQL in the tests and on SQLite in a subprocess.

NOW is 7 December 2026, 12:00 UTC, so the period runs from 8 November, 00:00 UTC. Acme's lags
are 2 hours, 3 hours and 2 days: median 3 hours, 95th percentile 3 h + 0.9 x (48 h - 3 h).
"""

from datetime import UTC, datetime, timedelta

from api.models import WebhookDelivery, WebhookEndpoint
from consent.models import Acknowledgement, ChangeEvent, Platform, SequenceCounter, Track

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
HOUR = 3600.0
# The events: sequence -> when it was recorded.
EVENTS = {
    1: NOW - timedelta(days=40),  # before the period
    2: NOW - timedelta(days=10),  # 27 November, 12:00
    3: NOW - timedelta(days=10) + timedelta(hours=1),  # 27 November, 13:00
    4: NOW - timedelta(days=5),  # 2 December
    5: NOW - timedelta(days=3),  # waiting for Acme, over a day old
    6: NOW - timedelta(hours=2),  # waiting for Acme, younger than a day
}
EXPECTED_ACME = {
    "last_applied": 4,
    "behind": 2,
    "applied": 3,
    "median": 3 * HOUR,
    "p95": 3 * HOUR + 0.9 * (48 * HOUR - 3 * HOUR),
    "within_day": 2,
    "pending": 2,
    "pending_over_day": 1,
    "judged": 4,
    "within_day_share": 0.5,
    "days": {"2026-11-27": 2.5 * HOUR, "2026-12-02": 48 * HOUR},
    "webhooks": {"endpoints": 1, "delivered": 3, "failed": 1},
}


def platform(name: str, *, listed: bool = True, status: str = "approved") -> Platform:
    return Platform.objects.create(
        name=name,
        contact_email="api@example.org",
        intended_use="Tests",
        status=status,
        listed_on_platforms_page=listed,
    )


def ack(owner: Platform, sequence: int, at: datetime) -> None:
    Acknowledgement.objects.create(platform=owner, sequence=sequence, acknowledged_at=at)


def build() -> dict[str, Platform]:
    track = Track.objects.create(title="Night Drive", artist_credit="Night Owls")
    for sequence, at in EVENTS.items():
        ChangeEvent.objects.create(
            sequence=sequence, track=track, policy={}, previous={}, cause="test", created_at=at
        )
    SequenceCounter.objects.update_or_create(pk=1, defaults={"value": max(EVENTS)})

    acme = platform("Acme AI")
    ack(acme, 1, NOW - timedelta(days=39))  # before the period: its sequence bounds the next
    ack(acme, 3, EVENTS[2] + timedelta(hours=3))  # 2 applied 3 h after, 3 applied 2 h after
    ack(acme, 4, EVENTS[4] + timedelta(days=2))  # 4 applied 2 days after

    # Follows, but chose to stay off the page: counted, never named.
    quiet = platform("Quiet Corp", listed=False)
    ack(quiet, 6, NOW - timedelta(minutes=5))
    # Approved and listed, but has acknowledged nothing: not following yet.
    platform("Newcomer Labs")
    # Not approved: neither shown nor counted, whatever it acknowledged.
    ack(platform("Pending Inc", status="pending"), 6, NOW - timedelta(minutes=1))

    endpoint = WebhookEndpoint.objects.create(
        platform=acme,
        url="https://hooks.acme.example/consent",
        secret="whsec_test",
        last_success_at=NOW - timedelta(hours=1),
    )
    outcomes = [
        ("delivered", NOW - timedelta(days=2), "events"),
        ("delivered", NOW - timedelta(days=1), "events"),
        ("delivered", NOW - timedelta(hours=1), "events"),
        ("failed", NOW - timedelta(days=3), "events"),
        ("failed", NOW - timedelta(days=45), "events"),  # before the period
        ("failed", NOW - timedelta(days=1), "test"),  # a test event says nothing of changes
    ]
    for number, (outcome, at, kind) in enumerate(outcomes):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            kind=kind,
            webhook_id=f"msg_{number}",
            attempted_at=at,
            outcome=outcome,
        )
    return {"acme": acme, "quiet": quiet}


def summary(data) -> dict:
    """The page data as plain values, the same on both databases."""
    return {
        "unlisted": data.unlisted,
        "not_following": data.not_following,
        "last_sequence": data.last_sequence,
        "platforms": [
            {
                "name": f.name,
                "last_applied": f.last_applied,
                "behind": f.behind,
                "applied": f.applied,
                "median": f.lags.median,
                "p95": f.lags.p95,
                "within_day": f.lags.within_day,
                "pending": f.pending,
                "pending_over_day": f.pending_over_day,
                "oldest_pending": f.oldest_pending.isoformat() if f.oldest_pending else None,
                "judged": f.judged,
                "within_day_share": f.within_day_share,
                "days": {
                    day.isoformat(): lags.median for day, lags in f.days if lags.median is not None
                },
                "webhooks": {
                    "endpoints": f.webhooks.endpoints,
                    "delivered": f.webhooks.delivered,
                    "failed": f.webhooks.failed,
                },
                "last_success": f.webhooks.last_success.isoformat()
                if f.webhooks.last_success
                else None,
            }
            for f in data.platforms
        ],
    }
