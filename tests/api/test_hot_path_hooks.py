"""What the API's hot paths rely on from Django and redis-py, held to the pinned versions.

The throttle counts with its own redis-py client, built from the cache's settings: it must count
in the cache's Redis, under the cache's key, with an expiry. A snapshot download's file and its
platform's download slot are let go when Django closes the response (FileResponse relays it to
the file, StreamingHttpResponse to its content), even when not one chunk was read.
"""

import os

import pytest
import redis
from django.core.cache import cache
from django.test import RequestFactory

from api.auth import _count_request
from api.snapshots import Decompressed
from api.views import SnapshotView


def test_a_request_counter_lives_in_the_caches_redis_under_the_caches_key_and_expires():
    assert [_count_request("throttle:probe", 60) for _ in range(3)] == [1, 2, 3]
    assert cache.get("throttle:probe") == 3  # read back through Django's cache
    independent = redis.Redis.from_url(os.environ["REDIS_URL"])
    try:
        assert 0 < independent.ttl(cache.make_key("throttle:probe")) <= 60
    finally:
        independent.close()


def _snapshot(platform_key, **headers):
    # The view itself, not the test client, which wraps streaming content in a closer of its own.
    request = RequestFactory().get(
        "/api/v1/snapshot", HTTP_AUTHORIZATION=f"Bearer {platform_key}", **headers
    )
    return SnapshotView.as_view()(request)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_a_snapshot_closed_unread_closes_its_file_and_frees_the_platforms_slot(
    platform_key, encoding
):
    response = _snapshot(platform_key, HTTP_ACCEPT_ENCODING=encoding)
    assert response.status_code == 200
    busy = _snapshot(platform_key, HTTP_ACCEPT_ENCODING=encoding)
    assert busy.status_code == 429  # one download at a time per platform
    if encoding == "gzip":
        opened = response.file_to_stream.file
    else:
        (content,) = [
            c.__self__
            for c in response._resource_closers
            if isinstance(getattr(c, "__self__", None), Decompressed)
        ]
        opened = content.file
    assert not opened.closed
    response.close()
    assert opened.closed
    second = _snapshot(platform_key, HTTP_ACCEPT_ENCODING=encoding)
    try:
        assert second.status_code == 200
    finally:
        second.close()
