"""The five faults delivery must survive, with real Celery workers, real Redis and real HTTP.

Each test commits consent changes through `consent.services` in this process; a `celery worker`
subprocess (with beat, sweeping every second) delivers them from a private `redis-server` to a
receiver on 127.0.0.1 that verifies every signature with `standardwebhooks`. Nothing may be
lost, and each endpoint must see the events in sequence order.
"""

import random
import time

import pytest

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks import services as webhooks
from api.webhooks import signing
from consent.models import ChangeEvent
from consent.purposes import Value
from registry.celery import app
from tests.api.webhooks_support import (
    Receiver,
    RedisServer,
    Reply,
    Worker,
    flip,
    new_tracks,
    wait_until,
    worker_env,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.slow,
    pytest.mark.subprocess,
    pytest.mark.skipif(
        not RedisServer.available(), reason="needs redis-server to run a private broker"
    ),
]


def reset_connections() -> None:
    """Forget pooled connections and producers made for the previous broker URL."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(tmp_path):
    """A private Redis as the broker of this process and of the workers of this test."""
    server = RedisServer(tmp_path)
    server.start()
    keys = ("task_always_eager", "broker_url", "broker_connection_timeout")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(task_always_eager=False, broker_url=server.url, broker_connection_timeout=1)
    reset_connections()
    yield server
    app.conf.update(saved)
    reset_connections()
    server.stop()


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]


@pytest.fixture
def start_worker(broker, tmp_path, transactional_db):
    """Start workers on the test database; all are stopped before the database is flushed."""
    started: list[Worker] = []

    def start(name: str = "w1", beat: bool = True, loglevel: str = "WARNING", **settings):
        env = worker_env(broker.url, tmp_path, **settings)
        worker = Worker(env, tmp_path, name, beat=beat, loglevel=loglevel)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def subscribe(platform, receiver, path: str = "/hook") -> WebhookEndpoint:
    endpoint, secret = webhooks.create_endpoint(platform, receiver.url(path))
    receiver.accept(path, secret)
    return endpoint


def sequences_after(cursor: int) -> list[int]:
    return list(
        ChangeEvent.objects.filter(sequence__gt=cursor)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    )


def test_1_changes_committed_while_the_broker_is_down_all_arrive_once_it_is_back(
    broker, start_worker, platform, artist, receiver
):
    endpoint = subscribe(platform, receiver)
    start_worker()
    new_tracks(artist, 2)
    wait_until(lambda: len(receiver.acknowledged()) == 2, 30, "the first changes arrive")
    first = sequences_after(endpoint.cursor)[-1]
    wait_until(lambda: WebhookEndpoint.objects.get(pk=endpoint.pk).cursor == first, 10, "acked")
    time.sleep(0.3)  # the run that sent them has ended

    broker.stop()
    new_tracks(artist, 3)  # each commit succeeds although its wake-up cannot be queued
    flip(artist, Value.DENY)
    time.sleep(1)
    assert len(receiver.acknowledged()) == 2
    broker.start()  # empty: whatever was queued before the outage is gone too

    expected = sequences_after(endpoint.cursor)
    assert len(expected) == 2 + 3 + 5
    wait_until(lambda: receiver.acknowledged() == expected, 60, "every change arrives")
    assert receiver.deduplicated() == expected
    assert all(m.verified for m in receiver.received())


def test_2_a_worker_killed_mid_delivery_leaves_the_batch_to_be_sent_again_with_its_id(
    start_worker, platform, artist, receiver
):
    receiver.script = lambda message, n: Reply(delay=10) if n == 1 else Reply()
    endpoint = subscribe(platform, receiver)
    first = start_worker("w1")
    new_tracks(artist, 3)
    wait_until(lambda: len(receiver.received()) == 1, 30, "the first attempt is in flight")

    first.kill()
    new_tracks(artist, 2)
    start_worker("w2")

    expected = sequences_after(endpoint.cursor)
    wait_until(lambda: receiver.acknowledged()[-1:] == expected[-1:], 40, "every change arrives")
    killed, again, *rest = receiver.received()
    assert again.webhook_id == killed.webhook_id and again.sequences == killed.sequences
    assert receiver.deduplicated() == expected  # each event exactly once after de-duplication
    assert receiver.acknowledged() == expected
    # The killed attempt left no log row and counted as no failure: its transaction died with it.
    log = WebhookDelivery.objects.filter(webhook_id=killed.webhook_id)
    assert [(row.attempt, row.outcome) for row in log] == [(1, "delivered")]


def test_3_failures_and_timeouts_are_retried_on_schedule_in_order_without_a_gap(
    start_worker, platform, artist, receiver
):
    schedule = [0.5, 1.0, 1.5, 2.0, 2.0, 2.0, 2.0, 2.0]

    def script(message, n):
        if n <= 2:
            return Reply(500, body=b"overloaded")
        if n <= 4:
            return Reply(delay=2.5)  # longer than the 1 s timeout
        return Reply()

    receiver.script = script
    endpoint = subscribe(platform, receiver)
    start_worker(
        WEBHOOK_TIMEOUT_SECONDS="1",
        WEBHOOK_RETRY_SCHEDULE=",".join(map(str, schedule)),
        WEBHOOK_BATCH_SIZE="2",
    )
    new_tracks(artist, 3)
    wait_until(lambda: len(receiver.received()) >= 1, 30, "the first attempt")
    new_tracks(artist, 2)  # committed during the outage

    expected = sequences_after(endpoint.cursor)
    wait_until(lambda: receiver.acknowledged() == expected, 60, "every change arrives")
    assert receiver.deduplicated() == expected
    retried = receiver.received()[:5]
    assert len({m.webhook_id for m in retried}) == 1  # one batch, one id, five attempts

    attempts = list(
        WebhookDelivery.objects.filter(webhook_id=retried[0].webhook_id).order_by("attempt")
    )
    assert [row.status_code for row in attempts] == [500, 500, None, None, 200]
    assert "No answer within 1 s" in attempts[2].error
    for row, following, wait in zip(attempts, attempts[1:], schedule, strict=False):
        ended = row.attempted_at.timestamp() + row.duration_ms / 1000
        planned = row.next_attempt_at.timestamp() - ended
        assert wait - 0.05 <= planned <= wait * 1.1 + 0.05
        waited = following.attempted_at.timestamp() - ended
        assert wait - 0.05 <= waited <= wait * 1.1 + 3  # the countdown, or the 1 s sweep
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.attempts == 0


def test_4_two_workers_never_deliver_out_of_order_to_one_endpoint(
    start_worker, platform, artist, receiver
):
    receiver.script = lambda message, n: Reply(delay=random.uniform(0, 0.03))
    paths = ["/a", "/b", "/c"]
    endpoints = [subscribe(platform, receiver, path) for path in paths]
    workers = [
        start_worker("w1", loglevel="INFO", WEBHOOK_BATCH_SIZE="3"),
        start_worker("w2", beat=False, loglevel="INFO", WEBHOOK_BATCH_SIZE="3"),
    ]
    new_tracks(artist, 4)
    for round_ in range(12):
        flip(artist, Value.DENY if round_ % 2 else Value.ALLOW)
        new_tracks(artist, 1)

    expected = sequences_after(endpoints[0].cursor)
    for path in paths:
        wait_until(lambda p=path: receiver.acknowledged(p) == expected, 60, f"{path} complete")
    for path in paths:
        assert receiver.deduplicated(path) == expected
        assert receiver.max_in_flight[path] == 1  # never two requests at once to one endpoint
        ids = [m.webhook_id for m in receiver.received(path)]
        assert len(ids) == len(set(ids))  # and no batch sent twice
    for worker in workers:
        assert "api.tasks.deliver_webhooks" in worker.output(), "both workers delivered"


def test_5_an_endpoint_on_a_private_address_is_refused_and_logged_not_fetched(
    start_worker, platform, artist
):
    with Receiver(host="127.0.0.2") as private:
        # Created as if its host had resolved elsewhere when it was saved (DNS can change).
        head = ChangeEvent.objects.order_by("-sequence").values_list("sequence", flat=True)
        cursor = head.first() or 0
        loopback, metadata = (
            WebhookEndpoint.objects.create(
                platform=platform, url=url, secret=signing.generate_secret(), cursor=cursor
            )
            for url in (private.url(), "http://169.254.169.254/latest/meta-data/")
        )
        worker = start_worker()
        new_tracks(artist, 1)

        def refused(endpoint) -> bool:
            return WebhookDelivery.objects.filter(endpoint=endpoint, outcome="refused").exists()

        wait_until(lambda: refused(loopback) and refused(metadata), 30, "both refused")
        assert private.messages == []
    first = WebhookDelivery.objects.filter(endpoint=loopback).order_by("attempted_at").first()
    assert "127.0.0.2 is a loopback address" in first.error
    assert first.status_code is None
    assert "cloud metadata address" in metadata.deliveries.first().error
    loopback.refresh_from_db()
    assert loopback.cursor == cursor and loopback.attempts >= 1  # retried later, never skipped
    assert "loopback address" in worker.output()  # the worker's log says so too
