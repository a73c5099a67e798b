"""The public page /platforms/ and its figures: lags from constructed change events and
acknowledgements at known times (tests/registry/platforms_page_world.py), on PostgreSQL and on
the SQLite fallback of `make run`; unlisted platforms counted, never named; webhook health; the
console's choice to be listed; the track pages' link."""

import json
import os
import random
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from api.lag_chart import human_duration, lag_chart
from api.platform_figures import CACHE_KEY, compute, percentile_cont
from consent.models import ChangeEvent, Platform, SequenceCounter, Track
from tests.api.platform_helpers import make_platform, make_user
from tests.factories import register
from tests.registry.platforms_page_world import EVENTS, EXPECTED_ACME, NOW, ack, build, summary

ROOT = Path(__file__).resolve().parents[2]


def expected_summary() -> dict:
    acme = {key: value for key, value in EXPECTED_ACME.items()}
    acme |= {
        "name": "Acme AI",
        "oldest_pending": EVENTS[5].isoformat(),
        "last_success": (NOW - timedelta(hours=1)).isoformat(),
    }
    return {"unlisted": 1, "not_following": 1, "last_sequence": 6, "platforms": [acme]}


def assert_figures(found: dict) -> None:
    expected = expected_summary()
    (acme,) = found.pop("platforms")
    (wanted,) = expected.pop("platforms")
    assert found == expected
    for key in ("median", "p95", "within_day_share"):
        assert acme.pop(key) == pytest.approx(wanted.pop(key)), key
    days, wanted_days = acme.pop("days"), wanted.pop("days")
    assert days.keys() == wanted_days.keys()
    assert all(days[day] == pytest.approx(wanted_days[day]) for day in days)
    assert acme == wanted


@pytest.mark.django_db
def test_the_figures_from_known_events_and_acknowledgements():
    build()
    assert_figures(summary(compute(now=NOW)))


@pytest.mark.django_db
def test_the_period_has_thirty_days_and_every_day_has_its_slot():
    build()
    data = compute(now=NOW)
    (acme,) = data.platforms
    assert [day for day, _ in acme.days] == data.days
    assert len(data.days) == 30
    assert data.days[0].isoformat() == "2026-11-08" and data.days[-1].isoformat() == "2026-12-07"


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_changes(django_assert_max_num_queries):
    worlds = build()
    with django_assert_max_num_queries(8):
        compute(now=NOW)
    track = Track.objects.get()
    ChangeEvent.objects.bulk_create(
        ChangeEvent(
            sequence=n,
            track=track,
            policy={},
            previous={},
            cause="test",
            created_at=NOW - timedelta(minutes=60 - n),
        )
        for n in range(7, 50)
    )
    SequenceCounter.objects.filter(pk=1).update(value=49)
    for sequence in (10, 30, 49):
        ack(worlds["acme"], sequence, NOW)
    with django_assert_max_num_queries(8):
        data = compute(now=NOW)
    assert data.platforms[0].applied == 3 + 45 and data.platforms[0].pending == 0


@pytest.mark.django_db
def test_the_python_percentile_is_postgresql_percentile_cont():
    rng = random.Random(7)
    for size in (1, 2, 3, 10, 101):
        values = [rng.uniform(0, 200_000) for _ in range(size)]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), "
                "percentile_cont(0.95) WITHIN GROUP (ORDER BY x) FROM unnest(%s::float8[]) x",
                [values],
            )
            median, p95 = cursor.fetchone()
        assert percentile_cont(sorted(values), 0.5) == pytest.approx(median)
        assert percentile_cont(sorted(values), 0.95) == pytest.approx(p95)
    assert percentile_cont([], 0.5) is None


@pytest.mark.slow
@pytest.mark.subprocess
def test_the_sqlite_fallback_gives_the_same_figures(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"SQLITE_PATH": str(tmp_path / "db.sqlite3"), "CELERY_BROKER_URL": ""}
    script = (
        "import json\n"
        "from django.core.management import call_command\n"
        "from api.platform_figures import compute\n"
        "from tests.registry.platforms_page_world import NOW, build, summary\n"
        "call_command('migrate', verbosity=0)\n"
        "build()\n"
        "print(json.dumps(summary(compute(now=NOW))))\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_figures(json.loads(result.stdout.strip().splitlines()[-1]))


@pytest.mark.django_db
def test_the_page_shows_listed_platforms_and_counts_the_unlisted(client, monkeypatch):
    cache.delete(CACHE_KEY)
    build()
    monkeypatch.setattr("api.platform_figures.timezone.now", lambda: NOW)
    page = client.get(reverse("platforms")).content.decode()
    assert "Acme AI" in page
    assert "Quiet Corp" not in page and "Pending Inc" not in page
    assert "1 approved platform has chosen not to be listed" in page
    assert "1 approved platform has not yet said it has applied any change" in page
    assert '<span class="figure-value" data-figure="last-applied">#4</span>' in page
    assert "2 changes behind" in page
    assert f'data-figure="median">{human_duration(3 * 3600)}<' in page
    assert 'data-figure="p95">1.8 days<' in page
    assert 'data-figure="within-day">50%<' in page
    assert 'data-figure="webhooks">75% delivered<' in page
    assert "25% failed of 4 attempts" in page
    assert '<svg viewBox="0 0 640 200" role="img"' in page
    assert "<title id=" in page and "<desc id=" in page


@pytest.mark.django_db
def test_the_page_has_an_empty_state_and_is_cached_for_a_minute(client):
    cache.delete(CACHE_KEY)
    page = client.get(reverse("platforms")).content.decode()
    assert "No platform to show yet" in page
    build()
    # The figures computed a moment ago are served until they expire.
    assert "No platform to show yet" in client.get(reverse("platforms")).content.decode()
    cache.delete(CACHE_KEY)
    assert "Acme AI" in client.get(reverse("platforms")).content.decode()


@pytest.mark.django_db
def test_the_chart_describes_its_bars_in_words():
    build()
    (acme,) = compute(now=NOW).platforms
    chart = lag_chart(acme)
    assert len(chart.bars) == 2
    assert chart.y_unit == "days" and chart.y_top_label == "2"
    assert "from 8 November to 7 December 2026" in chart.description
    assert "the slowest was 2 December, with a median of 2 days" in chart.description
    assert chart.bars[0].label == "27 November: median 2.5 hours over 2 changes"
    assert [tick.label for tick in chart.ticks] == ["8 Nov", "23 Nov", "7 Dec"]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (None, "—"),
        (0.4, "under a second"),
        (1, "1 second"),
        (42, "42 seconds"),
        (150, "2.5 minutes"),
        (3600, "60 minutes"),
        (5400, "1.5 hours"),
        (36000, "10 hours"),
        (172800, "2 days"),
    ],
)
def test_durations_read_as_words(seconds, words):
    assert human_duration(seconds) == words


# --- The console's choice ----------------------------------------------------------------------


@pytest.fixture
def member_client(client, db):
    member = make_user("lead@acme.example")
    platform = make_platform("Acme AI", members=[member])
    client.force_login(member)
    client.platform = platform
    return client


def test_the_console_shows_the_choice_and_a_member_changes_it(member_client):
    platform = member_client.platform
    detail = reverse("platform_detail", args=[platform.public_id])
    listing = reverse("platform_listing", args=[platform.public_id])
    assert "Acme AI is listed</strong>" in member_client.get(detail).content.decode()

    response = member_client.post(listing, {"listed": "no"})
    assert response.status_code == 302
    platform.refresh_from_db()
    assert platform.listed_on_platforms_page is False
    page = member_client.get(detail).content.decode()
    assert "Acme AI is not listed</strong>" in page
    assert "List Acme AI on the page" in page

    member_client.post(listing, {"listed": "yes"})
    platform.refresh_from_db()
    assert platform.listed_on_platforms_page is True


def test_only_members_choose_and_only_by_post(member_client):
    platform = member_client.platform
    listing = reverse("platform_listing", args=[platform.public_id])
    assert member_client.get(listing).status_code == 405
    other = make_platform("Other AI")
    other_listing = reverse("platform_listing", args=[other.public_id])
    assert member_client.post(other_listing, {"listed": "no"}).status_code == 404
    other.refresh_from_db()
    assert other.listed_on_platforms_page is True


@pytest.mark.django_db
def test_a_new_platform_is_listed_by_default():
    assert make_platform("Fresh AI").listed_on_platforms_page is True
    assert Platform._meta.get_field("listed_on_platforms_page").default is True


# --- Where the page is linked from ------------------------------------------------------------


def test_both_track_pages_and_the_home_page_lead_to_it(owner_client, artist):
    make_platform("Acme AI")
    track = register(artist, title="Night Drive")
    link = f'href="{reverse("platforms")}"'
    assert (
        link in owner_client.get(reverse("track_detail", args=[track.public_id])).content.decode()
    )
    public = owner_client.get(reverse("track_public", args=[track.public_id])).content.decode()
    assert link in public and "0 of 1 approved platform" in public
    assert link in owner_client.get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_beat_refreshes_the_figures_so_visitors_read_them_from_the_cache(client, settings):
    from api.tasks import refresh_platforms_page

    assert settings.CELERY_BEAT_SCHEDULE["refresh-platforms-page"]["task"] == (
        "api.tasks.refresh_platforms_page"
    )
    cache.delete(CACHE_KEY)
    build()
    assert refresh_platforms_page() == 1
    assert cache.get(CACHE_KEY).platforms[0].name == "Acme AI"
    assert "Acme AI" in client.get(reverse("platforms")).content.decode()
