"""Every email names the site (SITE_NAME), greets an artist by artist name, and links only to the
serving address (SITE_URL), whatever host the request that caused it came in on; the sites row
that other apps read follows the settings at every migrate."""

import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from api.models import WebhookEndpoint
from api.webhooks.emails import email_endpoint_disabled
from consent.contests import contest_claim
from consent.models import Platform, ProfileProof
from consent.platforms import approve_platform
from consent.services import TrackData, register_track
from registry.proof_notifications import notify_owner
from tests.conftest import make_artist
from tests.disputes_helpers import ISRC, claim_of, owned_track

pytestmark = pytest.mark.django_db

SITE_URL = "https://registry.nightowls.example"
SITE_NAME = "Night Owls Consent Desk"
PASSWORD = "a long and unusual passphrase 42"
# A request arriving through another name of the server (a proxy, an internal address).
OTHER_HOST = "internal-web-3.local"
LINK = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s<>“”]+", re.IGNORECASE)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE_URL
    settings.SITE_NAME = SITE_NAME
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, OTHER_HOST]


def assert_site_email(email, greeting: str) -> None:
    """Greets as told, signs with the site's name and address, and links only to SITE_URL."""
    body = email.body
    assert body.splitlines()[0] == greeting
    assert f"— {SITE_NAME}\n{SITE_URL}" in body
    links = LINK.findall(body)
    assert links, body
    for link in links:
        assert link == SITE_URL or link.startswith(SITE_URL + "/"), (link, body)
    for stranger in ("example.com", "testserver", OTHER_HOST, "Hello from"):
        assert stranger not in body


def sign_up(client, email: str):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD},
        HTTP_HOST=OTHER_HOST,
    )


# --- Account emails -------------------------------------------------------------------------


def test_the_sign_up_confirmation_names_the_site_and_links_to_its_address(client):
    sign_up(client, "juniper@example.org")
    (email,) = mail.outbox
    assert_site_email(email, "Hello,")
    assert f"Thank you for signing up at {SITE_NAME}." in email.body
    assert "juniper@example.org" in email.body
    user = get_user_model().objects.get(email="juniper@example.org")
    assert "username" not in email.body.lower()
    assert f" {user.username}," not in email.body
    link = re.search(rf"{re.escape(SITE_URL)}(/accounts/confirm-email/\S+/)", email.body)
    client.post(link.group(1))
    assert EmailAddress.objects.get(email="juniper@example.org").verified


def test_the_password_reset_greets_the_artist_by_artist_name_and_links_to_the_site(client, artist):
    client.post("/accounts/password/reset/", {"email": artist.user.email}, HTTP_HOST=OTHER_HOST)
    (email,) = mail.outbox
    assert_site_email(email, f"Hello {artist.artist_name},")
    assert artist.user.username not in email.body
    path = re.search(rf"{re.escape(SITE_URL)}(/accounts/password/reset/key/\S+/)", email.body)
    assert client.get(path.group(1)).status_code == 302  # to the form that sets a new password


def test_signing_up_with_a_taken_address_tells_its_artist_by_name(client, artist):
    sign_up(client, artist.user.email)
    (email,) = mail.outbox
    assert email.to == [artist.user.email]
    assert_site_email(email, f"Hello {artist.artist_name},")
    assert f"{SITE_URL}/accounts/password/reset/" in email.body


def test_a_reset_for_an_unknown_address_offers_sign_up_on_the_site(client):
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"}, HTTP_HOST=OTHER_HOST)
    (email,) = mail.outbox
    assert_site_email(email, "Hello,")
    assert f"{SITE_URL}/accounts/signup/" in email.body


def test_account_email_subjects_carry_the_sites_name(client, settings):
    # The prefix is made from SITE_NAME when the settings load.
    assert settings.ACCOUNT_EMAIL_SUBJECT_PREFIX == "[Music Consent Registry] "
    sign_up(client, "juniper@example.org")
    assert mail.outbox[0].subject.startswith("[Music Consent Registry] ")


# --- The project's own emails ---------------------------------------------------------------


def test_dispute_emails_greet_each_party_by_artist_name(
    artist, other_artist, django_capture_on_commit_callbacks
):
    track = owned_track(artist)
    with django_capture_on_commit_callbacks(execute=True):
        contest_claim(other_artist, claim_of(artist, track), "I own this recording", "Mine.")
    emails = {email.to[0]: email for email in mail.outbox}
    assert set(emails) == {artist.user.email, other_artist.user.email}
    for creator in (artist, other_artist):
        assert_site_email(emails[creator.user.email], f"Hello {creator.artist_name},")


def test_a_collision_notice_greets_the_artist_and_links_to_the_site(
    artist, django_capture_on_commit_callbacks
):
    owned_track(artist)
    newcomer = make_artist("Copy Cat", "copy-cat")
    data = TrackData(title="Night Drive", artist_credit="X", roles=["recording"], isrc=ISRC)
    with django_capture_on_commit_callbacks(execute=True):
        register_track(newcomer, data)
    notices = [m for m in mail.outbox if "What this means for your choices" in m.body]
    (email,) = notices
    assert email.to == [artist.user.email]
    assert_site_email(email, f"Hello {artist.artist_name},")


def test_a_proof_email_greets_the_artist_and_links_to_the_site(
    artist, django_capture_on_commit_callbacks
):
    proof = ProfileProof.objects.create(
        creator=artist,
        url="https://ownerband.example/about",
        token="registry-proof-abc123",
        failing_since=timezone.now() - timedelta(days=1),
        last_error="The page no longer shows the code.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        notify_owner(sender=None, proof=proof, event="lapsing")
    (email,) = mail.outbox
    # The page that lost its proof is quoted, not linked as the registry's own.
    body = email.body.replace(proof.url, "")
    email.body = body
    assert_site_email(email, f"Hello {artist.artist_name},")


def test_platform_emails_name_the_site_and_link_to_it(
    django_user_model, django_capture_on_commit_callbacks
):
    platform = Platform.objects.create(
        name="Acme Audio",
        contact_email="api@acme.example",
        intended_use="Filtering a training dataset.",
        status=Platform.Status.PENDING,
    )
    reviewer = django_user_model.objects.create_user(username="reviewer", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        approve_platform(platform, reviewer)
    (email,) = mail.outbox
    assert_site_email(email, "Hello,")
    assert f"Acme Audio is approved: it can now read {SITE_NAME} through its API." in email.body


def test_a_disabled_webhook_email_names_the_site_and_links_to_it():
    platform = Platform.objects.create(
        name="Acme Audio",
        contact_email="api@acme.example",
        intended_use="Filtering a training dataset.",
        status=Platform.Status.APPROVED,
    )
    endpoint = WebhookEndpoint.objects.create(
        platform=platform,
        url="https://hooks.acme.example/c",
        enabled=False,
        secret="whsec_x",
        disabled_reason="It answered 410 Gone.",
    )
    email_endpoint_disabled(endpoint.pk)
    (email,) = mail.outbox
    email.body = email.body.replace(endpoint.url, "")  # the platform's own address, quoted
    assert_site_email(email, "Hello,")
    assert f"{SITE_NAME} stopped sending change events" in email.body


# --- The sites row --------------------------------------------------------------------------


def test_migrate_makes_the_sites_row_say_the_sites_name_and_host():
    Site.objects.filter(pk=1).update(domain="example.com", name="example.com")
    call_command("migrate", verbosity=0)
    site = Site.objects.get(pk=1)
    assert (site.domain, site.name) == ("registry.nightowls.example", SITE_NAME)
    assert Site.objects.get_current().name == SITE_NAME
