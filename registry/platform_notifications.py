"""Emails to a platform's contact when an administrator approves, refuses or suspends it.

`consent.platforms` sends `platform_reviewed` inside the transaction of the review; the email is
queued only once that transaction commits, so a rolled-back review tells nobody anything.
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from consent.mail import queue_email, render_email
from consent.models import Platform
from consent.text import email_subject
from registry.tasks import send_email

SUBJECTS = {
    Platform.Status.APPROVED: "{name} can now use the registry's API",
    Platform.Status.REFUSED: "Your application for {name} was not accepted",
    Platform.Status.SUSPENDED: "{name}'s access to the registry is suspended",
}


def notify_platform_contact(sender, platform: Platform, event: str, **kwargs) -> None:
    if event not in SUBJECTS or not platform.contact_email:
        return
    subject = email_subject(SUBJECTS[event].format(name=platform.name))
    body = render_email(
        "registry/platforms/email/reviewed.txt",
        {
            "event": event,
            "platform": platform,
            "console_url": settings.SITE_URL
            + reverse("platform_detail", args=[platform.public_id]),
            "docs_url": settings.SITE_URL + reverse("api_docs"),
            "contact_email": settings.CONTACT_EMAIL,
        },
    )
    args = (subject, body, settings.DEFAULT_FROM_EMAIL, [platform.contact_email])
    transaction.on_commit(lambda: queue_email(send_email, *args, what="a platform review email"))
