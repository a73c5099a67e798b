"""Read replicas: the router, the choice of database for the API's reads, and `min_sequence`.

A replica here is a second connection (an alias of its own, `replica1`) to the test database,
which is what a caught-up streaming replica looks like to the app. Which connection ran a
request's statements is read from PostgreSQL itself (`pg_stat_activity.query`, the last
statement of each backend), since the lookups run SQL of their own beside the ORM.
tests/api/test_replicas_streaming.py runs the same against a real streaming replica that lags.
"""

import time
from collections import deque

import pytest
from django.db import DEFAULT_DB_ALIAS, connections, router

from api import replicas
from consent.models import Track
from consent.policies import last_sequence
from consent.purposes import AI_OPT_OUT, Value
from consent.reading import ReadRouter, read_alias, reading_from
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import verify_claims_of

REPLICA = "replica1"
# A replica on a port nothing listens on.
DOWN = "replica2"
APPLICATION = "registry-test-replica"

# Both aliases take part in every test of this module (Django refuses connections to an alias a
# test does not name), as mirrors of the test database, so nothing is flushed through them.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA, DOWN])


def alias_settings(**changes) -> dict:
    settings_dict = dict(connections["default"].settings_dict)
    settings_dict["OPTIONS"] = dict(settings_dict["OPTIONS"]) | {"application_name": APPLICATION}
    settings_dict["TEST"] = dict(settings_dict["TEST"]) | {"MIRROR": "default"}
    return settings_dict | changes


@pytest.fixture(scope="module", autouse=True)
def aliases(django_db_setup, django_db_blocker):
    """`replica1`, a second connection to the test database (a caught-up replica), and
    `replica2`, one that cannot connect; each test picks its replicas in DATABASE_REPLICAS."""
    with django_db_blocker.unblock():
        connections.settings[REPLICA] = alias_settings()
        connections.settings[DOWN] = alias_settings(HOST="127.0.0.1", PORT="1")
    yield
    for alias in (REPLICA, DOWN):
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture(autouse=True)
def no_replicas_yet():
    replicas.forget()
    yield
    replicas.forget()
    connections[REPLICA].close()


@pytest.fixture
def replica(settings):
    settings.DATABASE_REPLICAS = [REPLICA]
    return REPLICA


@pytest.fixture
def down_replica(settings):
    settings.DATABASE_REPLICAS = [DOWN]
    return DOWN


@pytest.fixture
def track(artist):
    data = TrackData(
        title="Night Drive",
        artist_credit="Owner Band",
        roles=["recording"],
        isrc="USRC17607839",
        links=["https://soundcloud.com/owner/night-drive"],
    )
    track = register_track(artist, data).tracks[0]
    verify_claims_of(artist)
    declare(artist, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
    return track


def last_statement(alias: str) -> str:
    """The last statement the backend of `alias`'s connection ran, as PostgreSQL saw it."""
    pid = connections[alias].connection.info.backend_pid
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def replica_connected() -> bool:
    return connections[REPLICA].connection is not None


# --- The router ----------------------------------------------------------------------------------


def test_reads_go_to_the_primary_unless_a_block_names_a_replica(settings):
    settings.DATABASE_REPLICAS = [REPLICA]
    assert read_alias() == DEFAULT_DB_ALIAS
    assert router.db_for_read(Track) == DEFAULT_DB_ALIAS
    with reading_from(REPLICA):
        assert read_alias() == REPLICA
        assert router.db_for_read(Track) == REPLICA
        assert Track.objects.all().db == REPLICA
        # Writes, even of an object read from the replica, go to the primary.
        track = Track(title="x")
        track._state.db = REPLICA
        assert router.db_for_write(Track, instance=track) == DEFAULT_DB_ALIAS
        with reading_from(DEFAULT_DB_ALIAS):
            assert router.db_for_read(Track) == DEFAULT_DB_ALIAS
        assert router.db_for_read(Track) == REPLICA
    assert router.db_for_read(Track) == DEFAULT_DB_ALIAS


def test_nothing_is_migrated_on_a_replica(settings):
    settings.DATABASE_REPLICAS = [REPLICA]
    assert ReadRouter().allow_migrate(REPLICA, "consent") is False
    assert ReadRouter().allow_migrate(DEFAULT_DB_ALIAS, "consent") is True


def test_the_router_is_installed():
    from django.conf import settings

    assert "consent.reading.ReadRouter" in settings.DATABASE_ROUTERS


# --- Measuring lag -------------------------------------------------------------------------------


def test_lag_is_the_time_since_the_primary_was_where_the_replica_is():
    samples = deque([(100.0, 1000), (101.0, 1500), (102.0, 2000)])
    assert replicas.lag_seconds(samples, 2000, 102.5) == 0.5  # caught up with the last check
    assert replicas.lag_seconds(samples, 2500, 102.5) == 0.5
    assert replicas.lag_seconds(samples, 1999, 102.5) == 1.5  # has 101's, not 102's
    assert replicas.lag_seconds(samples, 1000, 110.0) == 10.0
    assert replicas.lag_seconds(samples, 999, 110.0) is None  # behind all this process saw


def test_a_quiet_primary_keeps_a_caught_up_replica_at_no_lag(replica, settings):
    settings.REPLICA_CHECK_SECONDS = 1
    found = replicas.replica_set()
    found.check(100.0, wait=True)
    found.check(200.0, wait=True)  # nothing written between: one sample, moved forward
    assert len(found.samples) == 1 and found.samples[0][0] == 200.0
    assert found.replicas[REPLICA].usable


@pytest.mark.parametrize(
    ("samples", "status"),
    [
        # The primary's WAL was at position 0 twenty seconds ago: the replica holds that, and
        # nothing newer was seen since, so it is at most 20 s behind; over the limit of 10.
        ([(-20, 0)], "behind by 20 s"),
        # The primary was far past the replica 30 s ago, the oldest position kept.
        ([(-30, 2**62)], "behind by more than 30 s"),
    ],
)
def test_a_replica_too_far_behind_is_skipped_and_says_how_far(replica, settings, samples, status):
    settings.REPLICA_MAX_LAG_SECONDS = 10
    settings.REPLICA_CHECK_SECONDS = 3600  # no check but these
    found = replicas.replica_set()
    found.check(wait=True)
    assert found.choose() == REPLICA
    now = time.monotonic()
    found.samples = deque((now + at, position) for at, position in samples)
    found._check(found.replicas[REPLICA], now)
    assert found.statuses() == {REPLICA: status}
    assert found.choose() == DEFAULT_DB_ALIAS


# --- The API's reads -----------------------------------------------------------------------------


def test_a_lookup_is_answered_from_the_replica(replica, api, track):
    response = api.get("/api/v1/consent", {"isrc": "USRC17607839"})
    assert response.status_code == 200
    assert response.json()["policy"]["train-genai"]["value"] == "deny"
    assert "consent_effectivepolicy" in last_statement(REPLICA)
    assert "consent_effectivepolicy" not in last_statement(DEFAULT_DB_ALIAS)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/consent/batch", {"items": [{"isrc": "USRC17607839"}]}),
        ("get", "/api/v1/changes", {"after": "0"}),
        ("post", "/api/v2/query/urls/", "https://soundcloud.com/owner/night-drive"),
    ],
)
def test_every_read_endpoint_reads_from_the_replica(replica, api, track, method, path, body):
    if method == "get":
        response = api.get(path, body or {})
    elif isinstance(body, str):
        response = api.post(path, body, content_type="text/plain")
    else:
        response = api.post(path, body, content_type="application/json")
    assert response.status_code == 200
    assert replica_connected()
    statement = last_statement(REPLICA)
    assert "consent_" in statement and "pg_wal" not in statement


def test_the_snapshot_is_a_file_whatever_the_replicas(replica, api, track):
    """The snapshot is built from the primary in the background and served from disk, so a
    replica has no say in it and `min_sequence` is not one of its parameters."""
    response = api.get("/api/v1/snapshot")
    assert response.status_code == 200
    assert b"Night Drive" in b"".join(response.streaming_content)


def test_an_as_of_lookup_reads_from_the_replica(replica, api, track):
    from django.utils import timezone

    at = timezone.now().isoformat()
    response = api.get("/api/v1/consent", {"isrc": "USRC17607839", "as_of": at})
    assert response.status_code == 200
    assert "consent_" in last_statement(REPLICA)


def test_authentication_and_writes_stay_on_the_primary(replica, api, platform, track):
    sequence = last_sequence()
    response = api.post("/api/v1/acks", {"sequence": sequence}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["sequence"] == sequence
    # Acknowledging is not a read endpoint: the replica was never even connected to.
    assert not replica_connected()


def test_an_answer_with_a_receipt_is_read_from_the_primary(replica, api, track):
    response = api.get("/api/v1/consent", {"isrc": "USRC17607839", "receipt": "true"})
    assert response.status_code == 200
    assert response["Registry-Receipt"]
    assert not replica_connected()


def test_the_website_reads_from_the_primary(replica, client, track):
    assert client.get(f"/t/{track.public_id}/").status_code == 200
    assert not replica_connected()


# --- min_sequence --------------------------------------------------------------------------------


def test_min_sequence_reached_by_the_replica_is_answered_there(replica, api, track):
    sequence = last_sequence()
    response = api.get("/api/v1/consent", {"isrc": "USRC17607839", "min_sequence": sequence})
    assert response.status_code == 200
    assert "consent_effectivepolicy" in last_statement(REPLICA)
    response = api.get("/api/v1/changes", {"after": "0", "min_sequence": sequence})
    assert response.json()["last_sequence"] == sequence


def test_a_replica_whose_sequence_looks_old_is_read_again_before_it_is_passed_over(
    replica, api, track
):
    found = replicas.replica_set()
    found.check(wait=True)
    found.replicas[REPLICA].sequence = 0  # as if its last check came before the latest change
    sequence = last_sequence()
    assert found.choose(sequence) == REPLICA
    assert found.replicas[REPLICA].sequence == sequence


@pytest.mark.parametrize("value", ["abc", "1.5", "-1", str(2**63), "0x10"])
def test_a_min_sequence_that_is_not_a_sequence_is_a_400_problem(replica, api, track, value):
    for path in ("/api/v1/consent?isrc=USRC17607839", "/api/v1/changes?after=0"):
        response = api.get(f"{path}&min_sequence={value}")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == "/api/problems/invalid-request"
        assert "min_sequence" in body["detail"]


def test_a_min_sequence_past_the_latest_change_is_a_400_problem(replica, api, track):
    ahead = last_sequence() + 1
    response = api.get("/api/v1/consent", {"isrc": "USRC17607839", "min_sequence": ahead})
    assert response.status_code == 400
    assert f"{ahead:,}" in response.json()["detail"]


def test_min_sequence_works_without_replicas(api, track):
    sequence = last_sequence()
    assert api.get("/api/v1/consent", {"isrc": "USRC17607839", "min_sequence": sequence}).json()[
        "status"
    ] == ("registered")
    response = api.get("/api/v1/consent", {"isrc": "USRC17607839", "min_sequence": sequence + 1})
    assert response.status_code == 400


# --- A replica down ------------------------------------------------------------------------------


def test_a_replica_that_is_down_is_skipped_and_the_primary_answers(down_replica, api, track):
    started = time.monotonic()
    for _ in range(3):
        response = api.get("/api/v1/consent", {"isrc": "USRC17607839"})
        assert response.status_code == 200
        assert response.json()["status"] == "registered"
    # Port 1 refuses at once; the replica is tried once, then left alone until the retry.
    assert time.monotonic() - started < 10
    found = replicas.replica_set()
    assert not found.replicas[DOWN].up
    assert found.replicas[DOWN].retry_at > time.monotonic()


def test_the_health_check_names_a_replica_down_and_stays_healthy(down_replica, client):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["replicas"][DOWN].startswith("down")


def test_the_health_check_names_a_replica_that_is_up(replica, client):
    assert client.get("/api/health").json()["replicas"] == {REPLICA: "ok"}


def test_a_replica_failing_mid_request_is_answered_from_the_primary(replica, api, track):
    assert api.get("/api/v1/consent", {"isrc": "USRC17607839"}).status_code == 200
    pid = connections[REPLICA].connection.info.backend_pid
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The last check is fresh, so the next request goes to the replica and meets its closed
    # connection: it is answered from the primary instead, and the replica is skipped.
    response = api.get("/api/v1/consent", {"isrc": "USRC17607839"})
    assert response.status_code == 200
    assert response.json()["policy"]["train-genai"]["value"] == "deny"
    assert not replicas.replica_set().replicas[REPLICA].up


@pytest.mark.parametrize("after", ["abc", "-1", str(2**63)])
def test_a_malformed_cursor_is_still_refused_by_the_changes_feed(replica, api, after):
    response = api.get("/api/v1/changes", {"after": after})
    assert response.status_code == 400
    assert "after" in response.json()["detail"]


def test_a_cursor_past_the_latest_change_is_still_refused(replica, api, track):
    response = api.get("/api/v1/changes", {"after": last_sequence() + 1})
    assert response.status_code == 400
    assert "past the latest change event" in response.json()["detail"]
