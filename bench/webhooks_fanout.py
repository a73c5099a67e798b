"""Webhook fan-out: 10,000 consent changes to 10 local endpoints, one Celery worker.

    python bench/webhooks_fanout.py [--changes 10000] [--endpoints 10] [--concurrency N] [--json]

From Python (e.g. bench/run.py): `from bench.webhooks_fanout import run; figures = run()`.
`run()` measures in a fresh subprocess (Django is configured there for the bench database),
and returns the figures as a dict.

What it does, on its own database (BENCH_HOOKS_DB_URL, default
postgres://postgres@127.0.0.1:5432/registry_bench_hooks, dropped and re-created and migrated on
each run) and a private `redis-server` as the broker (or BENCH_HOOKS_REDIS_URL, flushed):

1. Ten receivers on 127.0.0.1 (in a process of their own) record when each event arrives
   and verify every signature with `standardwebhooks`, as a platform would.
2. One `celery worker` (prefork pool, one child per core unless --concurrency) with beat.
3. 50 artists each register 100 tracks in one transaction (5,000 changes), then each opts their
   catalogue out of AI training (5,000 more): 100 commits through `consent.services`, as fast
   as they go. The time of each commit is noted against the sequence numbers it wrote.
4. Figures: deliveries per second (events x endpoints, from the first commit to the last
   arrival), and the delay from each event's commit to its arrival at each endpoint (median,
   p99), with checks that every endpoint got every event, once, in order, correctly signed.
"""

import argparse
import http.server
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench_env import production

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_URL = "postgres://postgres@127.0.0.1:5432/registry_bench_hooks"
CREATORS = 50
SECRET_KEY = "bench-only-secret-key-not-for-production-0123456789-webhooks-fanout"  # noqa: S105
LIMIT_SECONDS = 60


def log(message: str) -> None:
    sys.stderr.write(f"[webhooks {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


def run(changes: int = 10_000, endpoints: int = 10, concurrency: int | None = None) -> dict:
    """Measure in a subprocess; the figures as a dict (see `measure`).

    `concurrency`: the worker's processes (default: Celery's, one per core).
    """
    import orjson

    command = [sys.executable, str(Path(__file__).resolve()), "--json", "--changes", str(changes),
               "--endpoints", str(endpoints)]  # fmt: skip
    if concurrency:
        command += ["--concurrency", str(concurrency)]
    result = subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.PIPE)
    return orjson.loads(result.stdout.strip().splitlines()[-1])


# --- Infrastructure ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def recreate_database(db_url: str) -> None:
    import psycopg

    name = urlsplit(db_url).path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"BENCH_HOOKS_DB_URL must name a database with “bench” in it: {name!r}")
    maintenance = urlunsplit(urlsplit(db_url)._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def start_redis(folder: Path) -> tuple[str, subprocess.Popen | None]:
    """A private redis-server if there is one on this machine, else BENCH_HOOKS_REDIS_URL."""
    import redis

    given = os.environ.get("BENCH_HOOKS_REDIS_URL")
    if given or not shutil.which("redis-server"):
        url = given or "redis://127.0.0.1:6379/6"
        redis.Redis.from_url(url).flushdb()
        return url.rsplit("/", 1)[0], None
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return f"redis://127.0.0.1:{port}", process


class Receivers:
    """The endpoints: HTTP servers in a process of their own (so the writer's work in this one
    does not delay them), each recording (arrival time, sequences) per message."""

    def __init__(self, count: int):
        context = multiprocessing.get_context("spawn")
        self.counts = context.Array("q", count)
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(count, self.counts, child), daemon=True)
        self.process.start()
        self.ports: list[int] = self.pipe.recv()
        self.arrivals: list[list[tuple[float, list[int]]]] = []
        self.bad_signatures = 0

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}/hook"

    def accept(self, secrets: list[str]) -> None:
        self.pipe.send(secrets)

    def received(self, index: int) -> int:
        return self.counts[index]

    def stop(self) -> None:
        self.pipe.send("stop")
        self.arrivals, self.bad_signatures = self.pipe.recv()
        self.process.join(timeout=10)


def _serve(count: int, counts, pipe) -> None:
    """The receivers' process: verify each signature with `standardwebhooks`, note arrivals."""
    import orjson
    from standardwebhooks import Webhook
    from standardwebhooks.webhooks import WebhookVerificationError

    arrivals: list[list[tuple[float, list[int]]]] = [[] for _ in range(count)]
    secrets: list[str] = []
    bad = [0]

    def handler(index: int):
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                arrived = time.time()
                try:
                    Webhook(secrets[index]).verify(body, dict(self.headers))
                except WebhookVerificationError:
                    bad[0] += 1
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                sequences = [e["sequence"] for e in orjson.loads(body)["data"]["events"]]
                arrivals[index].append((arrived, sequences))
                counts[index] += len(sequences)
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    servers = []
    for index in range(count):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler(index))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    pipe.send([server.server_address[1] for server in servers])
    secrets.extend(pipe.recv())
    pipe.recv()  # "stop"
    for server in servers:
        server.shutdown()
    pipe.send((arrivals, bad[0]))


# --- The measurement ------------------------------------------------------------------------------


def configure(db_url: str, redis_base: str) -> None:
    """Production settings (debug off) for this process and the worker it starts."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE="registry.settings",
        **production(SECRET_KEY),
        DATABASE_URL=db_url,
        CELERY_BROKER_URL=f"{redis_base}/0",
        REDIS_URL=f"{redis_base}/1",
        CACHE_KEY_PREFIX="bench-hooks",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        WEBHOOK_REQUIRE_HTTPS="false",
        WEBHOOK_ALLOW_PRIVATE_ADDRESSES="127.0.0.1",
    )


def start_worker(folder: Path, concurrency: int) -> subprocess.Popen:
    log_file = (folder / "worker.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "registry", "worker", "--loglevel=WARNING",
         f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
         "-B", "-s", str(folder / "beat-schedule")],
        cwd=ROOT, env=os.environ.copy(), stdout=log_file, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip


def wait_for_worker(app, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise SystemExit("The Celery worker did not start; see its log.")


def wait_for(receivers: Receivers, events: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(receivers.received(i) >= events for i in range(len(receivers.ports))):
            return
        time.sleep(0.05)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(changes: int, endpoint_count: int, concurrency: int, folder: Path) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from api.models import WebhookEndpoint
    from api.webhooks import services as webhooks
    from consent.models import Creator, Platform, SequenceCounter
    from consent.services import TrackData, opt_out_of_ai_training, register_tracks
    from registry.celery import app

    call_command("migrate", verbosity=0)
    per_creator = max(1, changes // (2 * CREATORS))
    creators = []
    for n in range(CREATORS):
        user = get_user_model().objects.create_user(f"bench{n}", f"bench{n}@example.org")
        creators.append(Creator.objects.create(user=user, artist_name=f"Bench {n}", handle=f"b{n}"))
    platform = Platform.objects.create(
        name="Bench AI", contact_email="ops@bench.example", status=Platform.Status.APPROVED
    )
    receivers = Receivers(endpoint_count)
    receivers.accept(
        [
            webhooks.create_endpoint(platform, receivers.url(index))[1]
            for index in range(endpoint_count)
        ]
    )
    worker = start_worker(folder, concurrency)
    try:
        wait_for_worker(app)
        log(f"worker ready; committing {2 * per_creator * CREATORS:,} changes in "
            f"{2 * CREATORS} transactions")  # fmt: skip
        committed: list[tuple[int, float]] = []  # (last sequence written, commit time)

        def note_commit() -> None:
            committed.append((SequenceCounter.objects.get(pk=1).value, time.time()))

        first_commit = time.time()
        for n, creator in enumerate(creators):
            items = [
                TrackData(title=f"Song {n}-{i}", artist_credit=creator.artist_name,
                          roles=["recording"], links=[f"https://bench{n}.bandcamp.com/track/{i}"])
                for i in range(per_creator)
            ]  # fmt: skip
            register_tracks(creator, items)
            note_commit()
        for creator in creators:
            opt_out_of_ai_training(creator)
            note_commit()
        written_in = time.time() - first_commit
        total = committed[-1][0]
        log(f"{total:,} changes committed in {written_in:.1f} s; waiting for delivery")

        wait_for(receivers, total, 180)

        # The delivery rate alone, without the writer: every endpoint replays the whole log.
        log("replaying the whole log to every endpoint")
        drain_started = time.time()
        for endpoint in WebhookEndpoint.objects.all():
            webhooks.replay_from(endpoint, 1)
        wait_for(receivers, 2 * total, 180)
        drain_seconds = time.time() - drain_started
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=30)
        receivers.stop()

    commit_time: dict[int, float] = {}
    previous = 0
    for last, at in committed:
        for sequence in range(previous + 1, last + 1):
            commit_time[sequence] = at
        previous = last
    delays, last_arrival, in_order, complete, posts = [], first_commit, True, True, 0
    for index in range(endpoint_count):
        seen: list[int] = []
        for arrived, sequences in receivers.arrivals[index]:
            if len(seen) >= total:
                break  # the replay's
            posts += 1
            last_arrival = max(last_arrival, arrived)
            seen.extend(sequences)
            delays.extend(arrived - commit_time[s] for s in sequences)
        in_order &= seen == sorted(seen) and len(seen) == len(set(seen))
        complete &= set(seen) == set(range(1, total + 1))
    deliveries = len(delays)
    seconds = last_arrival - first_commit
    return {
        "changes": total,
        "endpoints": endpoint_count,
        "deliveries": deliveries,
        "posts": posts,
        "commit_seconds": round(written_in, 2),
        "delivery_seconds": round(seconds, 2),
        "events_per_second": round(deliveries / seconds) if seconds else None,
        "delay_median_ms": round(statistics.median(delays) * 1000) if delays else None,
        "delay_p99_ms": round(percentile(delays, 0.99) * 1000) if delays else None,
        "replay_seconds": round(drain_seconds, 2),
        "replay_events_per_second": round(total * endpoint_count / drain_seconds),
        "complete": complete,
        "in_order": in_order,
        "bad_signatures": receivers.bad_signatures,
        "within_60s": complete and seconds <= LIMIT_SECONDS,
        "worker": f"1 worker, prefork, {concurrency} process{'es' if concurrency > 1 else ''}",
    }


def table(figures: dict) -> str:
    rows = [
        ("changes x endpoints", f"{figures['changes']:,} x {figures['endpoints']}"),
        ("committed in", f"{figures['commit_seconds']} s"),
        ("all delivered in", f"{figures['delivery_seconds']} s (limit {LIMIT_SECONDS} s)"),
        ("deliveries per second", f"{figures['events_per_second']:,}"),
        ("commit → delivery, median", f"{figures['delay_median_ms']:,} ms"),
        ("commit → delivery, p99", f"{figures['delay_p99_ms']:,} ms"),
        ("POSTs", f"{figures['posts']:,}"),
        ("replay of the whole log to all", f"{figures['replay_seconds']} s, "
         f"{figures['replay_events_per_second']:,} deliveries/s (no writer)"),
        ("complete, in order, signed", str(
            figures["complete"] and figures["in_order"] and not figures["bad_signatures"]
        )),
        ("worker", figures["worker"]),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def main() -> None:
    import tempfile

    import orjson

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--endpoints", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    db_url = os.environ.get("BENCH_HOOKS_DB_URL", DEFAULT_DB_URL)
    with tempfile.TemporaryDirectory(prefix="bench-hooks-") as tmp:
        folder = Path(tmp)
        log(f"re-creating {urlsplit(db_url).path.lstrip('/')}")
        recreate_database(db_url)
        redis_base, redis_process = start_redis(folder)
        configure(db_url, redis_base)
        try:
            figures = measure(args.changes, args.endpoints, args.concurrency, folder)
        finally:
            if redis_process:
                redis_process.kill()
                redis_process.wait()
    if args.json:
        print(orjson.dumps(figures).decode())
    else:
        print(table(figures))


if __name__ == "__main__":
    main()
