"""Writes computed outside the consent write lock (consent.writes) and catalogue-wide changes
applied by a background job (consent.jobs): the same policies as the per-track path, events
without gaps, the log complete, other writers and readers never held up for the computation,
and a job that survives the death of its worker."""

import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

from consent import jobs, policies, writes
from consent.errors import ConsentError
from consent.models import CatalogueJob, ChangeEvent, Claim, Declaration, EffectivePolicy
from consent.policies import (
    RegistryBusy,
    find_policy_differences,
    last_sequence,
    lock_consent_writes,
)
from consent.purposes import AI_OPT_OUT, PURPOSES, Purpose, PurposeChoice, Value
from consent.services import TrackData, declare, declare_for_tracks, register_tracks
from consent.transparency import verify
from tests.conftest import make_artist, verify_claims_of
from tests.factories import register

TERMS = "https://example.org/licensing"


def choice(value: Value) -> PurposeChoice:
    return PurposeChoice(value, terms_url=TERMS if value == Value.LICENSE else "")


def opt_out(value: Value = Value.DENY) -> dict:
    return {purpose: PurposeChoice(value) for purpose in AI_OPT_OUT}


def sequences() -> list[int]:
    return list(ChangeEvent.objects.order_by("sequence").values_list("sequence", flat=True))


def assert_consistent() -> None:
    """What is stored is what the per-track resolution gives, the events are numbered without
    gaps up to the counter, and the transparency log accepts every row."""
    assert find_policy_differences() == []
    numbers = sequences()
    assert numbers == list(range(1, len(numbers) + 1))
    assert last_sequence() == len(numbers)
    assert list(verify.problems()) == []


# --- The same results as the per-track path ---------------------------------------------------


def random_catalogue(rng: random.Random, creators: int, tracks: int) -> list:
    """Creators sharing tracks (co-owners, disputes), some verified, with catalogue and
    track-level declarations of every value."""
    artists = [make_artist() for _ in range(creators)]
    for index, artist in enumerate(artists):
        # The first holds every shared track; each other one shares a few (each shared track
        # opens a dispute, and an account may open only so many a day) and has its own.
        shared = range(tracks) if index == 0 else rng.sample(range(tracks), k=3)
        items = [
            TrackData(
                title=f"Song {n}",
                artist_credit="Band",
                roles=[rng.choice(["recording", "composition"])],
                isrc=f"GBAYE26{n:05d}",
            )
            for n in shared
        ] + [
            TrackData(
                title=f"Own {n}",
                artist_credit="Solo",
                roles=["recording"],
                isrc=f"USAB{index}26{n:05d}",
            )
            for n in range(3)
        ]
        if items:
            register_tracks(artist, items)
        if rng.random() < 0.5:
            verify_claims_of(artist)
    for artist in artists:
        claimed = list(
            Claim.objects.active().filter(creator=artist).values_list("track_id", flat=True)
        )
        for track_id in rng.sample(claimed, k=min(len(claimed), 3)):
            declare_for_tracks(
                artist,
                {track_id: {rng.choice(PURPOSES): choice(rng.choice(list(Value)))}},
            )
    return artists


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_catalogue_changes_computed_outside_the_lock_equal_the_per_track_path(seed):
    rng = random.Random(seed)
    artists = random_catalogue(rng, creators=3, tracks=12)
    for _ in range(4):
        artist = rng.choice(artists)
        values = {p: choice(rng.choice(list(Value))) for p in rng.sample(PURPOSES, k=3)}
        declare(artist, values)
        assert_consistent()


@pytest.mark.django_db
def test_a_catalogue_change_writes_an_event_for_each_track_it_changes_and_only_those():
    artist = make_artist()
    tracks = register(artist, count=4, isrc="GBAYE26{n:05d}", title="Song {n}")
    declare(artist, {Purpose.TRAIN_AI: choice(Value.ALLOW)}, track=tracks[0])
    verify_claims_of(artist)
    before = last_sequence()
    declare(artist, opt_out())
    changed = ChangeEvent.objects.filter(sequence__gt=before)
    # The first track keeps its own allow of AI training, but its generative training and AI
    # input follow the catalogue: every track changes.
    assert sorted(changed.values_list("track_id", flat=True)) == sorted(t.id for t in tracks)
    assert_consistent()
    before = last_sequence()
    declare(artist, opt_out())  # the same again: nothing changes
    assert last_sequence() == before


# --- While others write --------------------------------------------------------------------


def slow_preparation(monkeypatch, started: threading.Event, release: threading.Event) -> None:
    """The next write prepared outside the lock stops after deriving, until released."""
    original = policies.derive_policies

    def derive(track_ids):
        result = original(track_ids)
        if policies.preparing_write() is not None and not started.is_set():
            started.set()
            assert release.wait(timeout=60)
        return result

    monkeypatch.setattr(policies, "derive_policies", derive)


def run_in_thread(target, errors: list) -> threading.Thread:
    def run():
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_other_writers_and_lookups_go_on_while_a_catalogue_change_is_computed(monkeypatch):
    label = make_artist()
    register(label, count=6, isrc="GBAYE26{n:05d}", title="Song {n}")
    other = make_artist()
    own = register(other, isrc="USRC17607839", title="Elsewhere")
    started, release = threading.Event(), threading.Event()
    slow_preparation(monkeypatch, started, release)
    errors: list = []
    thread = run_in_thread(lambda: declare(label, opt_out()), errors)
    try:
        assert started.wait(timeout=60), errors
        # The label's change is being computed: another artist's save and a lookup finish now,
        # well before it is let go.
        began = time.monotonic()
        declare(other, {Purpose.TRAIN_GENAI: choice(Value.DENY)}, track=own)
        assert EffectivePolicy.objects.get(track=own).train_genai == Value.DENY
        assert time.monotonic() - began < 10
        assert thread.is_alive()
    finally:
        release.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert set(
        EffectivePolicy.objects.filter(track__claims__creator=label).values_list(
            "train_ai", flat=True
        )
    ) == {Value.DENY}
    assert_consistent()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_track_changed_by_a_co_owner_meanwhile_is_computed_again_under_the_lock(monkeypatch):
    label = make_artist()
    tracks = register(label, count=3, isrc="GBAYE26{n:05d}", title="Song {n}")
    co_owner = make_artist()
    shared = register(co_owner, isrc=tracks[0].isrc, title=tracks[0].title)
    started, release = threading.Event(), threading.Event()
    slow_preparation(monkeypatch, started, release)
    recomputed: list = []
    original = writes.stale_tracks
    monkeypatch.setattr(
        writes, "stale_tracks", lambda *a: recomputed.append(original(*a)) or recomputed[-1]
    )
    errors: list = []
    thread = run_in_thread(lambda: declare(label, {Purpose.SEARCH: choice(Value.DENY)}), errors)
    try:
        assert started.wait(timeout=60), errors
        # The co-owner's reservation commits after the label's change was computed.
        declare(co_owner, {Purpose.TDM: choice(Value.DENY)}, track=shared)
    finally:
        release.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert recomputed == [{shared.id}]
    policy = EffectivePolicy.objects.get(track=shared)
    assert (policy.tdm, policy.search) == (Value.DENY, Value.DENY)
    assert_consistent()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_same_artist_saving_meanwhile_makes_the_change_start_again(monkeypatch):
    artist = make_artist()
    register(artist, count=3, isrc="GBAYE26{n:05d}", title="Song {n}")
    started, release = threading.Event(), threading.Event()
    slow_preparation(monkeypatch, started, release)
    attempts: list = []
    original = writes.touched_since

    def touched_since(watermark):
        attempts.append(threading.current_thread())
        return original(watermark)

    monkeypatch.setattr(writes, "touched_since", touched_since)
    errors: list = []
    thread = run_in_thread(lambda: declare(artist, {Purpose.SEARCH: choice(Value.DENY)}), errors)
    try:
        assert started.wait(timeout=60), errors
        # The same artist saves again in another tab, and that save commits first.
        declare(artist, {Purpose.SEARCH: choice(Value.ALLOW)})
    finally:
        release.set()
        thread.join(timeout=60)
    assert not errors, errors
    # The artist's first attempt was thrown away (its other save had committed meanwhile); the
    # second one committed.
    assert len([t for t in attempts if t is thread]) == 2
    latest = Declaration.objects.filter(creator=artist, purpose="search").order_by("-id")[0]
    assert latest.value == "deny"  # the save that committed last is the one in force
    assert_consistent()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@override_settings(CONSENT_LOCK_TIMEOUT_MS=300)
def test_a_writer_queued_too_long_behind_the_lock_gives_up_with_nothing_saved():
    artist = make_artist()
    track = register(artist, isrc="GBAYE2600001", title="Song")
    holding, done = threading.Event(), threading.Event()
    errors: list = []

    def hold():
        with transaction.atomic():
            lock_consent_writes()
            holding.set()
            assert done.wait(timeout=60)

    thread = run_in_thread(hold, errors)
    try:
        assert holding.wait(timeout=60)
        count = Declaration.objects.count()
        began = time.monotonic()
        with pytest.raises(RegistryBusy) as raised:
            declare(artist, {Purpose.TDM: choice(Value.DENY)}, track=track)
        assert time.monotonic() - began < 5
        assert isinstance(raised.value, ConsentError)
        assert "busy" in str(raised.value) and "nothing was saved" in str(raised.value)
        assert Declaration.objects.count() == count
    finally:
        done.set()
        thread.join(timeout=60)
    assert not errors, errors


# --- Large catalogues: the background job -----------------------------------------------------


@pytest.mark.django_db
@override_settings(CATALOGUE_SYNC_TRACKS=3, CATALOGUE_JOB_CHUNK=2)
def test_a_large_catalogue_change_is_recorded_at_once_and_applied_by_chunks(
    django_capture_on_commit_callbacks,
):
    artist = make_artist()
    tracks = register(artist, count=5, isrc="GBAYE26{n:05d}", title="Song {n}")
    before = last_sequence()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        saved = declare(artist, opt_out())
    assert len(saved) == len(AI_OPT_OUT)  # recorded and logged at once
    assert last_sequence() == before  # no track changed yet
    job = CatalogueJob.objects.get(creator=artist)
    assert (job.total, job.done, job.finished_at) == (5, 0, None)
    assert len(find_policy_differences()) == 5
    assert queued, "the job is started once the declaration commits"

    job = jobs.run_chunk(job.pk)
    assert (job.done, job.percent, job.finished_at) == (2, 40, None)
    assert last_sequence() == before + 2
    jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.finished_at is not None and job.percent == 100
    assert {p.train_ai for p in EffectivePolicy.objects.filter(track__in=tracks)} == {Value.DENY}
    assert_consistent()


@pytest.mark.django_db
@override_settings(CATALOGUE_SYNC_TRACKS=2, CATALOGUE_JOB_CHUNK=2)
def test_a_newer_catalogue_change_takes_over_an_unfinished_job(django_capture_on_commit_callbacks):
    artist = make_artist()
    register(artist, count=4, isrc="GBAYE26{n:05d}", title="Song {n}")
    with django_capture_on_commit_callbacks(execute=False):
        declare(artist, opt_out())
        first = CatalogueJob.objects.get(creator=artist)
        declare(artist, opt_out(Value.UNSET))
    first.refresh_from_db()
    assert first.finished_at is not None
    jobs.run_job(CatalogueJob.objects.filter(creator=artist).latest("id").pk)
    assert_consistent()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@override_settings(CATALOGUE_SYNC_TRACKS=3, CATALOGUE_JOB_CHUNK=3)
def test_a_worker_killed_in_the_middle_of_a_chunk_loses_nothing_and_the_job_resumes(monkeypatch):
    artist = make_artist()
    register(artist, count=7, isrc="GBAYE26{n:05d}", title="Song {n}")
    monkeypatch.setattr(jobs, "launch", lambda job_id: None)  # no worker yet
    declare(artist, opt_out())
    job = CatalogueJob.objects.get(creator=artist)
    jobs.run_chunk(job.pk)  # the first chunk is applied
    job.refresh_from_db()
    assert job.done == 3
    before = last_sequence()

    # The worker's connection dies while it holds the lock and has written part of a chunk.
    in_chunk, killed = threading.Event(), threading.Event()
    original = policies.commit_planned
    pids: list = []

    def commit_then_die(plan):
        events = original(plan)
        pids.append(connection.connection.info.backend_pid)
        in_chunk.set()
        assert killed.wait(timeout=60)
        return events

    monkeypatch.setattr(policies, "commit_planned", commit_then_die)
    errors: list = []
    thread = run_in_thread(lambda: jobs.run_chunk(job.pk), errors)
    assert in_chunk.wait(timeout=60), errors
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pids[0]])
    killed.set()
    thread.join(timeout=60)
    assert errors, "the chunk's connection was terminated"
    monkeypatch.setattr(policies, "commit_planned", original)

    job.refresh_from_db()
    assert (job.done, job.finished_at) == (3, None)  # the chunk was not recorded as done ...
    assert last_sequence() == before  # ... and none of its events committed

    # A worker starting again (or beat's sweep) picks it up and finishes it.
    monkeypatch.setattr(jobs, "launch", lambda job_id: jobs.run_job(job_id))
    assert jobs.resume_stale_jobs(stale_seconds=0) == [job.pk]
    job.refresh_from_db()
    assert job.finished_at is not None and job.done == 7
    assert_consistent()


@pytest.mark.django_db
@override_settings(CATALOGUE_SYNC_TRACKS=2, CATALOGUE_JOB_CHUNK=2)
def test_the_dashboard_shows_how_far_the_change_has_got(
    owner_client, artist, django_capture_on_commit_callbacks
):
    register(artist, count=5, isrc="GBAYE26{n:05d}", title="Song {n}")
    with django_capture_on_commit_callbacks(execute=False):
        response = owner_client.post(reverse("opt_out_ai"), follow=True)
    page = response.content.decode()
    assert "in the background" in page
    assert "Applying your catalogue-wide change" in page
    assert '<progress max="100" value="0"' in page
    assert "js/catalogue-job." in page
    progress = reverse("catalogue_job_progress")
    assert owner_client.get(progress).json()["job"] == {
        "done": 0,
        "total": 5,
        "percent": 0,
        "finished": False,
    }
    job = CatalogueJob.objects.get(creator=artist)
    jobs.run_chunk(job.pk)
    assert owner_client.get(progress).json()["job"]["percent"] == 40
    assert '<progress max="100" value="40"' in owner_client.get(reverse("dashboard")).text
    jobs.run_job(job.pk)
    answer = owner_client.get(progress).json()["job"]
    assert (answer["percent"], answer["finished"]) == (100, True)
    assert "Your catalogue-wide change is applied" in owner_client.get(reverse("dashboard")).text


@pytest.mark.django_db
def test_the_progress_of_another_artist_is_not_shown(other_client, artist):
    from django.test import Client

    with override_settings(CATALOGUE_SYNC_TRACKS=0):
        register(artist, isrc="GBAYE2600001", title="Song")
        declare(artist, opt_out())
    assert CatalogueJob.objects.filter(creator=artist).exists()
    assert other_client.get(reverse("catalogue_job_progress")).json() == {"job": None}
    assert Client().get(reverse("catalogue_job_progress")).status_code == 302


@pytest.mark.django_db
@override_settings(CATALOGUE_SYNC_TRACKS=2, CATALOGUE_JOB_CHUNK=2, CATALOGUE_JOB_STALE_SECONDS=60)
def test_without_a_broker_a_job_left_unfinished_resumes_when_its_artist_looks(
    owner_client, artist, django_capture_on_commit_callbacks
):
    register(artist, count=5, isrc="GBAYE26{n:05d}", title="Song {n}")
    with django_capture_on_commit_callbacks(execute=False):
        declare(artist, opt_out())  # the server stopped before the job ran
    job = CatalogueJob.objects.get(creator=artist)
    progress = reverse("catalogue_job_progress")
    assert owner_client.get(progress).json()["job"]["percent"] == 0  # not idle long enough
    CatalogueJob.objects.filter(pk=job.pk).update(updated_at=job.updated_at - timedelta(minutes=5))
    answer = owner_client.get(progress).json()["job"]
    assert (answer["percent"], answer["finished"]) == (100, True)
    assert_consistent()
