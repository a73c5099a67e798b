"""Background work of the domain that Celery finds by this module's name."""

import logging

from celery import shared_task
from django.conf import settings

from consent import snapshot_files

logger = logging.getLogger(__name__)


@shared_task(
    name="consent.tasks.build_snapshot",
    acks_late=True,
    ignore_result=True,
    time_limit=settings.SNAPSHOT_BUILD_TIME_LIMIT,
    soft_time_limit=settings.SNAPSHOT_BUILD_TIME_LIMIT - 30,
)
def build_snapshot(woken: bool = False) -> int | None:
    """Write a snapshot file if the newest one is behind the registry (debounced after changes,
    and run by beat every SNAPSHOT_DEBOUNCE_SECONDS); the sequence written, or None."""
    if woken:
        snapshot_files.drop_queued_mark()  # from now on a new change queues a new build
    try:
        made = snapshot_files.build()
    except snapshot_files.BuildBusy:
        return None  # the build running now, or the next beat, covers what this one would
    return made.sequence if made else None
