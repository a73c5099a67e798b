"""Migration 0012 rewrites links stored in older forms, so lookups of any everyday form find them,
and hides a track's links that turn out to be the same page."""

import importlib
from datetime import timedelta

import orjson
import pytest
from django.utils import timezone

from consent.lookup import answer_queries, parse_query
from consent.models import ProfileProof, TrackLink
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track

pytestmark = pytest.mark.django_db

migration = importlib.import_module("consent.migrations.0013_renormalize_links")


def stored_as(track, url: str, age_minutes: int) -> TrackLink:
    """A link written the way an older normalizer stored it."""
    link = TrackLink.all_objects.create(
        track=track, url=url, host=url.split("/")[2], added_by=track.links.first().added_by
    )
    TrackLink.all_objects.filter(pk=link.pk).update(
        created_at=timezone.now() - timedelta(minutes=age_minutes)
    )
    return link


@pytest.fixture
def track(artist):
    data = TrackData(
        title="Paper Lanterns",
        artist_credit="Owner Band",
        roles=["recording"],
        links=["https://example.org/first"],
    )
    track = register_track(artist, data).tracks[0]
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    TrackLink.all_objects.filter(track=track).update(
        created_at=timezone.now() - timedelta(minutes=90)
    )
    return track


def test_old_forms_are_rewritten_and_then_answer_every_everyday_form(track):
    stored_as(track, "http://youtu.be/dQw4w9WgXcQ", 60)
    stored_as(track, "https://m.soundcloud.com/owner/paper-lanterns", 50)

    rewritten, hidden = migration.renormalize_links(TrackLink, timezone.now())

    assert (rewritten, hidden) == (2, 0)
    urls = sorted(track.links.values_list("url", "host"))
    assert urls == [
        ("https://example.org/first", "example.org"),
        ("https://soundcloud.com/owner/paper-lanterns", "soundcloud.com"),
        ("https://youtube.com/watch?v=dQw4w9WgXcQ", "youtube.com"),
    ]
    (answer,) = answer_queries([parse_query("url", "https://youtu.be/dQw4w9WgXcQ?t=3")])
    answer = orjson.loads(orjson.dumps(answer))
    assert answer["status"] == "registered"
    assert answer["policy"]["train-ai"]["value"] == "deny"


def test_links_that_become_one_page_keep_the_oldest_visible_and_hide_the_others(track):
    oldest = stored_as(track, "http://youtu.be/dQw4w9WgXcQ", 60)
    newer = stored_as(track, "https://youtube.com/watch?v=dQw4w9WgXcQ", 30)
    newest = stored_as(track, "https://m.youtube.com/watch?v=dQw4w9WgXcQ", 10)

    rewritten, hidden = migration.renormalize_links(TrackLink, timezone.now())

    assert hidden == 2
    oldest.refresh_from_db()
    newer.refresh_from_db()
    newest.refresh_from_db()
    assert oldest.hidden_at is None and oldest.url == "https://youtube.com/watch?v=dQw4w9WgXcQ"
    assert newer.hidden_reason == newest.hidden_reason == "removed"
    assert newer.hidden_at is not None and newest.hidden_at is not None
    assert list(track.links.values_list("url", flat=True)) == [
        "https://example.org/first",
        "https://youtube.com/watch?v=dQw4w9WgXcQ",
    ]


def test_running_it_again_changes_nothing(track):
    stored_as(track, "http://tidal.com/browse/track/1", 20)
    migration.renormalize_links(TrackLink, timezone.now())
    assert migration.renormalize_links(TrackLink, timezone.now()) == (0, 0)


def test_proof_pages_keep_their_scheme_and_never_become_a_second_proof(artist):
    kept = ProfileProof.objects.create(
        creator=artist, url="http://m.soundcloud.com/owner", token="a"
    )
    clash = ProfileProof.objects.create(
        creator=artist, url="https://www.deezer.com/fr/track/1", token="b"
    )
    ProfileProof.objects.create(creator=artist, url="https://deezer.com/track/1", token="c")

    assert migration.renormalize_proofs(ProfileProof) == 1

    kept.refresh_from_db()
    clash.refresh_from_db()
    assert kept.url == "http://soundcloud.com/owner"
    assert clash.url == "https://www.deezer.com/fr/track/1"
