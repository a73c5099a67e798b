"""A creator's publishing kit at /c/<handle>/: their catalogue-wide choice as robots.txt, ai.txt,
tdmrep.json, rsl.xml and web-server header lines, read with independent parsers."""

import http_sfv
import jsonschema
import pytest
from django.conf import settings
from lxml import etree
from protego import Protego

from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import verify_claims_of
from tests.schemas import TDMREP_FILE_SCHEMA

pytestmark = pytest.mark.django_db

SITE = "https://owner-band.example"
RSL = {"rsl": "https://rslstandard.org/rsl"}
TERMS = "https://owner-band.example/licence"


def deny_all_ai(creator) -> None:
    declare(creator, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})


def kit(client, name: str, query: str = ""):
    response = client.get(f"/c/owner-band/{name}{query}")
    assert response.status_code == 200, response.content
    return response


def robots(client) -> Protego:
    return Protego.parse(kit(client, "robots.txt").content.decode())


def tdmrep(client) -> list[dict]:
    rules = kit(client, "tdmrep.json").json()
    jsonschema.validate(rules, TDMREP_FILE_SCHEMA)
    return rules


def rsl_usage(client, element: str) -> set[str]:
    root = etree.fromstring(kit(client, "rsl.xml").content)
    found = root.xpath(
        f"/rsl:rsl/rsl:content[@url='/']/rsl:license[1]/rsl:{element}[@type='usage']/text()",
        namespaces=RSL,
    )
    return set(" ".join(found).split())


def header_lines(client, query: str = "") -> dict[str, str]:
    """The Netlify `_headers` block of headers.txt, as name → value."""
    text = kit(client, "headers.txt", query).content.decode()
    block = text.split("/*\n", 1)[1]
    return dict(line.strip().split(": ", 1) for line in block.splitlines() if line.strip())


def test_a_full_opt_out_keeps_training_crawlers_off_the_whole_site(client, artist):
    deny_all_ai(artist)

    parser = robots(client)

    for agent in ("GPTBot", "CCBot", "ClaudeBot", "ChatGPT-User", "Perplexity-User"):
        assert not parser.can_fetch(f"{SITE}/songs/night-drive.mp3", agent), agent
    # AI input is denied: an answer engine stays out, a classic search engine may index.
    assert not parser.can_fetch(f"{SITE}/songs/night-drive.mp3", "OAI-SearchBot")
    assert parser.can_fetch(f"{SITE}/songs/night-drive.mp3", "Googlebot")
    assert parser.can_fetch(f"{SITE}/", "Googlebot")
    assert tdmrep(client) == [{"location": "/", "tdm-reservation": 1}]
    # Nothing is licensed, so the licence has no content: under RSL 1.0 a licence holding only
    # prohibitions would grant search and AI indexing for free (§3.5, §3.7).
    assert etree.fromstring(kit(client, "rsl.xml").content).findall("rsl:content", RSL) == []
    headers = header_lines(client)
    assert headers["tdm-reservation"] == "1"
    assert headers["X-Robots-Tag"] == "noai, noimageai"
    usage = http_sfv.Dictionary()
    usage.parse(headers["Content-Usage"].encode())
    assert str(usage["train-ai"].value) == "n"


def test_ai_txt_keeps_dataset_downloaders_off_audio_and_everything_else(client, artist):
    deny_all_ai(artist)

    parser = Protego.parse(kit(client, "ai.txt").content.decode())

    assert not parser.can_fetch(f"{SITE}/songs/night-drive.mp3", "img2dataset")
    assert not parser.can_fetch(f"{SITE}/", "img2dataset")


def test_a_licence_only_choice_points_to_its_policy_and_licence(client, artist):
    # Only a creator who has proven a claim publishes licence offers through the kit.
    register_track(artist, TrackData(title="Song", artist_credit="A", roles=["recording"]))
    verify_claims_of(artist)
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.LICENSE, terms_url=TERMS)})
    policy_url = f"{settings.SITE_URL}/policies/{artist.public_id}.json"
    # The licence that covers the artist's site is the kit's rsl.xml at its root.
    licence_url = f"{SITE}/rsl.xml"
    site = "?site=owner-band.example/"

    text = kit(client, "robots.txt", site).content.decode()
    rules = tdmrep(client)
    headers = header_lines(client, site)

    # RSL: a licence never changes Allow/Disallow, so a crawler that took it may fetch; the
    # file says the use is not free and where the licence is.
    assert Protego.parse(text).can_fetch(f"{SITE}/", "GPTBot")
    assert "Content-Usage: / train-ai=n" in text.splitlines()
    assert "Content-Signal: ai-train=no" in text.splitlines()
    assert f"License: {licence_url}" in text.splitlines()
    assert f"Current version: {settings.SITE_URL}/c/owner-band/robots.txt?site=" in text
    assert rules == [{"location": "/", "tdm-reservation": 1, "tdm-policy": policy_url}]
    assert headers["tdm-policy"] == policy_url
    assert headers["Link"] == f'<{licence_url}>; rel="license"; type="application/rsl+xml"'
    root = etree.fromstring(kit(client, "rsl.xml").content)
    assert root.xpath("//rsl:content/@url", namespaces=RSL) == ["/"]
    assert root.xpath("//rsl:terms/text()", namespaces=RSL) == [TERMS]
    # Without the site's address there is no licence address to give: no License:, no Link.
    plain = kit(client, "robots.txt").content.decode()
    assert "License:" not in plain
    assert "Link" not in header_lines(client)
    # The registry's copy lists the artist's works by their addresses.
    assert client.get(f"/licenses/{artist.public_id}.xml").status_code == 200


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("mailto:me@owner-band.example", "not the address of a website"),
        ("https://owner-band.example/music/", "names a page, not a site"),
        ("https://owner-band.example/?a=1", "names a page, not a site"),
        ("localhost", "not the address of a website"),
    ],
)
def test_a_site_address_the_kit_cannot_use_is_refused_with_a_reason(client, artist, typed, message):
    response = client.get("/c/owner-band/robots.txt", {"site": typed})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert message in response.json()["detail"]


def test_nosnippet_is_added_only_when_the_artist_opts_in_and_reserves_ai_input(client, artist):
    deny_all_ai(artist)
    assert header_lines(client)["X-Robots-Tag"] == "noai, noimageai"
    assert header_lines(client, "?nosnippet=1")["X-Robots-Tag"] == "noai, noimageai, nosnippet"
    declare(artist, {Purpose.AI_INPUT: PurposeChoice(Value.ALLOW)})
    verify_claims_of(artist)
    assert "nosnippet" not in header_lines(client, "?nosnippet=1").get("X-Robots-Tag", "")


def test_the_kit_reflects_the_catalogue_not_a_track_override(client, artist):
    deny_all_ai(artist)
    track = register_track(
        artist, TrackData(title="Loosened", artist_credit="Owner Band", roles=["recording"])
    ).tracks[0]
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=track)

    assert not robots(client).can_fetch(f"{SITE}/", "GPTBot")
    assert tdmrep(client)[0]["tdm-reservation"] == 1


def test_a_broader_catalogue_choice_covers_the_narrower_purposes(client, artist):
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})

    assert not robots(client).can_fetch(f"{SITE}/", "GPTBot")
    assert not robots(client).can_fetch(f"{SITE}/", "ChatGPT-User")
    assert header_lines(client)["X-Robots-Tag"] == "noai, noimageai"


def test_a_creator_with_no_declarations_gets_files_that_reserve_nothing(client, artist):
    parser = robots(client)

    for agent in ("GPTBot", "ChatGPT-User", "OAI-SearchBot", "Googlebot"):
        assert parser.can_fetch(f"{SITE}/song.mp3", agent)
    assert "License:" not in kit(client, "robots.txt").content.decode()
    assert tdmrep(client) == []
    assert Protego.parse(kit(client, "ai.txt").content.decode()).can_fetch(
        f"{SITE}/song.mp3", "img2dataset"
    )
    assert "no header to send" in kit(client, "headers.txt").content.decode()
    assert (
        etree.fromstring(kit(client, "rsl.xml").content).xpath("//rsl:content", namespaces=RSL)
        == []
    )


def test_every_file_of_the_kit_follows_a_declaration_at_once(client, artist):
    # A proven owner: only they publish permissions such as the search licence.
    register_track(artist, TrackData(title="Song", artist_credit="A", roles=["recording"]))
    verify_claims_of(artist)
    before = {name: kit(client, name).content for name in KIT_FILES}

    deny_all_ai(artist)
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})

    for name in KIT_FILES:
        assert kit(client, name).content != before[name], name
    assert not robots(client).can_fetch(f"{SITE}/", "GPTBot")
    assert rsl_usage(client, "permits") == {"search"}
    assert rsl_usage(client, "prohibits") == {"ai-train", "ai-input", "ai-index"}


KIT_FILES = ("robots.txt", "ai.txt", "tdmrep.json", "rsl.xml", "headers.txt")


def test_the_files_have_their_formats_media_types(client, artist):
    types = {name: kit(client, name)["Content-Type"] for name in KIT_FILES}

    assert types == {
        "robots.txt": "text/plain; charset=utf-8",
        "ai.txt": "text/plain; charset=utf-8",
        "tdmrep.json": "application/json",
        "rsl.xml": "application/rsl+xml",
        "headers.txt": "text/plain; charset=utf-8",
    }


def test_an_artist_name_cannot_add_lines_to_the_files(client, artist):
    artist.artist_name = "Owner Band\nUser-agent: *\nAllow: /"
    artist.save()
    deny_all_ai(artist)

    for name in ("robots.txt", "ai.txt", "headers.txt"):
        lines = kit(client, name).content.decode().splitlines()
        preamble = lines[: lines.index("")]
        assert all(line.startswith(("# ", "License: ")) for line in preamble), name
        assert "Allow: /" not in lines, name
    assert not robots(client).can_fetch(f"{SITE}/", "GPTBot")


def test_an_unknown_handle_is_a_404_in_each_format(client, artist):
    for name in ("robots.txt", "ai.txt", "headers.txt"):
        response = client.get(f"/c/nobody-here/{name}")
        assert response.status_code == 404
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert all(line.startswith("#") for line in response.content.decode().splitlines())
    for name in ("tdmrep.json", "rsl.xml"):
        response = client.get(f"/c/nobody-here/{name}")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == 404


def test_a_handle_in_capitals_redirects_to_its_one_spelling(client, artist):
    response = client.get("/c/Owner-Band/robots.txt")

    assert response.status_code == 301
    assert response["Location"] == "/c/owner-band/robots.txt"
