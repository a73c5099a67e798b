"""A label changes choices in bulk in a real browser: export the catalogue, edit the sheet,
import it in update mode, check the preview, confirm, and find the new choices on the tracks."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from consent.models import SequenceCounter
from consent.purposes import Purpose, PurposeChoice, Value
from tests.conftest import make_artist
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import browser_page, chromium_path  # noqa: F401 (fixtures)
from tests.factories import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_in_page(live_server, browser_page, client, settings):  # noqa: F811
    settings.STORAGES = settings.STORAGES | {
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    }
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
    yield browser_page, artist
    connection.close()


def edit(text: str, changes: dict[str, dict[str, str]]) -> bytes:
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    for row in rows:
        row.update(changes.get(row["title"], {}))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("cp1252")  # saved by Excel on a European Windows


def test_the_catalogue_is_exported_edited_previewed_and_updated(signed_in_page, live_server):
    page, artist = signed_in_page
    deny = PurposeChoice(Value.DENY)
    register(artist, title="Night Drive", isrc="QZES52400001", choices={Purpose.TRAIN_AI: deny})
    cafe = register(artist, title="Café Noir", isrc="QZES52400002")
    register(artist, title="Harbour Lights", isrc="QZES52400003")

    page.goto(live_server.url + "/import/")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export my catalogue (CSV)").first.click()
    assert re.fullmatch(
        r"catalogue-owner-band-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename
    )
    exported = Path(download.value.path()).read_text(encoding="utf-8")

    sheet = edit(
        exported,
        {
            "Night Drive": {"train-ai": "", "search": "deny"},
            "Café Noir": {"train-genai": "deny", "ai-input": "deny"},
        },
    )
    page.get_by_label("Update my tracks (from an exported sheet), with a preview first").check()
    page.get_by_label("Catalogue file (CSV)").set_input_files(
        {"name": "catalogue.csv", "mimeType": "text/csv", "buffer": sheet}
    )
    page.get_by_role("button", name="Check the file").click()

    heading = page.get_by_role("heading", name="Check the changes before they are made")
    expect(heading).to_be_focused()
    expect(page.get_by_text("Read as Windows-1252 (Excel)")).to_be_visible()
    changed = page.get_by_role("table", name=re.compile("Tracks whose choices change"))
    expect(changed).to_contain_text("2 tracks, 4 choices")
    night_rows = changed.get_by_role("rowgroup").filter(has_text="Night Drive").get_by_role("row")
    expect(night_rows.nth(0)).to_contain_text(
        re.compile(r"Training any AI model\s*Not allowed\s*Inherit from catalogue")
    )
    expect(night_rows.nth(1)).to_contain_text(
        re.compile(r"Search indexing.*\s*Inherit from catalogue\s*Not allowed")
    )
    expect(changed).to_contain_text("Café Noir")
    page.get_by_text("Lines with no change (1)").click()
    expect(page.get_by_role("link", name="Harbour Lights")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Confirm and apply these changes").click()
    expect(page.get_by_role("heading", name="Your tracks are updated")).to_be_visible()
    expect(
        page.get_by_text("Changed 4 choices on 2 tracks; 1 track had no change.")
    ).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Night Drive").click()
    training = page.get_by_role("group", name="Training any AI model")
    expect(training.get_by_label(re.compile("^Inherit"))).to_be_checked()
    expect(
        page.get_by_role("group", name=re.compile("^Search indexing")).get_by_label("Not allowed")
    ).to_be_checked()
    page.goto(f"{live_server.url}/tracks/{cafe.public_id}/")
    for purpose in ("Training generative AI", re.compile("^AI input")):
        group = page.get_by_role("group", name=purpose)
        expect(group.get_by_label("Not allowed")).to_be_checked()
