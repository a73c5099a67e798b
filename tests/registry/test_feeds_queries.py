"""Feeds read the database in a fixed number of queries, however many tracks they list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.purposes import AI_OPT_OUT, Value
from consent.services import PurposeChoice, TrackData, declare, register_tracks

pytestmark = pytest.mark.django_db

FEEDS = (
    "/robots.txt",
    "/.well-known/tdmrep.json",
    "/licenses/registry.xml",
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


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_feeds_do_not_query_once_per_track(client, artist):
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    add_tracks(artist, 0, 2)
    few = {url: queries(client, url) for url in FEEDS}

    add_tracks(artist, 2, 40)

    assert {url: queries(client, url) for url in FEEDS} == few
