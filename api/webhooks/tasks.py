"""Celery tasks of webhook delivery, and how they are queued.

Tasks take primary keys, are idempotent (the database says what is due; a task that finds
nothing to do does nothing) and run with `acks_late`, so a worker that dies mid-task leaves the
task to be delivered again. Queuing never fails a caller: when the broker is unreachable the
beat sweep queues the work once it is back. A cache mark per endpoint keeps a burst of commits
from queuing a burst of identical tasks.

Task names are explicit and keep the module they were first registered under (`api.tasks.…`):
messages already queued, and the beat schedule in settings, name tasks by these strings.
"""

import logging

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from kombu.exceptions import OperationalError

from api.webhooks import dispatch

logger = logging.getLogger(__name__)

# Retries sooner than this are also queued with a countdown, as a shortcut; the sweep, which
# reads `next_attempt_at` from the database, remains what guarantees them.
COUNTDOWN_MAX_SECONDS = 60
SWEEP_MARK = "webhooks:sweep-queued"


def _queued_key(endpoint_id: int) -> str:
    return f"webhooks:queued:{endpoint_id}"


def _mark_seconds() -> int:
    # A queued task that got lost keeps its mark this long; then the sweep queues it again.
    return 3 * settings.WEBHOOK_SWEEP_SECONDS


def _claim_mark(key: str) -> bool:
    """True if no task with this mark is waiting in the queue (and now one is marked)."""
    try:
        return bool(cache.add(key, 1, _mark_seconds()))
    except Exception:
        return True  # no cache: queue anyway; tasks are idempotent


def _drop_mark(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.debug("Cache unreachable; the mark %s expires by itself.", key)


def publish(task, key: str | None, args: tuple = (), countdown: float | None = None) -> bool:
    try:
        task.apply_async(args=args, countdown=countdown, retry=False)
    except (OperationalError, OSError):  # the committed data is safe; the sweep finds it
        logger.warning("Broker unreachable; %s waits for the next sweep.", task.name)
        if key:
            _drop_mark(key)
        return False
    return True


def wake_endpoint(endpoint_id: int) -> None:
    """Queue a delivery run for the endpoint, unless one is already waiting in the queue."""
    key = _queued_key(endpoint_id)
    if _claim_mark(key):
        publish(deliver_webhooks, key, (endpoint_id,))


def wake_all() -> None:
    """Queue a sweep (one at a time), which queues a run for every endpoint that is behind."""
    if _claim_mark(SWEEP_MARK):
        publish(sweep_webhooks, SWEEP_MARK, (True,))


def on_changes_committed(sender, last_sequence: int, **kwargs) -> None:
    """Receiver of `consent.signals.changes_committed`, sent after the commit."""
    try:
        wake_all()
    except Exception:  # the change is committed; a failed wake-up must not fail the request
        logger.exception("Queuing webhook deliveries failed; the sweep will find them.")


@shared_task(name="api.tasks.deliver_webhooks", acks_late=True, ignore_result=True)
def deliver_webhooks(endpoint_id: int) -> str:
    _drop_mark(_queued_key(endpoint_id))  # from now on a new wake-up queues a new run
    run = dispatch.deliver(endpoint_id)
    if run.outcome == dispatch.MORE:
        wake_endpoint(endpoint_id)  # to the back of the queue, so other endpoints get a turn
    elif (
        run.outcome == dispatch.WAITING
        and run.retry_in is not None
        and run.retry_in <= COUNTDOWN_MAX_SECONDS
        and not deliver_webhooks.app.conf.task_always_eager  # in-process, it would not wait
    ):
        publish(deliver_webhooks, None, (endpoint_id,), countdown=run.retry_in)
    return run.outcome


@shared_task(name="api.tasks.sweep_webhooks", acks_late=True, ignore_result=True)
def sweep_webhooks(woken: bool = False) -> int:
    """Beat task (and the target of wake-ups): queue a run for each due endpoint."""
    if woken:
        _drop_mark(SWEEP_MARK)
    due = dispatch.due_endpoints()
    for endpoint_id in due:
        wake_endpoint(endpoint_id)
    return len(due)


@shared_task(name="api.tasks.send_test_event", acks_late=True, ignore_result=True)
def send_test_event(endpoint_id: int, webhook_id: str) -> None:
    dispatch.send_test(endpoint_id, webhook_id)


@shared_task(name="api.tasks.prune_webhook_log", ignore_result=True)
def prune_webhook_log() -> int:
    return dispatch.prune_log(settings.WEBHOOK_LOG_DAYS)
