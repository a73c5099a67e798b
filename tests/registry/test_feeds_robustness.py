"""Feeds under odd input and heavy reading: never a 500, never a needless rebuild."""

import pytest

from consent.links import remove_link
from consent.purposes import AI_OPT_OUT, Value
from consent.services import PurposeChoice, TrackData, declare, register_track

pytestmark = pytest.mark.django_db


@pytest.fixture
def opted_out_track(artist):
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    data = TrackData(
        title="Night Drive",
        artist_credit="Owner Band",
        roles=["recording"],
        links=["https://soundcloud.com/owner-band/night-drive"],
    )
    return register_track(artist, data).tracks[0]


@pytest.mark.parametrize(
    "host", ["%00", "soundcloud.com%00", "%20", ".", "..", "a..b", "x" * 300, "host:443", "a%0Ab"]
)
@pytest.mark.parametrize("file", ["robots.txt", "ai.txt", ".well-known/tdmrep.json"])
def test_an_odd_host_is_a_404_in_the_formats_terms_never_a_500(client, host, file):
    response = client.get(f"/hosts/{host}/{file}")
    assert response.status_code in (301, 404)


def test_a_repeated_request_is_served_without_rebuilding_the_feed(
    client, opted_out_track, django_assert_max_num_queries
):
    first = client.get("/hosts/soundcloud.com/robots.txt")
    assert first.status_code == 200
    # Per request only the version token (two aggregates) and the host check: no rows are read.
    with django_assert_max_num_queries(6):
        again = client.get("/hosts/soundcloud.com/robots.txt")
        not_modified = client.get(
            "/hosts/soundcloud.com/robots.txt", HTTP_IF_NONE_MATCH=first["ETag"]
        )
    assert again.content == first.content
    assert not_modified.status_code == 304


def test_a_removed_link_leaves_the_cached_feed_at_once(client, artist, opted_out_track):
    before = client.get("/hosts/soundcloud.com/robots.txt").content.decode()
    assert "/owner-band/night-drive$" in before
    data = TrackData(
        title="Other",
        artist_credit="Owner Band",
        roles=["recording"],
        links=["https://soundcloud.com/owner-band/other"],
    )
    register_track(artist, data)
    remove_link(artist, opted_out_track.links.get())
    after = client.get("/hosts/soundcloud.com/robots.txt").content.decode()
    assert "/owner-band/night-drive$" not in after
    assert "/owner-band/other$" in after


def test_a_declaration_reaches_the_page_and_the_host_feed_at_once(client, artist):
    data = TrackData(
        title="Open",
        artist_credit="Owner Band",
        roles=["recording"],
        links=["https://soundcloud.com/owner-band/open"],
    )
    track = register_track(artist, data).tracks[0]
    page = f"/t/{track.public_id}/"
    assert (
        "/owner-band/open$" not in client.get("/hosts/soundcloud.com/robots.txt").content.decode()
    )
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    host = client.get("/hosts/soundcloud.com/robots.txt").content.decode()
    assert "Disallow: /owner-band/open$" in host.splitlines()
    assert client.head(page)["tdm-reservation"] == "1"
    assert (
        "/owner-band/open$"
        in client.get("/hosts/soundcloud.com/.well-known/tdmrep.json").content.decode()
    )
