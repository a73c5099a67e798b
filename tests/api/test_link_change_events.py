"""Link changes are change events: a platform mirroring the registry through snapshot + changes
answers every URL exactly as the live lookup does, after links are added, removed, hidden,
restored, or leave with a withdrawn claim.

The snapshot reads on its own connection, so the mirror test commits what it must see.
"""

import gzip
import json

import pytest

from api.webhooks import dispatch
from api.webhooks import services as webhooks
from consent.links import add_links, hide_link, remove_link, restore_link
from consent.models import ChangeEvent, Claim, TrackLink
from consent.purposes import PURPOSES, Purpose, Value
from consent.services import (
    PurposeChoice,
    TrackData,
    declare,
    register_track,
    register_tracks,
    withdraw_claim,
)
from tests.api.webhooks_support import Receiver
from tests.conftest import verify_claims_of

ISRC = "USRC17607839"
FIRST = "https://soundcloud.com/owner/night-drive"
SECOND = "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
PURPOSE_NAMES = [p.value for p in PURPOSES]


def data(**overrides) -> TrackData:
    base = {"title": "Night Drive", "artist_credit": "Owner Band", "roles": ["recording"]}
    return TrackData(**(base | overrides))


def changes(api, after: int) -> list[dict]:
    response = api.get("/api/v1/changes", {"after": after})
    assert response.status_code == 200, response.content
    return response.json()["events"]


class Mirror:
    """What a platform keeps: per track its values and links, from snapshot rows and events."""

    def __init__(self, rows: list[dict]):
        self.tracks = {
            row["track"]["id"]: (
                {p: row["policy"][p]["value"] for p in PURPOSE_NAMES},
                row["track"]["links"],
            )
            for row in rows
        }

    def apply(self, event: dict) -> None:
        values = {p: event["policy"][p] for p in PURPOSE_NAMES}
        self.tracks[event["track"]["id"]] = (values, event["track"]["links"])

    def answer(self, url: str) -> dict:
        matched = [values for values, links in self.tracks.values() if url in links]
        if not matched:
            return {"status": "unregistered", "values": {p: "unset" for p in PURPOSE_NAMES}}
        (values,) = matched
        return {"status": "registered", "values": values}


def live(api, url: str) -> dict:
    answer = api.get("/api/v1/consent", {"url": url}).json()
    values = {p: answer["policy"][p]["value"] for p in PURPOSE_NAMES}
    return {"status": answer["status"], "values": values}


@pytest.mark.django_db(transaction=True)
def test_a_mirror_from_snapshot_and_changes_answers_a_url_as_the_live_lookup_at_every_step(
    api, artist
):
    track = register_track(artist, data(isrc=ISRC, links=[FIRST])).tracks[0]
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})
    response = api.get("/api/v1/snapshot")
    content = b"".join(response.streaming_content)
    if response.get("Content-Encoding") == "gzip":
        content = gzip.decompress(content)
    mirror = Mirror([json.loads(line) for line in content.splitlines()])
    cursor = int(response["X-Registry-Sequence"])
    for url in (FIRST, SECOND):
        assert mirror.answer(url) == live(api, url)
    assert live(api, SECOND)["status"] == "unregistered"

    add_links(artist, track, [SECOND])
    (added,) = changes(api, cursor)
    assert added["cause"] == "links-added"
    assert added["previous_links"] == [FIRST]
    assert added["track"]["links"] == sorted([FIRST, SECOND])
    assert added["policy"] == added["previous"], "the policy itself did not change"
    mirror.apply(added)
    assert live(api, SECOND)["values"]["train-ai"] == "deny"
    for url in (FIRST, SECOND):
        assert mirror.answer(url) == live(api, url)

    remove_link(artist, TrackLink.objects.get(url=SECOND))
    (removed,) = changes(api, added["sequence"])
    assert removed["cause"] == "link-removed"
    assert removed["previous_links"] == sorted([FIRST, SECOND])
    assert removed["track"]["links"] == [FIRST]
    mirror.apply(removed)
    assert live(api, SECOND)["status"] == "unregistered"
    for url in (FIRST, SECOND):
        assert mirror.answer(url) == live(api, url)


@pytest.mark.django_db
def test_a_withdrawn_claim_hides_its_links_in_the_same_event_as_its_policy(
    api, artist, other_artist
):
    register_track(artist, data(isrc=ISRC))
    register_track(other_artist, data(isrc=ISRC, roles=["composition"], links=[SECOND]))
    declare(other_artist, {Purpose.TDM: PurposeChoice(Value.DENY)})
    before = ChangeEvent.objects.order_by("sequence").last().sequence

    withdraw_claim(Claim.objects.get(creator=other_artist))

    (event,) = changes(api, before)
    assert event["cause"] == "claim-withdrawn"
    assert event["previous_links"] == [SECOND]
    assert event["track"]["links"] == []
    assert event["previous"]["tdm"] == "deny" and event["policy"]["tdm"] == "unset"
    assert live(api, SECOND)["status"] == "unregistered"


@pytest.mark.django_db
def test_an_owner_hiding_a_link_and_a_reviewer_restoring_it_are_each_one_event(
    api, artist, other_artist, django_user_model
):
    owned = register_track(artist, data(isrc=ISRC, links=[FIRST])).tracks[0]
    verify_claims_of(artist)
    register_track(other_artist, data(isrc=ISRC, roles=["composition"], links=[SECOND]))
    stranger_link = TrackLink.objects.get(url=SECOND)
    before = ChangeEvent.objects.order_by("sequence").last().sequence

    hide_link(artist, stranger_link)
    reviewer = django_user_model.objects.create_user("desk", "desk@example.org", is_staff=True)
    restore_link(reviewer, stranger_link, "The songwriter's own upload.")

    hidden, restored = changes(api, before)
    assert hidden["track"]["id"] == restored["track"]["id"] == str(owned.public_id)
    assert (hidden["cause"], hidden["track"]["links"]) == ("link-hidden", [FIRST])
    assert (restored["cause"], restored["previous_links"]) == ("link-restored", [FIRST])
    assert restored["track"]["links"] == sorted([FIRST, SECOND])


@pytest.mark.django_db
def test_a_registration_still_writes_one_event_per_track_carrying_its_links(api, artist):
    items = [data(title=f"Song {n}", links=[f"{FIRST}-{n}", f"{SECOND}{n}"]) for n in range(3)]
    register_tracks(artist, items)
    events = changes(api, 0)
    assert len(events) == 3
    for n, event in enumerate(events):
        assert event["previous_links"] == []
        assert event["track"]["links"] == sorted([f"{FIRST}-{n}", f"{SECOND}{n}"])


@pytest.mark.django_db
def test_adding_a_link_already_on_the_track_writes_no_event(api, artist):
    track = register_track(artist, data(links=[FIRST])).tracks[0]
    add_links(artist, track, [FIRST])
    assert len(changes(api, 0)) == 1


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    with Receiver() as receiver:
        yield receiver


@pytest.mark.django_db
def test_an_endpoint_subscribed_to_link_changes_receives_the_added_and_removed_link(
    platform, artist, receiver
):
    endpoint, secret = webhooks.create_endpoint(
        platform, receiver.url("/links"), event_types=["links.changed"]
    )
    receiver.accept("/links", secret)
    assert endpoint.event_types == ["links.changed"]
    track = register_track(artist, data(isrc=ISRC, links=[FIRST])).tracks[0]

    add_links(artist, track, [SECOND])
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.DENY)})  # not a link change
    remove_link(artist, TrackLink.objects.get(url=SECOND))
    run = dispatch.deliver(endpoint.pk)

    assert run.outcome == dispatch.IDLE and run.delivered == 1
    (message,) = receiver.received("/links")
    assert message.verified
    events = message.payload["data"]["events"]
    # The registration carried the first link; the declaration changed no link.
    assert [e["cause"] for e in events] == ["claim", "links-added", "link-removed"]
    assert all("links.changed" in e["types"] for e in events)
    assert "policy.changed" not in events[1]["types"]
    assert [e["track"]["links"] for e in events] == [[FIRST], sorted([FIRST, SECOND]), [FIRST]]
    assert events[2]["previous_links"] == sorted([FIRST, SECOND])


def test_an_unknown_event_type_names_links_changed_among_the_choices():
    with pytest.raises(webhooks.WebhookError, match="links.changed"):
        webhooks.clean_event_types(["link.changed"])


@pytest.mark.django_db(transaction=True)  # the snapshot reads committed rows on its own connection
def test_the_snapshot_and_the_events_name_the_audio_hash_a_mirror_keys_on(api, artist):
    from consent.services import TrackData, register_track

    sha = "ab" * 32
    data = TrackData(title="T", artist_credit="A", roles=["recording"], audio_sha256=sha)
    track = register_track(artist, data).tracks[0]
    event = api.get("/api/v1/changes").json()["events"][-1]
    assert event["track"]["audio_sha256"] == sha
    line = b"".join(api.get("/api/v1/snapshot").streaming_content).splitlines()[0]
    assert json.loads(line)["track"]["audio_sha256"] == sha
    looked_up = api.get("/api/v1/consent", {"sha256": sha}).json()
    assert looked_up["track"]["id"] == str(track.public_id)
    assert looked_up["track"]["audio_sha256"] == sha
