"""The admins' desk for platforms: the review queue, who may decide, and keys that stay secret."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.urls import reverse
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from api.auth import authenticate_key
from api.models import ApiKey
from consent.models import Platform
from tests.api.platform_helpers import make_key, make_platform, make_user
from tests.conftest import give_second_factor

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:consent_platform_changelist")
Status = Platform.Status


@pytest.fixture
def pending(db) -> Platform:
    return make_platform("Acme AI", status=Status.PENDING, members=[make_user()])


def act(client, action: str, *platforms: Platform):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [p.pk for p in platforms], "index": 0},
        follow=True,
    )


def test_the_queue_lists_applications_waiting_for_approval_first(reviewer_client):
    make_platform("Alpha Approved")
    make_platform("Zulu Waiting", status=Status.PENDING)
    body = reviewer_client.get(CHANGELIST).content.decode()
    assert body.index("Zulu Waiting") < body.index("Alpha Approved")
    filtered = reviewer_client.get(CHANGELIST, {"status__exact": "approved"}).content.decode()
    assert "Alpha Approved" in filtered and "Zulu Waiting" not in filtered


def test_a_reviewer_approves_and_the_contact_is_emailed(
    reviewer_client, reviewer, pending, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = act(reviewer_client, "approve", pending)
    assert "Approved (their contacts are told by email): Acme AI." in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == Status.APPROVED
    assert pending.reviewed_by == reviewer and pending.reviewed_at is not None
    (email,) = mail.outbox
    assert email.to == ["api@acme-ai.example"]
    assert "Acme AI can now use the registry's API" in email.subject
    assert f"/platform/{pending.public_id}/" in email.body


def test_a_reviewer_refuses_an_application_and_the_contact_is_emailed(
    reviewer_client, pending, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        act(reviewer_client, "refuse", pending)
    pending.refresh_from_db()
    assert pending.status == Status.REFUSED
    assert "was not accepted" in mail.outbox[0].subject


def test_a_refused_or_suspended_platform_can_be_approved(reviewer_client):
    refused = make_platform("Refused Co", status=Status.REFUSED)
    suspended = make_platform("Suspended Co", status=Status.SUSPENDED)
    act(reviewer_client, "approve", refused, suspended)
    assert set(Platform.objects.values_list("status", flat=True)) == {Status.APPROVED}


def test_an_approved_platform_is_suspended_not_refused_and_its_keys_stop_working(
    reviewer_client,
):
    platform = make_platform("Acme AI")
    _, secret = make_key(platform)
    response = act(reviewer_client, "refuse", platform)
    assert "1 platform not waiting for approval, left as they were" in response.content.decode()
    platform.refresh_from_db()
    assert platform.status == Status.APPROVED

    act(reviewer_client, "suspend", platform)
    platform.refresh_from_db()
    assert platform.status == Status.SUSPENDED
    with pytest.raises(PermissionDenied, match="suspended"):
        authenticate_key(secret)


def test_staff_without_the_approve_permission_cannot_decide(client, pending):
    viewer = make_user(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_platform"))
    give_second_factor(viewer)
    client.force_login(viewer)
    assert client.get(CHANGELIST).status_code == 200
    act(client, "approve", pending)
    pending.refresh_from_db()
    assert pending.status == Status.PENDING


def test_a_reviewer_cannot_change_a_platforms_fields(reviewer_client, pending):
    url = reverse("admin:consent_platform_change", args=[pending.pk])
    page = reviewer_client.get(url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    response = reviewer_client.post(url, {"name": "Renamed", "rate_limit_per_minute": 99999})
    assert response.status_code == 403
    pending.refresh_from_db()
    assert (pending.name, pending.rate_limit_per_minute) == ("Acme AI", None)


def test_nobody_adds_platforms_or_keys_in_the_admin(reviewer_client, admin_client):
    for client in (reviewer_client, admin_client):
        assert client.get(reverse("admin:consent_platform_add")).status_code == 403
        assert client.get(reverse("admin:api_apikey_add")).status_code == 403


def test_a_reviewer_does_not_see_keys(reviewer_client, pending):
    make_key(pending)
    assert reviewer_client.get(reverse("admin:api_apikey_changelist")).status_code == 403


def test_a_superuser_sets_a_platforms_rate_limit(admin_client, pending):
    member = pending.members.get()
    url = reverse("admin:consent_platform_change", args=[pending.pk])
    response = admin_client.post(
        url,
        {
            "name": "Acme AI",
            "website": "",
            "contact_email": "api@acme-ai.example",
            "intended_use": "Filtering a training dataset.",
            "members": str(member.pk),
            "rate_limit_per_minute": "1200",
            "api_keys-TOTAL_FORMS": "0",
            "api_keys-INITIAL_FORMS": "0",
            "api_keys-MIN_NUM_FORMS": "0",
            "api_keys-MAX_NUM_FORMS": "0",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()
    pending.refresh_from_db()
    assert pending.rate_limit_per_minute == 1200
    # The status is decided by the actions only, never edited as a field.
    assert pending.status == Status.PENDING


def test_a_superuser_approves_too(admin_client, pending):
    act(admin_client, "approve", pending)
    pending.refresh_from_db()
    assert pending.is_approved


def test_the_key_list_shows_prefixes_never_hashes(admin_client):
    key, secret = make_key(make_platform("Acme AI"), "Crawler")
    listing = admin_client.get(reverse("admin:api_apikey_changelist")).content.decode()
    assert f"crk_{key.prefix}_…" in listing and "Crawler" in listing
    page = admin_client.get(reverse("admin:api_apikey_change", args=[key.pk])).content.decode()
    for text in (listing, page):
        assert key.hashed_key not in text and secret not in text


def test_a_superuser_revokes_keys_from_the_list(admin_client):
    key, secret = make_key(make_platform("Acme AI"))
    response = admin_client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk], "index": 0},
        follow=True,
    )
    assert "Revoked 1 key" in response.content.decode()
    key.refresh_from_db()
    assert key.revoked_at is not None
    with pytest.raises(AuthenticationFailed):
        authenticate_key(secret)
    assert ApiKey.objects.count() == 1  # revoked, still on the record


def test_a_reviewer_cannot_decide_on_a_platform_they_belong_to(reviewer_client, reviewer):
    own = make_platform("Reviewer's Startup", status=Status.PENDING, members=[reviewer])
    response = act(reviewer_client, "approve", own)
    assert "another reviewer must decide" in response.content.decode()
    own.refresh_from_db()
    assert own.status == Status.PENDING
