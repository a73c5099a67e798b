"""A reviewer's decision changes the effective policy exactly like an artist's own change: the
platform API shows it, as an answer and as change events on the feed."""

import pytest

from consent.contests import contest_claim
from consent.disputes import decide
from consent.models import Dispute
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from tests.disputes_helpers import ISRC, claim_of, owned_track

pytestmark = pytest.mark.django_db


def events_after(api, after: int) -> list[dict]:
    return api.get("/api/v1/changes", {"after": after, "limit": 100}).json()["events"]


def answer(api) -> dict:
    return api.get("/api/v1/consent", {"isrc": ISRC}).json()


def test_contest_then_decision_reaches_the_api(api, artist, other_artist, reviewer):
    track = owned_track(artist)  # the owner allows everything
    declare(other_artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    before = api.get("/api/v1/changes", {"after": 0}).json()["last_sequence"]

    contest_claim(other_artist, claim_of(artist, track), reason="Mine", statement="I made it.")
    opened = events_after(api, before)
    assert [e["cause"] for e in opened] and opened[-1]["policy"]["disputed"] is True
    # While open, the most restrictive value of both claims applies.
    assert opened[-1]["policy"]["train-genai"] == "deny"
    assert answer(api)["disputed"] is True

    dispute = Dispute.objects.get(track=track)
    decide(reviewer, dispute, "upheld", "The label contract shows it.",
           upheld_claim=claim_of(artist, track))  # fmt: skip
    decided = events_after(api, opened[-1]["sequence"])
    assert len(decided) == 1
    assert decided[0]["policy"]["disputed"] is False
    assert decided[0]["policy"]["train-genai"] == "allow"
    assert decided[0]["previous"]["train-genai"] == "deny"
    body = answer(api)
    assert body["disputed"] is False
    assert body["policy"]["train-genai"]["source"]["creator"] == str(artist.public_id)
    assert body["sequence"] == decided[0]["sequence"]


def test_a_decision_is_pushed_to_a_subscribed_platform(api, platform, artist, other_artist,
                                                        reviewer, settings):  # fmt: skip
    """The whole chain: contest, decision, change event, signed webhook to a real receiver."""
    from api.webhooks import dispatch
    from api.webhooks import services as webhooks
    from tests.api.webhooks_support import Receiver

    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]
    track = owned_track(artist)
    declare(other_artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    with Receiver() as receiver:
        endpoint, secret = webhooks.create_endpoint(platform, receiver.url("/hook"))
        receiver.accept("/hook", secret)
        contest_claim(other_artist, claim_of(artist, track), reason="Mine", statement="I made it.")
        decide(reviewer, Dispute.objects.get(track=track), "upheld", "Contract shown.",
               upheld_claim=claim_of(artist, track))  # fmt: skip
        for _ in range(5):  # bounded: one batch per run
            dispatch.deliver(endpoint.pk)
        events = [
            event
            for message in receiver.received("/hook")
            if message.verified
            for event in message.payload["data"]["events"]
        ]
    assert [e["policy"]["disputed"] for e in events] == [True, False]
    assert events[-1]["policy"]["train-genai"] == "allow"
    assert "dispute.closed" in events[-1]["types"]
    # A webhook event is the feed's event plus its types.
    feed = {e["sequence"]: e for e in events_after(api, events[0]["sequence"] - 1)}
    for pushed in events:
        assert {k: v for k, v in pushed.items() if k != "types"} == feed[pushed["sequence"]]
