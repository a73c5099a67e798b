"""The console's webhook pages: members manage their platform's endpoints; nobody else sees them."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks import services as webhooks
from tests.api.conftest import make_platform
from tests.api.webhooks_support import new_tracks
from tests.conftest import resolve_example_hosts_publicly

pytestmark = pytest.mark.django_db

URL = "https://hooks.acme.example/consent"


@pytest.fixture(autouse=True)
def resolvable_hosts(monkeypatch):
    resolve_example_hosts_publicly(monkeypatch)


@pytest.fixture
def member(client, platform):
    user = get_user_model().objects.create_user("member", "member@acme.example", "pw-123456789")
    platform.members.add(user)
    client.force_login(user)
    return client


@pytest.fixture
def endpoint(platform) -> WebhookEndpoint:
    return webhooks.create_endpoint(platform, URL, description="Production filter")[0]


def page(name: str, platform, endpoint=None) -> str:
    if endpoint is None:
        return reverse(name, args=[platform.public_id])
    return reverse(name, args=[platform.public_id, endpoint.public_id])


def test_a_member_adds_an_endpoint_and_sees_its_secret_once(member, platform):
    response = member.post(
        page("platform_webhooks", platform),
        {"url": URL, "description": "Dataset filter", "event_types": ["policy.changed"],
         "hosts": "soundcloud.com\nbandcamp.com", "creators": ""},
    )  # fmt: skip

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get(platform=platform)
    assert endpoint.secret in response.content.decode()
    assert endpoint.filter_hosts == ["bandcamp.com", "soundcloud.com"]
    assert endpoint.event_types == ["policy.changed"]
    listing = member.get(page("platform_webhooks", platform)).content.decode()
    assert URL in listing and endpoint.secret not in listing
    detail = member.get(page("platform_webhook_detail", platform, endpoint)).content.decode()
    assert endpoint.secret not in detail


def test_a_private_address_is_refused_with_a_sentence(member, platform):
    response = member.post(page("platform_webhooks", platform), {"url": "https://10.0.0.1/x"})
    assert response.status_code == 400
    assert "10.0.0.1 is a private address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_someone_else_gets_a_404_for_every_page(client, platform, endpoint):
    outsider = get_user_model().objects.create_user("out", "out@example.org", "pw-123456789")
    client.force_login(outsider)
    assert client.get(page("platform_webhooks", platform)).status_code == 404
    assert client.get(page("platform_webhook_detail", platform, endpoint)).status_code == 404
    for name in ("platform_webhook_disable", "platform_webhook_delete", "platform_webhook_rotate"):
        assert client.post(page(name, platform, endpoint)).status_code == 404
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).enabled


def test_an_endpoint_of_another_platform_is_a_404_even_to_a_member(member, platform):
    rival = make_platform("Rival AI")
    theirs = webhooks.create_endpoint(rival, URL)[0]
    url = reverse("platform_webhook_detail", args=[platform.public_id, theirs.public_id])
    assert member.get(url).status_code == 404


def test_signed_out_visitors_are_sent_to_log_in(client, platform):
    response = client.get(page("platform_webhooks", platform))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_detail_page_shows_health_and_the_delivery_log(member, platform, endpoint):
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        webhook_id="msg_abc",
        attempted_at=timezone.now(),
        outcome="failed",
        status_code=503,
        duration_ms=42,
        error="",
        response_excerpt="busy, come back later",
        first_sequence=1,
        last_sequence=3,
        event_count=3,
        next_attempt_at=timezone.now(),
    )
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(attempts=1)

    html = member.get(page("platform_webhook_detail", platform, endpoint)).content.decode()

    assert "Failing" in html
    assert "msg_abc" in html and "503" in html and "busy, come back later" in html
    assert "42 ms" in html


def test_disable_then_enable_resumes(member, platform, endpoint):
    member.post(page("platform_webhook_disable", platform, endpoint))
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    response = member.post(page("platform_webhook_enable", platform, endpoint), follow=True)
    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert f"resumes after change #{endpoint.cursor}" in response.content.decode()


def test_rotate_shows_the_new_secret_once_and_keeps_the_old_signing(member, platform, endpoint):
    old = endpoint.secret
    url = page("platform_webhook_rotate", platform, endpoint)
    response = member.post(url, {"overlap_hours": 3})
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.previous_secret == old
    html = response.content.decode()
    assert endpoint.secret in html and old not in html


def test_replay_and_test_event_and_delete(member, platform, endpoint, artist):
    new_tracks(artist, 3)
    member.post(page("platform_webhook_replay", platform, endpoint), {"from_sequence": 2})
    endpoint.refresh_from_db()
    assert endpoint.cursor == 1
    refused = member.post(page("platform_webhook_replay", platform, endpoint), {"from_sequence": 9})
    assert refused.status_code == 400 and "between #1 and #4" in refused.content.decode()

    sent = member.post(page("platform_webhook_test", platform, endpoint), follow=True)
    assert "A test message (msg_" in sent.content.decode()

    member.post(page("platform_webhook_delete", platform, endpoint))
    assert not WebhookEndpoint.objects.exists()


def test_admins_see_endpoints_and_their_delivery_log(admin_client, platform, endpoint):
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        webhook_id="msg_admin",
        attempted_at=timezone.now(),
        outcome="delivered",
        status_code=204,
        duration_ms=7,
    )

    listing = admin_client.get(reverse("admin:api_webhookendpoint_changelist"))
    detail = admin_client.get(reverse("admin:api_webhookendpoint_change", args=[endpoint.pk]))
    log = admin_client.get(reverse("admin:api_webhookdelivery_changelist"))

    assert listing.status_code == detail.status_code == log.status_code == 200
    assert URL in listing.content.decode()
    assert "msg_admin" in detail.content.decode() and "msg_admin" in log.content.decode()
    assert endpoint.secret not in detail.content.decode()


def test_an_admin_enables_a_disabled_endpoint_from_the_list(admin_client, endpoint):
    webhooks.update_endpoint(endpoint, enabled=False)
    response = admin_client.post(
        reverse("admin:api_webhookendpoint_changelist"),
        {"action": "enable", "_selected_action": [endpoint.pk]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.enabled
