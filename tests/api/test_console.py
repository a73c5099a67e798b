"""The platform console: applying, the keys of one's own platform, and nobody else's."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed

from api.auth import authenticate_key
from api.models import ApiKey
from consent.models import Acknowledgement, Platform
from consent.platforms import MAX_PENDING_APPLICATIONS
from tests.api.platform_helpers import make_key, make_platform, make_user

pytestmark = pytest.mark.django_db

APPLICATION = {
    "name": "Acme AI",
    "website": "https://acme.example",
    "contact_email": "api@acme.example",
    "intended_use": "We filter our music training set by artists' choices.",
}


@pytest.fixture
def member(db):
    return make_user("member@acme.example")


@pytest.fixture
def platform(member) -> Platform:
    return make_platform("Acme AI", members=[member])


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def other_platform(db) -> Platform:
    return make_platform("Rival Data", members=[make_user("someone@rival.example")])


def detail_url(platform: Platform) -> str:
    return reverse("platform_detail", args=[platform.public_id])


def create_url(platform: Platform) -> str:
    return reverse("platform_key_create", args=[platform.public_id])


def revoke_url(platform: Platform, key: ApiKey) -> str:
    return reverse("platform_key_revoke", args=[platform.public_id, key.prefix])


# --- Applying ------------------------------------------------------------------------------


def test_an_anonymous_visitor_reads_how_to_apply_and_is_asked_to_sign_in(client):
    response = client.get(reverse("platform_console"), follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("platform_apply")
    assert "How access works" in body
    assert f"{reverse('account_signup')}?next={reverse('platform_apply')}" in body
    assert 'name="intended_use"' not in body


def test_an_anonymous_application_is_sent_to_the_login_page_and_creates_nothing(client):
    response = client.post(reverse("platform_apply"), APPLICATION)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Platform.objects.exists()


def test_a_signed_in_person_applies_and_sees_that_it_waits_for_approval(client, member):
    client.force_login(member)
    form = client.get(reverse("platform_apply"))
    assert 'value="member@acme.example"' in form.content.decode()

    response = client.post(reverse("platform_apply"), APPLICATION, follow=True)
    platform = Platform.objects.get()
    assert platform.status == Platform.Status.PENDING
    assert list(platform.members.all()) == [member]
    assert (platform.website, platform.contact_email) == (
        "https://acme.example",
        "api@acme.example",
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0] == detail_url(platform)
    assert "Waiting for approval" in body
    assert "You can create API keys once Acme AI is approved." in body
    assert 'name="scopes"' not in body


def test_an_organisation_name_already_taken_is_refused_whatever_its_case(member_client):
    make_platform("ACME AI")
    response = member_client.post(reverse("platform_apply"), APPLICATION)
    assert "An organisation named “Acme AI” has already applied." in response.content.decode()
    assert Platform.objects.count() == 1


def test_the_intended_use_is_required_and_limited_in_length(member_client):
    missing = member_client.post(reverse("platform_apply"), APPLICATION | {"intended_use": ""})
    assert "Tell the reviewers what you will use the consent data for." in missing.content.decode()
    too_long = member_client.post(
        reverse("platform_apply"), APPLICATION | {"intended_use": "x" * 2001}
    )
    assert "keep the intended use under 2,000 characters" in too_long.content.decode()
    assert not Platform.objects.exists()


def test_a_name_on_several_lines_is_refused(member_client):
    response = member_client.post(reverse("platform_apply"), APPLICATION | {"name": "Acme\nAI"})
    assert "must be on one line" in response.content.decode()


def test_a_person_cannot_flood_the_queue_with_applications(member_client, member):
    for n in range(MAX_PENDING_APPLICATIONS):
        make_platform(f"Waiting {n}", status=Platform.Status.PENDING, members=[member])
    response = member_client.post(reverse("platform_apply"), APPLICATION)
    assert "applications waiting for approval" in response.content.decode()
    assert not Platform.objects.filter(name="Acme AI").exists()


# --- The console ---------------------------------------------------------------------------


def test_a_member_of_one_platform_goes_straight_to_it(member_client, platform):
    response = member_client.get(reverse("platform_console"))
    assert response["Location"] == detail_url(platform)


def test_a_member_of_several_platforms_chooses_one(member_client, member, platform):
    second = make_platform("Beta Crawler", status=Platform.Status.PENDING, members=[member])
    response = member_client.get(reverse("platform_console"))
    body = response.content.decode()
    assert response.status_code == 200
    assert detail_url(platform) in body and detail_url(second) in body
    assert "Waiting for approval" in body


def test_the_console_shows_keys_the_acknowledgement_and_the_docs(member_client, platform):
    key, _ = make_key(platform, "Crawler")
    Acknowledgement.objects.create(platform=platform, sequence=7)
    response = member_client.get(detail_url(platform))
    body = response.content.decode()
    assert "Crawler" in body and f"crk_{key.prefix}_…" in body
    assert "Never" in body
    assert "Applied up to <strong>change #7</strong>" in body
    assert reverse("api_docs") in body
    assert "no-store" in response["Cache-Control"]


def test_the_console_says_when_each_key_was_last_used(member_client, platform):
    make_key(platform, "Unused")
    used, _ = make_key(platform, "Busy")
    ApiKey.objects.filter(pk=used.pk).update(last_used_at=timezone.now() - timedelta(hours=3))
    body = member_client.get(detail_url(platform)).content.decode()
    assert "Never" in body
    assert "3\xa0hours ago" in body


def test_the_console_says_when_nothing_is_acknowledged_yet(member_client, platform):
    assert "No change acknowledged yet." in member_client.get(detail_url(platform)).content.decode()


def test_a_new_key_is_shown_once_and_stored_only_as_a_hash(member_client, member, platform):
    response = member_client.post(
        create_url(platform), {"name": "Production", "scopes": ["read", "webhooks"]}
    )
    secret = response.context["secret"]
    body = response.content.decode()
    assert secret.startswith("crk_") and secret in body
    assert "shown only this once" in body
    assert "no-store" in response["Cache-Control"]

    key = ApiKey.objects.get()
    assert (key.name, key.scopes, key.created_by) == ("Production", ["read", "webhooks"], member)
    assert key.hashed_key != secret
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM api_apikey WHERE id = %s", [key.pk])
        row = cursor.fetchone()
    assert not any(secret in str(value) for value in row)
    assert authenticate_key(secret) == key

    # Nowhere to be seen again: not on the console, not in the session.
    assert secret not in member_client.get(detail_url(platform)).content.decode()
    assert secret not in str(dict(member_client.session))


def test_a_key_needs_a_name_and_at_least_one_scope(member_client, platform):
    response = member_client.post(create_url(platform), {"name": "", "scopes": []})
    body = response.content.decode()
    assert "Give the key a name" in body
    assert "Choose at least one thing the key may do." in body
    assert not ApiKey.objects.exists()


def test_a_pending_platform_cannot_create_keys(client, member):
    pending = make_platform("Acme AI", status=Platform.Status.PENDING, members=[member])
    client.force_login(member)
    response = client.post(create_url(pending), {"name": "x", "scopes": ["read"]}, follow=True)
    assert "waiting for approval; you can create API keys once" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_suspended_platform_cannot_create_keys(client, member):
    suspended = make_platform("Acme AI", status=Platform.Status.SUSPENDED, members=[member])
    client.force_login(member)
    response = client.post(create_url(suspended), {"name": "x", "scopes": ["read"]}, follow=True)
    assert "Acme AI is suspended, so it cannot have new API keys." in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_revoked_key_stops_working_and_is_no_longer_listed_as_usable(member_client, platform):
    key, secret = make_key(platform, "Old crawler")
    response = member_client.post(revoke_url(platform, key), follow=True)
    body = response.content.decode()
    assert "is revoked: requests made with it are refused from now on." in body
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert response.context["active_keys"] == []
    assert response.context["revoked_keys"] == [key]
    assert revoke_url(platform, key) not in body
    with pytest.raises(AuthenticationFailed):
        authenticate_key(secret)


def test_revoking_needs_a_post(member_client, platform):
    key, _ = make_key(platform)
    assert member_client.get(revoke_url(platform, key)).status_code == 405
    key.refresh_from_db()
    assert key.is_active


def test_console_forms_are_protected_against_cross_site_requests(member, platform):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    key, _ = make_key(platform)
    assert client.post(create_url(platform), {"name": "x", "scopes": ["read"]}).status_code == 403
    assert client.post(revoke_url(platform, key)).status_code == 403
    key.refresh_from_db()
    assert key.is_active and ApiKey.objects.count() == 1


# --- Someone else's platform ---------------------------------------------------------------


def test_another_platforms_pages_are_not_found(member_client, other_platform):
    assert member_client.get(detail_url(other_platform)).status_code == 404
    response = member_client.post(create_url(other_platform), {"name": "x", "scopes": ["read"]})
    assert response.status_code == 404
    assert not ApiKey.objects.exists()


def test_another_platforms_key_cannot_be_revoked(member_client, platform, other_platform):
    theirs, secret = make_key(other_platform, "Their key")
    # Neither on their console, nor by posting their key's id under one's own platform.
    assert member_client.post(revoke_url(other_platform, theirs)).status_code == 404
    assert member_client.post(revoke_url(platform, theirs)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_active
    assert authenticate_key(secret) == theirs


def test_the_console_needs_a_sign_in(client, platform):
    response = client.get(detail_url(platform))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
