"""What the transparency log adds to a catalogue-wide opt-out of a large catalogue.

    python bench/log_overhead.py [--tracks 2000] [--repeat 5]

On its own database (BENCH_LOG_DB_URL, default
postgres://postgres@127.0.0.1:5432/registry_bench_log, dropped, re-created and migrated on each
run) and the cache at BENCH_LOG_REDIS_URL (default redis://127.0.0.1:6379/7): one artist
registers `--tracks` tracks, then alternately opts out of AI training for the whole catalogue
and takes the opt-out back (each a change event per track). Pairs of rounds alternate between
logging (one log entry per declaration and per change event, as in production) and the same
write with the log's two calls replaced by nothing; the medians and their ratio are printed.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_env import production  # noqa: E402

from bench.import_update import SECRET_KEY, recreate_database  # noqa: E402

DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/registry_bench_log"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    db_url = os.environ.get("BENCH_LOG_DB_URL", DEFAULT_DB_URL)
    recreate_database(db_url)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="registry.settings",
        **production(SECRET_KEY),
        DATABASE_URL=db_url,
        REDIS_URL=os.environ.get("BENCH_LOG_REDIS_URL", "redis://127.0.0.1:6379/7"),
        CACHE_KEY_PREFIX="bench-log",
        CELERY_BROKER_URL="",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        DECLARATIONS_PER_HOUR="100000",
        CATALOGUE_CHANGES_PER_HOUR="100000",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command

    from consent.models import ChangeEvent, Creator, LogEntry
    from consent.purposes import AI_OPT_OUT, PurposeChoice, Value
    from consent.services import TrackData, declare, register_tracks
    from consent.transparency import log, records

    call_command("migrate", verbosity=0)
    cache.clear()
    user = get_user_model().objects.create_user("bench-label", "label@example.org")
    creator = Creator.objects.create(user=user, artist_name="Bench Label", handle="bench-label")
    register_tracks(
        creator,
        [
            TrackData(
                title=f"Track {n:05d}",
                artist_credit="Bench Label",
                roles=["recording"],
                isrc=f"QZES5{n:07d}",
            )
            for n in range(args.tracks)
        ],
    )

    def nothing(rows):
        return range(0)

    times: dict[bool, list[float]] = {True: [], False: []}
    value = Value.DENY
    for round_number in range(4 * args.repeat):
        # Opting out and taking it back cost differently: each mode does both, in turn.
        logging = (round_number // 2) % 2 == 0
        entries, events = LogEntry.objects.count(), ChangeEvent.objects.count()
        patches = (
            []
            if logging
            else [
                mock.patch.object(records, "log_declarations", nothing),
                mock.patch.object(records, "log_changes", nothing),
            ]
        )
        for patch in patches:
            patch.start()
        start = time.perf_counter()
        declare(creator, {purpose: PurposeChoice(value) for purpose in AI_OPT_OUT})
        times[logging].append(time.perf_counter() - start)
        for patch in patches:
            patch.stop()
        value = Value.UNSET if value == Value.DENY else Value.DENY
        changed = ChangeEvent.objects.count() - events
        logged = LogEntry.objects.count() - entries
        assert changed == args.tracks, changed
        assert logged == (changed + len(AI_OPT_OUT) if logging else 0), logged

    with_log, without = statistics.median(times[True]), statistics.median(times[False])
    print(f"{args.tracks} tracks, catalogue-wide opt-out, median of {2 * args.repeat} rounds each:")
    print(f"  without the log: {without * 1000:.0f} ms")
    print(f"  with the log:    {with_log * 1000:.0f} ms")
    print(f"  ratio: {with_log / without:.2f}  (log size now {log.size()})")


if __name__ == "__main__":
    main()
