"""Artists see which approved platforms have applied each track's latest change, and when."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import dateformat, timezone

from consent.models import Acknowledgement, Platform
from consent.platforms import AppliedCount, applied_by, applied_counts
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from tests.api.platform_helpers import make_platform
from tests.factories import register

pytestmark = pytest.mark.django_db


# Numbered songs, each with an ISRC of its own.
SONGS = {"title": "Song {n:02d}", "isrc": "GBAYE26{n:05d}"}


def sequence_of(track) -> int:
    track.policy.refresh_from_db()
    return track.policy.sequence


def ack(platform: Platform, sequence: int, at=None) -> Acknowledgement:
    return Acknowledgement.objects.create(
        platform=platform, sequence=sequence, acknowledged_at=at or timezone.now()
    )


@pytest.fixture
def platforms(db) -> dict[str, Platform]:
    """Two approved platforms, and two that must never be counted."""
    return {
        "ahead": make_platform("Ahead Analytics"),
        "behind": make_platform("Behind Labs"),
        "pending": make_platform("Pending Co", status=Platform.Status.PENDING),
        "suspended": make_platform("Suspended Co", status=Platform.Status.SUSPENDED),
    }


def test_the_dashboard_counts_approved_platforms_that_applied_each_track(
    owner_client, artist, platforms
):
    (track,) = register(artist, count=1, **SONGS)
    latest = sequence_of(track)
    ack(platforms["ahead"], latest)
    ack(platforms["behind"], latest - 1)
    ack(platforms["pending"], latest)
    ack(platforms["suspended"], latest)
    response = owner_client.get(reverse("dashboard"))
    (row,) = response.context["rows"]
    assert row.applied == AppliedCount(applied=1, total=2)
    body = response.content.decode()
    assert "Applied by 1 of 2 platforms</a>" in body


def test_a_new_change_is_not_applied_until_platforms_acknowledge_it(
    owner_client, artist, platforms
):
    (track,) = register(artist, count=1, **SONGS)
    ack(platforms["ahead"], sequence_of(track))
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)}, track=track)
    (row,) = owner_client.get(reverse("dashboard")).context["rows"]
    assert row.applied == AppliedCount(applied=0, total=2)
    ack(platforms["ahead"], sequence_of(track))
    ack(platforms["behind"], sequence_of(track))
    (row,) = owner_client.get(reverse("dashboard")).context["rows"]
    assert row.applied.everyone
    assert "Applied by all platforms (2)" in owner_client.get(reverse("dashboard")).content.decode()


def test_without_approved_platforms_the_dashboard_has_no_platform_column(owner_client, artist):
    register(artist, count=1, **SONGS)
    make_platform("Pending Co", status=Platform.Status.PENDING)
    response = owner_client.get(reverse("dashboard"))
    assert response.context["show_applied"] is False
    assert "Applied by" not in response.content.decode()


def test_the_track_page_lists_each_approved_platform_with_the_date_it_applied(
    owner_client, artist, platforms
):
    (track,) = register(artist, count=1, **SONGS)
    latest = sequence_of(track)
    first_time = timezone.now() - timedelta(days=3)
    ack(platforms["ahead"], latest, at=first_time)
    ack(platforms["ahead"], latest + 5, at=timezone.now())
    ack(platforms["behind"], latest - 1)
    response = owner_client.get(reverse("track_detail", args=[track.public_id]))
    applications = response.context["applications"]
    assert [(a.platform.name, a.applied_at) for a in applications] == [
        ("Ahead Analytics", first_time),
        ("Behind Labs", None),
    ]
    body = response.content.decode()
    assert "Platforms that applied the latest change" in body
    assert dateformat.format(timezone.localtime(first_time), "j F Y, H:i") in body
    assert "Not yet" in body
    assert "Pending Co" not in body and "Suspended Co" not in body


def test_the_track_page_says_when_no_platform_is_approved(owner_client, artist):
    (track,) = register(artist, count=1, **SONGS)
    body = owner_client.get(reverse("track_detail", args=[track.public_id])).content.decode()
    assert "No platform is approved to read the registry yet." in body


def test_the_counts_take_one_query_whatever_the_number_of_tracks(
    artist, platforms, django_assert_num_queries
):
    tracks = register(artist, count=30, **SONGS)
    sequences = {track.id: sequence_of(track) for track in tracks}
    ack(platforms["ahead"], max(sequences.values()))
    with django_assert_num_queries(1):
        counts = applied_counts(sequences)
    assert {count.applied for count in counts.values()} == {1}
    with django_assert_num_queries(1):
        assert len(applied_by(max(sequences.values()))) == 2


def test_the_dashboard_of_sixty_tracks_stays_within_its_query_budget_with_platforms(
    owner_client, artist, platforms, django_assert_max_num_queries
):
    tracks = register(artist, count=60, **SONGS)
    for track in tracks[:10]:
        ack(platforms["ahead"], sequence_of(track))
    with django_assert_max_num_queries(13):
        response = owner_client.get(reverse("dashboard"))
    assert len(response.context["rows"]) == 50
