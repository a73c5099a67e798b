"""/api/v1/webhooks/: what a platform can do with its endpoints, and nothing with others'."""

import pytest
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint
from api.services import create_key
from tests.api.conftest import KeyClient, make_platform
from tests.api.webhooks_support import new_tracks
from tests.conftest import resolve_example_hosts_publicly

pytestmark = pytest.mark.django_db

URL = "https://hooks.acme.example/consent"


@pytest.fixture(autouse=True)
def resolvable_hosts(monkeypatch):
    resolve_example_hosts_publicly(monkeypatch)


@pytest.fixture
def hooks(platform) -> KeyClient:
    return KeyClient(create_key(platform, "hooks", ["webhooks"])[1])


@pytest.fixture
def endpoint(hooks) -> dict:
    response = hooks.post("/api/v1/webhooks/", {"url": URL}, content_type="application/json")
    assert response.status_code == 201
    return response.json()


def test_creating_an_endpoint_answers_its_secret_once(hooks, platform):
    response = hooks.post(
        "/api/v1/webhooks/",
        {
            "url": URL,
            "description": "Dataset filter",
            "event_types": ["policy.changed"],
            "filter": {"hosts": ["https://www.SoundCloud.com/x"], "creators": []},
        },
        content_type="application/json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert response["Location"] == f"/api/v1/webhooks/{body['id']}/"
    assert response["Cache-Control"] == "no-store"
    assert body["filter"] == {"hosts": ["soundcloud.com"], "creators": []}
    assert body["event_types"] == ["policy.changed"]
    assert body["health"] == "new" and body["enabled"] is True
    listed = hooks.get("/api/v1/webhooks/").json()
    assert [e["id"] for e in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in hooks.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert WebhookEndpoint.objects.get(public_id=body["id"]).platform == platform


def test_a_new_endpoint_starts_after_the_latest_change(hooks, artist):
    new_tracks(artist, 3)
    body = hooks.post("/api/v1/webhooks/", {"url": URL}, content_type="application/json").json()
    assert body["cursor"] == 3 and body["lag"] == 0
    new_tracks(artist, 2)
    assert hooks.get(f"/api/v1/webhooks/{body['id']}/").json()["lag"] == 2


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"url": "http://hooks.acme.example/"}, "url", "https"),
        ({"url": "ftp://hooks.acme.example/"}, "url", "https://"),
        ({"url": "https://user:pw@hooks.acme.example/"}, "url", "password"),
        ({"url": "https://10.0.0.5/hook"}, "url", "private address"),
        ({"url": "https://169.254.169.254/"}, "url", "metadata"),
        ({"url": URL, "event_types": ["policy.deleted"]}, "event_types", ""),
        ({"url": URL, "filter": {"hosts": ["not a host"]}}, "hosts", "host name"),
        ({"url": URL, "filter": {"creators": ["nobody-here"]}}, "creators", "nobody-here"),
        ({}, "url", ""),
    ],
)
def test_a_bad_endpoint_is_refused_with_a_problem_naming_the_field(hooks, payload, field, words):
    response = hooks.post("/api/v1/webhooks/", payload, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/api/problems/invalid-request"
    assert field in {e["field"] for e in problem["errors"]}
    assert words in problem["detail"]
    assert not WebhookEndpoint.objects.exists()


def test_creators_are_filtered_by_handle_or_id_and_answered_as_ids(hooks, artist):
    response = hooks.post(
        "/api/v1/webhooks/",
        {"url": URL, "filter": {"creators": ["@owner-band", str(artist.public_id)]}},
        content_type="application/json",
    )
    assert response.json()["filter"]["creators"] == [str(artist.public_id)]


def test_a_key_without_the_webhooks_scope_is_refused(platform):
    reader = KeyClient(create_key(platform, "read only", ["read"])[1])
    response = reader.get("/api/v1/webhooks/")
    assert response.status_code == 403
    assert "webhooks" in response.json()["detail"]


def test_without_a_key_the_answer_is_401(client):
    assert client.get("/api/v1/webhooks/").status_code == 401


@pytest.mark.parametrize(
    ("method", "suffix", "payload"),
    [
        ("get", "", None),
        ("patch", "", {"enabled": False}),
        ("delete", "", None),
        ("post", "rotate-secret/", {}),
        ("post", "test/", None),
        ("post", "replay/", {"from_sequence": 1}),
        ("get", "deliveries/", None),
    ],
)
def test_another_platforms_endpoint_is_a_404(endpoint, method, suffix, payload):
    rival = make_platform("Rival AI")
    other = KeyClient(create_key(rival, "hooks", ["webhooks"])[1])
    kwargs = {"content_type": "application/json"} if payload is not None else {}
    args = (payload,) if payload is not None else ()

    url = f"/api/v1/webhooks/{endpoint['id']}/{suffix}"
    response = getattr(other, method)(url, *args, **kwargs)

    assert response.status_code == 404
    assert response.json()["type"] == "/api/problems/not-found"
    assert other.get("/api/v1/webhooks/").json() == []
    assert WebhookEndpoint.objects.get(public_id=endpoint["id"]).enabled


def test_patch_changes_filters_and_disables_then_enables(hooks, endpoint):
    url = f"/api/v1/webhooks/{endpoint['id']}/"

    changed = hooks.patch(
        url, {"event_types": ["dispute.opened"], "enabled": False}, content_type="application/json"
    ).json()
    assert changed["event_types"] == ["dispute.opened"]
    assert changed["enabled"] is False and changed["health"] == "disabled"
    assert changed["disabled_reason"] == "Disabled by the platform."

    enabled = hooks.patch(url, {"enabled": True}, content_type="application/json").json()
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None
    assert enabled["url"] == URL  # untouched fields stay


def test_rotating_answers_a_new_secret_and_when_the_old_one_stops(hooks, endpoint):
    before = WebhookEndpoint.objects.get(public_id=endpoint["id"]).secret
    response = hooks.post(
        f"/api/v1/webhooks/{endpoint['id']}/rotate-secret/",
        {"overlap_hours": 6},
        content_type="application/json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != endpoint["secret"]
    stored = WebhookEndpoint.objects.get(public_id=endpoint["id"])
    assert (stored.secret, stored.previous_secret) == (body["secret"], before)
    hours = (stored.previous_secret_expires_at - timezone.now()).total_seconds() / 3600
    assert 5.9 < hours <= 6
    too_long = hooks.post(
        f"/api/v1/webhooks/{endpoint['id']}/rotate-secret/",
        {"overlap_hours": 10_000},
        content_type="application/json",
    )
    assert too_long.status_code == 400


def test_replay_moves_the_cursor_back_and_checks_the_sequence(hooks, endpoint, artist):
    new_tracks(artist, 5)
    url = f"/api/v1/webhooks/{endpoint['id']}/replay/"

    response = hooks.post(url, {"from_sequence": 2}, content_type="application/json")

    assert response.status_code == 202
    assert response.json()["cursor"] == 1
    assert response.json()["lag"] == 4
    for bad in (0, 7, "two"):
        refused = hooks.post(url, {"from_sequence": bad}, content_type="application/json")
        assert refused.status_code == 400


def test_a_test_event_is_accepted_with_its_webhook_id(hooks, endpoint):
    response = hooks.post(f"/api/v1/webhooks/{endpoint['id']}/test/")
    assert response.status_code == 202
    assert response.json()["webhook_id"].startswith("msg_")


def test_the_delivery_log_pages_from_the_latest_attempt(hooks, endpoint):
    stored = WebhookEndpoint.objects.get(public_id=endpoint["id"])
    now = timezone.now()
    for minutes in range(3):
        WebhookDelivery.objects.create(
            endpoint=stored,
            webhook_id=f"msg_{minutes}",
            attempted_at=now - timezone.timedelta(minutes=minutes),
            outcome="failed",
            status_code=500,
            duration_ms=12,
            response_excerpt="oops",
        )
    url = f"/api/v1/webhooks/{endpoint['id']}/deliveries/"

    first = hooks.get(url, {"limit": 2}).json()
    assert [d["webhook_id"] for d in first["deliveries"]] == ["msg_0", "msg_1"]
    assert first["deliveries"][0]["status_code"] == 500
    rest = hooks.get(url, {"limit": 2, "before": first["next_before"]}).json()
    assert [d["webhook_id"] for d in rest["deliveries"]] == ["msg_2"]
    assert rest["next_before"] is None
    assert hooks.get(url, {"limit": 0}).status_code == 400
    for bad in ("2026-13-45T00:00:00Z", "yesterday", "2026-01-01T00:00:00"):
        response = hooks.get(url, {"before": bad})
        assert response.status_code == 400, bad
        assert response.json()["field"] == "before"


def test_deleting_removes_the_endpoint_and_its_log(hooks, endpoint):
    response = hooks.delete(f"/api/v1/webhooks/{endpoint['id']}/")
    assert response.status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert hooks.get(f"/api/v1/webhooks/{endpoint['id']}/").status_code == 404


def test_a_platform_has_at_most_twenty_endpoints(hooks):
    for n in range(20):
        assert (
            hooks.post(
                "/api/v1/webhooks/", {"url": f"{URL}/{n}"}, content_type="application/json"
            ).status_code
            == 201
        )
    refused = hooks.post("/api/v1/webhooks/", {"url": URL}, content_type="application/json")
    assert refused.status_code == 400
    assert "20 webhook endpoints" in refused.json()["detail"]


def test_the_schema_documents_every_webhook_operation(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    base = "/api/v1/webhooks/"
    assert set(paths[base]) >= {"get", "post"}
    assert set(paths[base + "{endpoint_id}/"]) >= {"get", "patch", "delete"}
    for action in ("rotate-secret/", "test/", "replay/", "deliveries/"):
        assert base + "{endpoint_id}/" + action in paths
    created = paths[base]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/CreatedEndpointShape")
