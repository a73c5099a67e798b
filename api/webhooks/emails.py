"""The email a platform's contact gets when one of its webhook endpoints is disabled."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from api.models import WebhookEndpoint
from consent.mail import queue_email, render_email
from consent.text import email_subject


# The name it was first registered under: messages already queued name the task by it.
@shared_task(
    name="api.notifications.email_endpoint_disabled",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_kwargs={"max_retries": 8},
    acks_late=True,
)
def email_endpoint_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("platform").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.enabled or not endpoint.platform.contact_email:
        return  # deleted or enabled again meanwhile: nothing to tell
    console_url = settings.SITE_URL + reverse(
        "platform_webhook_detail", args=[endpoint.platform.public_id, endpoint.public_id]
    )
    body = render_email(
        "api/email/webhook_disabled.txt", {"endpoint": endpoint, "console_url": console_url}
    )
    send_mail(
        email_subject(f"A webhook endpoint of {endpoint.platform.name} is disabled"),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [endpoint.platform.contact_email],
    )


def notify_disabled(endpoint: WebhookEndpoint) -> None:
    """Queue the email once the transaction that disabled the endpoint commits."""
    transaction.on_commit(
        lambda: queue_email(email_endpoint_disabled, endpoint.pk, what="a webhook notice")
    )
