"""`registry-client listen`: signed webhooks applied to a mirror once, in order, with gaps caught
up from the changes feed."""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from registry_client import Mirror, sync
from registry_client.listen import Receiver, make_server

from api.webhooks import dispatch, signing
from api.webhooks import services as webhooks
from consent.models import Platform
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from tests.client.compare import assert_mirror_answers_as_live, identifiers_of_registry
from tests.client.conftest import CLIENT_PATH
from tests.conftest import make_artist
from tests.factories import register


@pytest.fixture
def listening(live_registry, tmp_path):
    """A synced mirror and a receiver serving it on a free port, with its endpoint's secret."""
    secret = signing.generate_secret()
    mirror = Mirror(tmp_path / "mirror")
    receiver = Receiver(mirror, secret, live_registry.client())
    server = make_server(receiver, port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/hook"
    receiver.secret = secret
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        mirror.close()


def post(url: str, body: bytes, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def message(registry, after: int, secret: str, message_id: str, only=None, at=None):
    """A `consent.changes` message as the registry sends it, built from the changes feed."""
    events = registry.changes(after)["events"]
    if only is not None:
        events = [e for e in events if e["sequence"] in only]
    for event in events:
        event["types"] = ["policy.changed"]
    body = json.dumps(
        {
            "type": "consent.changes",
            "timestamp": "2026-11-28T12:00:00.120000Z",
            "data": {
                "endpoint": "e",
                "after": after,
                "until": events[-1]["sequence"],
                "events": events,
            },
        }
    ).encode()
    return body, signing.headers([secret], message_id, int(at or time.time()), body)


def changes(artist, tracks, values):
    for track, value in zip(tracks, values, strict=True):
        terms = "https://owner.example/licence" if value == Value.LICENSE else ""
        declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(value, terms)}, track=track)


def test_real_deliveries_keep_the_mirror_in_sync(live_registry, listening, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]
    artist = make_artist()
    tracks = register(artist, "https://soundcloud.com/a/b", isrc="USRC1760{n:04d}", count=2)
    sync(live_registry.client(), listening.mirror)
    platform = Platform.objects.get(name="Dataset Builders")
    endpoint, secret = webhooks.create_endpoint(platform, listening.url)
    listening.secrets = [secret]
    changes(artist, tracks, [Value.DENY, Value.LICENSE])
    register(artist, "https://youtu.be/abc", title="New", isrc="GBX7Q2400101")
    dispatch.deliver(endpoint.pk)
    registry = live_registry.client()
    assert listening.stats["refused"] == 0 and listening.stats["received"] >= 1
    assert listening.mirror.cursor == registry.last_sequence()
    assert_mirror_answers_as_live(listening.mirror, registry, identifiers_of_registry())


def test_a_message_delivered_twice_is_applied_once(live_registry, listening):
    artist = make_artist()
    tracks = register(artist, isrc="USRC1760{n:04d}", count=3)
    registry = live_registry.client()
    sync(registry, listening.mirror)
    start = listening.mirror.cursor
    changes(artist, tracks, [Value.DENY, Value.DENY, Value.DENY])
    body, headers = message(registry, start, listening.secret, "msg_1")

    assert post(listening.url, body, headers) == (200, {"applied": 3, "cursor": start + 3})
    assert post(listening.url, body, headers)[1]["duplicate"] == "msg_1"
    # A replay sends the same events again under a new id: nothing to apply either.
    again, replay_headers = message(registry, start, listening.secret, "msg_2")
    assert post(listening.url, again, replay_headers) == (200, {"applied": 0, "cursor": start + 3})
    assert listening.stats["applied"] == 3 and listening.stats["duplicates"] == 1
    assert listening.mirror.seen_webhook("msg_1") and listening.mirror.seen_webhook("msg_2")
    assert_mirror_answers_as_live(listening.mirror, registry, identifiers_of_registry())


def test_unsigned_badly_signed_and_stale_messages_are_refused(live_registry, listening):
    artist = make_artist()
    track = register(artist, isrc="USRC17607839")
    registry = live_registry.client()
    sync(registry, listening.mirror)
    start = listening.mirror.cursor
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)}, track=track)
    body, headers = message(registry, start, listening.secret, "msg_1")
    other = signing.generate_secret()
    _, wrong = message(registry, start, other, "msg_1")
    _, stale = message(registry, start, listening.secret, "msg_1", at=time.time() - 301)
    for sent, hdrs in [
        (body, {}),
        (body, wrong),
        (body, stale),
        (body + b" ", headers),
        (body, headers | {"webhook-id": "msg_other"}),
    ]:
        assert post(listening.url, sent, hdrs)[0] == 401
    assert listening.mirror.cursor == start and not listening.mirror.seen_webhook("msg_1")
    assert post(listening.url, body, headers)[0] == 200
    assert listening.mirror.cursor == start + 1


def test_an_event_beyond_the_next_expected_catches_up_from_the_feed(live_registry, listening):
    artist = make_artist()
    tracks = register(artist, isrc="USRC1760{n:04d}", count=3)
    registry = live_registry.client()
    sync(registry, listening.mirror)
    start = listening.mirror.cursor
    changes(artist, tracks, [Value.DENY, Value.LICENSE, Value.DENY])
    # Only the last event arrives: the two before it were lost.
    body, headers = message(registry, start, listening.secret, "msg_3", only={start + 3})
    status, answer = post(listening.url, body, headers)
    assert status == 200 and answer["cursor"] == start + 3
    assert listening.stats["catch_ups"] == 1
    assert_mirror_answers_as_live(listening.mirror, registry, identifiers_of_registry())


@pytest.mark.subprocess
def test_the_console_script_listens(live_registry, tmp_path):
    artist = make_artist()
    track = register(artist, isrc="USRC17607839")
    registry = live_registry.client()
    with Mirror(tmp_path) as mirror:
        sync(registry, mirror)
        start = mirror.cursor
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)}, track=track)
    secret = signing.generate_secret()
    script = Path(sys.executable).with_name("registry-client")
    process = subprocess.Popen(
        [str(script), *live_registry.argv(), "listen", "--port", "0", "--secret", secret]
        + [str(tmp_path)],
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": CLIENT_PATH},
    )
    try:
        line = process.stderr.readline()
        port = int(line.split("http://127.0.0.1:")[1].split("/")[0])
        body, headers = message(registry, start, secret, "msg_cli")
        status, answer = post(f"http://127.0.0.1:{port}/", body, headers)
        assert (status, answer) == (200, {"applied": 1, "cursor": start + 1})
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stderr.close()
    with Mirror(tmp_path) as mirror:
        assert mirror.answer("isrc", "USRC17607839")["policy"]["tdm"]["value"] == "deny"
