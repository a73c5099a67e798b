"""An artist opts out of AI training, opens "publish on your own site" and copies robots.txt."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect
from protego import Protego

from consent.models import SequenceCounter
from tests.conftest import make_artist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in_page(live_server, browser_page, client, settings):
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
    browser_page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=live_server.url
    )
    yield browser_page
    # While Playwright's event loop runs, Django opens a separate connection for this test;
    # left open, it would stop the test database from being dropped at the end of the run.
    connection.close()


def test_the_artist_copies_a_robots_txt_that_keeps_gptbot_out(
    live_server, signed_in_page, artifacts_dir
):
    page = signed_in_page
    page.goto(live_server.url + "/permissions/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("Opt out of all AI training", re.I)).click()
    expect(page).to_have_url(re.compile("/dashboard/$"))

    page.goto(live_server.url + "/publish/")
    expect(page.get_by_role("heading", name="Publish on your own site")).to_be_visible()
    robots = page.locator("#kit-robots")
    expect(robots).to_contain_text("User-agent: GPTBot")
    expect(robots).to_contain_text("Disallow: /")
    shown = robots.inner_text()
    assert not Protego.parse(shown).can_fetch("https://night-owls.example/song.mp3", "GPTBot")

    page.get_by_role("button", name="Copy robots.txt").click()
    # Found by its target: while it says "Copied" its accessible name is no longer "Copy …".
    button = page.locator('button[data-copy-target="kit-robots"]')
    expect(button).to_have_text("Copied")
    expect(page.get_by_role("status")).to_have_text("Copied to the clipboard.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.strip() == shown.strip()
    assert not Protego.parse(copied).can_fetch("https://night-owls.example/", "GPTBot")

    download = page.get_by_role("link", name="Download robots.txt")
    expect(download).to_have_attribute("href", "/c/night-owls/robots.txt")
    page.screenshot(path=str(artifacts_dir / "publish-page.png"), full_page=True)
