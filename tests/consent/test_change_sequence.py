"""A reader paging the change log with `after=N` can never skip an event that commits late."""

import threading

import pytest
from django.db import connection

from consent.models import ChangeEvent
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.conftest import make_artist, verify_claims_of

WRITERS = 4
CHANGES_PER_WRITER = 12


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_let_a_reader_see_a_gap():
    artists = [make_artist() for _ in range(WRITERS)]
    tracks = [
        register_track(a, TrackData(title="T", artist_credit="A", roles=["recording"])).tracks[0]
        for a in artists
    ]
    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()
    errors: list[BaseException] = []
    observations: list[list[int]] = []

    def write(artist, track):
        try:
            start.wait()
            for i in range(CHANGES_PER_WRITER):
                value = Value.DENY if i % 2 == 0 else Value.ALLOW
                declare(artist, {Purpose.TRAIN_GENAI: PurposeChoice(value)}, track=track)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    def read():
        try:
            start.wait()
            # Bounded: the writers finish in well under this many polls.
            for _ in range(100_000):
                finished = done.is_set()
                observations.append(
                    list(
                        ChangeEvent.objects.order_by("sequence").values_list("sequence", flat=True)
                    )
                )
                if finished:
                    break
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=pair) for pair in zip(artists, tracks, strict=True)
    ]
    reader = threading.Thread(target=read)
    for thread in [*threads, reader]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    reader.join(timeout=120)

    assert not errors, errors
    final = observations[-1]
    assert len(final) == WRITERS + WRITERS * CHANGES_PER_WRITER
    assert final == list(range(final[0], final[0] + len(final)))
    for seen in observations:
        # Every snapshot is a prefix of the final log: nothing visible ever has a hole below it.
        assert seen == final[: len(seen)]
    assert len({len(seen) for seen in observations}) > 2, "the reader saw the log grow"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_one_track_lose_no_update():
    """Each writer changes a different purpose of the same track at the same moment; the stored
    policy must end up reflecting every one of them."""
    from consent.policies import find_policy_differences

    artists = [make_artist() for _ in range(WRITERS)]
    data = TrackData(title="Shared", artist_credit="A", roles=["recording"], isrc="USRC17607839")
    track = None
    for artist in artists:
        track = register_track(artist, data).tracks[0]
        verify_claims_of(artist)  # so that each writer's `allow` counts
    purposes = [Purpose.TDM, Purpose.TRAIN_AI, Purpose.AI_INPUT, Purpose.SEARCH][:WRITERS]
    start = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def write(artist, purpose):
        try:
            start.wait()
            for i in range(CHANGES_PER_WRITER):
                value = Value.DENY if i % 2 == 0 else Value.ALLOW
                declare(artist, {purpose: PurposeChoice(value)}, track=track)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=pair) for pair in zip(artists, purposes, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert find_policy_differences([track.id]) == []
    # Each writer's last choice was `allow` (an even count of alternations ends on allow).
    from consent.models import EffectivePolicy

    stored = EffectivePolicy.objects.get(track=track)
    assert all(stored.value_of(p) == Value.ALLOW for p in purposes)
