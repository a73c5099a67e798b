"""The API's edges: cursors that cannot skip, and JSON (never an HTML page) on every /api/ path."""

import pytest
from django.test import Client

from consent.services import TrackData, register_track

pytestmark = pytest.mark.django_db


def test_a_changes_cursor_past_the_head_is_refused_never_echoed(api, artist):
    register_track(artist, TrackData(title="T", artist_credit="A", roles=["recording"]))
    head = api.get("/api/v1/changes").json()["last_sequence"]
    assert api.get("/api/v1/changes", {"after": head}).status_code == 200
    response = api.get("/api/v1/changes", {"after": head + 982})
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "after"
    assert f"past the latest change event ({head})" in body["detail"]
    assert "next_after" not in body


@pytest.mark.parametrize("path", ["/api/v2/query/urls", "/api/v2/query/urls/"])
def test_the_compatible_endpoint_answers_with_or_without_the_trailing_slash(path, platform_key):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        path,
        "https://unknown.example/x",
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"API {platform_key}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["urls"][0]["optOut"] is False


@pytest.mark.parametrize(
    "path", ["/api/v1/consent/batch/", "/api/v1/nowhere", "/api/v2/query/urls/x", "/api/"]
)
def test_a_post_to_a_wrong_api_path_with_a_session_cookie_answers_json(path, owner_client):
    owner_client.handler.enforce_csrf_checks = True
    response = owner_client.post(path, "{}", content_type="application/json")
    assert response["Content-Type"].startswith("application/problem+json"), response.content[:200]
    assert response.status_code in (403, 404)
    assert "<html" not in response.content.decode().lower()


def test_a_cross_site_post_to_the_api_with_a_session_cookie_answers_json(owner_client):
    owner_client.handler.enforce_csrf_checks = True
    response = owner_client.post("/api/v1/acks", "{}", content_type="application/json")
    assert response["Content-Type"].startswith("application/problem+json")
    assert "<html" not in response.content.decode().lower()
