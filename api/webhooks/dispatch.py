"""Delivering change events to webhook endpoints: ordered, signed, at least once.

Per endpoint, one batch at a time:

1. Form the batch (a short transaction holding the endpoint's row lock): the events after the
   cursor that pass the endpoint's filters, rendered once and stored on the row with a new
   `webhook-id`. Committing it before the first attempt is what lets every retry, even after a
   worker was killed mid-request, send the same events under the same id.
2. Send it (a second transaction holding the row lock for the length of the POST, at most the
   timeout). Rows are claimed with `select_for_update(skip_locked=True)`, so two workers never
   send to one endpoint at once: the second moves on, and the endpoint's events stay in order.
   A 2xx moves the cursor to the batch's end; anything else schedules a retry in the database
   (`next_attempt_at`, Standard Webhooks' schedule plus jitter, or Retry-After when longer),
   410 Gone or the last failed retry disables the endpoint and emails the platform.

Wake-ups. Every delivery run first marks its endpoint "dirty" in the cache, then tries the lock.
The run holding the lock clears the mark each time it takes the lock to read the log, and once it
is caught up it looks at the mark again: if another run marked it meanwhile (and left because the
row was locked), it goes round again. So a run that finds the lock taken can simply leave. If
the cache or the broker fails, the beat sweep (`due_endpoints`) still finds the endpoint: a lost
wake-up delays a delivery by one sweep interval, never loses it.
"""

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint
from api.webhooks import batches, client, signing
from api.webhooks.emails import notify_disabled
from consent.models import Platform
from consent.policies import last_sequence

logger = logging.getLogger(__name__)

# Outcomes of a delivery run.
SENT = "sent"  # a batch was acknowledged (or someone else delivered it): look again
IDLE = "idle"  # nothing after the cursor
BUSY = "busy"  # another run holds the endpoint
WAITING = "waiting"  # a retry is scheduled for later
STOPPED = "stopped"  # disabled, deleted, or its platform has no access
MORE = "more"  # the run's time is up with batches left: queue another run

JITTER = 0.1  # retries wait up to 10% longer than scheduled, so endpoints don't retry in step
RUN_SECONDS = 5.0  # then the run yields the worker to other endpoints' runs
SCANS_PER_STEP = 20  # empty (filtered-out) windows skipped per step before yielding
DIRTY_SECONDS = 600


@dataclass(frozen=True)
class Run:
    outcome: str
    retry_in: float | None = None
    delivered: int = 0


def signing_secrets(endpoint: WebhookEndpoint, now=None) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    now = now or timezone.now()
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires and expires > now:
        secrets.append(endpoint.previous_secret)
    return secrets


def retry_wait(attempt: int, retry_after: float | None = None) -> float:
    """Seconds before retry number `attempt` (1 = the first retry)."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    base = schedule[attempt - 1]
    wait = base + random.uniform(0, base * JITTER)
    if retry_after is not None:
        # Honoured, but never beyond the longest wait of the schedule.
        wait = max(wait, min(retry_after, max(schedule)))
    return wait


def http_options() -> dict:
    return {
        "timeout": settings.WEBHOOK_TIMEOUT_SECONDS,
        "max_response_bytes": settings.WEBHOOK_MAX_RESPONSE_BYTES,
        "allowed": client.allowed_networks(settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES),
        "require_https": settings.WEBHOOK_REQUIRE_HTTPS,
    }


# --- Wake-up marks (see the module docstring) -------------------------------------------------


def _dirty_key(endpoint_id: int) -> str:
    return f"webhooks:dirty:{endpoint_id}"


def _mark(endpoint_id: int) -> None:
    try:
        cache.set(_dirty_key(endpoint_id), 1, DIRTY_SECONDS)
    except Exception:  # the cache is a shortcut; the sweep is the guarantee
        logger.warning("Cache unreachable; webhook endpoint %s waits for the sweep.", endpoint_id)


def _unmark(endpoint_id: int) -> bool:
    """Clear the mark; True if it was set."""
    try:
        return bool(cache.delete(_dirty_key(endpoint_id)))
    except Exception:
        return False


# --- One run ----------------------------------------------------------------------------------


def deliver(endpoint_id: int, *, seconds: float = RUN_SECONDS) -> Run:
    """Send the endpoint's batches, in order, until it is caught up, must wait, or time is up."""
    _mark(endpoint_id)
    deadline = time.monotonic() + seconds
    delivered = 0
    while True:
        step = _step(endpoint_id)
        if step.outcome == SENT:
            delivered += 1
            if time.monotonic() >= deadline:
                return Run(MORE, delivered=delivered)
            continue
        if step.outcome == IDLE and _unmark(endpoint_id):
            continue  # woken while we held the lock: new events may have committed
        return Run(step.outcome, step.retry_in, delivered)


def _locked(endpoint_id: int) -> WebhookEndpoint | None:
    return (
        WebhookEndpoint.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("platform")
        .filter(pk=endpoint_id)
        .first()
    )


def _absent(endpoint_id: int) -> Run:
    exists = WebhookEndpoint.objects.filter(pk=endpoint_id).exists()
    return Run(BUSY if exists else STOPPED)


def _hold(endpoint: WebhookEndpoint, now) -> Run | None:
    """Why the endpoint gets nothing now, or None when it may be sent to."""
    if not endpoint.enabled or endpoint.platform.status != Platform.Status.APPROVED:
        return Run(STOPPED)
    if endpoint.next_attempt_at and endpoint.next_attempt_at > now:
        return Run(WAITING, (endpoint.next_attempt_at - now).total_seconds())
    return None


def _step(endpoint_id: int) -> Run:
    """Form the next batch if none is pending, then send it."""
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        if endpoint is None:
            return _absent(endpoint_id)
        _unmark(endpoint_id)  # what we read below covers every wake-up so far
        now = timezone.now()
        hold = _hold(endpoint, now)
        if hold:
            return hold
        if not endpoint.has_batch:
            formed = _form_batch(endpoint, now)
            if formed != SENT:
                return Run(formed)
    return _send(endpoint_id)


def _form_batch(endpoint: WebhookEndpoint, now) -> str:
    """SENT once a batch is stored (or the cursor skipped filtered-out events), IDLE if none."""
    advanced = False
    for _ in range(SCANS_PER_STEP):
        batch = batches.next_batch(endpoint, settings.WEBHOOK_BATCH_SIZE)
        if batch is None:
            break
        if not batch.events:
            endpoint.cursor = batch.until
            advanced = True
            continue
        body = batches.batch_body(endpoint, batch, now)
        endpoint.batch_id = signing.new_message_id()
        endpoint.batch_first, endpoint.batch_last = batch.first, batch.last
        endpoint.batch_until = batch.until
        endpoint.batch_count = len(batch.events)
        endpoint.batch_body = body.decode()
        endpoint.attempts = 0
        endpoint.next_attempt_at = None
        endpoint.save(update_fields=[*BATCH_FIELDS, "cursor", "updated_at"])
        return SENT
    if advanced:
        endpoint.save(update_fields=["cursor", "updated_at"])
        return SENT if batch is not None else IDLE
    return IDLE


BATCH_FIELDS = [
    "batch_id",
    "batch_first",
    "batch_last",
    "batch_until",
    "batch_count",
    "batch_body",
    "attempts",
    "next_attempt_at",
]


def _send(endpoint_id: int) -> Run:
    with transaction.atomic():
        endpoint = _locked(endpoint_id)
        if endpoint is None:
            return _absent(endpoint_id)
        started = timezone.now()
        hold = _hold(endpoint, started)
        if hold:
            return hold
        if not endpoint.has_batch:
            return Run(SENT)  # another run delivered it between our two transactions
        body = endpoint.batch_body.encode()
        headers = signing.headers(
            signing_secrets(endpoint, started), endpoint.batch_id, int(time.time()), body
        )
        result = _post(endpoint.url, body, headers)
        return _record(endpoint, result, started)


def _post(url: str, body: bytes, headers: dict[str, str]) -> client.Result:
    """A failed attempt even when sending itself breaks: an unrecorded attempt would be retried
    for ever without ever counting towards disabling the endpoint."""
    try:
        return client.post(url, body, headers, **http_options())
    except Exception as exc:
        logger.exception("Sending a webhook to %s failed unexpectedly", url)
        return client.Result(error=f"The registry could not send it ({exc.__class__.__name__}).")


def _record(endpoint: WebhookEndpoint, result: client.Result, started) -> Run:
    now = timezone.now()
    attempt = endpoint.attempts + 1
    log = WebhookDelivery(
        endpoint=endpoint,
        kind=WebhookDelivery.Kind.EVENTS,
        webhook_id=endpoint.batch_id,
        attempt=attempt,
        first_sequence=endpoint.batch_first,
        last_sequence=endpoint.batch_last,
        event_count=endpoint.batch_count,
        attempted_at=started,
        status_code=result.status,
        duration_ms=result.duration_ms,
        error=result.error[:300],
        response_excerpt=result.excerpt,
    )
    if result.ok:
        log.outcome = WebhookDelivery.Outcome.DELIVERED
        endpoint.cursor = endpoint.batch_until
        endpoint.clear_batch()
        endpoint.last_success_at = now
        endpoint.save(update_fields=[*BATCH_FIELDS, "cursor", "last_success_at", "updated_at"])
        log.save()
        return Run(SENT)

    log.outcome = (
        WebhookDelivery.Outcome.REFUSED if result.refused else WebhookDelivery.Outcome.FAILED
    )
    (logger.warning if result.refused else logger.info)(
        "Webhook %s to %s failed (attempt %s): %s",
        endpoint.batch_id,
        endpoint.url,
        attempt,
        describe(result),
    )
    endpoint.attempts = attempt
    endpoint.last_failure_at = now
    run = Run(STOPPED)
    if result.status == 410:
        disable(endpoint, "The endpoint answered 410 Gone, which asks senders to stop.")
    elif attempt > len(settings.WEBHOOK_RETRY_SCHEDULE):
        disable(
            endpoint,
            f"{attempt} attempts in a row failed over the whole retry schedule; the last: "
            f"{describe(result)}",
        )
    else:
        wait = retry_wait(attempt, result.retry_after)
        endpoint.next_attempt_at = now + timedelta(seconds=wait)
        log.next_attempt_at = endpoint.next_attempt_at
        run = Run(WAITING, wait)
    endpoint.save(
        update_fields=[
            "attempts",
            "last_failure_at",
            "next_attempt_at",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "updated_at",
        ]
    )
    log.save()
    return run


def describe(result: client.Result) -> str:
    if result.status is not None:
        return f"HTTP {result.status}"
    return result.error or "no answer"


def disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Stop sending (the cursor and the pending batch stay) and tell the platform's contact."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:300]
    endpoint.disabled_at = timezone.now()
    endpoint.next_attempt_at = None
    logger.warning("Webhook endpoint %s (%s) disabled: %s", endpoint.pk, endpoint.url, reason)
    notify_disabled(endpoint)


# --- The sweep, test events and the log ---------------------------------------------------------


def due_endpoints() -> list[int]:
    """Enabled endpoints of approved platforms that are behind or hold a batch, and are due."""
    now = timezone.now()
    return list(
        WebhookEndpoint.objects.filter(enabled=True, platform__status=Platform.Status.APPROVED)
        .filter(Q(cursor__lt=last_sequence()) | ~Q(batch_id=""))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .values_list("pk", flat=True)
    )


def send_test(endpoint_id: int, webhook_id: str) -> WebhookDelivery | None:
    """POST a `webhook.test` message once, beside the ordered log (it moves no cursor)."""
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        return None
    started = timezone.now()
    body = batches.body_of_test_event(endpoint, started, last_sequence())
    headers = signing.headers(
        signing_secrets(endpoint, started), webhook_id, int(time.time()), body
    )
    result = _post(endpoint.url, body, headers)
    if result.refused:
        logger.warning("Test webhook to %s refused: %s", endpoint.url, result.error)
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        kind=WebhookDelivery.Kind.TEST,
        webhook_id=webhook_id,
        attempted_at=started,
        outcome=(
            WebhookDelivery.Outcome.DELIVERED
            if result.ok
            else WebhookDelivery.Outcome.REFUSED
            if result.refused
            else WebhookDelivery.Outcome.FAILED
        ),
        status_code=result.status,
        duration_ms=result.duration_ms,
        error=result.error[:300],
        response_excerpt=result.excerpt,
    )


def prune_log(days: int) -> int:
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = WebhookDelivery.objects.filter(attempted_at__lt=cutoff).delete()
    return deleted
