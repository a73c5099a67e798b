"""Every email the registry sends has a one-line subject, whatever the names put into it.

A line break in a subject makes Django refuse the message (the notice is never sent) or, with a
break a mail client honours, starts a header of its own. Titles and names written before the
one-line rule, or by an admin, can still hold one, so every subject is made one line.
"""

import pytest
from django.core import mail
from django.test import RequestFactory

from api.models import WebhookEndpoint
from api.webhooks.emails import email_endpoint_disabled
from consent.contests import contest_claim
from consent.models import Platform, Track
from consent.platforms import approve_platform
from registry.adapters import AccountAdapter
from registry.tasks import send_email
from tests.disputes_helpers import claim_of, owned_track

pytestmark = pytest.mark.django_db

HOSTILE = "Night\r\nBcc: everyone@example.org\u2028X-Injected: 1\x85Drive"


def assert_one_line_without_injected_headers(email) -> None:
    assert email.subject.splitlines() == [email.subject]
    headers = email.message()
    assert headers["Bcc"] is None and headers["X-Injected"] is None
    assert email.bcc == []


def test_a_dispute_notice_over_a_title_with_line_breaks_is_sent_with_a_one_line_subject(
    artist, other_artist, django_capture_on_commit_callbacks
):
    track = owned_track(artist)
    Track.objects.filter(pk=track.pk).update(title=HOSTILE)  # as an older row might hold
    with django_capture_on_commit_callbacks(execute=True):
        contest_claim(
            other_artist, claim_of(artist, track), "I own this recording", "I recorded it."
        )
    assert len(mail.outbox) == 2  # both parties told, none suppressed
    for email in mail.outbox:
        assert_one_line_without_injected_headers(email)
        assert email.subject == (
            "[Music Consent Registry] A dispute was opened over “Night Bcc: everyone@example.org "
            "X-Injected: 1 Drive”"
        )


def test_a_platform_review_notice_has_a_one_line_subject(
    django_user_model, django_capture_on_commit_callbacks
):
    platform = Platform.objects.create(
        name="Acme\nBcc: everyone@example.org",
        contact_email="api@acme.example",
        intended_use="Filtering a training dataset.",
        status=Platform.Status.PENDING,
    )
    reviewer = django_user_model.objects.create_user(username="reviewer", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        approve_platform(platform, reviewer)
    (email,) = mail.outbox
    assert_one_line_without_injected_headers(email)
    assert email.subject == (
        "[Music Consent Registry] Acme Bcc: everyone@example.org can now use the registry's API"
    )


def test_a_disabled_webhook_notice_has_a_one_line_subject():
    platform = Platform.objects.create(
        name="Acme\u2029Bcc: everyone@example.org",
        contact_email="api@acme.example",
        intended_use="Filtering a training dataset.",
        status=Platform.Status.APPROVED,
    )
    endpoint = WebhookEndpoint.objects.create(
        platform=platform, url="https://hooks.acme.example/c", enabled=False, secret="whsec_x"
    )
    email_endpoint_disabled(endpoint.pk)
    (email,) = mail.outbox
    assert_one_line_without_injected_headers(email)
    assert email.subject == (
        "[Music Consent Registry] A webhook endpoint of Acme Bcc: everyone@example.org is disabled"
    )


def test_account_email_subjects_get_the_prefix_on_one_line():
    adapter = AccountAdapter(RequestFactory().get("/"))
    assert adapter.format_email_subject("Confirm\u2028Bcc: x@example.org") == (
        "[Music Consent Registry] Confirm Bcc: x@example.org"
    )


def test_the_sending_task_puts_any_subject_it_is_given_on_one_line():
    send_email.apply(args=(HOSTILE, "Body.", "from@example.org", ["to@example.org"]), throw=True)
    (email,) = mail.outbox
    assert_one_line_without_injected_headers(email)
    assert email.subject == "Night Bcc: everyone@example.org X-Injected: 1 Drive"
