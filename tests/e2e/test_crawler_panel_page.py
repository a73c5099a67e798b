"""The "What crawlers receive" panel, read in a browser by role and label, against the headers of
the same response and the files crawlers read; and the pages that show it pass WCAG 2.1 AA."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect
from protego import Protego

from consent.models import SequenceCounter
from consent.purposes import AI_OPT_OUT, Purpose, Value
from consent.services import PurposeChoice, declare
from consent.standards import ai_agents
from tests.conftest import make_artist
from tests.e2e.accessibility import assert_accessible
from tests.factories import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

P, V = Purpose, Value
TERMS = "https://night-owls.example/licence"
LINK = "https://soundcloud.com/night-owls/night-drive"
HEADERS = ("tdm-reservation", "tdm-policy", "content-usage", "x-robots-tag", "link")
CASES = {
    "training-denied": {P.TRAIN_GENAI: PurposeChoice(V.DENY)},
    "training-licence-input-denied": {
        P.TRAIN_AI: PurposeChoice(V.LICENSE, terms_url=TERMS),
        P.AI_INPUT: PurposeChoice(V.DENY),
    },
    "training-licence": {P.TRAIN_AI: PurposeChoice(V.LICENSE, terms_url=TERMS)},
    "everything-allowed": {P.TDM: PurposeChoice(V.ALLOW), P.SEARCH: PurposeChoice(V.ALLOW)},
    "nothing-chosen": {},
}


@pytest.fixture
def artist_page(live_server, browser_page, client, settings):
    # Earlier transactional tests empty every table, the counter's one row included.
    SequenceCounter.objects.get_or_create(pk=1)
    artist = make_artist("Night Owls", "night-owls")
    client.force_login(artist.user)
    browser_page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    yield browser_page, artist
    # Playwright's loop made Django open a connection for this test; close it so the test
    # database can be dropped.
    connection.close()


def signal_row(panel, name: str):
    return panel.get_by_role("row", name=re.compile("^" + re.escape(name)))


HEADER_ROWS = ("TDMRep", "Content-Usage", "noai", "RSL licence")


def sent_lines(panel, rows=HEADER_ROWS) -> set[str]:
    """The lines the panel says are sent, from the "Exactly as sent" column of `rows`."""
    return {
        text.strip()
        for name in rows
        for text in signal_row(panel, name).locator("code").all_inner_texts()
    }


@pytest.mark.parametrize("case", list(CASES))
def test_the_panel_states_what_the_response_and_the_files_say(live_server, artist_page, case):
    page, artist = artist_page
    track = register(artist, LINK, verified=True, choices=CASES[case])
    url = f"{live_server.url}/t/{track.public_id}/"

    response = page.goto(url)
    panel = page.get_by_role("region", name="What crawlers receive")
    expect(panel).to_be_visible()
    headers = response.headers

    # Every header the response carries is in the panel as sent, and nothing else is.
    shown = {line for line in sent_lines(panel) if line.split(":")[0].lower() in HEADERS}
    assert {line.split(":", 1)[0].lower() for line in shown} == {
        name for name in HEADERS if name in headers
    }
    for line in shown:
        name, value = line.split(": ", 1)
        assert headers[name.lower()] == value

    tdmrep = signal_row(panel, "TDMRep")
    expected = {"1": "Reserved", "0": "Not reserved"}.get(headers.get("tdm-reservation"), "Nothing")
    expect(tdmrep.get_by_role("cell").first).to_contain_text(expected)

    # The crawlers the panel says are kept out are exactly those the host's robots.txt keeps out
    # of the track's link; the registry's own file lets every crawler read the page.
    robots = Protego.parse(page.request.get(f"{live_server.url}/robots.txt").text())
    host = Protego.parse(
        page.request.get(f"{live_server.url}/hosts/soundcloud.com/robots.txt").text()
    )
    says = signal_row(panel, "robots.txt").get_by_role("cell").first.inner_text()
    match = re.search(r"Keeps (.+?) out", says)
    kept_out = set(re.split(r", | and ", match.group(1))) if match else set()
    own_groups = {a.token for a in ai_agents()}
    for agent in ai_agents():
        if "-" in agent.token and agent.token.split("-")[0] in own_groups:
            continue  # Protego reads a missing group by prefix; the unit tests cover these.
        assert robots.can_fetch(url, agent.token), agent.token
        assert host.can_fetch(LINK, agent.token) is (agent.token not in kept_out), agent.token

    ai_txt = Protego.parse(
        page.request.get(f"{live_server.url}/hosts/soundcloud.com/ai.txt").text()
    )
    told = "told not to download" in signal_row(panel, "ai.txt").inner_text()
    assert told is not ai_txt.can_fetch(LINK, "img2dataset")

    assert_accessible(page)


def test_the_public_row_explains_a_reservation_wider_than_the_choice(
    live_server, artist_page, artifacts_dir
):
    page, artist = artist_page
    track = register(artist, verified=True, choices=CASES["training-denied"])

    response = page.goto(f"{live_server.url}/t/{track.public_id}/")

    assert response.headers["tdm-reservation"] == "1"
    tdm = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="Text and data mining", exact=True)
    )
    expect(tdm).to_contain_text("No choice made")
    expect(tdm).to_contain_text("TDMRep still reserves it (tdm-reservation: 1)")
    expect(tdm).not_to_contain_text("no reservation is expressed")
    page.screenshot(path=str(artifacts_dir / "public-track-crawlers.png"), full_page=True)


def test_the_artists_track_page_shows_the_panel_and_is_accessible(live_server, artist_page):
    page, artist = artist_page
    track = register(artist, LINK, verified=True, choices=CASES["training-licence"])

    response = page.goto(f"{live_server.url}/tracks/{track.public_id}/")

    assert response.status == 200
    panel = page.get_by_role("region", name="What crawlers receive")
    expect(panel).to_be_visible()
    public = page.request.get(f"{live_server.url}/t/{track.public_id}/")
    policy_line = f"tdm-policy: {public.headers['tdm-policy']}"
    assert policy_line in sent_lines(panel)
    expect(signal_row(panel, "TDMRep")).to_contain_text("A licence offer is at")
    assert_accessible(page)


def test_the_publish_page_with_tracks_is_accessible(live_server, artist_page, artifacts_dir):
    page, artist = artist_page
    declare(artist, {p: PurposeChoice(V.DENY) for p in AI_OPT_OUT})
    register(artist, LINK, verified=True)
    register(artist, title="Open", verified=True, choices={P.TDM: PurposeChoice(V.ALLOW)})

    page.goto(f"{live_server.url}/publish/")

    summary = page.get_by_role("region", name="What crawlers will receive from your site")
    expect(summary).to_contain_text("Blocked from your whole site")
    expect(page.get_by_role("link", name="Open")).to_be_visible()
    robots = page.get_by_role("region", name="robots.txt, the file's text")
    robots.focus()
    expect(robots).to_be_focused()
    assert_accessible(page)
    page.screenshot(path=str(artifacts_dir / "publish-summary.png"), full_page=True)
