"""An artist's receipt, in a browser: the artist logs in, opts out of AI training, downloads the
receipt of one of those choices from the history page, and the standalone verifier
(verifier/consent_verify.py, in its own process) accepts it with the log's verifier key; the
printable receipt shows the same entry number and root hash, and prints without the site's
header and footer."""

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from playwright.sync_api import expect

from consent.models import SequenceCounter
from consent.transparency import keys
from tests.conftest import make_artist
from tests.e2e.accessibility import assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.subprocess, pytest.mark.django_db(transaction=True)]

VERIFIER = Path(__file__).resolve().parents[2] / "verifier" / "consent_verify.py"
PASSWORD = "correct horse battery staple"  # make_artist's


@pytest.fixture
def artist_page(live_server, browser_page):
    SequenceCounter.objects.get_or_create(pk=1)  # a transactional test's flush removes it
    artist = make_artist("Harbour Lights", "harbour-lights")
    yield artist, browser_page
    connection.close()


def test_an_artist_downloads_a_receipt_that_the_standalone_verifier_accepts(
    artist_page, live_server, tmp_path, artifacts_dir
):
    artist, page = artist_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Email").fill(artist.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page).to_have_url(re.compile("/dashboard/|/$"))

    page.goto(live_server.url + "/dashboard/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Opt out of all AI training").first.click()
    expect(page.get_by_role("status")).to_contain_text("Done")

    page.goto(live_server.url + "/history/")
    expect(page.get_by_role("heading", name="History of your choices")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "history-receipts.png"), full_page=True)
    download_link = page.get_by_role("link", name=re.compile("Download receipt \\(JSON\\)")).first
    with page.expect_download() as downloaded:
        download_link.click()
    download = downloaded.value
    assert re.fullmatch(r"declaration-[0-9]+-receipt\.json", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    receipt = json.loads(saved.read_text())
    assert receipt["type"] == "declaration-receipt"
    assert receipt["entry"]["record"]["creator"] == str(artist.public_id)

    result = subprocess.run(
        [
            sys.executable,
            str(VERIFIER),
            "declaration",
            str(saved),
            "--key",
            keys.verifier().to_string(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        f"OK: declaration {receipt['entry']['record']['declaration']} is entry "
        f"{receipt['entry']['index']}"
    )
    assert result.stderr == ""

    # The printable receipt of the same declaration says the same numbers.
    page.get_by_role("link", name=re.compile("Printable receipt")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        f"Receipt for declaration {receipt['entry']['record']['declaration']}"
    )
    root = receipt["checkpoint"].split("\n")[2]
    assert base64.b64decode(root)  # the checkpoint's third line is its root hash
    expect(page.locator("#entry-index")).to_have_text(str(receipt["entry"]["index"]))
    expect(page.locator("#root-hash")).to_have_text(root)
    expect(page.locator("#tree-size")).to_contain_text(str(receipt["inclusion"]["tree_size"]))
    expect(page.locator("#verifier-key")).to_have_text(keys.verifier().to_string())
    expect(page.get_by_text("python consent_verify.py declaration")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "printable-receipt.png"), full_page=True)
    assert_accessible(page)

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.locator("#root-hash")).to_be_visible()
    page.pdf(path=str(artifacts_dir / "printable-receipt.pdf"))
