"""How long heavy writes hold the consent write lock, on the bench database.

    python bench/writes.py [--repeat 3] [--json]

Run by `make bench BENCH_ONLY=writes` with the bench's environment (DATABASE_URL is the bench
database). On first use it adds to that database three creators of its own ("bench-writes-…"):
one with 5,000 tracks, one with 100,000 (tracks and claims inserted in SQL, their claims logged,
their policies brought up to date by one catalogue-wide change), and one that imports. Then,
`--repeat` times each:

1. **5,000-track toggle, as before:** the catalogue-wide opt-out (or taking it back) computed
   under the lock, as every write once was (`prepared_write` with one attempt): the baseline.
2. **5,000-track toggle:** `declare` as the website calls it. The catalogue is larger than
   CATALOGUE_SYNC_TRACKS, so the declarations are recorded at once and the job applies them
   in chunks (run here in-process, chunk after chunk).
3. **100,000-track toggle:** the same for the large catalogue: how long `declare` takes (what the
   request waits for) and how long the job takes to apply it to every track.
4. **10,000-row import:** `import_catalogue` of a CSV of new tracks (a title, an ISRC, the
   recording role, a deny of AI training on every other line), computed outside the lock, and
   the same import computed under it (the baseline).

Every commit that took the lock is timed from taking it to the end of the commit
(`consent.policies.lock_hold_observers`); each case reports the longest hold. `--json` prints
the figures as one JSON line.
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = {"bench-writes-5k": 5_000, "bench-writes-100k": 100_000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.update(
        DJANGO_SETTINGS_MODULE="registry.settings",
        DECLARATIONS_PER_HOUR="100000",
        CATALOGUE_CHANGES_PER_HOUR="100000",
    )
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from consent import jobs, policies, services
    from consent.importing.catalogue import import_catalogue
    from consent.models import CatalogueJob, ChangeEvent, Creator
    from consent.purposes import AI_OPT_OUT, PurposeChoice, Value
    from consent.writes import prepared_write

    holds: list[float] = []
    policies.lock_hold_observers.append(holds.append)
    # Jobs are run here, chunk after chunk, rather than inside `declare`'s commit (tasks run
    # in-process without a broker): what `declare` takes is what the request waits for.
    jobs.launch = lambda job_id: None

    def creator_with(handle: str, size: int) -> Creator:
        """The bench's own creator `handle` with `size` tracks, set up once (each step is
        skipped once done, so an interrupted set-up is finished by the next run)."""
        from django.contrib.auth import get_user_model

        from consent.models import Declaration, Track
        from consent.transparency import records

        creator = Creator.objects.filter(handle=handle).first()
        if creator is None:
            user = get_user_model().objects.create_user(handle, f"{handle}@example.org")
            creator = Creator.objects.create(user=user, artist_name=handle, handle=handle)
        if not size:
            return creator
        prefix = {5_000: "ZZW5K26", 100_000: "ZZWHK26"}[size]
        started = time.perf_counter()
        if not Track.objects.filter(isrc__startswith=prefix).exists():
            with transaction.atomic(), connection.cursor() as cursor:
                policies.lock_consent_writes()
                cursor.execute(
                    "INSERT INTO consent_track (public_id, title, artist_credit, isrc, iswc, "
                    "audio_sha256, created_at) SELECT gen_random_uuid(), 'Bench write ' || g, "
                    "%s, %s || lpad(g::text, 5, '0'), '', '', now() "
                    "FROM generate_series(0, %s) g",
                    [handle, prefix, size - 1],
                )
                cursor.execute(
                    "INSERT INTO consent_claim (public_id, role, status, created_at, "
                    "creator_id, track_id) SELECT gen_random_uuid(), 'recording', 'active', "
                    "now(), %s, id FROM consent_track WHERE isrc LIKE %s RETURNING id",
                    [creator.pk, prefix + "%"],
                )
                records.log_claims([row[0] for row in cursor.fetchall()])
        if not Declaration.objects.filter(creator=creator).exists():
            # The first opt-out makes every track's policy: setting up, not measured.
            services.declare(creator, {p: PurposeChoice(Value.DENY) for p in AI_OPT_OUT})
        run_jobs(creator)
        log(f"{handle}: {size:,} tracks ready in {time.perf_counter() - started:.0f} s")
        return creator

    def run_jobs(creator: Creator) -> None:
        for job_id in CatalogueJob.objects.filter(
            creator=creator, finished_at__isnull=True
        ).values_list("pk", flat=True):
            jobs.run_job(job_id)

    def flip(creator: Creator) -> dict:
        in_force = policies.latest_statements([creator.id], []).get((creator.id, None), {})
        current = in_force.get(AI_OPT_OUT[0])
        value = Value.UNSET if current and current.value == Value.DENY else Value.DENY
        return {p: PurposeChoice(value) for p in AI_OPT_OUT}

    figures: dict[str, dict] = {}

    def record(case: str, **values) -> None:
        figures.setdefault(case, {"runs": []})["runs"].append(values)

    small = creator_with("bench-writes-5k", 5_000)
    large = creator_with("bench-writes-100k", 100_000)
    importer = creator_with("bench-writes-import", 0)

    for round_number in range(args.repeat):
        # 1. The baseline: computed under the lock, in one transaction, as before.
        events = ChangeEvent.objects.count()
        holds.clear()
        started = time.perf_counter()
        choices = flip(small)
        prepared_write(lambda c=choices: services._declare(small, c, None), attempts=1)
        record(
            "toggle_5k_before",
            seconds=time.perf_counter() - started,
            max_hold=max(holds),
            events=ChangeEvent.objects.count() - events,
        )

        # 2. As the website does it now.
        events = ChangeEvent.objects.count()
        holds.clear()
        started = time.perf_counter()
        services.declare(small, flip(small))
        answered = time.perf_counter() - started
        run_jobs(small)
        record(
            "toggle_5k",
            answered=answered,
            applied=time.perf_counter() - started,
            max_hold=max(holds),
            commits=len(holds),
            events=ChangeEvent.objects.count() - events,
        )

        # 3. The large catalogue, in the background; with the job's CPU time in this process
        # (PostgreSQL's not included), what the machine's load does not inflate.
        events = ChangeEvent.objects.count()
        holds.clear()
        started = time.perf_counter()
        services.declare(large, flip(large))
        answered = time.perf_counter() - started
        cpu = time.process_time()
        run_jobs(large)
        record(
            "toggle_100k",
            answered=answered,
            applied=time.perf_counter() - started,
            job_cpu=time.process_time() - cpu,
            max_hold=max(holds),
            commits=len(holds),
            events=ChangeEvent.objects.count() - events,
        )

        # 4. An import of new tracks, now and as before (alternating which goes first).
        for attempts in (None, 1) if round_number % 2 == 0 else (1, None):
            registrant = uuid.uuid4().hex[:3].upper()
            lines = ["title,isrc,role,train-ai"]
            for n in range(args.import_rows):
                choice = "deny" if n % 2 else ""
                lines.append(f"Import {registrant} {n},QZ{registrant}26{n:05d},recording,{choice}")
            data = ("\n".join(lines) + "\n").encode()
            events = ChangeEvent.objects.count()
            holds.clear()
            started = time.perf_counter()
            with override_settings(CONSENT_WRITE_ATTEMPTS=attempts or 3):
                outcome = import_catalogue(
                    importer, data, max_rows=args.import_rows, max_bytes=50_000_000
                )
            assert not outcome.errors, outcome.errors[:3]
            record(
                "import_10k" if attempts is None else "import_10k_before",
                seconds=time.perf_counter() - started,
                max_hold=max(holds),
                events=ChangeEvent.objects.count() - events,
            )
        log(f"round {round_number + 1} of {args.repeat} done")

    for case in figures.values():
        runs = case["runs"]
        for key in runs[0]:
            case[key] = statistics.median(run[key] for run in runs)
    if args.json:
        print(json.dumps(figures))
    else:
        for name, case in figures.items():
            print(name, {k: v for k, v in case.items() if k != "runs"})


def log(message: str) -> None:
    sys.stderr.write(f"[writes {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    main()
