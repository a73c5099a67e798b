"""The registry's own /robots.txt, /.well-known/tdmrep.json and /licenses/registry.xml cover its
track pages: read with protego, JSON Schema and lxml as crawlers would read them."""

import re

import http_sfv
import jsonschema
import pytest
from django.conf import settings
from lxml import etree
from protego import Protego

from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, declare
from tests.conftest import make_artist
from tests.factories import register
from tests.schemas import TDMREP_FILE_SCHEMA

pytestmark = pytest.mark.django_db

RSL = {"rsl": "https://rslstandard.org/rsl"}


def deny_all_ai(creator) -> None:
    declare(creator, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})


def page_url(track) -> str:
    return f"{settings.SITE_URL}/t/{track.public_id}/"


def robots(client) -> Protego:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return Protego.parse(response.content.decode())


def tdmrep_verdict(rules: list[dict], path: str) -> int | None:
    """TDMRep's reading: the first rule whose robots-style pattern matches the path wins."""
    for rule in rules:
        pattern = re.escape(rule["location"]).replace(r"\*", ".*")
        if pattern.endswith(r"\$"):
            pattern = pattern[:-2] + "$"
        if re.match(pattern, path):
            return rule["tdm-reservation"]
    return None


def tdmrep(client) -> list[dict]:
    response = client.get("/.well-known/tdmrep.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    rules = response.json()
    jsonschema.validate(rules, TDMREP_FILE_SCHEMA, format_checker=jsonschema.FormatChecker())
    return rules


@pytest.fixture
def opted_out(artist):
    deny_all_ai(artist)
    return register(artist, title="Opted Out", verified=True)


@pytest.fixture
def allowing():
    creator = make_artist("Open Band", "open-band")
    declare(creator, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    declare(creator, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
    return register(creator, title="Free to Train", verified=True)


@pytest.fixture
def silent():
    return register(make_artist("Quiet Band", "quiet-band"), title="Nothing Said", verified=True)


def test_training_crawlers_may_not_fetch_an_opted_out_track_page(client, opted_out, allowing):
    parser = robots(client)

    for agent in ("GPTBot", "CCBot", "Google-Extended", "ClaudeBot", "ChatGPT-User"):
        assert not parser.can_fetch(page_url(opted_out), agent), agent
        assert not parser.can_fetch(page_url(opted_out) + "cawg.json", agent), agent
        assert parser.can_fetch(page_url(allowing), agent), agent
    # Search was not reserved: search crawlers and ordinary crawlers still reach the page.
    assert not parser.can_fetch(page_url(opted_out), "OAI-SearchBot")  # AI input is denied
    assert parser.can_fetch(page_url(opted_out), "Googlebot")
    assert parser.can_fetch(page_url(opted_out), "Googlebot")


def test_robots_txt_keeps_every_crawler_out_of_admin_and_accounts(client, opted_out):
    parser = robots(client)

    for agent in ("Googlebot", "GPTBot", "OAI-SearchBot", "SomeNewBot"):
        for path in ("/admin/", "/accounts/login/"):
            assert not parser.can_fetch(settings.SITE_URL + path, agent), (agent, path)
        assert parser.can_fetch(settings.SITE_URL + "/how-it-works/", agent)


def test_robots_txt_states_content_usage_and_names_the_registry_licence(
    client, opted_out, allowing
):
    text = client.get("/robots.txt").content.decode()

    usage = {}
    for line in text.splitlines():
        if line.startswith("Content-Usage:"):
            path, prefs = line.removeprefix("Content-Usage:").split(maxsplit=1)
            parsed = http_sfv.Dictionary()
            parsed.parse(prefs.encode())
            usage[path] = {key: str(item.value) for key, item in parsed.items()}
    assert usage[f"/t/{opted_out.public_id}/"] == {"train-ai": "n", "ai-use": "n"}
    assert usage[f"/t/{allowing.public_id}/"] == {"train-ai": "y", "ai-use": "y", "search": "y"}
    assert f"License: {settings.SITE_URL}/licenses/registry.xml" in text.splitlines()


def test_tdmrep_reserves_opted_out_pages_allows_open_ones_and_omits_the_rest(
    client, opted_out, allowing, silent
):
    rules = tdmrep(client)

    assert tdmrep_verdict(rules, f"/t/{opted_out.public_id}/") == 1
    assert tdmrep_verdict(rules, f"/t/{allowing.public_id}/") == 0
    assert tdmrep_verdict(rules, f"/t/{silent.public_id}/") is None
    assert len(rules) == 2


def test_a_licence_only_track_names_its_policy_in_tdmrep(client, artist):
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, contact_email="a@b.example")})
    track = register(artist, verified=True)

    (rule,) = tdmrep(client)

    assert rule["tdm-reservation"] == 1
    assert rule["tdm-policy"] == f"{settings.SITE_URL}/policies/{track.public_id}.json"
    assert client.get(f"/policies/{track.public_id}.json").status_code == 200


def test_a_track_override_that_loosens_a_catalogue_denial_is_not_reserved(client, artist):
    deny_all_ai(artist)
    loosened = register(artist, title="Loosened", verified=True)
    denied = register(artist, title="Still Denied", verified=True)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=loosened)

    parser = robots(client)
    rules = tdmrep(client)

    assert parser.can_fetch(page_url(loosened), "GPTBot")
    assert not parser.can_fetch(page_url(denied), "GPTBot")
    assert tdmrep_verdict(rules, f"/t/{loosened.public_id}/") == 0
    assert tdmrep_verdict(rules, f"/t/{denied.public_id}/") == 1


def test_a_disputed_track_takes_the_most_restrictive_claim(client, artist):
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    track = register(artist, isrc="USRC17607839", verified=True)
    rival = make_artist("Rival Label", "rival-label")
    declare(rival, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    register(rival, isrc="USRC17607839", verified=True)

    assert not robots(client).can_fetch(page_url(track), "GPTBot")
    assert tdmrep_verdict(tdmrep(client), f"/t/{track.public_id}/") == 1


def test_every_file_follows_a_declaration_at_once(client, artist):
    track = register(artist, verified=True)
    assert robots(client).can_fetch(page_url(track), "GPTBot")
    assert tdmrep(client) == []
    assert b"<content" not in client.get("/licenses/registry.xml").content

    deny_all_ai(artist)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})

    assert not robots(client).can_fetch(page_url(track), "GPTBot")
    assert tdmrep_verdict(tdmrep(client), f"/t/{track.public_id}/") == 1
    root = etree.fromstring(client.get("/licenses/registry.xml").content)
    assert root.xpath("//rsl:content/@url", namespaces=RSL) == [page_url(track)]


def test_the_registry_licence_prohibits_training_on_opted_out_pages(client, opted_out, allowing):
    response = client.get("/licenses/registry.xml")

    assert response["Content-Type"] == "application/rsl+xml"
    root = etree.fromstring(response.content)
    assert root.tag == "{https://rslstandard.org/rsl}rsl"

    def usage(track, element):
        found = root.xpath(
            f"//rsl:content[@url=$url]/rsl:license[1]/rsl:{element}[@type='usage']/text()",
            namespaces=RSL,
            url=page_url(track),
        )
        return set(" ".join(found).split())

    # An opt-out licenses nothing: a licence of prohibitions alone would grant search for free.
    assert root.xpath("//rsl:content[@url=$url]", namespaces=RSL, url=page_url(opted_out)) == []
    assert "ai-train" in usage(allowing, "permits")
    assert usage(allowing, "prohibits") == set()
    assert not usage(allowing, "prohibits")
