"""An artist proves their profile page from a track's page, in a browser, against a real page
served on 127.0.0.1, and sees the claim verified there and on the dashboard; the pages stay
usable on a 375 px wide phone."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from consent.models import SequenceCounter
from consent.services import TrackData, register_track
from tests.conftest import make_artist
from tests.consent.proof_pages import PageServer, html

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site():
    with PageServer() as server:
        yield server


@pytest.fixture
def juniper(live_server, browser_page, client, settings, site):
    # Earlier transactional tests empty every table, the counter's one row included.
    SequenceCounter.objects.get_or_create(pk=1)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.0/8"]
    settings.PROOF_FETCH_TIMEOUT_SECONDS = 3
    artist = make_artist("Juniper Vale", "juniper-vale")
    track = register_track(
        artist,
        TrackData(
            title="Paper Lanterns",
            artist_credit="Juniper Vale",
            roles=["recording"],
            links=[site.url("/juniper-vale/paper-lanterns")],
        ),
    ).tracks[0]
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
    yield browser_page, track
    # While Playwright's event loop runs, Django opens a separate connection for this test;
    # left open, it would stop the test database from being dropped at the end of the run.
    connection.close()


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_artist_proves_their_profile_and_the_claim_is_verified(
    live_server, juniper, site, artifacts_dir
):
    page, track = juniper
    profile = site.url("/juniper-vale")
    page.goto(f"{live_server.url}/tracks/{track.public_id}/")
    proof_section = page.get_by_role("region", name="Proof that it is yours")
    expect(proof_section.get_by_text("Unverified", exact=True)).to_be_visible()
    expect(proof_section.get_by_role("heading", name="Verify this claim")).to_be_visible()

    # The suggestions name the stored, https form of the links; this test site speaks plain
    # http, so the artist types the profile's address, as an artist with such a site would.
    expect(
        proof_section.get_by_label(profile.replace("http://", "https://"), exact=True)
    ).to_be_visible()
    proof_section.get_by_label("Or type the address of the page").fill(profile)
    proof_section.get_by_role("button", name="Get a code").click()
    code = page.get_by_label("Your code for this page")
    expect(code).to_have_value(re.compile(r"^crv-[a-z0-9]{16}$"))
    token = code.input_value()

    # Checked before the code is on the page: the artist reads why it failed.
    site.pages["/juniper-vale"] = html("<p>Songs from the marsh.</p>")
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.get_by_text(f"The code {token} is not on {profile}")).to_have_count(2)

    site.pages["/juniper-vale"] = html(f"<p>Songs from the marsh. {token}</p>")
    page.get_by_role("button", name="Check", exact=True).click()

    expect(page.get_by_text(f"{profile} is proven by the code in the page's text")).to_be_visible()
    proof_section = page.get_by_role("region", name="Proof that it is yours")
    expect(proof_section.get_by_text("Verified", exact=True)).to_be_visible()
    expect(proof_section.get_by_text(re.compile(r"Verified \(link proof: "))).to_be_visible()
    expect(proof_section.get_by_role("link", name=profile)).to_be_visible()
    proof_section.screenshot(path=str(artifacts_dir / "track-claim-verified.png"))

    page.goto(live_server.url + "/dashboard/")
    row = page.get_by_role("row", name=re.compile("Paper Lanterns"))
    expect(row.get_by_text("Verified", exact=True)).to_be_visible()

    page.set_viewport_size({"width": 375, "height": 800})
    for path in (f"/tracks/{track.public_id}/", "/proofs/", "/dashboard/", "/c/juniper-vale/"):
        page.goto(live_server.url + path)
        assert fits(page), f"{path} is wider than a 375 px screen"
    page.goto(live_server.url + "/proofs/")
    expect(page.get_by_role("link", name=profile)).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "proofs-375px.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/tracks/{track.public_id}/")
    page.screenshot(path=str(artifacts_dir / "track-page-verified.png"))


def test_an_unproven_claim_shows_the_ways_to_publish_the_code_on_a_phone(
    live_server, juniper, site, artifacts_dir
):
    page, track = juniper
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{live_server.url}/tracks/{track.public_id}/")
    page.get_by_label("Or type the address of the page").fill(site.url("/juniper-vale"))
    page.get_by_role("button", name="Get a code").click()

    expect(page.get_by_text("In the page's text.")).to_be_visible()
    expect(page.get_by_text("In a meta tag")).to_be_visible()
    expect(page.get_by_text("In a file on your own website.")).to_be_visible()
    assert fits(page), "the verify panel is wider than a 375 px screen"
    panel = page.get_by_role("region", name="Proof that it is yours")
    panel.screenshot(path=str(artifacts_dir / "verify-panel-375px.png"))
