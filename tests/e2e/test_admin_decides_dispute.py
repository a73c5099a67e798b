"""A reviewer signs in to the admin (password, then authenticator code), opens a contested
track's dispute and rejects the contest by upholding the contested claim, after a preview."""

import importlib
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from consent.contests import contest_claim
from consent.services import opt_out_of_ai_training
from tests.conftest import give_second_factor, make_artist, totp_code
from tests.disputes_helpers import claim_of, owned_track
from tests.e2e.accessibility import assert_accessible

reviewer_group = importlib.import_module("consent.migrations.0005_reviewer_group")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long reviewer passphrase 42"


def test_a_reviewer_rejects_a_contest_and_the_public_page_follows(
    live_server, browser_page, artifacts_dir
):
    owner = make_artist("Owner Band", "owner-band")
    contester = make_artist("Someone Else", "someone-else")
    track = owned_track(owner)
    opt_out_of_ai_training(contester)
    contest_claim(contester, claim_of(owner, track), "I own this recording", "It is mine.")
    reviewer = get_user_model().objects.create_user(
        username="reviewer", email="reviewer@example.org", password=PASSWORD, is_staff=True
    )
    # The group comes from a migration, which a transactional test's flush removes: recreate it
    # with the migration's own permission list, so the browser exercises the real group.
    group, _ = Group.objects.get_or_create(name=reviewer_group.GROUP)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="consent", codename__in=reviewer_group.PERMISSIONS
        )
    )
    reviewer.groups.add(group)
    EmailAddress.objects.create(user=reviewer, email=reviewer.email, verified=True, primary=True)
    secret = give_second_factor(reviewer)

    page = browser_page
    section = page.locator(
        ".purpose-list > li", has=page.get_by_role("heading", name="Training any AI model")
    )
    page.goto(live_server.url + track.get_absolute_url())
    expect(section.locator(".badge-deny")).to_be_visible()

    # The admin has no login form of its own: it sends the reviewer to the site's login, which
    # asks for the authenticator code after the password and then returns to the admin.
    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=%2Fadmin%2F$"))
    page.get_by_label("Email").fill("reviewer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(secret))
    page.screenshot(path=str(artifacts_dir / "admin-login-code.png"), full_page=True)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page).to_have_url(re.compile("/admin/$"))
    page.get_by_role("link", name="Disputes").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Night Drive (recording)").click()
    expect(page.get_by_text("Someone Else (contester)")).to_be_visible()
    expect(page.get_by_text("It is mine.")).to_be_visible()

    assert_accessible(page)

    # Rejecting the contest is upholding the contested claim: one button, previewed first.
    page.get_by_label("Uphold the claim of Owner Band (rejects the contest)").fill(
        "The contester sent no evidence of ownership."
    )
    page.get_by_role("button", name="Preview: uphold Owner Band").click()
    effect = page.get_by_role("row", name=re.compile("Training any AI model"))
    expect(effect).to_contain_text("Not allowed → Allowed")
    assert_accessible(page)
    page.get_by_role("button", name="Confirm the decision").click()
    expect(page.get_by_text("The dispute is decided.")).to_be_visible()
    expect(page.get_by_text("One claim upheld")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "admin-dispute-decided.png"), full_page=True)

    page.goto(live_server.url + track.get_absolute_url())
    expect(section.locator(".badge-allow")).to_be_visible()
    expect(page.get_by_text("The ownership of this track is disputed.")).to_have_count(0)
    page.screenshot(path=str(artifacts_dir / "public-track-after-decision.png"), full_page=True)
