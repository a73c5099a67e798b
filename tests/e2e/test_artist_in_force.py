"""What the artist's own pages say is in force, in a browser: after the one-click opt-out and a
broader choice on one track, the track page names that choice as the source of the narrower
purpose's value, the catalogue page states the rule that gives it, and the dashboard shows the
opt-out in force, finds the tracks with choices of their own, and fits a 375 px wide phone."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from consent.models import Declaration, SequenceCounter
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare
from tests.conftest import make_artist
from tests.e2e.accessibility import assert_accessible
from tests.factories import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def signed_in(live_server, browser_page, client, settings):
    """A signed-in artist (claims verified) and the browser page, with `visit(path)`."""
    # Earlier transactional tests empty every table, the counter's one row included.
    SequenceCounter.objects.get_or_create(pk=1)
    artist = make_artist("Harbour Lights", "harbour-lights")
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
    browser_page.on("dialog", lambda dialog: dialog.accept())

    def visit(path: str) -> None:
        browser_page.goto(live_server.url + path)

    yield artist, browser_page, visit
    # While Playwright's event loop runs, Django opens a separate connection for this test;
    # left open, it would stop the test database from being dropped at the end of the run.
    connection.close()


def check_accessible(page) -> None:
    """assert_accessible on the page as it is, with the one-time message of the last save."""
    assert_accessible(page)


def choice(page, purpose: str, value):
    """One radio button of a purpose's group on a choices form."""
    return page.get_by_role("group", name=purpose, exact=True).get_by_role("radio", name=value)


def test_a_broader_choice_on_a_track_beats_the_catalogue_opt_out_and_says_so(
    signed_in, artifacts_dir
):
    artist, page, visit = signed_in
    register(artist, title="Night Drive", isrc="GBAYE2600001", verified=True)

    visit("/dashboard/")
    page.get_by_role("button", name="Opt out of all AI training").click()
    expect(page.get_by_role("status")).to_contain_text("Done: training any AI model")

    page.get_by_role("link", name="Night Drive").first.click()
    choice(page, "Training any AI model", "Only under licence").check()
    page.get_by_label("Licensing contact email").fill("licensing@harbour.example")
    page.get_by_role("button", name="Save choices for this track").click()
    expect(page.get_by_role("status")).to_contain_text(
        "training any AI model is now Only under licence"
    )

    # What is in force: the track's broader choice, not the catalogue's narrower one.
    in_force = page.get_by_role("region", name="What is in force now")
    genai = in_force.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Training generative AI")
    )
    expect(genai).to_contain_text("Only under licence")
    expect(genai).to_contain_text("This track's broader choice “Training any AI model”")
    expect(genai).not_to_contain_text("Not allowed")

    # The form's "Inherit" for generative AI training says the same, and is the one chosen.
    inherit = choice(
        page,
        "Training generative AI",
        "Inherit: Only under licence (from this track's broader choice “Training any AI model”)",
    )
    expect(inherit).to_be_checked()
    expect(page.get_by_text("Inherit from catalogue")).to_have_count(0)
    # The purpose chosen here says what inheriting would give back: the catalogue's opt-out.
    expect(
        choice(page, "Training any AI model", "Inherit: would be Not allowed (from your catalogue)")
    ).not_to_be_checked()
    page.screenshot(path=str(artifacts_dir / "track-broader-choice.png"), full_page=True)
    check_accessible(page)

    visit("/permissions/")
    rule = page.get_by_role("region", name="How choices combine")
    expect(rule).to_contain_text(
        "any choice you make on a track, even for a broader purpose, comes before every "
        "catalogue choice"
    )
    expect(rule).to_contain_text(
        "On that track, training generative AI is “Only under licence”: the value comes from "
        "this track's broader choice “Training any AI model”"
    )
    expect(page.get_by_text("A narrower choice always wins")).to_have_count(0)
    expect(page.get_by_role("region", name="Opt out of all AI training")).to_contain_text(
        "Opted out"
    )
    expect(rule.get_by_role("link", name="review it on your dashboard")).to_be_visible()
    assert_accessible(page)


def test_the_dashboard_on_a_phone_shows_the_opt_out_in_force_and_the_tracks_that_differ(
    signed_in, artifacts_dir
):
    artist, page, visit = signed_in
    tracks = register(artist, title="Song {n}", isrc="GBAYE26{n:05d}", count=4, verified=True)
    declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}, track=tracks[1])
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)}, track=tracks[3])
    # Set and then given back to the catalogue: no choice of its own any more.
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.DENY)}, track=tracks[2])
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.UNSET)}, track=tracks[2])

    page.set_viewport_size(PHONE)
    visit("/dashboard/")
    card = page.get_by_role("region", name="Opt out of all AI training")
    expect(card).to_contain_text("Not opted out")
    assert_accessible(page)

    card.get_by_role("button", name="Opt out of all AI training").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("3 of your 4 tracks now deny all three.")
    opted_out_at = Declaration.objects.filter(creator=artist, track=None).latest("id").declared_at

    card = page.get_by_role("region", name="Opt out of all AI training")
    expect(card).to_contain_text("Opted out")
    expect(card).to_contain_text(
        f"In force since {opted_out_at:%-d %B %Y, %H:%M} UTC: training any AI model, training "
        "generative AI and AI input (RAG, grounding) are Not allowed for your whole catalogue"
    )
    expect(card.get_by_role("button", name="Opt out of all AI training")).to_have_count(0)
    expect(card).to_contain_text("2 tracks have choices of their own")

    # Every AI purpose is on each card, labelled, without scrolling sideways.
    tracks_table = page.get_by_role("table", name="Your tracks")
    first = tracks_table.get_by_role("row").filter(has_text="Song 0")
    for label in ("Training any AI model", "Training generative AI", "AI input (RAG, grounding)"):
        expect(first.get_by_text(label, exact=True)).to_be_visible()
    expect(first.get_by_text("Not allowed")).to_have_count(3)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts_dir / "dashboard-phone-opted-out.png"), full_page=True)

    # The message's link is the own-choices filter, which finds exactly the overridden tracks.
    status.get_by_role("link", name="show the tracks with choices of their own").click()
    expect(page.get_by_label("Only tracks with their own choices")).to_be_checked()
    found = page.get_by_role("table", name="Your tracks").get_by_role(
        "link", name=re.compile("^Song")
    )
    expect(found).to_have_text(["Song 1", "Song 3"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    check_accessible(page)

    # The same filter, set by hand from the full list, finds the same tracks.
    visit("/dashboard/")
    page.get_by_label("Only tracks with their own choices").check()
    page.get_by_role("button", name="Filter").click()
    expect(found).to_have_text(["Song 1", "Song 3"])

    page.set_viewport_size(DESKTOP)
    visit("/dashboard/")
    header = page.get_by_role("columnheader", name="Covered by “Opt out of all AI training”")
    expect(header).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.screenshot(path=str(artifacts_dir / "dashboard-desktop-opted-out.png"), full_page=True)
    assert_accessible(page)
