"""Background work of the website: sending email off the request path."""

import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

from consent.text import one_line

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(OSError,), retry_backoff=30, retry_kwargs={"max_retries": 8}, acks_late=True
)
def send_email(
    subject: str, body: str, from_email: str, to: list[str], html: str | None = None
) -> None:
    """Send one rendered email; SMTP hiccups are retried with back-off.

    Subjects are built with `consent.text.email_subject`; `one_line` again here means no caller
    can ever hand a line break to the mail headers.
    """
    message = EmailMultiAlternatives(one_line(subject), body, from_email, to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@shared_task(acks_late=True)
def recheck_proofs() -> dict[str, int]:
    """Fetch the proof pages that are due again (consent.proofs.recheck_due); run by beat."""
    from consent.proofs import recheck_due

    return recheck_due()


@shared_task(acks_late=True)
def chase_information_requests() -> dict[str, int]:
    """Remind parties asked for information before their deadline, and return to the reviewers'
    queue every case whose deadline passed (consent.disputes); run by beat."""
    from consent.disputes import expire_information_requests, remind_information_requests

    return {
        "reminded": remind_information_requests(),
        "returned": expire_information_requests(),
    }
