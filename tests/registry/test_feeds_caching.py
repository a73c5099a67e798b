"""Every feed can be cached and revalidated: a strong ETag that changes with the body,
Last-Modified, 304 answers, and a lifetime within the 24 hours crawlers may keep robots.txt."""

import time

import pytest
from django.utils.cache import get_max_age

from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import verify_claims_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def track(artist):
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, contact_email="a@b.example")})
    data = TrackData(
        title="Night Drive",
        artist_credit="Owner Band",
        roles=["recording"],
        links=["https://soundcloud.com/owner-band/night-drive"],
    )
    track = register_track(artist, data).tracks[0]
    verify_claims_of(artist)  # the owner's licence terms are published once the claim is proven
    return track


def feed_urls(track, artist) -> list[str]:
    return [
        "/robots.txt",
        "/.well-known/tdmrep.json",
        f"/t/{track.public_id}/cawg.json",
        f"/policies/{track.public_id}.json",
        f"/licenses/{track.public_id}.xml",
        f"/policies/{artist.public_id}.json",
        f"/licenses/{artist.public_id}.xml",
        "/c/owner-band/robots.txt",
        "/c/owner-band/ai.txt",
        "/c/owner-band/tdmrep.json",
        "/c/owner-band/rsl.xml",
        "/c/owner-band/headers.txt",
        "/hosts/soundcloud.com/robots.txt",
        "/hosts/soundcloud.com/ai.txt",
        "/hosts/soundcloud.com/.well-known/tdmrep.json",
    ]


def deny_all_ai(creator) -> None:
    declare(creator, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})


def test_every_feed_is_publicly_cacheable_for_an_hour(client, track, artist):
    for url in feed_urls(track, artist):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "public" in response["Cache-Control"], url
        assert get_max_age(response) == 3600, url
        assert response["ETag"].startswith('"'), url  # strong, not W/
        assert response.has_header("Last-Modified"), url


def test_a_matching_etag_gets_304_without_a_body(client, track, artist):
    for url in feed_urls(track, artist):
        first = client.get(url)
        again = client.get(url, headers={"If-None-Match": first["ETag"]})
        assert again.status_code == 304, url
        assert again.content == b""
        assert again["ETag"] == first["ETag"]
        assert get_max_age(again) == 3600


def test_a_declaration_changes_every_etag_so_clients_get_the_new_file(client, track, artist):
    # The policies go away with the licence; the registry's own files state patterns only;
    # every other file says something new.
    urls = [
        url
        for url in feed_urls(track, artist)
        if "/policies/" not in url and url not in ("/robots.txt", "/.well-known/tdmrep.json")
    ]
    etags = {url: client.get(url)["ETag"] for url in urls}

    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)})

    for url in urls:
        response = client.get(url, headers={"If-None-Match": etags[url]})
        assert response.status_code == 200, url
        assert response["ETag"] != etags[url], url


def test_if_modified_since_gets_304_until_the_next_change(client, track, artist):
    url = "/hosts/soundcloud.com/robots.txt"
    first = client.get(url)
    since = first["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": since}).status_code == 304

    time.sleep(1.1)  # Last-Modified counts whole seconds
    deny_all_ai(artist)

    changed = client.get(url, headers={"If-Modified-Since": since})
    assert changed.status_code == 200
    assert changed["Last-Modified"] != since


def test_head_requests_get_the_validators_too(client, track, artist):
    response = client.head("/robots.txt")

    assert response.status_code == 200
    assert response["ETag"] == client.get("/robots.txt")["ETag"]


def test_feeds_refuse_to_be_written_to(client, track, artist):
    assert client.post("/robots.txt").status_code == 405
