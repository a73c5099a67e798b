"""The account pages (sign up, log in, confirmation, password reset, log out, email addresses)
render inside the site's own layout, with labelled fields and visible errors."""

import re

import pytest
from django.core import mail
from django.core.cache import cache

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase 42"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # allauth counts attempts in the cache; earlier tests must not push these over a limit.
    cache.clear()
    yield
    cache.clear()


def text(response) -> str:
    return response.content.decode()


def assert_site_layout(body: str) -> None:
    assert 'class="site-header"' in body
    assert 'class="site-footer"' in body
    assert "/static/css/site" in body


def assert_labelled(body: str, field_id: str) -> None:
    assert f'<label for="{field_id}">' in body, f"no label for {field_id}"
    assert f'id="{field_id}"' in body


def test_the_login_page_uses_the_site_layout_with_labelled_fields(client):
    response = client.get("/accounts/login/")
    body = text(response)
    assert response.status_code == 200
    assert_site_layout(body)
    assert "<h1>Log in</h1>" in body
    assert_labelled(body, "id_login")
    assert_labelled(body, "id_password")
    assert_labelled(body, "id_remember")
    assert 'class="button button-primary"' in body
    assert 'href="/accounts/password/reset/"' in body


def test_the_signup_page_uses_the_site_layout_with_labelled_fields(client):
    response = client.get("/accounts/signup/")
    body = text(response)
    assert response.status_code == 200
    assert_site_layout(body)
    assert "<h1>Create your account</h1>" in body
    assert_labelled(body, "id_email")
    assert_labelled(body, "id_password1")
    assert_labelled(body, "id_password2")
    assert 'href="/terms/"' in body


def test_a_wrong_password_is_reported_on_the_login_page(client, artist):
    response = client.post(
        "/accounts/login/", {"login": artist.user.email, "password": "not the password"}
    )
    body = text(response)
    assert response.status_code == 200
    assert 'role="alert"' in body
    assert "errorlist" in body
    assert "not correct" in body


def test_signup_errors_are_shown_next_to_the_field(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "someone@example.org", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    body = text(response)
    assert response.status_code == 200
    assert 'id="id_password2_error"' in body
    assert "You must type the same password each time." in body
    assert 'aria-invalid="true"' in body


def test_after_signing_up_the_artist_is_told_to_check_their_email(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "newcomer@example.org", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    body = text(response)
    assert response.status_code == 200
    assert_site_layout(body)
    assert "<h1>Check your email</h1>" in body
    assert len(mail.outbox) == 1


def test_the_confirmation_link_opens_a_confirm_page_in_the_site_layout(client):
    client.post(
        "/accounts/signup/",
        {"email": "confirm-me@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    link = re.search(r"/accounts/confirm-email/[^/\s]+/", mail.outbox[-1].body).group(0)

    body = text(client.get(link))

    assert_site_layout(body)
    assert "confirm-me@example.org" in body
    assert 'class="button button-primary"' in body


def test_an_invalid_confirmation_link_says_what_to_do(client):
    body = text(client.get("/accounts/confirm-email/not-a-real-key/"))
    assert_site_layout(body)
    assert "This confirmation link has expired or is not valid." in body


def test_the_password_reset_pages_use_the_site_layout(client, artist):
    body = text(client.get("/accounts/password/reset/"))
    assert_site_layout(body)
    assert_labelled(body, "id_email")

    response = client.post("/accounts/password/reset/", {"email": artist.user.email}, follow=True)
    assert_site_layout(text(response))
    assert "We have sent you an email." in text(response)

    link = re.search(r"/accounts/password/reset/key/[^\s]+/", mail.outbox[-1].body).group(0)
    response = client.get(link, follow=True)
    body = text(response)
    assert_site_layout(body)
    assert "<h1>Choose a new password</h1>" in body
    assert_labelled(body, "id_password1")
    assert_labelled(body, "id_password2")


def test_an_expired_reset_link_explains_what_to_do(client):
    body = text(client.get("/accounts/password/reset/key/1-not-a-real-key/"))
    assert_site_layout(body)
    assert "new password reset" in body


def test_the_password_change_page_sits_in_the_account_settings(owner_client):
    body = text(owner_client.get("/accounts/password/change/"))
    assert_site_layout(body)
    assert 'href="/accounts/password/change/" aria-current="page"' in body
    assert_labelled(body, "id_oldpassword")
    assert_labelled(body, "id_password1")


def test_the_logout_page_asks_in_the_site_layout(owner_client):
    body = text(owner_client.get("/accounts/logout/"))
    assert_site_layout(body)
    assert "<h1>Log out</h1>" in body
    assert 'aria-label="Account settings"' in body


def test_email_management_lists_addresses_with_their_state(owner_client, artist):
    response = owner_client.get("/accounts/email/")
    body = text(response)
    assert response.status_code == 200
    assert_site_layout(body)
    assert "<h1>Email addresses</h1>" in body
    assert artist.user.email in body
    assert "Confirmed" in body
    assert "Primary" in body
    assert 'data-confirm="Remove the selected email address from your account?"' in body
    assert_labelled(body, "id_email")
