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
def build_snapshot() -> int | None:
    """Write a snapshot file if the newest one is behind the registry and at least
    SNAPSHOT_DEBOUNCE_SECONDS old (queued after changes, and run by beat); the sequence written,
    or None."""
    try:
        made = snapshot_files.build(min_age=settings.SNAPSHOT_DEBOUNCE_SECONDS)
    except snapshot_files.BuildBusy:
        return None  # the build running now, or the next beat, covers what this one would
    return made.sequence if made else None
