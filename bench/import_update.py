"""Updating a large catalogue from an edited export: how long each stage of a confirmation takes.

    python bench/import_update.py [--tracks 2000] [--repeat 3]

On its own database (BENCH_IMPORT_DB_URL, default
postgres://postgres@127.0.0.1:5432/registry_bench_import, dropped, re-created and migrated on
each run) and the cache at BENCH_IMPORT_REDIS_URL (default redis://127.0.0.1:6379/7):

1. One artist registers `--tracks` tracks in one batch, with an unverified claim each, and
   declares a catalogue-wide denial of data mining.
2. Each round exports the catalogue, changes two purposes on every line (search and train-genai,
   flipping between deny and inherit so that every round changes every track), and then does
   what the preview and the confirmation do: parse and plan (the preview), then parse again and
   `apply_update` (the confirmation: re-plan under the lock, write the declarations, refresh the
   policies and write a change event per track).
3. Prints the median time of each stage, and checks that each round wrote the declarations and
   change events it should.
"""

import argparse
import cProfile
import csv
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench_env import production

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789-import-update"  # noqa: S105
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/registry_bench_import"


def recreate_database(db_url: str) -> None:
    import psycopg

    name = urlsplit(db_url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"BENCH_IMPORT_DB_URL must name a database with “bench” in it: {name!r}")
    maintenance = urlunsplit(urlsplit(db_url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def edit(text: str, round_number: int) -> bytes:
    value = "deny" if round_number % 2 == 0 else ""
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    for row in rows:
        row["search"] = value
        row["train-genai"] = value
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile the first confirmation")
    parser.add_argument(
        "--queries", action="store_true", help="list the first confirmation's slowest statements"
    )
    args = parser.parse_args()

    db_url = os.environ.get("BENCH_IMPORT_DB_URL", DEFAULT_DB_URL)
    recreate_database(db_url)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="registry.settings",
        **production(SECRET_KEY),
        DATABASE_URL=db_url,
        REDIS_URL=os.environ.get("BENCH_IMPORT_REDIS_URL", "redis://127.0.0.1:6379/7"),
        CACHE_KEY_PREFIX="bench-import",
        CELERY_BROKER_URL="",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        DECLARATIONS_PER_HOUR="100000",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from consent.exporting import export_lines
    from consent.importing.catalogue import parse_catalogue_csv
    from consent.importing.updating import apply_update, plan_update
    from consent.models import ChangeEvent, Creator, Declaration
    from consent.purposes import Purpose, PurposeChoice, Value
    from consent.services import TrackData, declare, register_tracks

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
    declare(creator, {Purpose.TDM: PurposeChoice(Value.DENY)})

    def parse(data: bytes):
        return parse_catalogue_csv(
            data, max_rows=100_000, max_bytes=100_000_000, default_artist_credit="Bench Label"
        )

    stages: dict[str, list[float]] = {"export": [], "preview": [], "confirm": []}
    for round_number in range(args.repeat):
        start = time.perf_counter()
        text = "".join(export_lines(creator))
        stages["export"].append(time.perf_counter() - start)
        data = edit(text, round_number)

        start = time.perf_counter()
        digest = plan_update(creator, parse(data)).digest()
        stages["preview"].append(time.perf_counter() - start)

        declarations, events = Declaration.objects.count(), ChangeEvent.objects.count()
        profiler = cProfile.Profile() if args.profile and round_number == 0 else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        with CaptureQueriesContext(connection) as queries:
            result = apply_update(creator, parse(data), digest)
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        stages["confirm"].append(time.perf_counter() - start)
        if args.queries and round_number == 0:
            slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
            for query in slowest[:10]:
                print(f"  {float(query['time']):6.2f} s  {query['sql'][:110]}")
        written = Declaration.objects.count() - declarations
        assert result.declarations == written == 2 * args.tracks, written
        assert ChangeEvent.objects.count() - events == args.tracks

    print(f"Updating {args.tracks:,} tracks (2 choices each), median of {args.repeat} rounds:")
    for stage, times in stages.items():
        print(f"  {stage:<8} {statistics.median(times):7.2f} s")


if __name__ == "__main__":
    main()
