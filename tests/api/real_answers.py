"""Real answers of every API endpoint, from one small registry, for the tests that check every
answer the same way: against the operation /api/schema/ documents for it
(tests/api/test_schema_answers.py), and for the one time format (tests/api/test_one_time_format.py).

`CALLS` names one request per documented operation and status, with the states that make its
answer carry every optional part: a verified owner's licence and allowance, a stranger's
unverified claim with withheld terms, an ISWC shared by two tracks (`matches`), acknowledgements,
and a webhook endpoint with a pending batch, a rotated secret and a delivery log.
"""

from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint
from api.services import create_key
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.api.conftest import KeyClient
from tests.conftest import make_artist, verify_claims_of

ISRC = "USRC17607839"
ISWC = "T0345246801"
LINK = "https://soundcloud.com/owner/night-drive"
HOOK_URL = "https://hooks.acme.example/consent"
JSON = "application/json"
PAST = "<an instant after the registry was built>"
LICENCE = PurposeChoice(Value.LICENSE, "https://owner.example/licence", "licensing@owner.example")


def build_registry():
    """A verified owner's track, a stranger's unverified claim on it, a second track sharing its
    ISWC."""
    owner = make_artist("Owner Band", "owner-band")
    stranger = make_artist("Not The Owner", "not-the-owner")
    track = register_track(
        owner,
        TrackData(
            title="Night Drive",
            artist_credit="Owner Band",
            roles=["recording"],
            isrc=ISRC,
            iswc=ISWC,
            links=[LINK],
            choices={Purpose.TRAIN_GENAI: LICENCE, Purpose.SEARCH: PurposeChoice(Value.ALLOW)},
        ),
    ).tracks[0]
    register_track(
        owner,
        TrackData(
            title="Night Drive (live)", artist_credit="Owner Band", roles=["recording"], iswc=ISWC
        ),
    )
    verify_claims_of(owner)
    register_track(
        stranger,
        TrackData(title="Night Drive", artist_credit="Not", roles=["composition"], isrc=ISRC),
    )
    declare(
        stranger,
        {
            Purpose.AI_INPUT: PurposeChoice(Value.LICENSE, "https://stranger.example/pay"),
            Purpose.SEARCH: PurposeChoice(Value.DENY),
        },
        track=track,
    )
    return track


@dataclass
class Scene:
    """The registry, and clients of one approved platform: a read key, the same key as the
    compatible API sends it, and a key with the `webhooks` scope."""

    platform: object
    api: KeyClient
    compat: KeyClient
    hooks: KeyClient
    endpoint_id: str = ""
    past: str = ""

    def fill(self, value):
        """`PAST` stands for an instant just after the registry was built."""
        return self.past if value == PAST else value

    def endpoint(self) -> str:
        """A webhook endpoint whose answer has every part: a pending batch being retried, a
        success and a failure, a rotated secret, and attempts in its log."""
        if self.endpoint_id:
            return self.endpoint_id
        created = self.hooks.post("/api/v1/webhooks/", {"url": HOOK_URL}, content_type=JSON)
        assert created.status_code == 201, created.content
        self.endpoint_id = created.json()["id"]
        self.hooks.post(
            f"/api/v1/webhooks/{self.endpoint_id}/rotate-secret/", {}, content_type=JSON
        )
        now = timezone.now()
        stored = WebhookEndpoint.objects.get(public_id=self.endpoint_id)
        WebhookEndpoint.objects.filter(pk=stored.pk).update(
            batch_id="msg_pending",
            batch_first=1,
            batch_last=2,
            batch_until=2,
            batch_count=2,
            attempts=1,
            next_attempt_at=now + timedelta(minutes=5),
            last_success_at=now - timedelta(hours=1),
            last_failure_at=now - timedelta(minutes=1),
        )
        for minutes, outcome in ((1, "failed"), (60, "delivered")):
            WebhookDelivery.objects.create(
                endpoint=stored,
                webhook_id=f"msg_{minutes}",
                attempted_at=now - timedelta(minutes=minutes),
                outcome=outcome,
                status_code=500 if outcome == "failed" else 200,
                duration_ms=12,
                first_sequence=1,
                last_sequence=2,
                event_count=2,
                response_excerpt="oops" if outcome == "failed" else "",
                next_attempt_at=now + timedelta(minutes=5) if outcome == "failed" else None,
            )
        return self.endpoint_id


def build_scene(platform) -> Scene:
    build_registry()
    key = create_key(platform, "answers", ["read", "webhooks"])[1]
    scene = Scene(platform, KeyClient(key), KeyClient(key, scheme="API"), KeyClient(key))
    scene.api.post("/api/v1/acks", {"sequence": 2}, content_type=JSON)
    scene.past = orjson.loads(scene.api.get("/api/v1/consent", {"isrc": ISRC}).content)["as_of"]
    return scene


@dataclass(frozen=True)
class Call:
    """One request, named by the documented operation (path and method) it is an answer of,
    and the status it answers with."""

    name: str
    method: str
    path: str  # as /api/schema/ names it; `{endpoint_id}` is filled in from the scene
    status: int = 200
    query: dict | None = None
    body: object = None
    content_type: str = JSON
    client: str = "api"
    # The snapshot reads on its own connection, so it needs what the registry wrote committed.
    transactional: bool = False

    def perform(self, scene: Scene):
        client = getattr(scene, self.client)
        path = self.path
        if self.client == "hooks":  # the platform has an endpoint with every part
            path = path.replace("{endpoint_id}", scene.endpoint())
        query = {k: scene.fill(v) for k, v in (self.query or {}).items()}
        if self.method == "GET":
            return client.get(path, query)
        body = self.body
        if self.content_type == JSON and body is not None:
            body = orjson.dumps({k: scene.fill(v) for k, v in body.items()})
        send = getattr(client, self.method.lower())
        return send(path, body, content_type=self.content_type)


WEBHOOK = "/api/v1/webhooks/{endpoint_id}/"
CALLS: tuple[Call, ...] = (
    Call("lookup", "GET", "/api/v1/consent", query={"isrc": ISRC}),
    Call("lookup-as-of", "GET", "/api/v1/consent", query={"isrc": ISRC, "as_of": PAST}),
    Call("lookup-matches", "GET", "/api/v1/consent", query={"iswc": ISWC}),
    Call(
        "lookup-url",
        "GET",
        "/api/v1/consent",
        query={"url": "http://m.soundcloud.com/owner/night-drive/"},
    ),
    Call("lookup-unregistered", "GET", "/api/v1/consent", query={"isrc": "GBAYE0601498"}),
    Call("lookup-bad-identifier", "GET", "/api/v1/consent", 400, query={"isrc": "nonsense"}),
    Call(
        "batch",
        "POST",
        "/api/v1/consent/batch",
        body={
            "items": [
                {"isrc": ISRC},
                {"iswc": ISWC},
                {"url": "http://www.soundcloud.com/owner/night-drive?si=x"},
                {"isrc": "GBAYE0601498"},
                {"isrc": "nonsense"},
                {"isrc": 12},
            ]
        },
    ),
    Call(
        "batch-as-of",
        "POST",
        "/api/v1/consent/batch",
        body={"items": [{"isrc": ISRC}], "as_of": PAST},
    ),
    Call("batch-not-a-list", "POST", "/api/v1/consent/batch", 400, body={"items": "x"}),
    Call("changes", "GET", "/api/v1/changes", query={"after": 0}),
    Call("changes-past-the-head", "GET", "/api/v1/changes", 400, query={"after": 10**9}),
    Call("snapshot", "GET", "/api/v1/snapshot", transactional=True),
    Call("log-inclusion", "GET", "/api/v1/log/proof/inclusion", query={"index": 0, "tree_size": 2}),
    Call("log-inclusion-bad", "GET", "/api/v1/log/proof/inclusion", 400, query={"index": 0}),
    Call("log-consistency", "GET", "/api/v1/log/proof/consistency", query={"old": 1, "new": 2}),
    Call("log-consistency-bad", "GET", "/api/v1/log/proof/consistency", 400, query={"old": 2}),
    Call("log-entries", "GET", "/api/v1/log/entries", query={"start": 0, "end": 2}),
    Call("log-entries-bad", "GET", "/api/v1/log/entries", 400, query={"start": 1, "end": 1}),
    Call("acks-state", "GET", "/api/v1/acks"),
    Call("acks-create", "POST", "/api/v1/acks", body={"sequence": 3}),
    Call("acks-refused", "POST", "/api/v1/acks", 400, body={"sequence": -1}),
    Call(
        "compatible-query",
        "POST",
        "/api/v2/query/urls/",
        body=f"{LINK}\nhttps://unknown.example/x\nnot a link",
        content_type="text/plain",
        client="compat",
    ),
    Call("webhooks-list", "GET", "/api/v1/webhooks/", client="hooks"),
    Call(
        "webhooks-create",
        "POST",
        "/api/v1/webhooks/",
        201,
        body={
            "url": HOOK_URL + "/2",
            "event_types": ["policy.changed"],
            "filter": {"hosts": ["soundcloud.com"]},
        },
        client="hooks",
    ),
    Call(
        "webhooks-create-refused",
        "POST",
        "/api/v1/webhooks/",
        400,
        body={"url": "http://x.example/"},
        client="hooks",
    ),
    Call("webhook", "GET", WEBHOOK, client="hooks"),
    Call("webhook-update", "PATCH", WEBHOOK, body={"enabled": False}, client="hooks"),
    Call("webhook-delete", "DELETE", WEBHOOK, 204, client="hooks"),
    Call(
        "webhook-rotate",
        "POST",
        WEBHOOK + "rotate-secret/",
        body={"overlap_hours": 6},
        client="hooks",
    ),
    Call("webhook-test", "POST", WEBHOOK + "test/", 202, client="hooks"),
    Call(
        "webhook-replay",
        "POST",
        WEBHOOK + "replay/",
        202,
        body={"from_sequence": 1},
        client="hooks",
    ),
    Call("webhook-deliveries", "GET", WEBHOOK + "deliveries/", client="hooks"),
    Call(
        "webhook-deliveries-page",
        "GET",
        WEBHOOK + "deliveries/",
        query={"limit": 1},
        client="hooks",
    ),
)


def decoded(response) -> list:
    """The JSON values of an answer: one, or one per line of NDJSON; none for an empty body."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if not content:
        return []
    if response["Content-Type"].startswith("application/x-ndjson"):
        return [orjson.loads(line) for line in content.splitlines()]
    return [orjson.loads(content)]
