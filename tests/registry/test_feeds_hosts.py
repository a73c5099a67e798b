"""Per-host feeds: the registered link paths on a host with their reservation, as that host's
robots.txt, ai.txt and TDMRep file would state them, read with protego and JSON Schema."""

import re

import jsonschema
import pytest
from django.conf import settings
from lxml import etree
from protego import Protego

from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from registry import feed_store
from tests.conftest import make_artist
from tests.factories import register
from tests.schemas import TDMREP_FILE_SCHEMA

pytestmark = pytest.mark.django_db

# Every line a robots-style file may hold: RFC 9309 records, aipref and RSL extensions, comments.
ROBOTS_LINE = re.compile(
    r"^(|#.*|User-agent: \S+|(Allow|Disallow|Content-Usage|Content-Signal|License): \S.*)$"
)


def deny_all_ai(creator) -> None:
    declare(creator, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})


def fetch(client, host: str, name: str):
    response = client.get(f"/hosts/{host}/{name}")
    assert response.status_code == 200, response.content
    return response


def robots(client, host="soundcloud.com", name="robots.txt") -> Protego:
    text = fetch(client, host, name).content.decode()
    assert all(ROBOTS_LINE.match(line) for line in text.splitlines()), text
    return Protego.parse(text)


def tdmrep(client, host="soundcloud.com") -> list[dict]:
    rules = fetch(client, host, ".well-known/tdmrep.json").json()
    jsonschema.validate(rules, TDMREP_FILE_SCHEMA, format_checker=jsonschema.FormatChecker())
    return rules


def tdmrep_verdict(rules: list[dict], path: str) -> int | None:
    """TDMRep's reading: the first rule whose robots-style pattern matches the path wins."""
    for rule in rules:
        pattern = re.escape(rule["location"]).replace(r"\*", ".*")
        if pattern.endswith(r"\$"):
            pattern = pattern[:-2] + "$"
        if re.match(pattern, path):
            return rule["tdm-reservation"]
    return None


@pytest.fixture
def opted_out(artist):
    deny_all_ai(artist)
    return register(
        artist, "https://www.SoundCloud.com/owner-band/night-drive/?utm_source=x", verified=True
    )


@pytest.fixture
def allowing():
    creator = make_artist("Open Band", "open-band")
    declare(creator, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    return register(creator, "https://soundcloud.com/open-band/free", title="Free", verified=True)


def test_gptbot_may_not_fetch_an_opted_out_track_on_its_host(client, opted_out, allowing):
    parser = robots(client)

    denied = "https://soundcloud.com/owner-band/night-drive"
    assert not parser.can_fetch(denied, "GPTBot")
    assert not parser.can_fetch(denied, "ChatGPT-User")
    assert not parser.can_fetch(denied, "OAI-SearchBot")  # an answer engine: AI input denied
    assert parser.can_fetch(denied, "Googlebot")
    assert parser.can_fetch("https://soundcloud.com/open-band/free", "GPTBot")
    # A link names one track: the artist's other pages and other people's music stay open.
    assert parser.can_fetch(denied + "-remix", "GPTBot")
    assert parser.can_fetch("https://soundcloud.com/owner-band", "GPTBot")


def test_ai_txt_and_tdmrep_reserve_the_opted_out_path_only(client, opted_out, allowing):
    parser = robots(client, name="ai.txt")
    rules = tdmrep(client)

    assert not parser.can_fetch("https://soundcloud.com/owner-band/night-drive", "img2dataset")
    assert parser.can_fetch("https://soundcloud.com/open-band/free", "img2dataset")
    assert tdmrep_verdict(rules, "/owner-band/night-drive") == 1
    assert tdmrep_verdict(rules, "/open-band/free") == 0
    assert tdmrep_verdict(rules, "/owner-band/night-drive-remix") is None


def test_a_licence_only_track_names_its_policy(client, artist):
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.LICENSE, contact_email="a@b.ex")})
    track = register(artist, "https://bandcamp.com/track/night-drive", verified=True)

    (rule,) = tdmrep(client, "bandcamp.com")

    assert rule["tdm-reservation"] == 1
    assert rule["tdm-policy"] == f"{settings.SITE_URL}/policies/{track.public_id}.json"
    # RSL: a licence never changes Allow/Disallow. The path stays open to a crawler that took
    # the licence; its preferences say the use is not free, and License: says where to get it.
    text = fetch(client, "bandcamp.com", "robots.txt").content.decode()
    assert Protego.parse(text).can_fetch("https://bandcamp.com/track/night-drive", "GPTBot")
    assert "Content-Usage: /track/night-drive$ train-ai=n" in text.splitlines()
    licence_url = f"{settings.SITE_URL}/hosts/bandcamp.com/rsl.xml"
    assert f"License: {licence_url}" in text.splitlines()
    root = etree.fromstring(fetch(client, "bandcamp.com", "rsl.xml").content)
    rsl = {"rsl": "https://rslstandard.org/rsl"}
    assert root.xpath("//rsl:content/@url", namespaces=rsl) == [
        "https://bandcamp.com/track/night-drive$"
    ]
    assert root.xpath("//rsl:license/rsl:permits/text()", namespaces=rsl) == ["ai-train"]
    assert root.xpath("//rsl:license/rsl:payment/@type", namespaces=rsl) == ["training"]


def test_a_track_override_loosening_the_catalogue_opens_its_path(client, artist):
    deny_all_ai(artist)
    loosened = register(
        artist, "https://soundcloud.com/owner-band/open", title="Open", verified=True
    )
    register(artist, "https://soundcloud.com/owner-band/closed", title="Closed", verified=True)
    declare(artist, {Purpose.TDM: PurposeChoice(Value.ALLOW)}, track=loosened)

    parser = robots(client)

    assert parser.can_fetch("https://soundcloud.com/owner-band/open", "GPTBot")
    assert not parser.can_fetch("https://soundcloud.com/owner-band/closed", "GPTBot")


def test_a_disputed_track_and_a_shared_url_take_the_most_restrictive_choice(client, artist):
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.DENY)})
    data = {"roles": ["recording"], "isrc": "USRC17607839"}
    register_track(
        artist,
        TrackData(title="Song", artist_credit="A", links=["https://soundcloud.com/a/s"], **data),
    )
    rival = make_artist("Rival Label", "rival-label")
    declare(rival, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    register_track(
        rival,
        TrackData(title="Song", artist_credit="A", links=["https://soundcloud.com/b/s"], **data),
    )
    # Another, undisputed track that happens to share the first URL and allows everything.
    register(rival, "https://soundcloud.com/a/s", title="Cover", verified=True)

    parser = robots(client)
    rules = tdmrep(client)

    for path in ("/a/s", "/b/s"):
        assert not parser.can_fetch(f"https://soundcloud.com{path}", "GPTBot"), path
        assert tdmrep_verdict(rules, path) == 1, path


def test_every_file_follows_a_declaration_at_once(client, artist):
    register(artist, "https://soundcloud.com/owner-band/night-drive", verified=True)
    url = "https://soundcloud.com/owner-band/night-drive"
    assert robots(client).can_fetch(url, "GPTBot")
    assert robots(client, name="ai.txt").can_fetch(url, "img2dataset")
    assert tdmrep(client) == []

    deny_all_ai(artist)

    assert not robots(client).can_fetch(url, "GPTBot")
    assert not robots(client, name="ai.txt").can_fetch(url, "img2dataset")
    assert tdmrep_verdict(tdmrep(client), "/owner-band/night-drive") == 1


def test_a_creator_with_no_declarations_reserves_nothing(client, artist):
    register(artist, "https://soundcloud.com/owner-band/night-drive", verified=True)

    parser = robots(client)

    assert parser.can_fetch("https://soundcloud.com/owner-band/night-drive", "GPTBot")
    assert tdmrep(client) == []


def test_unusual_characters_in_a_link_cannot_break_or_widen_a_rule(client, artist):
    deny_all_ai(artist)
    register(
        artist,
        "https://soundcloud.com/a/b*",
        "https://soundcloud.com/a/c$d",
        "https://soundcloud.com/a/line%0AUser-agent: *%0AAllow: /",
        "https://soundcloud.com/a/e%23f",
        "https://soundcloud.com/a/tab%09and space",
        verified=True,
    )

    for name in ("robots.txt", "ai.txt"):
        text = fetch(client, "soundcloud.com", name).content.decode()
        lines = text.splitlines()
        disallowed = [line.removeprefix("Disallow: ") for line in lines if "Disallow" in line]
        assert len(set(disallowed)) == 5
        # One line per path, no whitespace or comment inside it, and `$` only as the anchor.
        assert all(re.fullmatch(r"/a/[^\s#*$]+\$", path) for path in disallowed), disallowed
        assert "Allow: /" not in lines
    parser = robots(client)
    assert not parser.can_fetch("https://soundcloud.com/a/b*", "GPTBot")
    assert parser.can_fetch("https://soundcloud.com/a/bcd", "GPTBot")
    assert not parser.can_fetch("https://soundcloud.com/a/c$d", "GPTBot")
    assert not parser.can_fetch("https://soundcloud.com/a/e%23f", "GPTBot")
    assert parser.can_fetch("https://soundcloud.com/a/anything-else", "GPTBot")
    locations = [rule["location"] for rule in tdmrep(client)]
    assert "/a/b%2A$" in locations
    assert "/a/c%24d$" in locations


def test_links_with_an_explicit_port_stay_out_of_the_host_file(client, artist):
    deny_all_ai(artist)
    register(artist, "https://soundcloud.com:8443/owner-band/night-drive", verified=True)

    assert robots(client).can_fetch("https://soundcloud.com/owner-band/night-drive", "GPTBot")
    assert tdmrep(client) == []


def test_a_non_canonical_host_redirects_to_its_one_spelling(client, opted_out):
    cases = {
        "/hosts/WWW.SoundCloud.com/robots.txt": "/hosts/soundcloud.com/robots.txt",
        "/hosts/soundcloud.com./ai.txt": "/hosts/soundcloud.com/ai.txt",
        "/hosts/www.soundcloud.com/.well-known/tdmrep.json": (
            "/hosts/soundcloud.com/.well-known/tdmrep.json"
        ),
        "/hosts/bücher.de/robots.txt": "/hosts/xn--bcher-kva.de/robots.txt",
    }
    for asked, canonical in cases.items():
        response = client.get(asked)
        assert response.status_code == 301, asked
        assert response["Location"] == canonical


def test_an_idn_host_is_served_under_its_ascii_name(client, artist):
    deny_all_ai(artist)
    register(artist, "https://bücher.de/lied", verified=True)

    parser = robots(client, "xn--bcher-kva.de")

    assert not parser.can_fetch("https://xn--bcher-kva.de/lied", "GPTBot")


def test_an_unknown_host_is_not_found_in_each_formats_terms(client, opted_out):
    for name in ("robots.txt", "ai.txt"):
        response = client.get(f"/hosts/example.org/{name}")
        assert response.status_code == 404
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        text = response.content.decode()
        assert all(line.startswith("#") for line in text.splitlines())
        assert "no restrictions" in text
    response = client.get("/hosts/example.org/.well-known/tdmrep.json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404
    assert client.get("/hosts/not a host!/robots.txt").status_code == 404


@pytest.mark.slow  # hundreds of tracks registered, then the feed cut
def test_a_host_feed_larger_than_crawlers_read_is_cut_denials_first_and_says_so(
    client, settings, artist
):
    settings.FEED_MAX_BYTES = 4096
    deny_all_ai(artist)
    for n in range(60):
        register(
            artist,
            f"https://soundcloud.com/owner-band/denied-{n:02d}",
            title=f"D{n}",
            verified=True,
        )
    generous = make_artist("Open Band", "open-band")
    declare(generous, {Purpose.TDM: PurposeChoice(Value.ALLOW)})
    for n in range(60):
        register(
            generous,
            f"https://soundcloud.com/open-band/allowed-{n:02d}",
            title=f"A{n}",
            verified=True,
        )

    text = fetch(client, "soundcloud.com", "robots.txt").content.decode()

    assert len(text.encode()) <= 4096
    complete = f"{settings.SITE_URL}/hosts/soundcloud.com/.well-known/tdmrep.json"
    assert f"# Complete list: {complete}" in text.splitlines()
    assert "Cut on purpose" in text
    parser = Protego.parse(text)
    # What survives is denials, never a permission that would hide one that was cut.
    assert not parser.can_fetch("https://soundcloud.com/owner-band/denied-00", "GPTBot")
    assert "allowed-" not in text
    rules = tdmrep(client)
    assert len(rules) == 120
    assert tdmrep_verdict(rules, "/owner-band/denied-59") == 1
    settings.FEED_MAX_BYTES = 1024
    feed_store.build_host("soundcloud.com", 0)  # files are kept as built: build them again
    ai_txt = fetch(client, "soundcloud.com", "ai.txt").content.decode()
    assert len(ai_txt.encode()) <= 1024
    assert "Disallow: /owner-band/denied-00$" in ai_txt.splitlines()
    assert f"# Complete list: {complete}" in ai_txt.splitlines()


def test_the_hosts_page_lists_hosts_by_number_of_tracks(client, artist, monkeypatch):
    register(artist, "https://bandcamp.com/track/one", title="One", verified=True)
    register(
        artist, "https://soundcloud.com/a/one", "https://bandcamp.com/x", title="Two", verified=True
    )
    register(artist, "https://soundcloud.com/a/two", title="Three", verified=True)
    register(artist, "https://soundcloud.com/a/three", title="Four", verified=True)

    body = client.get("/hosts/").content.decode()

    assert body.index("soundcloud.com") < body.index("bandcamp.com")
    assert re.search(r"soundcloud\.com</th>\s*<td class=\"numeric\">3</td>", body)
    assert re.search(r"bandcamp\.com</th>\s*<td class=\"numeric\">2</td>", body)
    assert 'href="/hosts/soundcloud.com/robots.txt"' in body

    monkeypatch.setattr(feed_store, "HOSTS_PER_PAGE", 1)
    feed_store.build_host_list()  # the pages are stored as built: rebuilt one host a page
    second = client.get("/hosts/?page=2").content.decode()
    assert "bandcamp.com</th>" in second
    assert "soundcloud.com</th>" not in second
