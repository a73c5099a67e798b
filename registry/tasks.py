"""Background work of the website: sending email and building the feeds off the request path."""

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


# The first build at a million tracks takes minutes (bench/README.md): longer than the default
# limit of a task, so this one has an hour; `manage.py build_feeds` has none.
@shared_task(
    name="registry.tasks.refresh_feeds",
    acks_late=True,
    ignore_result=True,
    time_limit=3600,
    soft_time_limit=3500,
)
def refresh_feeds() -> dict[str, object]:
    """Rebuild the feed files the change events since the last run touch (registry.feed_store);
    scheduled after each commit, debounced, and run by beat as a safety net."""
    from dataclasses import asdict

    from django.core.cache import cache

    from registry import feed_store

    try:
        cache.delete(feed_store.SCHEDULED)  # from now on a new commit schedules a new run
    except Exception:
        logger.warning("feeds: the cache is unavailable; the next commit may wait for beat")
    return asdict(feed_store.refresh())


@shared_task(name="registry.tasks.build_creator_licence", acks_late=True, ignore_result=True)
def build_creator_licence_task(creator_id: int) -> None:
    """Build a creator's registry licence asked for before any change had built it."""
    from consent.models import Creator
    from registry import feed_store

    creator = Creator.objects.filter(pk=creator_id).first()
    if creator is not None:
        feed_store.build_creator_licence(creator)
