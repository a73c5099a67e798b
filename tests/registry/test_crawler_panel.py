"""The "What crawlers receive" panel says what the responses say, for every value of every
purpose: the panel on the public track page, read with lxml, against the page's own headers and
the files crawlers read (the registry's robots.txt and tdmrep.json, which leave every track page
to its own headers, the host's robots.txt, ai.txt, tdmrep.json and rsl.xml for the track's link,
the RSL licence and the CAWG assertion), each read with an independent parser (Protego, json,
lxml)."""

import json
import re

import lxml.html
import pytest
from django.conf import settings
from lxml import etree
from protego import Protego

from consent.purposes import PURPOSES, Purpose, Value
from consent.services import PurposeChoice
from consent.standards import ai_agents
from tests.factories import register

pytestmark = pytest.mark.django_db

P, V = Purpose, Value
TERMS = "https://owner-band.example/ai-licence"
LINK = "https://soundcloud.com/owner-band/night-drive"
RSL = "{https://rslstandard.org/rsl}"
HEADERS = ("tdm-reservation", "tdm-policy", "Content-Usage", "X-Robots-Tag", "Link")
RSL_WORDS = {
    "all": "every use",
    "ai-all": "every AI use",
    "ai-train": "AI training",
    "ai-input": "AI input",
    "ai-index": "AI retrieval indexes",
    "search": "search indexing",
}


def choice(value: Value) -> PurposeChoice:
    return PurposeChoice(value, terms_url=TERMS) if value == V.LICENSE else PurposeChoice(value)


# Every value of every purpose, the others left unset; then the mixed choices of the user trial.
CASES = {f"{p.value}={v.value}": {p: v} for p in PURPOSES for v in V}
CASES |= {
    "genai-denied": {P.TRAIN_GENAI: V.DENY},
    "training-licence-input-denied": {P.TRAIN_AI: V.LICENSE, P.AI_INPUT: V.DENY},
    "licence-but-genai-denied": {P.TRAIN_AI: V.LICENSE, P.TRAIN_GENAI: V.DENY},
    "search-allowed-input-denied": {P.SEARCH: V.ALLOW, P.AI_INPUT: V.DENY},
    "all-allowed": {P.TDM: V.ALLOW, P.SEARCH: V.ALLOW},
    "training-allowed-genai-denied": {P.TRAIN_AI: V.ALLOW, P.TRAIN_GENAI: V.DENY},
}


class Panel:
    """The panel as an HTML parser reads it off the page."""

    def __init__(self, html: bytes):
        tree = lxml.html.fromstring(html)
        (self.section,) = tree.xpath("//section[h2[normalize-space()='What crawlers receive']]")

    def row(self, key: str):
        (row,) = self.section.xpath(f".//tr[@id='crawler-signal-{key}']")
        return row

    def says(self, key: str) -> str:
        return " ".join(self.row(key).xpath("./td[1]")[0].text_content().split())

    def lines(self, key: str) -> list[str]:
        return [code.text_content() for code in self.row(key).xpath(".//code")]

    def text(self) -> str:
        return " ".join(self.section.text_content().split())


def tokens_in(text: str, start: str, end: str) -> set[str]:
    match = re.search(re.escape(start) + r"(.+?)" + re.escape(end), text)
    return set(re.split(r", | and ", match.group(1))) if match else set()


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request, client, artist):
    choices = {p: choice(v) for p, v in CASES[request.param].items() if v != V.UNSET}
    track = register(artist, LINK, verified=True, choices=choices)
    page = client.get(f"/t/{track.public_id}/")
    assert page.status_code == 200
    return track, page, Panel(page.content)


def test_the_header_lines_in_the_panel_are_the_headers_of_the_page(case):
    _, page, panel = case
    sent = {f"{name}: {page[name]}" for name in HEADERS if name in page}
    shown = {
        line
        for key in ("tdmrep", "content-usage", "noai", "rsl")
        for line in panel.lines(key)
        if line.split(":", 1)[0] in HEADERS
    }
    assert shown == sent


def groups_of(text: str) -> dict[str, list[str]]:
    """Each group's lines by each of its user agents."""
    return {
        line.split(": ")[1]: block.splitlines()
        for block in text.split("\n\n")
        for line in block.splitlines()
        if line.startswith("User-agent: ")
    }


def can_fetch(text: str, url: str, token: str) -> bool:
    """RFC 9309 §2.2.1: a crawler obeys the group that names its own product token, else `*`.

    Protego alone also matches a token by prefix (Applebot-Extended would read Applebot's
    group), so it is handed only the group the crawler obeys.
    """
    groups = groups_of(text)
    lines = groups.get(token, groups.get("*", []))
    rules = [line for line in lines if not line.startswith("User-agent: ")]
    return Protego.parse("\n".join(["User-agent: *", *rules])).can_fetch(url, token)


def test_the_panel_names_exactly_the_crawlers_robots_txt_keeps_out(case, client):
    track, page, panel = case
    robots = client.get("/robots.txt").content.decode()
    host = client.get("/hosts/soundcloud.com/robots.txt").content.decode()
    page_url = f"{settings.SITE_URL}/t/{track.public_id}/"
    says = panel.says("robots")
    kept_out = tokens_in(says, "Keeps ", " out")
    licence = tokens_in(says, "lets ", " fetch, telling")
    usage = "Content-Usage: /owner-band/night-drive$ "
    groups = groups_of(host)
    for agent in ai_agents():
        # The registry's own file lets every crawler read the page, which carries the choice.
        assert can_fetch(robots, page_url, agent.token), agent.token
        blocked = not can_fetch(host, LINK, agent.token)
        assert (agent.token in kept_out) is blocked, agent.token
        if agent.token in licence:
            # Free to fetch (RSL: a licence never changes Allow/Disallow), told it is not free.
            assert not blocked, agent.token
            read = groups.get(agent.token, groups["*"])
            assert any(line.startswith(usage) and "=n" in line for line in read), agent.token
    shown = [line for line in panel.lines("robots") if line.startswith("Content-Usage:")]
    written = [line for line in host.splitlines() if line.startswith(usage)]
    assert set(shown) == set(written)
    assert f"/t/{track.public_id}/" not in robots


def test_the_panel_says_what_the_hosts_ai_txt_says(case, client):
    _, _, panel = case
    ai_txt = client.get("/hosts/soundcloud.com/ai.txt").content.decode()
    downloaders_kept_out = not Protego.parse(ai_txt).can_fetch(LINK, "img2dataset")
    assert bool(panel.lines("ai-txt")) is downloaders_kept_out
    assert ("told not to download" in panel.says("ai-txt")) is downloaders_kept_out
    for line in panel.lines("ai-txt"):
        assert line in ai_txt.splitlines()


def test_on_a_link_shared_with_a_stricter_track_the_ai_txt_sentence_follows_the_lines(
    client, artist, other_artist
):
    open_track = register(artist, LINK, verified=True, choices={P.TDM: choice(V.ALLOW)})
    register(other_artist, LINK, verified=True, choices={P.TRAIN_GENAI: choice(V.DENY)})

    panel = Panel(client.get(f"/t/{open_track.public_id}/").content)
    ai_txt = client.get("/hosts/soundcloud.com/ai.txt").content.decode()

    assert not Protego.parse(ai_txt).can_fetch(LINK, "img2dataset")
    assert panel.lines("ai-txt") and all(
        line in ai_txt.splitlines() for line in panel.lines("ai-txt")
    )
    assert "told not to download" in panel.says("ai-txt")
    assert "another track at the same address" in panel.says("ai-txt")


def test_the_panel_says_what_tdmrep_says_in_the_files_and_the_header(case, client):
    track, page, panel = case
    registry = json.loads(client.get("/.well-known/tdmrep.json").content)
    host = json.loads(client.get("/hosts/soundcloud.com/.well-known/tdmrep.json").content)
    assert registry == []  # TDMRep readers go on to the page's header
    link = [r for r in host if r["location"] == "/owner-band/night-drive$"]
    reservation = page.get("tdm-reservation")
    assert [str(r["tdm-reservation"]) for r in link] == ([reservation] if reservation else [])
    assert [f"tdmrep.json: {r['location']} → {r['tdm-reservation']}" for r in link] == [
        line for line in panel.lines("tdmrep") if line.startswith("tdmrep.json")
    ]
    words = panel.says("tdmrep")
    expected = {"1": "Reserved", "0": "Not reserved", None: "Nothing"}[reservation]
    assert words.startswith(expected)
    if "tdm-policy" in page:
        assert page["tdm-policy"] in words
        assert client.get(page["tdm-policy"].removeprefix(settings.SITE_URL)).status_code == 200


def rsl_tokens(xml: bytes, url: str) -> dict[str, str]:
    """Each usage token of one content: `free` or `paid`."""
    root = etree.fromstring(xml)
    found: dict[str, str] = {}
    for content in root.iter(f"{RSL}content"):
        if content.get("url") != url:
            continue
        for licence in content.iter(f"{RSL}license"):
            payment = licence.find(f"{RSL}payment")
            kind = "free" if payment is not None and payment.get("type") == "free" else "paid"
            for token in (licence.findtext(f"{RSL}permits") or "").split():
                found[token] = kind
    return found


def test_the_panel_says_what_the_rsl_licences_grant_and_offer(case, client):
    track, page, panel = case
    page_url = f"{settings.SITE_URL}/t/{track.public_id}/"
    grants = rsl_tokens(client.get(f"/licenses/{track.public_id}.xml").content, page_url)
    host = rsl_tokens(client.get("/hosts/soundcloud.com/rsl.xml").content, LINK + "$")
    assert host == grants
    words = panel.says("rsl").lower()
    free = [RSL_WORDS[t] for t, kind in grants.items() if kind == "free"]
    paid = [RSL_WORDS[t] for t, kind in grants.items() if kind == "paid"]
    assert ("free for" in words) is bool(free)
    assert ("for a fee for" in words) is bool(paid)
    for token_words in free + paid:
        assert token_words.lower() in words
    if not grants:
        assert words.startswith("nothing") or "not licensed" in words or "nobody named" in words
    assert ("link header points to it" in words) is ("Link" in page)


def test_the_panel_lists_the_cawg_entries_as_written(case, client):
    track, _, panel = case
    assertions = client.get(f"/t/{track.public_id}/cawg.json").json()["assertions"]
    entries = assertions[0]["data"]["entries"]
    assert panel.lines("cawg") == [f"{key}: {entry['use']}" for key, entry in entries.items()]


def test_the_purpose_rows_agree_with_the_tdmrep_header(case):
    _, page, panel = case
    body = page.content.decode()
    if page.get("tdm-reservation") == "1":
        tdm_row = body[
            body.index("<h3>Text and data mining</h3>") : body.index(
                "</li>", body.index("<h3>Text and data mining</h3>")
            )
        ]
        assert "no reservation is expressed" not in tdm_row
        assert ">No reservation<" not in tdm_row
        if "Not allowed" not in tdm_row and "Only under licence" not in tdm_row:
            assert "TDMRep still reserves it" in tdm_row
