"""Staff and reviewers sign in through the site's login and must use a second factor.

The admin has no password form of its own; staff and reviewers without an authenticator are sent
to set one up before the admin, the review desk or dispute evidence opens; artists may add one.
"""

from urllib.parse import quote

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from consent.contests import contest_claim
from consent.models import Dispute, Evidence
from consent.services import opt_out_of_ai_training
from tests.conftest import give_second_factor, totp_code
from tests.disputes_helpers import PDF_BYTES, claim_of, owned_track, upload

pytestmark = pytest.mark.django_db

PASSWORD = "a long reviewer passphrase 42"
SETUP_MESSAGE = "Staff and reviewers must protect their account with a second factor"
LOGIN = "/accounts/login/"
MFA_INDEX = "/accounts/2fa/"


def make_reviewer(email: str = "reviewer@example.org"):
    user = get_user_model().objects.create_user(
        username=email.split("@")[0], email=email, password=PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name="reviewer"))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def log_in(client, email: str, password: str = PASSWORD, next_url: str = ""):
    data = {"login": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)


def confirm_it_is_me(client, password: str = PASSWORD):
    """Changing or reading second factors first asks for the password again (allauth)."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content.decode()


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def dispute(artist, other_artist, private_media) -> Dispute:
    track = owned_track(artist)
    opt_out_of_ai_training(other_artist)
    return contest_claim(
        other_artist,
        claim_of(artist, track),
        "I own this recording",
        "I recorded it.",
        files=[upload("contract.pdf", PDF_BYTES)],
    )


# --- The admin signs in through the site's login ------------------------------------------


def test_the_admin_login_page_sends_visitors_to_the_site_login_keeping_next(client):
    response = client.get("/admin/login/", {"next": "/admin/consent/dispute/"})
    assert response.status_code == 302
    assert response["Location"] == LOGIN + "?next=" + quote("/admin/consent/dispute/", safe="")


def test_an_admin_page_opened_while_logged_out_ends_on_the_site_login_with_next(client):
    response = client.get("/admin/consent/dispute/", follow=True)
    assert response.redirect_chain[-1][0] == LOGIN + "?next=%2Fadmin%2Fconsent%2Fdispute%2F"
    body = response.content.decode()
    assert "<h1>Log in</h1>" in body
    assert 'name="next" value="/admin/consent/dispute/"' in body


def test_the_admin_has_no_password_form_of_its_own(client):
    reviewer = make_reviewer()
    give_second_factor(reviewer)
    page = client.get("/admin/login/")
    assert page.status_code == 302 and page["Location"].startswith(LOGIN)
    posted = client.post("/admin/login/", {"username": reviewer.username, "password": PASSWORD})
    assert posted.status_code == 302 and posted["Location"].startswith(LOGIN)
    assert logged_in_user_id(client) is None


def test_a_staff_member_logs_in_with_password_then_code_and_reaches_the_admin(client):
    reviewer = make_reviewer()
    secret = give_second_factor(reviewer)

    response = log_in(client, reviewer.email, next_url="/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert logged_in_user_id(client) is None, "the password alone does not sign in"
    page = client.get("/accounts/2fa/authenticate/")
    assert "Type the six-digit code your authenticator app shows" in page.content.decode()

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Incorrect code." in wrong.content.decode()
    assert logged_in_user_id(client) is None

    right = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert right.status_code == 302 and right["Location"] == "/admin/"
    assert logged_in_user_id(client) == str(reviewer.pk)
    assert client.get("/admin/").status_code == 200
    assert client.get(reverse("admin:consent_dispute_changelist")).status_code == 200


def test_a_recovery_code_stands_in_for_the_app_once(client):
    reviewer = make_reviewer()
    give_second_factor(reviewer)
    code = RecoveryCodes.activate(reviewer).get_unused_codes()[0]
    log_in(client, reviewer.email, next_url="/admin/")
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200

    client.logout()
    log_in(client, reviewer.email, next_url="/admin/")
    again = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert "Incorrect code." in again.content.decode()
    assert logged_in_user_id(client) is None


# --- Staff and reviewers without a second factor -------------------------------------------


def test_staff_without_a_second_factor_are_sent_from_the_admin_to_set_one_up(client):
    reviewer = make_reviewer()
    client.force_login(reviewer)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"] == MFA_INDEX
    page = client.get(MFA_INDEX)
    body = page.content.decode()
    assert SETUP_MESSAGE in body
    assert "Set up an authenticator app" in body
    assert "Add a security key" in body


def test_superusers_are_held_to_the_same_rule(client, django_user_model):
    boss = django_user_model.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    client.force_login(boss)
    assert client.get("/admin/auth/user/")["Location"] == MFA_INDEX
    give_second_factor(boss)
    assert client.get("/admin/auth/user/").status_code == 200


def test_a_reviewer_without_a_second_factor_cannot_use_the_review_desk(client, dispute):
    reviewer = make_reviewer()
    client.force_login(reviewer)
    for url in (
        reverse("admin:consent_dispute_changelist"),
        reverse("admin:consent_dispute_change", args=[dispute.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == MFA_INDEX, url
    decide = reverse("admin:consent_dispute_decide", args=[dispute.pk])
    response = client.post(decide, {"outcome": "rejected", "reason": "No evidence."})
    assert response["Location"] == MFA_INDEX
    assert Dispute.objects.get(pk=dispute.pk).status == Dispute.Status.OPEN


def test_a_reviewer_without_a_second_factor_cannot_download_evidence(client, dispute):
    evidence = Evidence.objects.get(dispute=dispute)
    url = reverse("evidence_download", args=[dispute.public_id, evidence.public_id])
    reviewer = make_reviewer()
    client.force_login(reviewer)
    assert client.get(url)["Location"] == MFA_INDEX
    give_second_factor(reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_a_reviewer_sets_up_an_authenticator_app_and_the_desk_opens(client, dispute):
    reviewer = make_reviewer()
    log_in(client, reviewer.email)
    assert logged_in_user_id(client) == str(reviewer.pk)
    desk = reverse("admin:consent_dispute_change", args=[dispute.pk])
    assert client.get(desk)["Location"] == MFA_INDEX

    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    confirm_it_is_me(client)
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200
    body = setup.content.decode()
    secret = setup.context["form"].secret
    assert secret in body and 'src="data:image/svg+xml;base64,' in body
    refused = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert "Incorrect code." in refused.content.decode()
    assert client.get(desk).status_code == 302

    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    codes_page = client.get(response["Location"])
    codes = RecoveryCodes(
        Authenticator.objects.get(user=reviewer, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    body = codes_page.content.decode()
    assert all(code in body for code in codes)
    assert f'<a href="{desk}">Continue to the admin</a>' in body
    assert client.get(desk).status_code == 200


def test_staff_cannot_turn_off_their_only_authenticator_app(client):
    reviewer = make_reviewer()
    secret = give_second_factor(reviewer)
    log_in(client, reviewer.email)
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    confirm_it_is_me(client)
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 200
    assert "Staff and reviewers must keep a second factor" in response.content.decode()
    assert Authenticator.objects.filter(user=reviewer, type=Authenticator.Type.TOTP).exists()


# --- Artists --------------------------------------------------------------------------------


def test_an_artist_is_not_asked_for_a_second_factor(client, artist):
    response = log_in(client, artist.user.email, password="correct horse battery staple")
    assert response["Location"] == reverse("dashboard")
    assert logged_in_user_id(client) == str(artist.user.pk)
    assert client.get(reverse("dashboard")).status_code == 200
    body = client.get(MFA_INDEX).content.decode()
    assert "It is optional for artists, and recommended." in body
    assert SETUP_MESSAGE not in body


def test_the_account_pages_lead_to_two_factor_authentication(owner_client):
    body = owner_client.get("/accounts/email/").content.decode()
    assert '<a href="/accounts/2fa/">Two-factor authentication</a>' in body
    page = owner_client.get(MFA_INDEX).content.decode()
    assert '<a href="/accounts/2fa/" aria-current="page">Two-factor authentication</a>' in page
    assert "<h1>Two-factor authentication</h1>" in page
    assert "/static/css/site" in page and "//cdn" not in page


def test_an_artist_with_an_authenticator_reads_their_recovery_codes(owner_client, artist):
    give_second_factor(artist.user)
    codes = RecoveryCodes.activate(artist.user).get_unused_codes()
    index = owner_client.get(MFA_INDEX).content.decode()
    assert "10 of 10 codes unused." in index
    confirm_it_is_me(owner_client, "correct horse battery staple")
    page = owner_client.get("/accounts/2fa/recovery-codes/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<h1>Recovery codes</h1>" in body
    assert all(code in body for code in codes)
    download = owner_client.get("/accounts/2fa/recovery-codes/download/")
    assert all(code in download.content.decode() for code in codes)


# --- Passwords -----------------------------------------------------------------------------


def test_a_password_shorter_than_twelve_characters_is_refused_at_sign_up(client):
    short = "Tr0mb0ne-42"  # eleven characters
    response = client.post(
        "/accounts/signup/",
        {"email": "short@example.org", "password1": short, "password2": short},
    )
    assert response.status_code == 200
    assert (
        "This password is too short. It must contain at least 12 characters."
        in response.content.decode()
    )
    assert not get_user_model().objects.filter(email="short@example.org").exists()
    long_enough = short + "!"
    response = client.post(
        "/accounts/signup/",
        {"email": "short@example.org", "password1": long_enough, "password2": long_enough},
    )
    assert response.status_code == 302
    assert get_user_model().objects.filter(email="short@example.org").exists()


# --- Rate limits behind a proxy ------------------------------------------------------------


@pytest.mark.slow  # a dozen logins, each hashing a password
def test_behind_a_proxy_one_visitors_failed_logins_do_not_lock_out_another(artist, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.7")
    for n in range(10):
        log_in(attacker, f"nobody{n}@example.org", password="wrong password")
    refused = log_in(attacker, artist.user.email, password="correct horse battery staple")
    assert "Too many failed login attempts" in refused.content.decode()
    assert logged_in_user_id(attacker) is None

    visitor = Client(HTTP_X_FORWARDED_FOR="198.51.100.9")
    log_in(visitor, artist.user.email, password="correct horse battery staple")
    assert logged_in_user_id(visitor) == str(artist.user.pk)
