"""A track page states its owners' choices to machines: response headers, the same signals as
<meta>/<link> tags, and a CAWG twin, read back with independent parsers."""

import json

import http_sfv
import lxml.html
import pytest
from django.conf import settings

from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, declare
from tests.conftest import make_artist
from tests.factories import register

pytestmark = pytest.mark.django_db

TERMS = "https://owner.example/ai-licence"


def deny_all_ai(creator) -> None:
    declare(creator, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})


def content_usage(response) -> dict[str, str]:
    """The Content-Usage header as an RFC 9651 parser reads it."""
    parsed = http_sfv.Dictionary()
    parsed.parse(response["Content-Usage"].encode())
    return {key: str(item.value) for key, item in parsed.items()}


def head_signals(response) -> dict[str, str]:
    """The <meta name> contents and the licence <link> of the page, as an HTML parser sees them."""
    tree = lxml.html.fromstring(response.content)
    found = {meta.get("name"): meta.get("content") for meta in tree.head.iter("meta")}
    for link in tree.head.iter("link"):
        if link.get("rel") == "license":
            found["license"] = f"{link.get('href')} {link.get('type')}"
    return found


def licence_link(public_id) -> str:
    return (
        f'<{settings.SITE_URL}/licenses/{public_id}.xml>; rel="license"; type="application/rsl+xml"'
    )


def test_an_opted_out_track_is_reserved_in_its_headers_and_its_html(client, artist):
    deny_all_ai(artist)
    track = register(artist, verified=True)

    response = client.get(f"/t/{track.public_id}/")

    assert response.status_code == 200
    assert response["tdm-reservation"] == "1"
    assert content_usage(response) == {"train-ai": "n", "ai-use": "n"}
    assert response["X-Robots-Tag"] == "noai, noimageai"
    # RSL cannot refuse without granting the rest: an opt-out points to no RSL document.
    assert "Link" not in response
    head = head_signals(response)
    assert head["tdm-reservation"] == "1"
    assert head["robots"] == "noai, noimageai"
    assert "license" not in head
    assert "tdm-policy" not in head


def test_a_track_that_allows_training_says_so_and_asks_for_no_noai(client, artist):
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    track = register(artist, verified=True)

    response = client.get(f"/t/{track.public_id}/")

    assert response["tdm-reservation"] == "0"
    assert content_usage(response) == {"train-ai": "y", "ai-use": "y", "search": "y"}
    assert "X-Robots-Tag" not in response
    assert "robots" not in head_signals(response)


def test_a_track_nobody_declared_for_carries_no_signal(client, artist):
    track = register(artist, verified=True)

    response = client.get(f"/t/{track.public_id}/")

    for header in ("tdm-reservation", "tdm-policy", "Content-Usage", "X-Robots-Tag", "Link"):
        assert header not in response
    head = head_signals(response)
    assert not {"tdm-reservation", "tdm-policy", "robots", "license"} & set(head)


def test_a_licence_only_choice_points_to_its_tdmrep_policy(client, artist):
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, terms_url=TERMS)})
    track = register(artist, verified=True)

    response = client.get(f"/t/{track.public_id}/")

    policy_url = f"{settings.SITE_URL}/policies/{track.public_id}.json"
    assert response["tdm-reservation"] == "1"
    assert response["tdm-policy"] == policy_url
    assert content_usage(response) == {"train-ai": "n"}
    assert head_signals(response)["tdm-policy"] == policy_url
    policy = client.get(f"/policies/{track.public_id}.json").json()
    assert policy["assigner"]["vcard:hasURL"] == TERMS


def test_a_track_override_loosens_the_catalogue_denial_in_its_headers(client, artist):
    deny_all_ai(artist)
    track = register(artist, verified=True)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=track)

    response = client.get(f"/t/{track.public_id}/")

    assert response["tdm-reservation"] == "0"
    assert content_usage(response) == {"train-ai": "y", "ai-use": "y"}
    assert "X-Robots-Tag" not in response


def test_a_disputed_track_signals_the_most_restrictive_claim(client, artist):
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    track = register(artist, isrc="USRC17607839", verified=True)
    rival = make_artist("Rival Label", "rival-label")
    declare(rival, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    register(rival, isrc="USRC17607839", verified=True)

    response = client.get(f"/t/{track.public_id}/")

    assert "disputed" in response.content.decode().lower()
    assert response["tdm-reservation"] == "1"
    assert content_usage(response) == {"train-ai": "n", "ai-use": "y"}
    assert response["X-Robots-Tag"] == "noai, noimageai"


def test_a_new_declaration_shows_in_every_signal_of_the_page_at_once(client, artist):
    track = register(artist, verified=True)
    page = f"/t/{track.public_id}/"
    before = client.get(page)
    for header in ("tdm-reservation", "Content-Usage", "X-Robots-Tag", "Link"):
        assert header not in before
    assert "robots" not in head_signals(before)
    assert client.get(f"{page}cawg.json").json()["assertions"][0]["data"]["entries"] == {}

    deny_all_ai(artist)

    after = client.get(page)
    assert after["tdm-reservation"] == "1"
    assert content_usage(after) == {"train-ai": "n", "ai-use": "n"}
    assert after["X-Robots-Tag"] == "noai, noimageai"
    assert "Link" not in after  # an opt-out grants nothing in RSL, so nothing points there
    head = head_signals(after)
    assert (head["tdm-reservation"], head["robots"]) == ("1", "noai, noimageai")
    entries = client.get(f"{page}cawg.json").json()["assertions"][0]["data"]["entries"]
    assert entries["cawg.ai_generative_training"] == {"use": "notAllowed"}


def test_the_twin_is_a_cawg_assertion_with_its_legacy_c2pa_form(client, artist):
    deny_all_ai(artist)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.LICENSE, contact_email="ai@owner.example")})
    track = register(artist, verified=True)

    response = client.get(f"/t/{track.public_id}/cawg.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assertions = {a["label"]: a["data"]["entries"] for a in response.json()["assertions"]}
    cawg = assertions["cawg.training-mining"]
    assert cawg["cawg.ai_generative_training"] == {"use": "notAllowed"}
    assert cawg["cawg.data_mining"] == {
        "use": "constrained",
        "constraint_info": "mailto:ai@owner.example",
    }
    legacy = assertions["c2pa.training-mining"]
    assert legacy["c2pa.ai_training"] == {"use": "notAllowed"}
    # Its readers take `constrained` as allowed, so a licence is refused there.
    assert legacy["c2pa.data_mining"] == {"use": "notAllowed"}


def test_the_twin_of_an_unknown_track_is_a_json_404(client):
    response = client.get("/t/00000000-0000-0000-0000-000000000000/cawg.json")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert json.loads(response.content)["status"] == 404


def test_the_page_links_its_machine_readable_twin(client, artist):
    track = register(artist, verified=True)

    tree = lxml.html.fromstring(client.get(f"/t/{track.public_id}/").content)

    alternate = tree.head.find("link[@rel='alternate']")
    assert alternate.get("href") == f"/t/{track.public_id}/cawg.json"
