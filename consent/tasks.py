"""Background work of the domain: catalogue-wide changes of large catalogues (consent.jobs)."""

import time

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from consent import jobs


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
