"""Background work of the domain that Celery finds by this module's name: snapshot files
(consent.snapshot_files) and catalogue-wide changes of large catalogues (consent.jobs)."""

import time

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from consent import jobs, snapshot_files


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


@shared_task(acks_late=True)
def apply_catalogue_job(job_id: int) -> None:
    """Apply a catalogue change chunk by chunk; after half the task time limit the rest goes
    back to the queue as a new task, so no task is cut off by the limit mid-chunk."""
    deadline = time.monotonic() + settings.CELERY_TASK_TIME_LIMIT / 2
    while time.monotonic() < deadline:
        job = jobs.run_chunk(job_id)
        if job is None or job.finished_at is not None:
            return
    apply_catalogue_job.delay(job_id)


@shared_task(acks_late=True)
def resume_catalogue_jobs() -> list[int]:
    """Beat's sweep: resume the jobs a dead worker or a lost task left unfinished."""
    return jobs.resume_stale_jobs()


@worker_ready.connect
def _resume_on_start(**_) -> None:
    # A worker starting after a crash picks up what the crashed one left, without waiting for
    # the jobs to look idle: a job still running elsewhere keeps its row, and this run stops.
    jobs.resume_stale_jobs(stale_seconds=0)
