"""Feeds read the database in a fixed number of queries, however many tracks they list: a file
as last built is one read by primary key, and the build happens off the request."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.purposes import AI_OPT_OUT, Value
from consent.services import PurposeChoice, TrackData, declare, register_tracks
from registry import feed_store

pytestmark = pytest.mark.django_db

FEEDS = (
    "/robots.txt",
    "/.well-known/tdmrep.json",
    "/hosts/soundcloud.com/robots.txt",
    "/hosts/soundcloud.com/ai.txt",
    "/hosts/soundcloud.com/.well-known/tdmrep.json",
    "/hosts/",
)


def add_tracks(creator, start: int, count: int) -> None:
    register_tracks(
        creator,
        [
            TrackData(
                title=f"Song {n}",
                artist_credit="Owner Band",
                roles=["recording"],
                links=[f"https://soundcloud.com/owner-band/song-{n}"],
            )
            for n in range(start, start + count)
        ],
    )


def built_queries(client, url: str) -> int:
    feed_store.refresh()  # what the task does after the commit
    return queries(client, url)


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_feeds_do_not_query_once_per_track(client, artist):
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    add_tracks(artist, 0, 2)
    few = {url: built_queries(client, url) for url in FEEDS}

    add_tracks(artist, 2, 40)

    assert {url: built_queries(client, url) for url in FEEDS} == few
    # The stored files: one query each (the /hosts/ page reads its count and its rows too).
    assert max(count for url, count in few.items() if url != "/hosts/") == 1
