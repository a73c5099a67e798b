"""The registry's own /robots.txt and /.well-known/tdmrep.json state patterns, never one line per
track: each track's rule travels on its page (headers, meta tags, its own RSL licence and TDMRep
policy). Read with protego, JSON Schema, http_sfv and lxml as crawlers would read them."""

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
AI_CRAWLERS = ("GPTBot", "CCBot", "Google-Extended", "ClaudeBot", "ChatGPT-User", "OAI-SearchBot")


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


def tdm_reading(client, track) -> int | None:
    """What a TDMRep reader learns of a page: a rule of the well-known file, else the page's own
    header (here the file has no rule for track pages, so nothing can contradict the header)."""
    verdict = tdmrep_verdict(tdmrep(client), f"/t/{track.public_id}/")
    if verdict is not None:
        return verdict
    header = client.head(f"/t/{track.public_id}/").headers.get("tdm-reservation")
    return None if header is None else int(header)


def content_usage(client, track) -> dict[str, str]:
    header = client.head(f"/t/{track.public_id}/").headers.get("Content-Usage")
    if header is None:
        return {}
    parsed = http_sfv.Dictionary()
    parsed.parse(header.encode())
    return {key: str(item.value) for key, item in parsed.items()}


def noai(client, track) -> bool:
    return "noai" in client.head(f"/t/{track.public_id}/").headers.get("X-Robots-Tag", "")


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


def test_every_crawler_may_fetch_the_track_pages_which_carry_the_opt_out(
    client, opted_out, allowing
):
    parser = robots(client)

    # robots.txt cannot tell one track page from another by its path: every crawler may fetch
    # them, and the opted-out page says no to AI in its own response.
    for agent in (*AI_CRAWLERS, "Googlebot"):
        assert parser.can_fetch(page_url(opted_out), agent), agent
        assert parser.can_fetch(page_url(allowing), agent), agent
    assert noai(client, opted_out)
    assert not noai(client, allowing)
    assert content_usage(client, opted_out) == {"train-ai": "n", "ai-use": "n"}
    assert content_usage(client, allowing) == {"train-ai": "y", "ai-use": "y", "search": "y"}


def test_robots_txt_keeps_every_crawler_out_of_admin_and_accounts(client, opted_out):
    parser = robots(client)

    for agent in ("Googlebot", "GPTBot", "OAI-SearchBot", "SomeNewBot"):
        for path in ("/admin/", "/accounts/login/"):
            assert not parser.can_fetch(settings.SITE_URL + path, agent), (agent, path)
        assert parser.can_fetch(settings.SITE_URL + "/how-it-works/", agent)


def test_the_registry_files_name_no_track_and_do_not_grow(client, opted_out, allowing, artist):
    robots_before = client.get("/robots.txt").content
    tdmrep_before = client.get("/.well-known/tdmrep.json").content
    for n in range(5):
        register(artist, title=f"More {n}", verified=True)

    assert client.get("/robots.txt").content == robots_before
    assert client.get("/.well-known/tdmrep.json").content == tdmrep_before
    text = robots_before.decode()
    assert str(opted_out.public_id) not in text
    assert "Allow: /t/" in text.splitlines()
    assert "License:" not in text  # each page names its own licence


def test_tdmrep_readers_find_each_page_rule_in_its_header(client, opted_out, allowing, silent):
    assert tdmrep(client) == []  # no rule for /t/, so TDMRep readers go on to the header

    assert tdm_reading(client, opted_out) == 1
    assert tdm_reading(client, allowing) == 0
    assert tdm_reading(client, silent) is None


def test_a_licence_only_track_names_its_policy_in_its_header(client, artist):
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, contact_email="a@b.example")})
    track = register(artist, verified=True)

    page = client.head(f"/t/{track.public_id}/")

    assert tdm_reading(client, track) == 1
    assert page["tdm-policy"] == f"{settings.SITE_URL}/policies/{track.public_id}.json"
    assert client.get(f"/policies/{track.public_id}.json").status_code == 200


def test_a_track_override_that_loosens_a_catalogue_denial_is_not_reserved(client, artist):
    deny_all_ai(artist)
    loosened = register(artist, title="Loosened", verified=True)
    denied = register(artist, title="Still Denied", verified=True)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=loosened)

    assert not noai(client, loosened)
    assert noai(client, denied)
    assert tdm_reading(client, loosened) == 0
    assert tdm_reading(client, denied) == 1


def test_a_disputed_track_takes_the_most_restrictive_claim(client, artist):
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    track = register(artist, isrc="USRC17607839", verified=True)
    rival = make_artist("Rival Label", "rival-label")
    declare(rival, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    register(rival, isrc="USRC17607839", verified=True)

    assert noai(client, track)
    assert tdm_reading(client, track) == 1


def test_every_page_follows_a_declaration_at_once(client, artist):
    track = register(artist, verified=True)
    assert not noai(client, track)
    assert tdm_reading(client, track) is None
    assert "Link" not in client.head(f"/t/{track.public_id}/")

    deny_all_ai(artist)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})

    assert noai(client, track)
    assert tdm_reading(client, track) == 1
    link = client.head(f"/t/{track.public_id}/")["Link"]
    assert f"/licenses/{track.public_id}.xml" in link and 'rel="license"' in link
    root = etree.fromstring(client.get(f"/licenses/{track.public_id}.xml").content)
    assert root.xpath("//rsl:content/@url", namespaces=RSL) == [page_url(track)]


def test_the_registry_wide_licence_is_gone_each_page_links_its_own(client, opted_out, allowing):
    gone = client.get("/licenses/registry.xml")
    assert gone.status_code == 410
    assert gone["Content-Type"] == "application/problem+json"

    def usage(track, element):
        link = client.head(f"/t/{track.public_id}/").headers.get("Link")
        if link is None:
            return None
        url = re.match(r"<([^>]+)>", link).group(1)
        root = etree.fromstring(client.get(url.removeprefix(settings.SITE_URL)).content)
        found = root.xpath(
            f"//rsl:content[@url=$url]/rsl:license[1]/rsl:{element}[@type='usage']/text()",
            namespaces=RSL,
            url=page_url(track),
        )
        return set(" ".join(found).split())

    # An opt-out licenses nothing: a licence of prohibitions alone would grant search for free.
    assert usage(opted_out, "permits") is None
    assert "ai-train" in usage(allowing, "permits")
    assert usage(allowing, "prohibits") == set()
