"""The feeds that cover many tracks are built off the request and served as last built: host
files split into shards with an index, each file within the bound, one builder at a time, a
stale copy served while a rebuild is asked for once, and only the files a change touches
rebuilt."""

import json
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from lxml import etree
from protego import Protego

from consent.models import FeedFile, FeedHost, FeedState
from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, declare
from registry import feed_store
from tests.conftest import make_artist
from tests.factories import register

pytestmark = pytest.mark.django_db

RSL = {"rsl": "https://rslstandard.org/rsl"}


def deny_all_ai(creator, track=None) -> None:
    declare(creator, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT}, track=track)


def soundcloud(n: int) -> str:
    return f"https://soundcloud.com/owner-band/song-{n:03d}"


@pytest.fixture
def many_links(artist, settings):
    """Twelve opted-out tracks on soundcloud.com, with at most 2 links per shard on average."""
    settings.FEED_SHARD_LINKS = 2
    deny_all_ai(artist)
    for n in range(12):
        register(artist, soundcloud(n), title=f"Song {n}", verified=True)
    feed_store.refresh()
    return [soundcloud(n) for n in range(12)]


def get(client, url: str):
    return client.get(url.removeprefix("http://127.0.0.1:8000"))


def test_a_large_host_is_split_into_shards_named_by_an_index(client, many_links):
    assert FeedHost.objects.get(host="soundcloud.com").depth == 1  # 12 / 2 needs 16 shards

    index = client.get("/hosts/soundcloud.com/index.json").json()
    assert index["shard_digits"] == 1
    template = index["files"]["robots.txt"]
    assert "{shard}" in template
    for url in many_links:
        shard = feed_store.url_hash(url)[:1]
        text = get(client, template.replace("{shard}", shard)).content.decode()
        path = url.removeprefix("https://soundcloud.com")
        assert f"Disallow: {path}$" in text.splitlines()
        assert not Protego.parse(text).can_fetch(url, "GPTBot")
        # Every link is in its own shard only.
        for other in {feed_store.url_hash(u)[:1] for u in many_links} - {shard}:
            assert (
                f"{path}$" not in get(client, template.replace("{shard}", other)).content.decode()
            )
        rules = get(client, index["files"]["tdmrep.json"].replace("{shard}", shard)).json()
        assert {"location": f"{path}$", "tdm-reservation": 1} in rules


def test_a_sharded_host_single_files_point_to_the_index(client, many_links):
    robots = client.get("/hosts/soundcloud.com/robots.txt")
    assert robots.status_code == 200
    assert "/hosts/soundcloud.com/index.json" in robots.content.decode()
    assert "Disallow" not in robots.content.decode()
    for name in ("rsl.xml", ".well-known/tdmrep.json"):
        response = client.get(f"/hosts/soundcloud.com/{name}")
        assert response.status_code == 404
        assert "index.json" in response.json()["detail"]


def test_a_shard_without_links_is_a_robots_404(client, many_links):
    used = {feed_store.url_hash(url)[:1] for url in many_links}
    empty = next(digit for digit in "0123456789abcdef" if digit not in used)
    response = client.get(f"/hosts/soundcloud.com/shards/{empty}/robots.txt")
    assert response.status_code == 404
    assert response.content.startswith(b"# ")


def test_every_stored_file_stays_within_the_bound(client, artist, settings):
    settings.FEED_SHARD_LINKS = 5
    settings.FEED_MAX_BYTES = 4096
    deny_all_ai(artist)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    for n in range(60):
        register(artist, soundcloud(n), title=f"Song {n}", verified=True)
    feed_store.refresh()
    client.get(f"/licenses/{artist.public_id}.xml")  # the creator's licence, built once asked

    sizes = {key: len(bytes(body)) for key, body in FeedFile.objects.values_list("key", "body")}
    assert f"licence/{artist.public_id}" in sizes
    assert any("/shards/" in key for key in sizes)
    assert max(sizes.values()) <= 4096, sizes


def test_a_large_catalogue_licence_is_cut_and_says_so(client, artist, settings):
    settings.FEED_MAX_BYTES = 2048
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    register(artist, title="Song {n}", count=30, verified=True)

    response = client.get(f"/licenses/{artist.public_id}.xml")

    assert response.status_code == 200
    assert len(response.content) <= 2048
    root = etree.fromstring(response.content)
    kept = root.xpath("//rsl:content", namespaces=RSL)
    assert 0 < len(kept) < 30
    assert f"Cut on purpose: {len(kept)} of 30 contents" in response.content.decode()


def test_one_builder_at_a_time(artist, opted_out_link):
    """While another process holds the builder's lock, a second builder returns at once."""
    settings_dict = connection.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
        password=settings_dict["PASSWORD"] or None,
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s)", [feed_store.LOCK_KEY])
        result = feed_store.refresh()
        assert result.busy
        assert not FeedFile.objects.exists()
        other.execute("SELECT pg_advisory_unlock(%s)", [feed_store.LOCK_KEY])
    finally:
        other.close()
    assert not feed_store.refresh().busy
    assert FeedFile.objects.filter(key="host/soundcloud.com/robots.txt").exists()


@pytest.fixture
def opted_out_link(artist):
    deny_all_ai(artist)
    return register(artist, "https://soundcloud.com/owner-band/night-drive", verified=True)


@pytest.fixture
def with_a_worker(settings, monkeypatch):
    """Tasks go to a worker: a request only asks for a rebuild, and the calls are counted."""
    from django.core.cache import cache

    from registry import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.delete_many([feed_store.KICKED, feed_store.SCHEDULED])
    asked: list[str] = []
    monkeypatch.setattr(tasks.refresh_feeds, "delay", lambda: asked.append("delay"))
    monkeypatch.setattr(
        tasks.refresh_feeds, "apply_async", lambda countdown=0: asked.append(f"in {countdown}")
    )
    yield asked
    cache.delete_many([feed_store.KICKED, feed_store.SCHEDULED])


def test_a_stale_file_is_served_while_one_rebuild_is_asked_for(
    client, artist, opted_out_link, with_a_worker
):
    feed_store.refresh()
    before = client.get("/hosts/soundcloud.com/robots.txt").content
    assert b"Disallow: /owner-band/night-drive$" in before
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=opted_out_link)
    # The builder has not run for longer than its schedule: the rebuild it was given was lost.
    FeedState.objects.filter(name=feed_store.CHANGES).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )
    builds = feed_store.request_builds()

    answers = [client.get("/hosts/soundcloud.com/robots.txt") for _ in range(5)]

    assert all(answer.content == before for answer in answers)  # the copy as last built
    assert with_a_worker == ["delay"]  # asked for once, whatever the number of requests
    assert feed_store.request_builds() == builds  # and nothing built on the request path
    feed_store.refresh()  # what the worker then does
    after = client.get("/hosts/soundcloud.com/robots.txt").content
    assert b"Disallow: /owner-band/night-drive$" not in after


def test_a_builder_on_schedule_is_not_kicked(client, artist, opted_out_link, with_a_worker):
    feed_store.refresh()
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=opted_out_link)

    client.get("/hosts/soundcloud.com/robots.txt")

    assert with_a_worker == []  # the rebuild scheduled after the commit is on its way


def test_a_commit_schedules_one_debounced_rebuild(
    artist, opted_out_link, with_a_worker, settings, django_capture_on_commit_callbacks
):
    settings.FEED_REBUILD_DELAY = 7
    for value in (Value.ALLOW, Value.DENY, Value.ALLOW):
        with django_capture_on_commit_callbacks(execute=True):
            declare(artist, {Purpose.TDM: PurposeChoice(value)}, track=opted_out_link)

    assert with_a_worker == ["in 7"]


def test_with_tasks_in_process_a_commit_rebuilds_at_once(
    client, artist, opted_out_link, django_capture_on_commit_callbacks
):
    feed_store.refresh()
    with django_capture_on_commit_callbacks(execute=True):
        declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=opted_out_link)
    stored = FeedFile.objects.get(key="host/soundcloud.com/robots.txt")
    assert b"night-drive" not in bytes(stored.body) or b"Disallow" not in bytes(stored.body)
    builds = feed_store.request_builds()
    client.get("/hosts/soundcloud.com/robots.txt")
    assert feed_store.request_builds() == builds  # already built after the commit


def test_a_change_rebuilds_only_the_shard_it_touches(client, artist, many_links):
    built = dict(FeedFile.objects.values_list("key", "built_at"))
    track = artist.claims.get(track__links__url=many_links[3]).track
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=track)

    result = feed_store.refresh()

    assert result.shards == 1
    shard = feed_store.url_hash(many_links[3])[:1]
    changed = {
        key
        for key, at in FeedFile.objects.values_list("key", "built_at")
        if built.get(key) != at and key.startswith("host/")
    }
    assert changed == {
        f"host/soundcloud.com/shards/{shard}/{name}" for _, name in feed_store.HOST_KINDS
    }
    text = client.get(f"/hosts/soundcloud.com/shards/{shard}/robots.txt").content.decode()
    assert f"Disallow: {many_links[3].removeprefix('https://soundcloud.com')}$" not in text


def test_a_removed_link_leaves_its_shard(client, artist, many_links):
    from consent.links import remove_link
    from consent.models import TrackLink

    link = TrackLink.objects.get(url=many_links[5])
    remove_link(artist, link)
    feed_store.refresh()

    shard = feed_store.url_hash(many_links[5])[:1]
    response = client.get(f"/hosts/soundcloud.com/shards/{shard}/robots.txt")
    assert "/owner-band/song-005$" not in response.content.decode()


def test_a_host_that_grows_past_its_shard_size_is_split(client, artist, settings):
    settings.FEED_SHARD_LINKS = 3
    deny_all_ai(artist)
    for n in range(3):
        register(artist, soundcloud(n), title=f"Song {n}", verified=True)
    feed_store.refresh()
    assert b"song-000$" in client.get("/hosts/soundcloud.com/robots.txt").content

    for n in range(3, 8):
        register(artist, soundcloud(n), title=f"Song {n}", verified=True)
    feed_store.refresh()

    assert FeedHost.objects.get(host="soundcloud.com").depth == 1
    assert b"index.json" in client.get("/hosts/soundcloud.com/robots.txt").content
    shard = feed_store.url_hash(soundcloud(7))[:1]
    assert b"song-007$" in client.get(f"/hosts/soundcloud.com/shards/{shard}/robots.txt").content


def test_the_hosts_page_is_read_as_built(client, artist, django_assert_max_num_queries):
    register(artist, "https://bandcamp.com/track/one", verified=True)
    feed_store.refresh()
    other = make_artist("Other Band", "other-band")
    register(other, "https://soundcloud.com/other/one", verified=True)
    feed_store.refresh()

    with django_assert_max_num_queries(6):  # session and user, then stored rows only
        body = client.get("/hosts/").content.decode()

    assert "bandcamp.com" in body and "soundcloud.com" in body
    assert json.loads(bytes(FeedFile.objects.get(key=feed_store.hosts_page_key(1)).body)) == [
        ["bandcamp.com", 1],
        ["soundcloud.com", 1],
    ]


def test_a_change_rebuilds_the_licence_of_each_creator_of_the_track(client, artist, settings):
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    track = register(artist, verified=True)
    other = register(artist, title="Other", verified=True)
    url = f"/licenses/{artist.public_id}.xml"
    before = etree.fromstring(client.get(url).content)
    assert len(before.xpath("//rsl:content", namespaces=RSL)) == 2

    deny_all_ai(artist, track=track)
    result = feed_store.refresh()

    assert result.creators == 1
    assert not FeedState.objects.filter(name__startswith=feed_store.LICENCE_MARK).exists()
    after = etree.fromstring(client.get(url).content)
    urls = after.xpath("//rsl:content/@url", namespaces=RSL)
    assert urls == [f"{settings.SITE_URL}/t/{other.public_id}/"]
