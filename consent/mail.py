"""How the project's emails leave: queued on Celery, or sent in-process when the broker is down.

An email matters more than the queue it travels through: a verification link, a dispute's
decision, a collision notice or a disabled webhook must reach its reader even while the broker
is unreachable. Callers render the email (or pass the ids its task renders it from) and hand the
task and its arguments to `queue_email`; callers inside a transaction do so on commit.

Every email names the site and links to it the same way: `render_email` gives each template
`site_name` (settings.SITE_NAME) and `site_url` (settings.SITE_URL, the serving address that
every link in an email starts with), and templates/email/signature.txt signs with both.
"""

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from celery import Task
from django.conf import settings
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def queue_email(task: Task, *args, what: str = "an email") -> None:
    """Queue `task(*args)` on the broker; if the broker is unreachable, run it here and now.

    In-process the task's own errors reach the caller, as a direct send's would. `what` names
    the email in the warning logged then, e.g. "a dispute email".
    """
    try:
        task.delay(*args)
    except OperationalError:
        logger.warning("Broker unreachable; sending %s in-process.", what)
        task.apply(args=args, throw=True)


def email_context(context: Mapping) -> dict:
    """`context` with the site's name and address every email signs and links with."""
    return {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}


def render_email(template_name: str, context: Mapping) -> str:
    """The body of an email, rendered with `email_context`."""
    return render_to_string(template_name, email_context(context))


def on_site(url: str) -> str:
    """`url` at the serving address (SITE_URL): its path, query and fragment kept, the scheme
    and host replaced, so no email links to the host a request happened to arrive at."""
    parts = urlsplit(url)
    return settings.SITE_URL + urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
