"""An artist signs up, verifies their email, registers a track and opts out of AI training."""

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "new.artist@example.org"
PASSWORD = "a long and unusual passphrase 42"


def confirmation_link() -> str:
    assert mail.outbox, "no verification email was sent"
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def test_an_artist_opts_a_new_track_out_of_ai_training(live_server, browser_page, artifacts_dir):
    page = browser_page
    page.goto(live_server.url + "/accounts/signup/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile("Password \\(again\\)|Confirm password|Password again")).fill(
        PASSWORD
    )
    page.get_by_role("button", name=re.compile("Create account|Sign up", re.I)).click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    # Nobody gets in before the address is proven.
    page.goto(live_server.url + "/dashboard/")
    expect(page).to_have_url(re.compile("/accounts/login/"))

    # Emails carry https links (production settings); the live server speaks plain http.
    page.goto(live_server.url + urlsplit(confirmation_link()).path)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()

    # First visit: the creator profile.
    page.goto(live_server.url + "/profile/")
    page.get_by_label("Artist name").fill("Night <b>Owls</b>")
    page.get_by_label("Handle").fill("night-owls")
    page.get_by_role("button", name=re.compile("Save", re.I)).click()

    page.goto(live_server.url + "/tracks/new/")
    page.get_by_label("Title").fill("Moonlit <i>Freeway</i>")
    page.get_by_label("ISRC").fill("us-rc1-76-07839")
    page.get_by_label("Links").fill("https://www.soundcloud.com/night-owls/moonlit-freeway/")
    page.get_by_role("button", name=re.compile("Register", re.I)).click()
    expect(page.get_by_text("US-RC1-76-07839").first).to_be_visible()

    page.goto(live_server.url + "/dashboard/")
    row = page.locator("tr", has_text="Moonlit <i>Freeway</i>")
    expect(row).to_be_visible()
    expect(row.get_by_text("Not allowed")).to_have_count(0)

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("Opt out of all AI training", re.I)).first.click()
    row = page.locator("tr", has_text="Moonlit <i>Freeway</i>")
    expect(row.get_by_text("Not allowed")).to_have_count(3)
    page.screenshot(path=str(artifacts_dir / "dashboard-after-opt-out.png"), full_page=True)

    row.get_by_role("link", name=re.compile("Moonlit")).first.click()
    page.get_by_role("link", name=re.compile("public page", re.I)).first.click()
    expect(page).to_have_url(re.compile(r"/t/[0-9a-f-]{36}/$"))
    denied = ("Training any AI model", "Training generative AI", "AI input (RAG, grounding)")
    for label in denied:
        section = page.locator(".purpose-list > li", has=page.get_by_role("heading", name=label))
        expect(section.locator(".badge-deny")).to_have_text(re.compile("Not allowed"))
    for label in ("Text and data mining", "Search indexing"):
        section = page.locator(".purpose-list > li", has=page.get_by_role("heading", name=label))
        expect(section.locator(".badge-unset")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "public-track-page.png"), full_page=True)
