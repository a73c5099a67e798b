"""Delivery semantics, run in-process against a real HTTP receiver that verifies signatures.

The cursor moves only on a 2xx; a batch keeps its webhook-id across retries; retries follow the
schedule (with jitter, or Retry-After); 410 and the last retry disable the endpoint and email
the platform; enabling it again resumes from the cursor.
"""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks import dispatch
from api.webhooks import services as webhooks
from consent.models import ChangeEvent, Platform
from consent.purposes import Value
from tests.api.webhooks_support import Receiver, Reply, flip, new_tracks
from tests.conftest import make_artist, verify_claims_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    return settings


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def subscribe(platform, receiver, path="/hook", **options) -> WebhookEndpoint:
    endpoint, secret = webhooks.create_endpoint(platform, receiver.url(path), **options)
    receiver.accept(path, secret)
    return endpoint


def make_due(endpoint: WebhookEndpoint) -> None:
    """Skip the wait before the scheduled retry."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_changes_arrive_signed_in_order_in_one_batch(platform, artist, receiver):
    endpoint = subscribe(platform, receiver)
    new_tracks(artist, 3)
    expected = list(ChangeEvent.objects.order_by("sequence").values_list("sequence", flat=True))

    run = dispatch.deliver(endpoint.pk)

    assert run.outcome == dispatch.IDLE and run.delivered == 1
    (message,) = receiver.received()
    assert message.verified
    assert message.webhook_id.startswith("msg_")
    payload = message.payload
    assert payload["type"] == "consent.changes"
    assert payload["data"]["endpoint"] == str(endpoint.public_id)
    assert payload["data"]["until"] == expected[-1]
    assert message.sequences == expected
    event = payload["data"]["events"][0]
    assert set(event) == {
        "sequence", "track", "types", "policy", "previous", "previous_links", "disputed", "cause",
        "created_at",
    }  # fmt: skip
    assert event["types"] == ["policy.changed"]
    endpoint.refresh_from_db()
    assert endpoint.cursor == expected[-1] and not endpoint.has_batch
    log = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (log.outcome, log.status_code, log.event_count) == ("delivered", 200, 3)


def test_deny_allow_deny_arrives_in_order_and_ends_denied(platform, artist, receiver, settings):
    settings.WEBHOOK_BATCH_SIZE = 1
    new_tracks(artist, 1)
    verify_claims_of(artist)  # an owner's `allow` counts once the claim is proven
    endpoint = subscribe(platform, receiver)
    for value in (Value.DENY, Value.ALLOW, Value.DENY):
        flip(artist, value)

    dispatch.deliver(endpoint.pk)

    messages = receiver.received()
    assert [len(m.sequences) for m in messages] == [1, 1, 1]
    assert receiver.acknowledged() == sorted(receiver.acknowledged())
    values = [m.payload["data"]["events"][0]["policy"]["train-ai"] for m in messages]
    assert values == ["deny", "allow", "deny"]


def test_a_batch_holds_at_most_the_batch_size(platform, artist, receiver, settings):
    settings.WEBHOOK_BATCH_SIZE = 2
    endpoint = subscribe(platform, receiver)
    new_tracks(artist, 5)

    dispatch.deliver(endpoint.pk)

    assert [len(m.sequences) for m in receiver.received()] == [2, 2, 1]
    assert len({m.webhook_id for m in receiver.received()}) == 3


def test_a_failed_batch_is_retried_later_under_the_same_webhook_id(platform, artist, receiver):
    receiver.script = lambda message, n: Reply(500, body=b"database down") if n == 1 else Reply()
    endpoint = subscribe(platform, receiver)
    new_tracks(artist, 2)

    before = timezone.now()
    run = dispatch.deliver(endpoint.pk)

    assert run.outcome == dispatch.WAITING
    endpoint.refresh_from_db()
    assert endpoint.attempts == 1 and endpoint.cursor < endpoint.batch_first
    wait = (endpoint.next_attempt_at - before).total_seconds()
    assert 5 <= wait <= 5 * 1.1 + 1
    failed = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (failed.outcome, failed.status_code) == ("failed", 500)
    assert failed.response_excerpt == "database down"
    assert failed.next_attempt_at == endpoint.next_attempt_at

    assert dispatch.deliver(endpoint.pk).outcome == dispatch.WAITING  # not due yet: no request
    assert len(receiver.received()) == 1

    make_due(endpoint)
    assert dispatch.deliver(endpoint.pk).outcome == dispatch.IDLE
    first, second = receiver.received()
    assert first.webhook_id == second.webhook_id
    assert first.sequences == second.sequences
    endpoint.refresh_from_db()
    assert endpoint.cursor == second.sequences[-1] and endpoint.attempts == 0


@pytest.mark.parametrize("attempt", range(1, 10))
def test_retries_wait_as_the_standard_schedule_says_plus_jitter(attempt):
    base = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400][attempt - 1]
    waits = [dispatch.retry_wait(attempt) for _ in range(50)]
    assert all(base <= w <= base * 1.1 for w in waits)
    assert len(set(waits)) > 1  # jittered


def test_retry_after_is_honoured_up_to_the_longest_wait(platform, artist, receiver):
    receiver.script = lambda m, n: Reply(503, headers={"Retry-After": "120"})
    endpoint = subscribe(platform, receiver)
    new_tracks(artist, 1)
    before = timezone.now()

    dispatch.deliver(endpoint.pk)

    endpoint.refresh_from_db()
    assert 120 <= (endpoint.next_attempt_at - before).total_seconds() <= 125
    assert dispatch.retry_wait(1, retry_after=10**9) <= 86400


def test_410_gone_disables_the_endpoint_and_emails_the_platform(
    platform, artist, receiver, django_capture_on_commit_callbacks
):
    receiver.script = lambda m, n: Reply(410)
    endpoint = subscribe(platform, receiver)
    new_tracks(artist, 1)

    with django_capture_on_commit_callbacks(execute=True):
        run = dispatch.deliver(endpoint.pk)

    assert run.outcome == dispatch.STOPPED
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert endpoint.cursor < endpoint.batch_last  # nothing counted as delivered
    (email,) = mail.outbox
    assert email.to == [platform.contact_email]
    assert endpoint.url in email.body and "410" in email.body
    assert f"#{endpoint.cursor}" in email.body


def test_after_the_last_retry_the_endpoint_is_disabled_and_the_contact_emailed(
    platform, artist, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [1.0, 1.0]
    receiver.script = lambda m, n: Reply(500)
    endpoint = subscribe(platform, receiver)
    new_tracks(artist, 1)

    with django_capture_on_commit_callbacks(execute=True):
        outcomes = []
        for _ in range(3):
            outcomes.append(dispatch.deliver(endpoint.pk).outcome)
            make_due(endpoint)

    assert outcomes == [dispatch.WAITING, dispatch.WAITING, dispatch.STOPPED]
    assert len(receiver.received()) == 3
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert "3 attempts" in endpoint.disabled_reason and "HTTP 500" in endpoint.disabled_reason
    assert [e.to for e in mail.outbox] == [[platform.contact_email]]
    assert dispatch.deliver(endpoint.pk).outcome == dispatch.STOPPED  # nothing more is sent
    assert len(receiver.received()) == 3


def test_enabling_again_resumes_from_the_cursor_and_skips_nothing(platform, artist, receiver):
    receiver.script = lambda m, n: Reply(410) if n == 1 else Reply()
    endpoint = subscribe(platform, receiver)
    new_tracks(artist, 2)
    dispatch.deliver(endpoint.pk)
    new_tracks(artist, 3)  # committed while the endpoint is disabled
    assert dispatch.deliver(endpoint.pk).outcome == dispatch.STOPPED

    webhooks.update_endpoint(endpoint, enabled=True)
    dispatch.deliver(endpoint.pk)

    everything = list(ChangeEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    gone, *after = receiver.received()
    assert after[0].webhook_id == gone.webhook_id  # the same batch, the same id
    assert receiver.deduplicated() == everything
    assert receiver.acknowledged() == everything


def test_during_a_rotation_either_secret_alone_verifies(platform, artist, receiver):
    endpoint, old = webhooks.create_endpoint(platform, receiver.url())
    rotation = webhooks.rotate_secret(endpoint, overlap_hours=2)
    receiver.accept("/hook", rotation.secret)
    new_tracks(artist, 1)

    dispatch.deliver(endpoint.pk)

    (message,) = receiver.received()
    assert len(message.headers["webhook-signature"].split(" ")) == 2
    # A receiver still holding the old secret, and one already holding the new, both accept it.
    for secret in (old, rotation.secret):
        assert Webhook(secret).verify(message.body, message.headers)["type"] == "consent.changes"
    assert rotation.previous_secret_expires_at - timezone.now() > timedelta(hours=1, minutes=59)


def test_without_an_overlap_the_old_secret_stops_at_once(platform, artist, receiver):
    endpoint, old = webhooks.create_endpoint(platform, receiver.url())
    webhooks.rotate_secret(endpoint, overlap_hours=0)
    receiver.accept("/hook", old)
    new_tracks(artist, 1)

    dispatch.deliver(endpoint.pk)

    (message,) = receiver.received()
    assert not message.verified and message.status == 401
    assert len(message.headers["webhook-signature"].split(" ")) == 1


def test_an_endpoint_receives_only_the_event_types_it_asked_for(platform, artist, receiver):
    endpoint = subscribe(platform, receiver, event_types=["dispute.opened"])
    new_tracks(artist, 3)

    assert dispatch.deliver(endpoint.pk).outcome == dispatch.IDLE

    assert receiver.received() == []
    endpoint.refresh_from_db()
    assert endpoint.cursor == ChangeEvent.objects.latest("sequence").sequence  # moved on silently


def test_a_host_filter_passes_only_tracks_linked_on_that_host(platform, artist, receiver):
    endpoint = subscribe(platform, receiver, hosts=["soundcloud.com"])
    on_host = new_tracks(artist, 2, links=("https://m.soundcloud.com/owner/song",))
    new_tracks(artist, 2, links=("https://owner.bandcamp.com/track/song",))

    dispatch.deliver(endpoint.pk)

    ids = [e["track"]["id"] for m in receiver.received() for e in m.payload["data"]["events"]]
    assert sorted(ids) == sorted(str(t.public_id) for t in on_host)


def test_a_creator_filter_passes_only_that_creators_tracks(platform, artist, receiver):
    other = make_artist("Other Band", "other-band")
    endpoint = subscribe(platform, receiver, creators=["@other-band"])
    assert endpoint.filter_creators == [str(other.public_id)]
    new_tracks(artist, 2)
    theirs = new_tracks(other, 2)

    dispatch.deliver(endpoint.pk)

    ids = [e["track"]["id"] for m in receiver.received() for e in m.payload["data"]["events"]]
    assert sorted(ids) == sorted(str(t.public_id) for t in theirs)


def test_a_test_event_is_signed_logged_and_moves_no_cursor(
    platform, receiver, django_capture_on_commit_callbacks
):
    endpoint = subscribe(platform, receiver)

    with django_capture_on_commit_callbacks(execute=True):
        webhook_id = webhooks.send_test_event(endpoint)

    (message,) = receiver.received()
    assert message.verified and message.webhook_id == webhook_id
    assert message.payload["type"] == "webhook.test"
    log = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (log.kind, log.outcome, log.webhook_id) == ("test", "delivered", webhook_id)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).cursor == endpoint.cursor


def test_the_sweep_finds_endpoints_that_are_behind_and_due(platform, artist, receiver):
    caught_up = subscribe(platform, receiver, "/a")
    new_tracks(artist, 1)
    behind = subscribe(platform, receiver, "/b")
    disabled = subscribe(platform, receiver, "/c")
    waiting = subscribe(platform, receiver, "/d")
    suspended = subscribe(Platform.objects.create(name="Gone AI", status="approved"), receiver)
    new_tracks(artist, 1)
    dispatch.deliver(caught_up.pk)
    webhooks.update_endpoint(disabled, enabled=False)
    WebhookEndpoint.objects.filter(pk=waiting.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)
    )
    Platform.objects.filter(pk=suspended.platform_id).update(status="suspended")

    assert dispatch.due_endpoints() == [behind.pk]


@pytest.mark.django_db(transaction=True)
def test_a_second_run_leaves_an_endpoint_that_another_run_holds(receiver):
    artist = make_artist()
    platform = Platform.objects.create(name="Acme AI", status="approved")
    endpoint = subscribe(platform, receiver)
    new_tracks(artist, 1)  # delivered at once: in-process tasks run on commit
    assert len(receiver.received()) == 1
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(cursor=0)
    holding, release = threading.Event(), threading.Event()

    def hold_the_row():
        with transaction.atomic():
            WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
            holding.set()
            release.wait(10)

    other = threading.Thread(target=hold_the_row)
    other.start()
    holding.wait(10)
    try:
        assert dispatch.deliver(endpoint.pk).outcome == dispatch.BUSY
        assert len(receiver.received()) == 1  # nothing sent beside the holder
    finally:
        release.set()
        other.join()
    assert dispatch.deliver(endpoint.pk).outcome == dispatch.IDLE
    assert len(receiver.received()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_commit_wakes_delivery_through_the_domain_signal(receiver):
    artist = make_artist()
    platform = Platform.objects.create(name="Acme AI", status="approved")
    subscribe(platform, receiver)

    new_tracks(artist, 2)  # no explicit call: changes_committed → sweep → delivery run

    assert len(receiver.acknowledged()) == 2
