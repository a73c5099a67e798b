"""What the API's hot paths rely on from Django and redis-py, held to the pinned versions.

The throttle counts with its own redis-py client, built from the cache's settings: it must count
in the cache's Redis, under the cache's key, with an expiry. The snapshot's transaction ends
when Django closes the response's streaming content: it must end even when the response is
closed before one chunk was read.
"""

import os

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory

from api.auth import _count_request
from api.views import SnapshotView


def test_a_request_counter_lives_in_the_caches_redis_under_the_caches_key_and_expires():
    assert [_count_request("throttle:probe", 60) for _ in range(3)] == [1, 2, 3]
    assert cache.get("throttle:probe") == 3  # read back through Django's cache
    independent = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        assert 0 < independent.ttl(cache.make_key("throttle:probe")) <= 60
    finally:
        independent.close()


IDLE_IN_TRANSACTION = (
    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
    "AND state = 'idle in transaction'"
)


def open_snapshot_transactions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) {IDLE_IN_TRANSACTION}")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_closed_unread_ends_its_transaction(platform_key):
    # The view itself, not the test client, which wraps streaming content in a closer of its own.
    request = RequestFactory().get("/api/v1/snapshot", HTTP_AUTHORIZATION=f"Bearer {platform_key}")
    response = SnapshotView.as_view()(request)
    try:
        assert response.status_code == 200
        assert open_snapshot_transactions() == 1  # held open for the streaming to come
        response.close()
        assert open_snapshot_transactions() == 0
    finally:
        # Whatever failed, end it: an open snapshot would block the flush after this test.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_terminate_backend(pid) {IDLE_IN_TRANSACTION}")
