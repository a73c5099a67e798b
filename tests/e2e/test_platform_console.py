"""A platform applies, is approved, creates a key that is shown once, and revokes it."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect
from rest_framework.exceptions import AuthenticationFailed

from api.auth import authenticate_key
from consent.models import Platform
from consent.platforms import approve_platform
from tests.api.platform_helpers import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_platform_gets_a_key_once_and_revokes_it(live_server, browser_page, artifacts_dir):
    make_user("lead@acme.example")
    page = browser_page
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="For platforms").first.click()
    expect(page.get_by_role("heading", name="How access works")).to_be_visible()

    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Email").fill("lead@acme.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in|Sign in", re.I)).click()
    expect(page).to_have_url(re.compile("/platform/apply/$"))

    page.get_by_label("Organisation").fill("Acme AI")
    page.get_by_label("Website (optional)").fill("https://acme.example")
    page.get_by_label("Intended use").fill("We filter our training set by artists' choices.")
    page.screenshot(path=str(artifacts_dir / "platform-apply.png"), full_page=True)
    page.get_by_role("button", name="Send the application").click()
    expect(page.get_by_text("Waiting for approval", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Create the key")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "platform-waiting.png"), full_page=True)

    admin = get_user_model().objects.create_superuser("admin", "admin@registry.example", "x")
    approve_platform(Platform.objects.get(name="Acme AI"), admin)

    page.reload()
    page.get_by_label("Key name").fill("Production crawler")
    page.get_by_label("Manage webhooks").check()
    page.get_by_role("button", name="Create the key").click()
    expect(page.get_by_text("Copy the key now: it is shown only this once.")).to_be_visible()
    expect(page.get_by_role("button", name="Copy the key")).to_be_visible()
    secret = page.locator("#new-api-key").inner_text().strip()
    assert secret.startswith("crk_")
    page.screenshot(path=str(artifacts_dir / "platform-key-created.png"), full_page=True)

    page.get_by_role("link", name=re.compile("back to the console")).click()
    row = page.locator("tr", has_text="Production crawler")
    expect(row.get_by_text("Never")).to_be_visible()
    assert secret not in page.content()

    key = authenticate_key(secret)
    assert key.name == "Production crawler" and key.scopes == ["read", "webhooks"]
    page.reload()
    expect(row.get_by_text(key.display)).to_be_visible()
    expect(row.get_by_text("Just now")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke the key Production crawler").click()
    expect(
        page.get_by_text(re.compile("is revoked: requests made with it are refused"))
    ).to_be_visible()
    expect(page.get_by_text("No active keys.")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "platform-key-revoked.png"), full_page=True)
    with pytest.raises(AuthenticationFailed):
        authenticate_key(secret)
