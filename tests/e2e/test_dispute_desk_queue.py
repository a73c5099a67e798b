"""A reviewer works a queue of fifty disputes: the needs-action view, search by the ISRC as pages
print it and by a party's name, a request for information to one party (the other party's
answer does not bring the case back, the asked party's does), assignment, and a decision
previewed and confirmed. The asked and the unasked party use their dispute page."""

import importlib
import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from consent.contests import add_evidence
from consent.models import Claim, Dispute
from consent.services import opt_out_of_ai_training
from tests.conftest import give_second_factor, totp_code
from tests.disputes_helpers import real_pdf, real_png, seed_queue, upload
from tests.e2e.accessibility import assert_accessible

reviewer_group = importlib.import_module("consent.migrations.0005_reviewer_group")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long reviewer passphrase 42"
ARTIST_PASSWORD = "correct horse battery staple"


def make_reviewer() -> str:
    reviewer = get_user_model().objects.create_user(
        username="reviewer", email="reviewer@example.org", password=PASSWORD, is_staff=True
    )
    group, _ = Group.objects.get_or_create(name=reviewer_group.GROUP)
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="consent", codename__in=reviewer_group.PERMISSIONS
        )
    )
    reviewer.groups.add(group)
    EmailAddress.objects.create(user=reviewer, email=reviewer.email, verified=True, primary=True)
    return give_second_factor(reviewer)


def log_in(page, url: str, email: str, password: str, secret: str = "") -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    if secret:
        page.get_by_label("Code").fill(totp_code(secret))
        page.get_by_role("button", name=re.compile("Log in", re.I)).click()


def test_a_reviewer_works_a_queue_of_fifty(live_server, browser_page, artifacts_dir, private_media):
    queue = seed_queue(50)
    dispute = next(d for d in queue if d.track.title == "Track 17")
    owner = dispute.contested_claim.creator
    contester = dispute.contester_claim.creator
    opt_out_of_ai_training(contester)  # their denial counts while the dispute is open
    add_evidence(
        contester,
        dispute,
        files=[upload("studio.png", real_png()), upload("contract.pdf", real_pdf(pages=2))],
    )
    secret = make_reviewer()
    page = browser_page

    log_in(page, live_server.url + "/admin/", "reviewer@example.org", PASSWORD, secret)
    expect(page).to_have_url(re.compile("/admin/$"))
    page.get_by_role("link", name="Disputes").first.click()

    # The needs-action view is the default: fifty new cases, oldest first.
    expect(page.get_by_role("link", name="Needs action")).to_be_visible()
    expect(page.get_by_text("50 disputes")).to_be_visible()
    expect(
        page.get_by_role("columnheader", name=re.compile("opener's other open", re.I))
    ).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "desk-queue.png"), full_page=True)
    assert_accessible(page)

    search = page.get_by_role("textbox", name="Search")
    search.fill("DE-A4K-23-00417")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Track 17 (recording)")).to_be_visible()
    expect(page.get_by_text("1 result")).to_be_visible()

    search.fill(contester.artist_name)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("5 results")).to_be_visible()

    # Assign, then ask the contester (only) for information.
    page.get_by_role("link", name="Track 17 (recording)").click()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_text("The case is assigned to you.")).to_be_visible()
    expect(page.get_by_role("img", name="Evidence: studio.png")).to_be_visible()
    for number in (1, 2):
        drawn = page.get_by_role("img", name=f"Evidence: contract.pdf, page {number} of 2")
        expect(drawn).to_be_visible()
        drawn.scroll_into_view_if_needed()
        expect(drawn).to_have_js_property("complete", True)
        assert drawn.evaluate("img => img.naturalWidth") == 1000
    assert (
        page.get_by_role("img", name="Evidence: studio.png").evaluate("img => img.naturalWidth")
        == 40
    )
    page.screenshot(path=str(artifacts_dir / "desk-review.png"), full_page=True)
    assert_accessible(page)
    page.get_by_label("Ask").select_option(label=contester.artist_name)
    page.get_by_label("Message to the party").fill("Send the session files you mention.")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text(f"{contester.artist_name} is asked for information.")).to_be_visible()
    review_url = page.url

    # The owner was not asked: their statement leaves the case waiting.
    party = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    party_page = party.new_page()
    log_in(party_page, live_server.url + "/accounts/login/", owner.user.email, ARTIST_PASSWORD)
    party_page.goto(live_server.url + dispute.get_absolute_url())
    expect(
        party_page.get_by_text("The reviewer asked another party for information.")
    ).to_be_visible()
    assert_accessible(party_page)
    party_page.get_by_role("textbox", name=re.compile("^Add a statement")).fill(
        "The contester has no session files."
    )
    party_page.get_by_role("button", name="Add statement").click()
    expect(party_page.get_by_text("Your statement is added to the dispute.")).to_be_visible()
    party.close()

    page.goto(live_server.url + "/admin/consent/dispute/?q=DE-A4K-23-00417")
    expect(page.get_by_text("0 results")).to_be_visible()
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.INFO_REQUESTED

    # The contester answers on their page: the case is back in the queue.
    asked = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    asked_page = asked.new_page()
    log_in(asked_page, live_server.url + "/accounts/login/", contester.user.email, ARTIST_PASSWORD)
    asked_page.goto(live_server.url + dispute.get_absolute_url())
    expect(asked_page.get_by_text("The reviewer needs information from you by")).to_be_visible()
    assert_accessible(asked_page)
    asked_page.get_by_role("textbox", name=re.compile("^Add a statement")).fill(
        "I have none to send."
    )
    asked_page.get_by_role("button", name="Add statement").click()
    expect(asked_page.get_by_text("Your statement is added to the dispute.")).to_be_visible()
    asked.close()

    page.goto(live_server.url + "/admin/consent/dispute/?q=DE-A4K-23-00417")
    expect(page.get_by_text("1 result")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("^Yes, "))).to_be_visible()

    # Preview, then confirm.
    page.goto(review_url)
    label = f"Uphold the claim of {owner.artist_name} (rejects the contest)"
    page.get_by_label(label).fill("The contester had nothing to show.")
    page.get_by_role("button", name=f"Preview: uphold {owner.artist_name}").click()
    effect = page.get_by_role("row", name=re.compile("Training any AI model"))
    expect(effect).to_contain_text("Not allowed → No reservation")
    expect(page.get_by_text("This decision cannot be undone.")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "desk-confirm.png"), full_page=True)
    assert_accessible(page)
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN
    page.get_by_role("button", name="Confirm the decision").click()
    expect(page.get_by_text("The dispute is decided.")).to_be_visible()
    assert Claim.objects.get(pk=dispute.contester_claim_id).status == Claim.Status.REVOKED
