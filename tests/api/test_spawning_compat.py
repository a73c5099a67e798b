"""POST /api/v2/query/urls/: an existing opt-out client only changes the host it calls."""

import pytest

from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.api.conftest import KeyClient
from tests.conftest import verify_claims_of

pytestmark = pytest.mark.django_db

DENIED = "https://open.spotify.com/track/denied"
ALLOWED = "https://soundcloud.com/band/allowed"
LICENSED = "https://bandcamp.com/track/licensed"


@pytest.fixture
def compat(platform_key) -> KeyClient:
    return KeyClient(platform_key, scheme="API")


def query(client, lines: list[str], content_type: str = "text/plain"):
    return client.post("/api/v2/query/urls/", "\n".join(lines), content_type=content_type)


@pytest.fixture
def catalogue(artist):
    def track(title, url, values):
        t = register_track(
            artist, TrackData(title=title, artist_credit="A", roles=["recording"], links=[url])
        ).tracks[0]
        declare(artist, values, track=t)

    track("Denied", DENIED, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    track(
        "Allowed",
        ALLOWED,
        {
            Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW),
            Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW),
        },
    )
    track(
        "Licensed",
        LICENSED,
        {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, terms_url="https://a.example/t")},
    )
    verify_claims_of(artist)


def test_answers_in_request_order_with_the_emission_rules(compat, catalogue):
    lines = [
        LICENSED,
        "https://www.open.spotify.com/track/denied/?utm_source=feed",
        "https://unknown.example/x",
        ALLOWED,
        "not a url at all",
        DENIED,
    ]
    response = query(compat, lines)
    assert response.status_code == 200
    urls = response.json()["urls"]
    assert [u["url"] for u in urls] == lines
    assert [(u["optOut"], u["optIn"]) for u in urls] == [
        (True, False),
        (True, False),
        (False, False),
        (False, True),
        (False, False),
        (True, False),
    ]


def test_bearer_works_too_and_no_key_is_401(api, client, catalogue):
    assert query(api, [DENIED]).json()["urls"][0]["optOut"] is True
    assert client.post("/api/v2/query/urls/", DENIED, content_type="text/plain").status_code == 401


def test_blank_lines_are_skipped_and_crlf_is_fine(compat, catalogue):
    response = compat.post(
        "/api/v2/query/urls/", f"\r\n{DENIED}\r\n\r\n{ALLOWED}\r\n", content_type="text/plain"
    )
    assert [u["url"] for u in response.json()["urls"]] == [DENIED, ALLOWED]


def test_more_than_ten_thousand_urls_is_413(compat):
    response = query(compat, [f"https://example.org/{n}" for n in range(10_001)])
    assert response.status_code == 413
    assert response.json()["type"] == "/api/problems/too-large"


def test_ten_thousand_urls_are_answered(compat, catalogue):
    lines = [DENIED if n % 2 else f"https://example.org/{n}" for n in range(10_000)]
    urls = query(compat, lines).json()["urls"]
    assert len(urls) == 10_000
    assert sum(u["optOut"] for u in urls) == 5_000


def test_json_is_415(compat):
    response = compat.post("/api/v2/query/urls/", {"urls": []}, content_type="application/json")
    assert response.status_code == 415
