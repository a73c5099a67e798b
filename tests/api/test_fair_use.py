"""Fair use: per-platform limits weighted by cost, a cap on concurrent heavy requests, and
per-address limits on failed authentications and anonymous requests; each answers 429 with
Retry-After in RFC 9457 form. Counted in the real Redis of this test worker."""

import time

import pytest
from django.test import Client

from api import auth
from api.services import create_key
from consent import ratelimits
from tests.api.conftest import KeyClient, make_platform

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("one_window")]

LOOKUP = ("/api/v1/consent", {"isrc": "USRC17607839"})
PAST = "2020-01-01T00:00:00Z"


def batch(client, size: int, **extra):
    items = [{"isrc": f"USRC1760{n:04d}"} for n in range(size)]
    return client.post(
        "/api/v1/consent/batch", {"items": items} | extra, content_type="application/json"
    )


def problem_of(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def assert_429(response, slug: str = "rate-limited") -> dict:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    body = problem_of(response)
    assert body["type"] == f"/api/problems/{slug}"
    assert body["status"] == 429
    return body


@pytest.fixture
def limited(platform, settings):
    """The platform at 10 units a minute."""
    platform.rate_limit_per_minute = 10
    platform.save()
    return platform


# --- Per platform, weighted ----------------------------------------------------------------------


def test_a_batch_costs_one_unit_per_item(limited):
    client = KeyClient(create_key(limited, "k")[1])
    assert batch(client, 6).status_code == 200
    body = assert_429(batch(client, 5))
    assert "costs 5" in body["detail"] and "10" in body["detail"]
    assert batch(client, 4).status_code == 200  # exactly the rest
    assert_429(client.get(*LOOKUP))


def test_the_compatible_query_costs_one_unit_per_url(limited):
    client = KeyClient(create_key(limited, "k")[1], scheme="API")

    def query(count: int):
        urls = "\n".join(f"https://open.spotify.com/track/{n:022d}" for n in range(count))
        return client.post("/api/v2/query/urls/", urls, content_type="text/plain")

    assert query(6).status_code == 200
    assert_429(query(5))
    assert query(4).status_code == 200


def test_an_as_of_batch_costs_more(limited, settings):
    settings.API_AS_OF_WEIGHT = 2
    client = KeyClient(create_key(limited, "k")[1])
    assert batch(client, 3, as_of=PAST).status_code == 200  # 6 units
    assert_429(batch(client, 3, as_of=PAST))  # 6 more would be 12
    assert batch(client, 4).status_code == 200  # without as_of: 4


def test_a_single_lookup_as_of_costs_the_as_of_weight(limited, settings):
    settings.API_AS_OF_WEIGHT = 5
    client = KeyClient(create_key(limited, "k")[1])
    past = ("/api/v1/consent", {"isrc": "USRC17607839", "as_of": PAST})
    assert [client.get(*past).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_costs_its_documented_weight(settings):
    platform = make_platform("Snapshot Co")
    platform.rate_limit_per_minute = 10
    platform.save()
    settings.API_SNAPSHOT_COST = 6
    client = KeyClient(create_key(platform, "k")[1])
    response = client.get("/api/v1/snapshot")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    response.close()
    assert_429(client.get("/api/v1/snapshot"))
    assert [client.get(*LOOKUP).status_code for _ in range(5)] == [200] * 4 + [429]


@pytest.mark.django_db(transaction=True)
def test_a_snapshot_revalidation_costs_one_unit(settings):
    platform = make_platform("Revalidating Co")
    platform.rate_limit_per_minute = 10
    platform.save()
    settings.API_SNAPSHOT_COST = 6
    client = KeyClient(create_key(platform, "k")[1])
    response = client.get("/api/v1/snapshot")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    response.close()
    etag = response["ETag"]
    # 6 units spent; four revalidations answered 304 cost one each, the fifth is over the limit.
    statuses = [
        client.get("/api/v1/snapshot", HTTP_IF_NONE_MATCH=etag).status_code for _ in range(5)
    ]
    assert statuses == [304] * 4 + [429]


def test_a_request_costing_more_than_the_whole_limit_is_413_saying_to_split(limited):
    client = KeyClient(create_key(limited, "k")[1])
    response = batch(client, 11)
    assert response.status_code == 413
    body = problem_of(response)
    assert body["type"] == "/api/problems/too-large"
    assert (body["cost"], body["limit"]) == (11, 10)
    assert "split" in body["detail"]


def test_twenty_keys_share_one_limit(limited):
    clients = [KeyClient(create_key(limited, f"k{n}")[1]) for n in range(20)]
    statuses = [client.get(*LOOKUP).status_code for client in clients]
    assert statuses == [200] * 10 + [429] * 10


def test_a_limit_changed_by_an_admin_applies_at_once(limited):
    client = KeyClient(create_key(limited, "k")[1])
    assert batch(client, 10).status_code == 200
    assert_429(client.get(*LOOKUP))
    limited.rate_limit_per_minute = 20
    limited.save()  # the key cached with the old limit is forgotten
    assert client.get(*LOOKUP).status_code == 200


# --- The batched counter --------------------------------------------------------------------------


def test_processes_counting_in_batches_overshoot_by_less_than_a_batch_each(settings):
    """Two Budgets stand for two processes: each sends its counts to Redis in batches."""
    settings.API_THROTTLE_BATCH_FRACTION = 0.02  # batches of 20 units at a limit of 1,000
    settings.API_THROTTLE_SYNC_SECONDS = 60  # only the batch size sends counts here
    first, second = ratelimits.Budget("test"), ratelimits.Budget("test")
    admitted = 0
    for _ in range(3000):  # bounded: far more than the limit
        for process in (first, second):
            admitted += process.charge("p1", 1, 1000)[0]
    assert 1000 <= admitted < 1000 + 2 * 20
    # Both refuse from then on, without asking Redis.
    assert not first.charge("p1", 1, 1000)[0]
    assert not second.charge("p1", 1, 1000)[0]


def test_a_process_refuses_within_one_batch_once_others_spent_the_limit(settings):
    settings.API_THROTTLE_BATCH_FRACTION = 0.02
    settings.API_THROTTLE_SYNC_SECONDS = 60
    busy, fresh = ratelimits.Budget("test"), ratelimits.Budget("test")
    assert busy.charge("p2", 1000, 1000)[0]  # the whole minute, sent at once (a heavy cost)
    admitted = sum(fresh.charge("p2", 1, 1000)[0] for _ in range(100))
    assert admitted < 20  # refused from its first exchange with Redis


def test_near_the_limit_every_request_is_counted_exactly(settings):
    settings.API_THROTTLE_BATCH_FRACTION = 0.5
    settings.API_THROTTLE_SYNC_SECONDS = 60
    settings.API_THROTTLE_EXACT_FROM = 0.5
    first, second = ratelimits.Budget("test"), ratelimits.Budget("test")
    admitted = 0
    for _ in range(200):
        for process in (first, second):
            admitted += process.charge("p3", 1, 100)[0]
    # Below half the limit each holds back less than 50; past it, nothing.
    assert 100 <= admitted < 100 + 2 * 50


def test_a_counted_window_expires():
    assert ratelimits.Budget("test").charge("p4", 1, 10)[0]
    client = ratelimits.redis_client()
    keys = client.keys(ratelimits.cache_key("budget:test:p4:*"))
    assert keys and 0 < client.ttl(keys[0]) <= 65


# --- Heavy requests -------------------------------------------------------------------------------


@pytest.fixture
def heavy(settings):
    settings.API_HEAVY_BATCH_ITEMS = 2
    settings.API_HEAVY_CONCURRENCY = 1


def test_a_platform_runs_only_its_share_of_heavy_requests_at_once(api, platform, heavy):
    held = ratelimits.acquire_slot("heavy", platform.pk, 1, 60)  # another worker's batch
    assert held is not None
    body = assert_429(batch(api, 3), "concurrency-limited")
    assert "at once" in body["detail"]
    assert batch(api, 2).status_code == 200  # not heavy: not capped
    other = KeyClient(create_key(make_platform("Other Corp"), "k")[1])
    assert batch(other, 3).status_code == 200  # per platform
    held.release()
    assert batch(api, 3).status_code == 200


def test_a_heavy_request_refused_for_want_of_a_slot_costs_no_units(limited, heavy):
    client = KeyClient(create_key(limited, "k")[1])
    held = ratelimits.acquire_slot("heavy", limited.pk, 1, 60)
    for _ in range(5):
        assert_429(batch(client, 3), "concurrency-limited")
    held.release()
    # The whole 10 units are still there: 3 + 3 + 3 + 1.
    assert [batch(client, 3).status_code for _ in range(3)] == [200] * 3
    assert client.get(*LOOKUP).status_code == 200
    assert_429(client.get(*LOOKUP))


def test_a_heavy_request_refused_by_the_limit_frees_its_slot(limited, heavy):
    client = KeyClient(create_key(limited, "k")[1])
    assert batch(client, 9).status_code == 200
    assert_429(batch(client, 3))  # over the limit, not for want of a slot
    assert ratelimits.acquire_slot("heavy", limited.pk, 1, 60) is not None


def test_a_heavy_request_frees_its_slot_when_it_ends(api, heavy):
    assert [batch(api, 3).status_code for _ in range(3)] == [200, 200, 200]
    assert batch(api, 3, as_of="not a date").status_code == 400  # failed: freed too
    assert batch(api, 3).status_code == 200


@pytest.mark.slow
def test_a_slot_held_by_a_dead_worker_expires(api, platform, heavy):
    ratelimits.acquire_slot("heavy", platform.pk, 1, 1)  # never released: the worker died
    assert batch(api, 3).status_code == 429
    time.sleep(1.2)
    assert batch(api, 3).status_code == 200


# --- Keys kept in the process ---------------------------------------------------------------------


def test_a_verified_key_is_not_read_again_and_a_wrong_secret_never_meets_it(
    api, platform_key, monkeypatch
):
    loads = []
    real = auth._load_key
    monkeypatch.setattr(auth, "_load_key", lambda prefix: loads.append(prefix) or real(prefix))
    assert [api.get(*LOOKUP).status_code for _ in range(3)] == [200, 200, 200]
    assert len(loads) == 1
    prefix = platform_key.split("_")[1]
    wrong = KeyClient(f"crk_{prefix}_{'x' * 40}").get(*LOOKUP)
    assert wrong.status_code == 401
    assert len(loads) == 2  # verified against the database, not answered from memory


def test_another_process_announcing_a_change_empties_the_cache(api, settings, monkeypatch):
    settings.API_KEY_CACHE_CHECK_SECONDS = 0
    loads = []
    real = auth._load_key
    monkeypatch.setattr(auth, "_load_key", lambda prefix: loads.append(prefix) or real(prefix))
    api.get(*LOOKUP)
    api.get(*LOOKUP)
    assert len(loads) == 1
    ratelimits.redis_client().incr(ratelimits.cache_key(auth.VERSION_KEY))  # elsewhere
    api.get(*LOOKUP)
    assert len(loads) == 2


def test_a_suspended_platform_is_refused_at_once(api, platform):
    assert api.get(*LOOKUP).status_code == 200
    platform.status = "suspended"
    platform.save()
    assert api.get(*LOOKUP).status_code == 403


# --- Per address ----------------------------------------------------------------------------------


def test_failed_authentications_are_limited_per_address(platform, settings):
    settings.API_AUTH_FAILURES_PER_MINUTE = 3
    wrong = KeyClient(f"crk_{'z' * 12}_{'x' * 40}")
    assert [wrong.get(*LOOKUP).status_code for _ in range(3)] == [401] * 3
    body = assert_429(wrong.get(*LOOKUP))
    assert "failed authentications" in body["detail"]
    secret = create_key(platform, "k")[1]
    # A key not yet verified is refused from that address too: guessing stops there.
    assert_429(KeyClient(secret).get(*LOOKUP))
    assert KeyClient(secret, REMOTE_ADDR="203.0.113.9").get(*LOOKUP).status_code == 200
    # Once verified, that key is answered from memory and no longer checked per address.
    assert KeyClient(secret).get(*LOOKUP).status_code == 200


@pytest.fixture
def public_limit(settings):
    settings.PUBLIC_RATE_LIMIT_PER_MINUTE = 3


def test_anonymous_pages_are_limited_per_address_with_a_small_page(client, public_limit):
    assert [client.get("/").status_code for _ in range(3)] == [200] * 3
    response = client.get("/", HTTP_ACCEPT="text/html,*/*")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 61
    assert response["Content-Type"].startswith("text/html")
    assert b"Too many requests" in response.content
    json = client.get("/robots.txt", HTTP_ACCEPT="application/json")
    assert_429(json)
    assert Client(REMOTE_ADDR="198.51.100.7").get("/").status_code == 200


def test_the_feeds_and_the_api_without_a_key_count_too(client, public_limit):
    for path in ("/robots.txt", "/api/problems/", "/api/v1/consent?isrc=USRC17607839"):
        assert client.get(path).status_code in (200, 401)
    assert_429(client.get("/api/problems/"))  # under /api/: always problem+json
    assert client.get("/api/health").status_code == 200  # never counted


def test_signed_in_visitors_and_exempt_addresses_are_not_counted(
    owner_client, client, public_limit, settings
):
    assert {owner_client.get("/").status_code for _ in range(5)} == {200}
    settings.RATE_LIMIT_EXEMPT_ADDRESSES = ["127.0.0.0/8"]
    assert {client.get("/").status_code for _ in range(5)} == {200}


def test_behind_trusted_proxies_the_address_the_nearest_proxy_saw_counts(public_limit, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"

    def visit(forwarded: str) -> int:
        client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded)
        return client.get("/").status_code

    assert [visit("198.51.100.1") for _ in range(4)] == [200] * 3 + [429]
    assert visit("198.51.100.2") == 200  # another visitor behind the same proxy
    # An entry the client wrote itself, left of the proxy's, changes nothing.
    assert visit("1.2.3.4, 198.51.100.1") == 429


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(public_limit):
    statuses = [
        Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").get("/").status_code for n in range(4)
    ]
    assert statuses == [200] * 3 + [429]


# --- The benchmark's ceiling ----------------------------------------------------------------------


def test_the_benchmarks_keyless_ceiling_view_is_not_mounted_by_default(client, settings):
    assert settings.BENCH_CEILING_VIEW is False
    response = client.get("/api/bench/ceiling", {"isrc": "USRC17607839"})
    assert response.status_code == 404
    assert problem_of(response)["type"] == "/api/problems/not-found"
