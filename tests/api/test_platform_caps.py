"""A platform's caps on API keys and webhook endpoints hold even when requests race.

Each cap is counted by its service under the platform's row lock. These tests race real
creations from several threads, each on its own PostgreSQL connection, released together by a
barrier: without the lock every thread would count the same number and all would pass.
"""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from api import services
from api.models import ApiKey, WebhookEndpoint
from api.webhooks import services as webhooks
from consent.services import ConsentError
from tests.api.platform_helpers import make_platform, make_user

RACERS = 6


def race(create, count: int = RACERS) -> tuple[int, list[str]]:
    """Run `create()` in `count` threads at once; how many succeeded, and the refusals."""
    barrier = threading.Barrier(count)
    done: list[bool] = []
    refusals: list[str] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            create()
            done.append(True)
        except (ConsentError, webhooks.WebhookError) as exc:
            refusals.append(str(exc))
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return len(done), refusals


@pytest.mark.django_db(transaction=True)
def test_concurrent_key_creations_never_take_a_platform_past_its_key_cap():
    platform = make_platform("Racing AI")
    for n in range(services.MAX_ACTIVE_KEYS - 2):
        services.create_key(platform, f"existing {n}")

    created, refusals = race(lambda: services.create_key(platform, "raced"))

    assert created == 2
    assert len(refusals) == RACERS - 2
    assert all(
        f"already has {services.MAX_ACTIVE_KEYS} active keys" in refusal for refusal in refusals
    )
    assert services.active_keys(platform).count() == services.MAX_ACTIVE_KEYS


@pytest.mark.django_db(transaction=True)
def test_a_revoked_key_makes_room_under_the_cap():
    platform = make_platform("Tidy AI")
    keys = [services.create_key(platform, f"k{n}")[0] for n in range(services.MAX_ACTIVE_KEYS)]
    with pytest.raises(ConsentError, match="Revoke one you no longer use"):
        services.create_key(platform, "one too many")
    services.revoke_key(keys[0])
    services.create_key(platform, "in its place")
    assert ApiKey.objects.filter(platform=platform).count() == services.MAX_ACTIVE_KEYS + 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_endpoint_creations_never_take_a_platform_past_its_endpoint_cap(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]
    url = "http://127.0.0.1:9/hook"  # never called: creating an endpoint sends nothing
    platform = make_platform("Hooked AI")
    for _ in range(webhooks.MAX_ENDPOINTS - 2):
        webhooks.create_endpoint(platform, url)

    created, refusals = race(lambda: webhooks.create_endpoint(platform, url))

    assert created == 2
    assert len(refusals) == RACERS - 2
    assert all(
        f"already has {webhooks.MAX_ENDPOINTS} webhook endpoints" in refusal for refusal in refusals
    )
    assert WebhookEndpoint.objects.filter(platform=platform).count() == webhooks.MAX_ENDPOINTS


@pytest.mark.django_db
def test_the_console_shows_the_services_refusal_at_the_cap(client):
    member = make_user()
    platform = make_platform("Full AI", members=[member])
    for n in range(services.MAX_ACTIVE_KEYS):
        services.create_key(platform, f"k{n}")
    client.force_login(member)
    response = client.post(
        reverse("platform_key_create", args=[platform.public_id]),
        {"name": "more", "scopes": ["read"]},
    )
    assert response.status_code == 200
    assert (
        f"Full AI already has {services.MAX_ACTIVE_KEYS} active keys." in response.content.decode()
    )
    assert services.active_keys(platform).count() == services.MAX_ACTIVE_KEYS
