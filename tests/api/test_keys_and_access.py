"""Who may call the API: keys, scopes, approval, revocation, throttling, and platform isolation."""

import pytest

from api.models import ApiKey
from api.services import create_key, revoke_key
from consent.models import Acknowledgement, Platform
from consent.services import TrackData, register_track
from tests.api.conftest import KeyClient, make_platform

pytestmark = pytest.mark.django_db

LOOKUP = ("/api/v1/consent", {"isrc": "USRC17607839"})


def problem_of(response) -> dict:
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_no_key_is_401_with_a_bearer_challenge(client):
    response = client.get(*LOOKUP)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert problem_of(response)["type"] == "/api/problems/unauthenticated"


def test_unknown_key_and_wrong_secret_get_the_same_answer(api, platform_key):
    prefix = platform_key.split("_")[1]
    wrong_secret = KeyClient(f"crk_{prefix}_{'x' * 40}").get(*LOOKUP)
    unknown = KeyClient(f"crk_{'z' * 12}_{'x' * 40}").get(*LOOKUP)
    garbage = KeyClient("hello").get(*LOOKUP)
    bodies = [problem_of(r) | {"instance": None} for r in (wrong_secret, unknown, garbage)]
    assert {r.status_code for r in (wrong_secret, unknown, garbage)} == {401}
    assert bodies[0] == bodies[1] == bodies[2]


def test_keys_are_stored_only_as_a_keyed_hash(platform):
    key, secret = create_key(platform, "ci")
    row = ApiKey.objects.filter(pk=key.pk).values().get()
    assert secret not in str(row)
    assert secret.startswith(f"crk_{key.prefix}_")
    assert len(key.hashed_key) == 64


def test_a_revoked_key_fails_at_once(platform):
    key, secret = create_key(platform, "ci")
    client = KeyClient(secret)
    assert client.get(*LOOKUP).status_code == 200
    revoke_key(key)
    assert client.get(*LOOKUP).status_code == 401


@pytest.mark.parametrize("status", ["pending", "refused", "suspended"])
def test_an_unapproved_platform_gets_nothing(status):
    platform = make_platform("Waiting Co", status=status)
    client = KeyClient(create_key(platform, "k")[1])
    for path, method in [
        ("/api/v1/consent?isrc=USRC17607839", "get"),
        ("/api/v1/changes", "get"),
        ("/api/v1/snapshot", "get"),
        ("/api/v1/acks", "get"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 403, path
        assert "approve" in problem_of(response)["detail"]


def test_a_key_without_the_read_scope_cannot_read(platform):
    client = KeyClient(create_key(platform, "hooks only", scopes=["webhooks"])[1])
    response = client.get(*LOOKUP)
    assert response.status_code == 403
    assert "read" in problem_of(response)["detail"]


def test_last_used_is_recorded_at_most_once_a_minute(api, platform):
    api.get(*LOOKUP)
    key = ApiKey.objects.get(platform=platform)
    first = key.last_used_at
    assert first is not None
    api.get(*LOOKUP)
    key.refresh_from_db()
    assert key.last_used_at == first


@pytest.mark.usefixtures("one_window")
def test_throttling_answers_429_with_retry_after(platform, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    client = KeyClient(create_key(platform, "k")[1])
    statuses = [client.get(*LOOKUP).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(*LOOKUP)
    assert 1 <= int(response["Retry-After"]) <= 61
    assert problem_of(response)["type"] == "/api/problems/rate-limited"


@pytest.mark.usefixtures("one_window")
def test_a_platform_limit_raised_by_an_admin_wins(platform, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    Platform.objects.filter(pk=platform.pk).update(rate_limit_per_minute=5)
    client = KeyClient(create_key(platform, "k")[1])
    assert [client.get(*LOOKUP).status_code for _ in range(6)] == [200] * 5 + [429]


@pytest.mark.usefixtures("one_window")
def test_limits_count_per_platform_not_per_key(platform, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    first = KeyClient(create_key(platform, "a")[1])
    second = KeyClient(create_key(platform, "b")[1])
    other = KeyClient(create_key(make_platform("Other Corp"), "c")[1])
    assert first.get(*LOOKUP).status_code == 200
    assert first.get(*LOOKUP).status_code == 429
    assert second.get(*LOOKUP).status_code == 429  # a second key is no second allowance
    assert other.get(*LOOKUP).status_code == 200  # another platform has its own


def test_acknowledgements_belong_to_the_calling_platform_only(api, platform, artist):
    register_track(artist, TrackData(title="T", artist_credit="A", roles=["recording"]))
    other = make_platform("Other Corp")
    other_client = KeyClient(create_key(other, "k")[1])
    response = api.post("/api/v1/acks", {"sequence": 1}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["sequence"] == 1
    assert other_client.get("/api/v1/acks").json()["sequence"] is None
    assert not Acknowledgement.objects.filter(platform=other).exists()


def test_acknowledging_never_goes_backwards_or_into_the_future(api, platform, artist):
    for n in range(3):
        register_track(artist, TrackData(title=f"T{n}", artist_credit="A", roles=["recording"]))
    post = lambda n: api.post("/api/v1/acks", {"sequence": n}, content_type="application/json")  # noqa: E731
    assert post(2).json()["sequence"] == 2
    assert post(1).json()["sequence"] == 2
    future = post(99)
    assert future.status_code == 400
    assert "does not exist yet" in future.json()["detail"]
    for bad in ({"sequence": "3"}, {"sequence": -1}, {"sequence": True}, [], {}):
        response = api.post("/api/v1/acks", bad, content_type="application/json")
        assert response.status_code == 400
    assert Acknowledgement.objects.filter(platform=platform).count() == 1


def test_unknown_api_paths_are_404_problems(api):
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert problem_of(response)["type"] == "/api/problems/not-found"


def test_problem_types_are_documented(client):
    listing = client.get("/api/problems/").json()["problems"]
    assert {p["status"] for p in listing} >= {400, 401, 403, 404, 405, 413, 415, 429}
    one = client.get("/api/problems/rate-limited").json()
    assert one["status"] == 429
