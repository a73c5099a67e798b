"""What the transparency log adds to a catalogue-wide opt-out and to a catalogue import.

    python bench/log_overhead.py [--tracks 2000] [--repeat 5] [--import-rows 10000]
                                 [--import-repeat 2] [--json]

On its own database (BENCH_LOG_DB_URL, default
postgres://postgres@127.0.0.1:5432/registry_bench_log, dropped, re-created and migrated on each
run) and the cache at BENCH_LOG_REDIS_URL (default redis://127.0.0.1:6379/7): one artist
registers `--tracks` tracks, then alternately opts out of AI training for the whole catalogue
and takes the opt-out back (each a change event per track). Pairs of rounds alternate between
logging (one log entry per declaration and per change event, as in production) and the same
write with the log's two calls replaced by nothing; the medians and their ratio are printed.

Then the same artist imports `--import-rows` new tracks from a CSV (the import page's format: a
title, an ISRC, the recording role and a deny of AI training on every other line) with
`import_catalogue`, in one transaction as the page does; imports alternate log, no log, no log,
log … (`--import-repeat` of each pair), the second kind with every `records.log_*` call (claims,
links, declarations, change events, verifications) replaced by nothing. Each import is of new
ISRCs, so each writes the same number of rows. `--json` prints the figures as one JSON line.
"""

import argparse
import json
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
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--import-repeat", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
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

    from consent.importing.catalogue import import_catalogue
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
    cases = [
        {
            "label": f"Catalogue-wide opt-out of {args.tracks:,} tracks, log vs no log",
            "with_ms": with_log * 1000,
            "without_ms": without * 1000,
            "ratio": with_log / without,
            "rounds": 2 * args.repeat,
        }
    ]
    if not args.json:
        print(f"{args.tracks} tracks, catalogue-wide opt-out, median of {2 * args.repeat} rounds:")
        print(f"  without the log: {without * 1000:.0f} ms")
        print(f"  with the log:    {with_log * 1000:.0f} ms")
        print(f"  ratio: {with_log / without:.2f}  (log size now {log.size()})")

    if args.import_rows:
        silenced = ("log_declarations", "log_changes", "log_claims", "log_links")
        silenced += ("log_verifications", "log_written_claims")
        imports: dict[bool, list[float]] = {True: [], False: []}
        for round_number in range(4 * args.import_repeat):
            logging = round_number % 4 in (0, 3)  # log, none, none, log: neither goes first
            lines = ["title,isrc,role,train-ai"]
            registrant = f"R{round_number:02d}"
            for n in range(args.import_rows):
                choice = "deny" if n % 2 else ""
                isrc = f"QZ{registrant}26{n:05d}"
                lines.append(f"Import {round_number} {n},{isrc},recording,{choice}")
            data = ("\n".join(lines) + "\n").encode()
            patches = [mock.patch.object(records, name, nothing) for name in silenced]
            if logging:
                patches = []
            for patch in patches:
                patch.start()
            entries = LogEntry.objects.count()
            start = time.perf_counter()
            outcome = import_catalogue(
                creator, data, max_rows=args.import_rows, max_bytes=50_000_000
            )
            imports[logging].append(time.perf_counter() - start)
            for patch in patches:
                patch.stop()
            assert not outcome.errors, outcome.errors[:3]
            logged = LogEntry.objects.count() - entries
            assert (logged >= 2 * args.import_rows) if logging else logged == 0, logged
        with_log = statistics.median(imports[True])
        without = statistics.median(imports[False])
        cases.append(
            {
                "label": f"Import of {args.import_rows:,} new tracks (CSV), log vs no log",
                "with_ms": with_log * 1000,
                "without_ms": without * 1000,
                "ratio": with_log / without,
                "rounds": 2 * args.import_repeat,
                "runs_with_s": [round(t, 2) for t in imports[True]],
                "runs_without_s": [round(t, 2) for t in imports[False]],
            }
        )
        if not args.json:
            print(f"Import of {args.import_rows} new tracks, median of {2 * args.import_repeat}:")
            print(f"  without the log: {without:.2f} s")
            print(f"  with the log:    {with_log:.2f} s")
            print(f"  ratio: {with_log / without:.2f}  (log size now {log.size()})")
    if args.json:
        print(json.dumps({"cases": cases, "log_size": log.size()}))


if __name__ == "__main__":
    main()
