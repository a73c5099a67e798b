"""Catalogue-wide changes of large catalogues, applied in the background.

A label changing the AI purposes of 100,000 tracks cannot wait for 100,000 policies to be
computed inside its request. When the catalogue holds more than CATALOGUE_SYNC_TRACKS tracks,
`consent.services.declare` records the declarations (and their log entries) at once, with a
CatalogueJob in the same transaction, and returns; the job then brings the catalogue's tracks up
to date CATALOGUE_JOB_CHUNK at a time, each chunk in its own transaction computed outside the
consent write lock (consent.writes), so no other writer waits for more than one chunk's
numbering and commit.

Nothing is lost if a worker dies: the declarations are already committed, each chunk moves the
job's cursor in the transaction that writes its policies (a chunk is applied once or not at all),
and refreshing a track that is already up to date writes nothing, so a chunk done twice is
harmless. Beat (`resume_catalogue_jobs`) and every worker start resume any job idle for
CATALOGUE_JOB_STALE_SECONDS. Until a track is reached, lookups give its earlier answer; the
artist's dashboard shows how far the job has got.
"""

import logging
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone

from consent.models import CatalogueJob, Claim, Creator
from consent.policies import refresh_policies
from consent.writes import prepared_write

logger = logging.getLogger(__name__)


def catalogue_track_ids(creator_id: int, after: int = 0, limit: int | None = None) -> list[int]:
    """The tracks a creator's catalogue-wide declarations apply to, in id order."""
    rows = (
        Claim.objects.active()
        .filter(creator_id=creator_id, track_id__gt=after)
        .order_by("track_id")
        .values_list("track_id", flat=True)
        .distinct()
    )
    return list(rows[:limit] if limit else rows)


def catalogue_size(creator_id: int) -> int:
    return (
        Claim.objects.active().filter(creator_id=creator_id).values("track_id").distinct().count()
    )


def start_job(creator: Creator, batch: uuid.UUID, total: int) -> CatalogueJob:
    """Record a job for the change saved as `batch`, inside the transaction that saves it, and
    start it once that transaction commits. An earlier unfinished job of the same creator is
    finished too: this one refreshes every track from the declarations in force, theirs
    included."""
    now = timezone.now()
    CatalogueJob.objects.filter(creator=creator, finished_at__isnull=True).update(
        finished_at=now, updated_at=now
    )
    job = CatalogueJob.objects.create(
        creator=creator, batch=batch, total=total, created_at=now, updated_at=now
    )
    transaction.on_commit(lambda: launch(job.pk))
    return job


def launch(job_id: int) -> None:
    """Queue the job; with tasks in-process (no broker), run it on a thread of this process
    under `make run` (debug on) so the request still answers at once, and right here otherwise
    (tests, one-off commands)."""
    from consent import tasks

    if settings.CELERY_TASK_ALWAYS_EAGER and settings.DEBUG:
        threading.Thread(target=_run_in_thread, args=(job_id,), daemon=True).start()
    else:
        tasks.apply_catalogue_job.delay(job_id)


def _run_in_thread(job_id: int) -> None:
    try:
        run_job(job_id)
    except Exception:
        # Left unfinished: the next start or sweep resumes it.
        logger.exception("Catalogue job %s stopped", job_id)
    finally:
        close_old_connections()


def run_chunk(job_id: int, chunk: int | None = None) -> CatalogueJob | None:
    """Bring the job's next chunk of tracks up to date and move its cursor, in one transaction.

    None when there is nothing to do: the job has finished, or another worker holds it (its row
    is locked for the length of a chunk, so two workers never apply one job at once).
    """
    chunk = chunk or settings.CATALOGUE_JOB_CHUNK

    def body() -> CatalogueJob | None:
        job = (
            CatalogueJob.objects.select_for_update(skip_locked=True)
            .filter(pk=job_id, finished_at__isnull=True)
            .first()
        )
        if job is None:
            return None
        track_ids = catalogue_track_ids(job.creator_id, after=job.cursor, limit=chunk)
        if track_ids:
            refresh_policies(track_ids, cause="declaration")
            job.cursor = track_ids[-1]
            job.done += len(track_ids)
        now = timezone.now()
        job.updated_at = now
        if len(track_ids) < chunk:
            job.finished_at = now
            job.done = max(job.done, job.total)
        job.save(update_fields=["cursor", "done", "updated_at", "finished_at"])
        return job

    return prepared_write(body)


def run_job(job_id: int) -> None:
    """Apply every remaining chunk of the job (bounded: a chunk always moves the cursor or
    finishes the job)."""
    while True:
        job = run_chunk(job_id)
        if job is None or job.finished_at is not None:
            return


def resume_stale_jobs(stale_seconds: int | None = None) -> list[int]:
    """Queue every unfinished job idle for `stale_seconds`: its worker died or its task was
    lost. A job still running elsewhere only loses the race for its row."""
    stale_seconds = settings.CATALOGUE_JOB_STALE_SECONDS if stale_seconds is None else stale_seconds
    before = timezone.now() - timedelta(seconds=stale_seconds)
    ids = list(
        CatalogueJob.objects.filter(finished_at__isnull=True, updated_at__lte=before)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    for job_id in ids:
        launch(job_id)
    return ids


def resume_if_idle(job: CatalogueJob | None) -> None:
    """Without a broker (`make run`) no beat sweeps: a job left unfinished by a stopped server
    resumes when its artist looks at its progress. With a broker, beat does it."""
    if job is None or job.finished_at is not None or not settings.CELERY_TASK_ALWAYS_EAGER:
        return
    now = timezone.now()
    if job.updated_at > now - timedelta(seconds=settings.CATALOGUE_JOB_STALE_SECONDS):
        return
    # Claimed by moving its heartbeat, so two looks at once start it once.
    if CatalogueJob.objects.filter(pk=job.pk, updated_at=job.updated_at).update(updated_at=now):
        launch(job.pk)


def current_job(creator: Creator) -> CatalogueJob | None:
    """The creator's catalogue change being applied, else the one that finished last within a
    minute (so the dashboard can say it is done)."""
    job = CatalogueJob.objects.filter(creator=creator).order_by("-id").first()
    if job is None:
        return None
    if job.finished_at is not None and job.finished_at < timezone.now() - timedelta(minutes=1):
        return None
    return job
