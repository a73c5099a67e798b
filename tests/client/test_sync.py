"""`registry-client sync`: a mirror loaded from the snapshot and kept up to date from the
changes feed answers as the live lookup does, and survives a crash at any point."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from registry_client import ApiError, Mirror, sync
from registry_client.cli import main

from consent.links import add_links, remove_link
from consent.models import TrackLink
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from tests.client.compare import assert_mirror_answers_as_live, identifiers_of_registry
from tests.client.conftest import CLIENT_PATH
from tests.conftest import make_artist
from tests.factories import register


def test_sync_from_empty_then_across_new_changes(live_registry, tmp_path, capsys):
    artist = make_artist("Night Owls", "night-owls")
    track = register(artist, "https://soundcloud.com/night-owls/one", isrc="USRC17607839")
    register(artist, title="Two", isrc="GBX7Q2400101", iswc="T0345246801")
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})

    assert main([*live_registry.argv(), "sync", str(tmp_path), "--ack"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["snapshot"]["tracks"] == 2 and report["tracks"] == 2
    registry = live_registry.client()
    assert report["cursor"] == registry.last_sequence() == report["acknowledged"]
    with Mirror(tmp_path) as mirror:
        assert_mirror_answers_as_live(mirror, registry, identifiers_of_registry())

    # New changes: a declaration, a link added and one removed, a new track.
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)}, track=track)
    add_links(artist, track, ["https://open.spotify.com/track/abc123"])
    remove_link(artist, TrackLink.objects.get(url="https://soundcloud.com/night-owls/one"))
    register(artist, "https://youtu.be/dQw4w9WgXcQ", title="Three", isrc="USRC17607840")
    with Mirror(tmp_path) as mirror:
        report = sync(registry, mirror, page_size=2)
        assert report["snapshot"] is None and report["events"] == 4 and report["pages"] == 2
        assert mirror.cursor == registry.last_sequence()
        old = mirror.answer("url", "http://m.soundcloud.com/night-owls/one?utm_source=x")
        assert old["status"] == "unregistered"
        assert_mirror_answers_as_live(
            mirror,
            registry,
            identifiers_of_registry() + [("url", "https://soundcloud.com/night-owls/one")],
        )
        # Nothing new: nothing applied.
        assert sync(registry, mirror)["events"] == 0


class Crash(Exception):
    pass


@pytest.mark.parametrize("where", ["between pages", "inside a page"])
def test_a_crash_mid_sync_resumes_without_skipping_or_repeating(live_registry, tmp_path, where):
    artist = make_artist()
    tracks = register(artist, title="T{n}", isrc="USRC1760{n:04d}", count=3)
    registry = live_registry.client()
    with Mirror(tmp_path) as mirror:
        sync(registry, mirror)
        start = mirror.cursor
    for i in range(8):  # each one changes the track's answer: eight events
        choice = (
            PurposeChoice(Value.DENY)
            if i // 3 % 2 == 0
            else PurposeChoice(Value.LICENSE, "https://owner.example/terms")
        )
        declare(artist, {Purpose.SEARCH: choice}, track=tracks[i % 3])
    pages = []

    def fail_on_second_page(*args):
        pages.append(args)
        if len(pages) == 2:
            raise Crash

    hook = {"on_page" if where == "between pages" else "before_commit": fail_on_second_page}
    with Mirror(tmp_path) as mirror, pytest.raises(Crash):
        sync(registry, mirror, page_size=3, **hook)
    with Mirror(tmp_path) as mirror:
        # Between pages: two pages are in; inside the second: only the first.
        crashed_at = mirror.cursor
        assert crashed_at == start + (6 if where == "between pages" else 3)
        report = sync(registry, mirror, page_size=3)
        assert report["events"] == start + 8 - crashed_at  # each event once
        assert mirror.cursor == registry.last_sequence() == start + 8
        assert_mirror_answers_as_live(mirror, registry, identifiers_of_registry())
        assert mirror.answer("isrc", "USRC17600001")["policy"]["search"]["value"] == "deny"
        assert mirror.answer("isrc", "USRC17600002")["policy"]["search"]["value"] == "license"


def test_a_cursor_past_the_registry_says_to_reload(live_registry, tmp_path):
    register(make_artist(), isrc="USRC17607839")
    registry = live_registry.client()
    with Mirror(tmp_path) as mirror:
        sync(registry, mirror)
        mirror.apply_page([], mirror.cursor + 100)
        with pytest.raises(ApiError, match="sync --full"):
            sync(registry, mirror)
        assert sync(registry, mirror, full=True)["snapshot"]["tracks"] == 1


@pytest.mark.subprocess
def test_the_console_script_syncs_with_a_progress_line(live_registry, tmp_path):
    register(make_artist(), "https://soundcloud.com/a/b", isrc="USRC17607839")
    script = Path(sys.executable).with_name("registry-client")
    env = {"REGISTRY_URL": live_registry.url, "REGISTRY_API_KEY": live_registry.key}
    done = subprocess.run(
        [str(script), "sync", str(tmp_path), "--ack"],
        env=env | {"PATH": "/usr/bin:/bin", "PYTHONPATH": CLIENT_PATH},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    # "snapshot: 1 lines", or with a bar when the registry sends the snapshot's length.
    assert re.search(r"snapshot: (\[#+\] +100\.0% )?1 lines", done.stderr), done.stderr
    assert "lines/s" in done.stderr
    report = json.loads(done.stdout)
    assert report["tracks"] == 1 and report["acknowledged"] == report["cursor"]
    assert live_registry.client().call("GET", "v1/acks")["sequence"] == report["cursor"]


def test_events_applied_without_the_registrys_answers_are_completed_by_the_next_sync(
    live_registry, tmp_path
):
    """Change events carry values, not their sources: applied alone (a webhook receiver without
    the registry's address), a value has no source until the next sync completes it."""
    artist = make_artist()
    track = register(artist, isrc="USRC17607839")
    registry = live_registry.client()
    with Mirror(tmp_path) as mirror:
        sync(registry, mirror)
        declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)}, track=track)
        page = registry.changes(mirror.cursor)
        assert mirror.apply_page(page["events"], page["next_after"]) == 1
        assert mirror.answer("isrc", "USRC17607839")["policy"]["tdm"] == {
            "value": "deny",
            "source": None,
        }
        assert mirror.incomplete() == [str(track.public_id)]
        report = sync(registry, mirror)
        assert report["events"] == 0 and report["completed"] == 1 and mirror.incomplete() == []
        source = mirror.answer("isrc", "USRC17607839")["policy"]["tdm"]["source"]
        assert source["level"] == "track" and source["role"] == "recording"
        assert_mirror_answers_as_live(mirror, registry, identifiers_of_registry())


def test_a_mirror_of_an_older_layout_is_reloaded_by_the_next_sync(live_registry, tmp_path):
    import sqlite3

    old = sqlite3.connect(tmp_path / "registry-mirror.sqlite3")
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('cursor', '7');"
        "CREATE TABLE tracks (id TEXT PRIMARY KEY, ord INTEGER NOT NULL, policy TEXT NOT NULL);"
    )
    old.commit()
    old.close()
    register(make_artist(), isrc="USRC17607839")
    with Mirror(tmp_path) as mirror:
        assert mirror.cursor is None and mirror.track_count() == 0
        assert sync(live_registry.client(), mirror)["snapshot"]["tracks"] == 1
