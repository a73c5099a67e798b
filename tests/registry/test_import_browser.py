"""The import page in a real browser: the upload script's progress, errors and redirect."""

import re

import pytest
from django.db import connection
from playwright.sync_api import expect

from consent.models import Claim, SequenceCounter, Track
from tests.conftest import make_artist
from tests.e2e.conftest import browser_page, chromium_path  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ISRC = "US-RC1-76-07839"


@pytest.fixture
def signed_in_page(live_server, browser_page, client, settings):  # noqa: F811
    # The live server finds static files by their source names, not the hashed names of the
    # manifest storage, so without this the page would run without its script.
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
    # Earlier transactional tests empty every table, the counter's one row included.
    SequenceCounter.objects.get_or_create(pk=1)
    artist = make_artist("Owner Band", "owner-band")
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
    browser_page.goto(live_server.url + "/import/")
    yield browser_page, artist
    # While Playwright's event loop runs, Django opens a separate connection for this test;
    # left open, it would stop the test database from being dropped at the end of the run.
    connection.close()


def choose_file(page, *lines: str) -> None:
    page.get_by_label("Catalogue file (CSV)").set_input_files(
        {
            "name": "catalogue.csv",
            "mimeType": "text/csv",
            "buffer": ("\n".join(lines) + "\n").encode(),
        }
    )


def test_a_valid_file_is_uploaded_and_the_dashboard_shows_the_summary(signed_in_page):
    page, artist = signed_in_page
    lines = [f"Song {n},QZES52400{n:03d},deny" for n in range(500)]
    choose_file(page, "title,isrc,train-ai", *lines)
    page.get_by_role("button", name="Check the file").click()
    expect(page).to_have_url(re.compile("/dashboard/$"))
    expect(
        page.get_by_text("Imported 500 tracks (500 new claims, 0 disputes opened).")
    ).to_be_visible()
    assert Claim.objects.filter(creator=artist).count() == 500


def test_a_file_with_errors_is_listed_in_place_and_nothing_is_imported(signed_in_page):
    page, _ = signed_in_page
    # Record every status the page announces while the request is under way.
    page.evaluate(
        """() => {
          const status = document.querySelector("[data-import-status]");
          window.statuses = [];
          new MutationObserver(() => window.statuses.push(status.textContent))
            .observe(status, {childList: true, characterData: true, subtree: true});
        }"""
    )
    choose_file(page, "title,isrc", f"Good,{ISRC}", "<b>Bad</b>,not-an-isrc")
    page.get_by_role("button", name="Check the file").click()
    summary = page.locator("#import-errors")
    expect(summary).to_contain_text("Nothing was imported: 1 problem")
    expect(summary).to_be_focused()
    row = summary.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("3")
    expect(row).to_contain_text("“not-an-isrc” is not a valid ISRC")
    assert Track.objects.count() == 0
    statuses = page.evaluate("window.statuses")
    assert statuses[0] == "Uploading catalogue.csv…"
    assert "Validating and importing 2 rows…" in statuses

    # The replaced form still uploads through the script.
    choose_file(page, "title,isrc", f"Good,{ISRC}")
    page.get_by_role("button", name="Check the file").click()
    expect(page).to_have_url(re.compile("/dashboard/$"))


def test_a_file_over_the_limit_is_refused_before_it_is_uploaded(
    signed_in_page, live_server, settings
):
    page, _ = signed_in_page
    settings.IMPORT_MAX_BYTES = 20
    page.reload()
    choose_file(page, "title,isrc", f"A title long enough,{ISRC}")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("larger than the")
    expect(page).to_have_url(live_server.url + "/import/")
    assert Track.objects.count() == 0
