"""Every page an artist, a reviewer or a platform's people use meets WCAG 2.1 AA (axe-core).

One test per page, so each failure names its page. The registry holds what such people really
see: an artist with tracks, links, claims verified and not, a history, a dispute on each side, a
verification request and a proof; another artist; a reviewer with a second factor and the desk's
permissions; an approved platform with a key and a webhook. The artist's pages, the public pages
and the account pages are checked at a desktop width and at a 375 px wide phone; the admin and
the platform console at the desktop width; every page in the dark colour scheme as well.
"""

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.urls import reverse
from playwright.sync_api import expect

from api.webhooks import services as webhooks
from consent import proofs
from consent.contests import contest_claim
from consent.links import add_links, hide_link
from consent.models import SequenceCounter, VerificationRequest
from consent.purposes import Purpose, PurposeChoice, Value
from consent.services import declare, opt_out_of_ai_training
from consent.verification_requests import request_review
from tests.api.platform_helpers import make_key, make_platform
from tests.api.platform_helpers import make_user as make_platform_user
from tests.conftest import give_second_factor, make_artist, resolve_example_hosts_publicly
from tests.disputes_helpers import claim_of
from tests.e2e.accessibility import describe, violations
from tests.factories import register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # make_artist's
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}

# The reviewer group as the migrations build it (a transactional test's flush removes it), and
# the senior reviewer's right to suspend a creator.
_GROUP_MIGRATIONS = (
    ("consent.migrations.0005_reviewer_group", "PERMISSIONS"),
    ("consent.migrations.0007_platforms_and_claim_periods", "REVIEWER_PERMISSIONS"),
    ("consent.migrations.0010_verification_requests", "REVIEWER_PERMISSIONS"),
)
REVIEWER_PERMISSIONS = [
    codename
    for module, name in _GROUP_MIGRATIONS
    for codename in getattr(importlib.import_module(module), name)
] + ["change_creator"]


def build_world(many_tracks: bool = False) -> SimpleNamespace:
    SequenceCounter.objects.get_or_create(pk=1)
    artist = make_artist("Owner Band", "owner-band")
    other = make_artist("Someone Else", "someone-else")
    allow_all = {p: PurposeChoice(Value.ALLOW) for p in Purpose}

    night = register(
        artist,
        "https://soundcloud.com/owner-band/night-drive",
        "https://owner-band.bandcamp.com/track/night-drive",
        title="Night Drive",
        isrc="USRC17607839",
        duration_seconds=214,
        choices=allow_all,
        verified=True,
    )
    lanterns = register(
        artist, "https://owner-band.bandcamp.com/track/paper-lanterns", title="Paper Lanterns"
    )
    harbour = register(
        artist, "https://owner-band.bandcamp.com/track/glass-harbour", title="Glass Harbour"
    )
    licence = PurposeChoice(Value.LICENSE, terms_url="https://owner-band.example/licence")
    declare(artist, {Purpose.SEARCH: PurposeChoice(Value.ALLOW), Purpose.TDM: licence})
    opt_out_of_ai_training(artist)
    if many_tracks:
        register(artist, title="Demo {n}", count=50)

    theirs = register(other, title="Slow Tide", isrc="GBAYE0601498", verified=True)
    contestable = register(other, title="Harbour Lights", isrc="GBAYE0601499", verified=True)
    # A dispute on each side: the other artist contests the owner's claim, and the owner
    # contests one of theirs.
    against = contest_claim(
        other, claim_of(artist, night), "I own this recording", "It is mine: I recorded it."
    )
    contested = contest_claim(
        artist, claim_of(other, theirs), "This is our recording", "We released it in 2019."
    )
    waiting = request_review(
        artist,
        claim_of(artist, harbour),
        VerificationRequest.Document.DISTRIBUTION,
        "My distributor's statement lists the track under our name.",
        url="https://distributor.example/statements/owner-band",
    )
    waiting_claim = waiting.claim
    # The other artist adds a link to the owner's track; the verified owner hides it.
    hidden_link = add_links(other, night, ["https://soundcloud.com/someone-else/night-drive"])[0]
    hide_link(artist, hidden_link)
    proof = proofs.start(artist, "https://soundcloud.com/owner-band")

    reviewer = get_user_model().objects.create_user(
        username="reviewer", email="reviewer@example.org", password=PASSWORD, is_staff=True
    )
    EmailAddress.objects.create(user=reviewer, email=reviewer.email, verified=True, primary=True)
    group, _ = Group.objects.get_or_create(name="reviewer")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="consent", codename__in=REVIEWER_PERMISSIONS
        )
    )
    reviewer.groups.add(group)
    give_second_factor(reviewer)
    RecoveryCodes.activate(reviewer)

    # Signed up and confirmed, but no artist profile yet.
    newcomer = make_platform_user("new.artist@example.org")
    member = make_platform_user("lead@acme.example")
    platform = make_platform("Acme AI", members=[member])
    make_key(platform, "Production crawler")
    endpoint, _ = webhooks.create_endpoint(
        platform, "https://hooks.acme.example/consent", description="Dataset filter"
    )
    return SimpleNamespace(**locals())


@dataclass(frozen=True)
class Page:
    name: str
    # "anonymous", "artist", "newcomer" (no artist profile yet), "reviewer" or "platform" (a
    # member of the platform).
    who: str
    url: Callable[[SimpleNamespace], str]
    # Also checked at 375 px: the pages artists use, on their phones too.
    phone: bool = True
    # The page first asks for the password again (allauth's reauthentication), as changes to
    # the second factor do.
    reauthenticate: bool = False
    # Where the page lands, when it is not the address asked for.
    lands: str | None = None
    status: int = 200
    many_tracks: bool = False
    # What the visitor did once before the page (sent the password, for the code's page).
    before: Callable | None = None
    # What the visitor does on the page before it is checked (a form sent with mistakes ...).
    act: Callable | None = None


def at(name: str, *objects: str, query: str = "") -> Callable[[SimpleNamespace], str]:
    """The page `name` of the world's `objects` (by attribute), by their public ids."""
    return lambda world: (
        reverse(name, args=[getattr(world, attr).public_id for attr in objects]) + query
    )


def admin(name: str, obj: str = "") -> Callable[[SimpleNamespace], str]:
    """The admin page `name`, of the world's object `obj` (by attribute) if given."""
    return lambda world: reverse(f"admin:{name}", args=[getattr(world, obj).pk] if obj else [])


def desk(name: str, url: Callable) -> "Page":
    return Page(name, "reviewer", url, phone=False)


def console(name: str, url: Callable, **options) -> "Page":
    return Page(name, "platform", url, phone=False, **options)


def reset_from_key(world) -> str:
    user = world.artist.user
    key = default_token_generator.make_token(user)
    return reverse(
        "account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": key}
    )


def confirm_email(world) -> str:
    address = EmailAddress.objects.create(
        user=world.artist.user, email="second@example.org", verified=False
    )
    return reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])


def wrong_password(page) -> None:
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page.locator(".errorlist, .alert, [role=alert]").first).to_be_visible()


def mismatched_sign_up(page) -> None:
    page.get_by_label("Email").fill("another.artist@example.org")
    page.get_by_label("Password", exact=True).fill("a long and unusual passphrase 42")
    page.get_by_label(re.compile("Password \\(again\\)|Confirm password|Password again")).fill(
        "a different passphrase 43"
    )
    page.get_by_role("button", name=re.compile("Create account|Sign up", re.I)).click()
    expect(page.locator(".errorlist").first).to_be_visible()


def bad_isrc(page) -> None:
    page.get_by_label("Title").fill("Paper Boats")
    page.get_by_label("ISRC").fill("not an isrc")
    page.get_by_role("button", name=re.compile("Register", re.I)).click()
    expect(page.locator(".errorlist").first).to_be_visible()


def receipt_page(world) -> str:
    """The printable receipt of the artist's latest declaration."""
    latest = world.artist.declarations.order_by("-pk").first()
    return reverse("declaration_receipt_page", args=[latest.pk])


def reviewer_password_step(page, live_server) -> None:
    """The reviewer's password is right: the login asks for the authenticator code next."""
    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill("reviewer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()


PAGES = [
    # --- Public pages ---------------------------------------------------------------------------
    Page("home", "anonymous", at("home")),
    Page("how it works", "anonymous", at("how_it_works")),
    Page("privacy", "anonymous", at("privacy")),
    Page("terms", "anonymous", at("terms")),
    Page("the public log", "anonymous", at("log")),
    Page("creator page", "anonymous", lambda world: reverse("creator_page", args=["owner-band"])),
    Page("public track page", "anonymous", at("track_public", "night")),
    Page("public track page, disputed", "anonymous", at("track_public", "theirs")),
    Page("hosts", "anonymous", at("hosts")),
    Page("platforms", "anonymous", at("platforms")),
    Page("not found", "anonymous", lambda world: "/no-such-page/", status=404),
    # --- Accounts -------------------------------------------------------------------------------
    Page("log in", "anonymous", at("account_login")),
    Page("log in, wrong password", "anonymous", at("account_login"), act=wrong_password),
    Page("log in, code", "anonymous", at("mfa_authenticate"), before=reviewer_password_step),
    Page("sign up", "anonymous", at("account_signup")),
    Page("sign up, mistakes", "anonymous", at("account_signup"), act=mismatched_sign_up),
    Page("password reset", "anonymous", at("account_reset_password")),
    Page("password reset sent", "anonymous", at("account_reset_password_done")),
    Page(
        "password reset, new password",
        "anonymous",
        reset_from_key,
        lands=r"/accounts/password/reset/key/\w+-set-password/",
    ),
    Page("check your email", "anonymous", at("account_email_verification_sent")),
    Page("confirm email", "anonymous", confirm_email),
    Page("email addresses", "artist", at("account_email")),
    Page("change password", "artist", at("account_change_password")),
    Page("log out", "artist", at("account_logout")),
    Page("confirm it is you", "artist", at("account_reauthenticate")),
    Page("two-factor", "artist", at("mfa_index")),
    Page("authenticator app", "artist", at("mfa_activate_totp"), reauthenticate=True),
    Page("security keys", "artist", at("mfa_list_webauthn")),
    Page("connected accounts", "artist", at("socialaccount_connections")),
    Page("add a security key", "artist", at("mfa_add_webauthn"), reauthenticate=True),
    Page("two-factor, reviewer", "reviewer", at("mfa_index")),
    Page("confirm it is you, code", "reviewer", at("mfa_reauthenticate")),
    Page("recovery codes", "reviewer", at("mfa_view_recovery_codes"), reauthenticate=True),
    Page("new recovery codes", "reviewer", at("mfa_generate_recovery_codes"), reauthenticate=True),
    Page("remove authenticator", "reviewer", at("mfa_deactivate_totp"), reauthenticate=True),
    # --- The artist's pages ---------------------------------------------------------------------
    Page("dashboard", "artist", at("dashboard")),
    Page("dashboard, page 2", "artist", at("dashboard", query="?page=2"), many_tracks=True),
    Page("profile", "artist", at("profile")),
    Page("profile, first visit", "newcomer", at("profile")),
    Page("new track", "artist", at("track_new")),
    Page("new track, mistakes", "artist", at("track_new"), act=bad_isrc),
    Page("track, verified", "artist", at("track_detail", "night")),
    Page("track, unverified", "artist", at("track_detail", "lanterns")),
    Page("track, verification waiting", "artist", at("track_detail", "harbour")),
    Page("catalogue permissions", "artist", at("catalogue_permissions")),
    Page("history", "artist", at("history")),
    Page("printable receipt", "artist", receipt_page),
    Page("proofs", "artist", at("proofs")),
    Page("verification request", "artist", at("verification_request", "lanterns")),
    Page("import", "artist", at("catalogue_import")),
    Page("publish", "artist", at("publish_kit")),
    Page("contest a claim", "artist", at("contest_claim", "contestable")),
    Page("dispute, contested", "artist", at("dispute_detail", "against")),
    Page("dispute, contesting", "artist", at("dispute_detail", "contested")),
    # --- The reviewer's desk --------------------------------------------------------------------
    desk("admin", admin("index")),
    desk("dispute desk", admin("consent_dispute_changelist")),
    desk("dispute review", admin("consent_dispute_change", "against")),
    desk("claim desk", admin("consent_claim_changelist")),
    desk("claim review", admin("consent_claim_change", "waiting_claim")),
    desk("creator", admin("consent_creator_change", "other")),
    desk("suspend creator", admin("consent_creator_suspend", "other")),
    desk("track", admin("consent_track_change", "night")),
    desk("hidden links", admin("consent_tracklink_changelist")),
    desk("restore a link", admin("consent_tracklink_restore", "hidden_link")),
    desk("audit log", admin("consent_auditentry_changelist")),
    desk("verification desk", admin("consent_verificationrequest_changelist")),
    # --- The platform console -------------------------------------------------------------------
    console("console", at("platform_console"), lands=r"/platform/[0-9a-f-]{36}/"),
    console("API reference", at("api_docs")),
    console("console, apply", at("platform_apply")),
    console("console, platform", at("platform_detail", "platform")),
    console("console, webhooks", at("platform_webhooks", "platform")),
    console("console, webhook", at("platform_webhook_detail", "platform", "endpoint")),
]


def sign_in(page, live_server, client, settings, user) -> None:
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def visit(page, live_server, spec: Page, path: str) -> None:
    """Open the page as the visitor would, and fail unless it is the page meant."""
    response = page.goto(live_server.url + path)
    if spec.reauthenticate and urlsplit(page.url).path == reverse("account_reauthenticate"):
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Confirm").click()
        response = page.goto(live_server.url + path)
    assert response is not None and response.status == spec.status, (
        f"{path} answered {response and response.status}"
    )
    landed = urlsplit(page.url).path
    if spec.lands:
        assert re.fullmatch(spec.lands, landed), f"{path} landed on {page.url}"
    else:
        assert landed == urlsplit(path).path, f"{path} landed on {page.url}"
    if spec.act is not None:
        spec.act(page)


@pytest.fixture
def resolvable_hosts(monkeypatch):
    # Webhook and proof addresses such as hooks.acme.example pass the public-address check.
    resolve_example_hosts_publicly(monkeypatch)


@pytest.fixture
def page(browser_page):
    yield browser_page
    # While Playwright's event loop runs, Django opens a separate connection for this test;
    # left open, it would stop the test database from being dropped at the end of the run.
    connection.close()


@pytest.mark.parametrize("spec", PAGES, ids=[spec.name for spec in PAGES])
def test_the_page_meets_wcag_21_aa(spec, live_server, page, client, settings, resolvable_hosts):
    world = build_world(many_tracks=spec.many_tracks)
    users = {
        "artist": world.artist.user,
        "newcomer": world.newcomer,
        "reviewer": world.reviewer,
        "platform": world.member,
    }
    if spec.who in users:
        sign_in(page, live_server, client, settings, users[spec.who])
    if spec.before is not None:
        spec.before(page, live_server)
    path = spec.url(world)

    found = {}
    views = [("1280 px", DESKTOP, "light"), ("375 px", PHONE, "light")][: 2 if spec.phone else 1]
    # The site and the admin follow the reader's dark setting: that palette must pass too.
    views.append(("1280 px, dark", DESKTOP, "dark"))
    for label, viewport, scheme in views:
        # Each is a fresh visit, as on that screen: the page's script lays out for it.
        page.set_viewport_size(viewport)
        page.emulate_media(color_scheme=scheme)
        visit(page, live_server, spec, path)
        if problems := violations(page):
            found[label] = describe(problems)
    assert not found, f"{page.url} fails WCAG 2.1 AA:\n" + "\n".join(
        f"at {label}:\n{text}" for label, text in found.items()
    )
