"""Accounts: sign-up with mandatory email verification, rate-limited log-in, password reset."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase 42"


def sign_up(client, email="new@example.org"):
    return client.post(
        "/accounts/signup/", {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_signing_up_sends_a_verification_email_and_does_not_sign_in(client):
    response = sign_up(client)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body
    assert not EmailAddress.objects.get(email="new@example.org").verified
    assert client.get("/dashboard/").status_code == 302


def test_an_unverified_artist_cannot_log_in_until_the_link_is_followed(client):
    sign_up(client)
    client.logout()
    response = client.post("/accounts/login/", {"login": "new@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "confirm-email" in response["Location"] or "verification" in response["Location"]
    assert "_auth_user_id" not in client.session

    link = re.search(r"/accounts/confirm-email/[^/\s]+/", mail.outbox[-1].body).group(0)
    client.post(link)
    assert EmailAddress.objects.get(email="new@example.org").verified
    response = client.post("/accounts/login/", {"login": "new@example.org", "password": PASSWORD})
    assert "_auth_user_id" in client.session


def test_repeated_failed_logins_are_refused_even_with_the_right_password(client, artist):
    email = artist.user.email
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": email, "password": "wrong"})
        assert response.status_code == 200
    response = client.post(
        "/accounts/login/", {"login": email, "password": "correct horse battery staple"}
    )
    assert "_auth_user_id" not in client.session
    assert b"Too many failed login attempts" in response.content


def test_the_right_password_logs_in_a_verified_artist(client, artist):
    client.post(
        "/accounts/login/",
        {"login": artist.user.email, "password": "correct horse battery staple"},
    )
    assert client.session["_auth_user_id"] == str(artist.user.pk)


def test_password_reset_sends_a_link(client, artist):
    response = client.post("/accounts/password/reset/", {"email": artist.user.email})
    assert response.status_code == 302
    assert "/accounts/password/reset/key/" in mail.outbox[-1].body


def test_an_email_can_belong_to_one_account_only(client, artist):
    sign_up(client, email=artist.user.email)
    assert get_user_model().objects.filter(email=artist.user.email).count() == 1
