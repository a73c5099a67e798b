"""`make bench`: seed once, serve with production settings under gunicorn, measure, report.

    python bench/run.py [--reseed] [--profile] [--only single,batch,...] [--tracks N] [--creators N]

Measures (for --only): single (with its ceilings), abuse (fair use), batch, compat, changes,
snapshot (files built in the background, served against bench/sendfile_server.py, and
decompressed), mixed, tiles (the log's read path), receipts (signed receipts on lookups and
batches), client (`registry-client sync` and `check --mirror` of 1,000,000 links), verify
(`manage.py verify_log`), logging (bench/log_overhead.py), writes (the sequence lock's holds and
catalogue jobs, bench/writes.py), feeds (every feed under a writer), webhooks.

Environment: BENCH_DB_URL (default postgres://postgres@127.0.0.1:5432/registry_bench),
BENCH_REDIS_URL (default redis://127.0.0.1:6379/4), BENCH_WORKERS, BENCH_THREADS and
BENCH_WORKER_CLASS (gunicorn), BENCH_REPEAT (repetitions of each measure, default 3),
BENCH_DURATION (seconds of each wrk run, default 10), BENCH_MIXED_DURATION (default 60).

Every figure is the median of several runs, and each target that is a ratio is computed against
a baseline measured in the same run, because the machine is shared and noisy. The table is
printed and written to bench/results/<UTC date and time>.md (and bench/results/latest.md).
README.md in this folder explains the method.
"""

import argparse
import csv
import http.client
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg
from bench_env import production
from psycopg.types.json import set_json_loads

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
# Only for the throw-away bench database; the server and the key creation must share it.
SECRET = "bench-only-secret-key-not-for-production-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# --- Set-up: database, seed, static files, key --------------------------------------------------


def serving_env(db_url: str, redis_url: str) -> dict[str, str]:
    """Production settings (debug off, every protection on) except the HTTPS redirect."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        **production(SECRET),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=db_url,
        REDIS_URL=redis_url,
        CACHE_KEY_PREFIX="bench",
        CELERY_BROKER_URL="",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        # The `single` measure's ceiling: the lookup's SQL in a plain view, no key, no limits.
        BENCH_CEILING_VIEW="true",
        # wrk sends everything from 127.0.0.1: the per-address count still runs on every
        # anonymous request (its cost is measured) but never refuses one.
        PUBLIC_RATE_LIMIT_PER_MINUTE="1000000000",
    )
    env.pop("API_KEY_HASH_SECRET", None)
    return env


class BackendCPU(threading.Thread):
    """The CPU time (user + system) of the PostgreSQL backends serving the bench database while
    a command runs, read from /proc every 0.2 s (a backend's last figure before it exits)."""

    def __init__(self, db_url: str) -> None:
        super().__init__(daemon=True)
        self.db_url = db_url
        self.done = threading.Event()
        self.ticks: dict[int, int] = {}
        self.seconds = 0.0

    def run(self) -> None:
        try:
            with psycopg.connect(self.db_url, autocommit=True) as conn:
                while not self.done.wait(0.2):
                    pids = conn.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    ).fetchall()
                    for (pid,) in pids:
                        try:
                            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                        except OSError:
                            continue
                        self.ticks[pid] = int(fields[11]) + int(fields[12])  # utime, stime
        except (psycopg.Error, OSError):
            self.ticks.clear()  # not measured: say nothing rather than too little

    def stop(self) -> None:
        self.done.set()
        self.join(timeout=5)
        self.seconds = sum(self.ticks.values()) / os.sysconf("SC_CLK_TCK")


def database_name(db_url: str) -> str:
    return urlsplit(db_url).path.lstrip("/")


def maintenance_url(db_url: str) -> str:
    parts = urlsplit(db_url)
    return urlunsplit(parts._replace(path="/postgres"))


def ensure_database(db_url: str, reseed: bool) -> None:
    name = database_name(db_url)
    if "bench" not in name:
        raise SystemExit(f"BENCH_DB_URL must name a database with “bench” in it, not {name!r}.")
    with psycopg.connect(maintenance_url(db_url), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reseed:
            log(f"RESEED: dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            log(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def seed_version() -> int:
    """The version of bench/seed.py: a seed written by another version is redone."""
    match = re.search(r"^SEED_VERSION = (\d+)$", (BENCH / "seed.py").read_text(), re.M)
    return int(match.group(1)) if match else 0


def seed_info(db_url: str) -> dict | None:
    with psycopg.connect(db_url) as conn:
        if conn.execute("SELECT to_regclass('bench_seed')").fetchone()[0] is None:
            return None
        row = conn.execute(
            "SELECT tracks, creators, seconds, completed_at, version FROM bench_seed "
            "ORDER BY completed_at DESC LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    keys = ["tracks", "creators", "seconds", "completed_at", "version"]
    return dict(zip(keys, row, strict=True))


def ensure_seed(env: dict, db_url: str, tracks: int, creators: int) -> dict:
    info = seed_info(db_url)
    if info and (info["tracks"], info["creators"]) != (tracks, creators):
        raise SystemExit(
            f"The bench database holds {info['tracks']:,} tracks and {info['creators']:,} "
            "creators, not the size asked for; run `make bench RESEED=1`."
        )
    if info:
        log(
            f"reusing the seed of {info['completed_at']:%Y-%m-%d %H:%M} "
            f"({info['tracks']:,} tracks, seeded in {info['seconds']:.0f}s)"
        )
        info["reused"] = True
        return info
    started = time.monotonic()
    subprocess.run(
        [PYTHON, str(BENCH / "seed.py"), "--tracks", str(tracks), "--creators", str(creators)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    info = seed_info(db_url) or {}
    info["wall"] = time.monotonic() - started
    info["reused"] = False
    return info


def create_key(env: dict, rate_limit: int | None = 100_000_000, label: str = "Benchmark") -> str:
    """A key of a new platform; `rate_limit` None leaves the platform at the default limit."""
    name = f"{label} {datetime.now(UTC):%Y-%m-%d %H:%M:%S.%f}"
    args = ["create_platform", name, "--email", "bench@bench.example"]
    if rate_limit is not None:
        args += ["--rate-limit", str(rate_limit)]
    out = manage(env, *args, capture=True)
    return out.strip().splitlines()[-1].strip()


@dataclass
class Samples:
    isrcs: list[str]  # for single lookups and the mixed load
    urls: list[str]
    batches: list[list[str]]  # sets of 10,000 ISRCs
    url_batches: list[list[str]]  # sets of 10,000 URLs
    tracks: int
    events: int
    log_size: int = 0


def pick_samples(db_url: str, repeat: int, seed: int = 7) -> Samples:
    rng = random.Random(seed)
    with psycopg.connect(db_url) as conn:
        tracks = conn.execute("SELECT max(id) FROM consent_track").fetchone()[0]
        links = conn.execute("SELECT max(id) FROM consent_tracklink").fetchone()[0]
        events = conn.execute("SELECT value FROM consent_sequencecounter").fetchone()[0]

        def isrcs(count: int) -> list[str]:
            ids = rng.sample(range(1, tracks + 1), count)
            rows = conn.execute(
                "SELECT isrc FROM consent_track WHERE id = ANY(%s) AND isrc IS NOT NULL", [ids]
            )
            found = [r[0] for r in rows]
            rng.shuffle(found)
            return found

        def urls(count: int) -> list[str]:
            ids = rng.sample(range(1, links + 1), count)
            found = [
                r[0]
                for r in conn.execute(
                    "SELECT url FROM consent_tracklink WHERE id = ANY(%s) AND hidden_at IS NULL",
                    [ids],
                )
            ]
            rng.shuffle(found)
            return found

        size = min(10_000, tracks)
        return Samples(
            isrcs=isrcs(min(50_000, tracks)),
            urls=urls(min(20_000, links)),
            batches=[isrcs(size) for _ in range(repeat)],
            url_batches=[urls(size) for _ in range(repeat)],
            tracks=conn.execute("SELECT count(*) FROM consent_track").fetchone()[0],
            events=events,
            log_size=conn.execute(
                'SELECT coalesce(max("index") + 1, 0) FROM consent_logentry'
            ).fetchone()[0],
        )


# --- The server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_kb(pid: int, path: str, field_name: str) -> int:
    try:
        with open(f"/proc/{pid}/{path}") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append(int(entry))
    return found


class Server:
    def __init__(self, env: dict, workers: int, threads: int, worker_class: str, logdir: Path):
        self.env, self.workers, self.threads, self.worker_class = (
            env,
            workers,
            threads,
            worker_class,
        )
        self.port = free_port()
        self.log_path = logdir / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    @property
    def description(self) -> str:
        if self.worker_class == "gthread":
            return f"gunicorn, {self.workers} workers × {self.threads} threads (gthread)"
        return f"gunicorn, {self.workers} {self.worker_class} workers"

    def start(self, attempts: int = 3) -> None:
        """Start, retrying: a concurrent collectstatic (by `make test` in the same tree) can make
        whitenoise's start-up scan of STATIC_ROOT fail on a file replaced under it."""
        for attempt in range(1, attempts + 1):
            try:
                self._start()
                return
            except RuntimeError as exc:
                log(f"{exc}; attempt {attempt} of {attempts}")
                self.stop()
        raise SystemExit(f"gunicorn did not start; see {self.log_path}")

    def _start(self) -> None:
        args = [
            GUNICORN,
            "registry.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            self.worker_class,
            "--keep-alive",
            "30",
            "--timeout",
            "120",
            "--backlog",
            "2048",
        ]
        if self.worker_class == "gthread":
            args += ["--threads", str(self.threads)]
        log(f"starting {self.description} on 127.0.0.1:{self.port}")
        self.logfile = open(self.log_path, "a")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=self.logfile, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                status, _, _ = self.request("GET", "/api/health")
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer /api/health within 60s; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.logfile.close()

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def memory(self) -> dict[str, int]:
        """KiB: the workers' summed RSS and PSS, the largest worker, and the master's RSS."""
        pids = self.worker_pids()
        rss = [read_kb(p, "status", "VmRSS") for p in pids]
        pss = [read_kb(p, "smaps_rollup", "Pss") for p in pids]
        return {
            "workers_rss": sum(rss),
            "workers_pss": sum(pss),
            "largest_rss": max(rss, default=0),
            "master_rss": read_kb(self.process.pid, "status", "VmRSS"),
        }

    def connection(self, timeout: float = 300) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None) -> tuple[int, dict, bytes]:
        conn = self.connection(timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


# --- Load generation with wrk -------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        return float("nan")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass
class WrkResult:
    rps: float
    requests: int
    p50: float
    p99: float
    non_2xx: int = 0
    socket_errors: dict = field(default_factory=dict)
    statuses: dict = field(default_factory=dict)
    raw: str = ""

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def run_wrk(
    url: str,
    connections: int,
    duration: int,
    script: Path | None,
    env: dict,
    threads: int = 2,
    timeout: int = 10,
) -> WrkResult:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", f"--timeout={timeout}s"]
    args += ["--latency"]
    if script:
        args += ["-s", str(script)]
    args.append(url)
    out = subprocess.run(args, env=env, check=True, text=True, capture_output=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = (
        dict(zip(["connect", "read", "write", "timeout"], map(int, sock.groups()), strict=True))
        if sock
        else {}
    )
    statuses = {int(s): int(c) for s, c in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)}
    return WrkResult(
        rps,
        requests,
        p50,
        p99,
        int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors,
        statuses,
        out,
    )


# --- The measures --------------------------------------------------------------------------------


def encode_tile_index(n: int) -> str:
    """N as tlog-tiles writes it in paths (registry/views_log.py): 1234067 → x001/x234/067."""
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    return "/".join(["x" + g for g in reversed(groups[1:])] + [groups[0]])


def median(values):
    return statistics.median(values)


def timed_post(server: Server, path: str, body: bytes, headers: dict) -> tuple[float, bytes, int]:
    conn = server.connection()
    try:
        conn.connect()
        started = time.perf_counter()
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - started
        return elapsed, data, response.status
    finally:
        conn.close()


BASELINE_ISRC_SQL = """
    SELECT t.public_id, t.title, t.artist_credit, t.isrc, t.iswc,
           p.tdm, p.train_ai, p.train_genai, p.ai_input, p.search,
           p.disputed, p.provenance, p.sequence, p.verification,
           ARRAY(SELECT l.url FROM consent_tracklink l
                 WHERE l.track_id = t.id AND l.hidden_at IS NULL ORDER BY l.url)
    FROM consent_track t JOIN consent_effectivepolicy p ON p.track_id = t.id
    WHERE t.isrc = ANY(%s)
"""
POLICY_COLUMNS = ("tdm", "train-ai", "train-genai", "ai-input", "search")


def baseline_isrcs(conn, isrcs: list[str]) -> tuple[float, int]:
    """The floor for a batch: one query for the same tracks, policies and links, then JSON."""
    started = time.perf_counter()
    rows = conn.execute(BASELINE_ISRC_SQL, [isrcs]).fetchall()
    by_isrc = {}
    for row in rows:
        by_isrc[row[3]] = {
            "track": {
                "id": row[0],
                "title": row[1],
                "artist_credit": row[2],
                "isrc": row[3],
                "iswc": row[4] or None,
                "links": row[14],
            },
            "values": dict(zip(POLICY_COLUMNS, row[5:10], strict=True)),
            "disputed": row[10],
            "verification": row[13],
            "provenance": row[11],
            "sequence": row[12],
        }
    body = orjson.dumps(
        {
            "results": [
                {"index": i, "isrc": isrc} | by_isrc.get(isrc, {}) for i, isrc in enumerate(isrcs)
            ]
        }
    )
    return time.perf_counter() - started, len(body)


BASELINE_URL_SQL = """
    SELECT l.url, p.train_ai, p.train_genai
    FROM consent_tracklink l JOIN consent_effectivepolicy p ON p.track_id = l.track_id
    WHERE l.hidden_at IS NULL AND l.url = ANY(%s)
"""
RESERVED = ("deny", "license")


def baseline_urls(conn, urls: list[str]) -> tuple[float, int]:
    """The floor for the compatibility query: one query for the same URLs, then JSON."""
    started = time.perf_counter()
    found: dict[str, list] = {}
    for url, train_ai, train_genai in conn.execute(BASELINE_URL_SQL, [urls]):
        found.setdefault(url, []).append((train_ai, train_genai))
    results = []
    for url in urls:
        values = found.get(url, [])
        opt_out = any(a in RESERVED or g in RESERVED for a, g in values)
        opt_in = bool(values) and all(a == "allow" and g == "allow" for a, g in values)
        results.append({"url": url, "optOut": opt_out, "optIn": opt_in})
    body = orjson.dumps({"urls": results})
    return time.perf_counter() - started, len(body)


RAW_CHANGES_SQL = """
    SELECT e.sequence, t.public_id, t.isrc, t.iswc, e.policy::text, e.previous::text,
           e.disputed, e.cause, e.created_at
    FROM consent_changeevent e JOIN consent_track t ON t.id = e.track_id
    WHERE e.sequence > %s ORDER BY e.sequence LIMIT 10000
"""


def raw_changes(conn) -> tuple[float, int]:
    """The floor for the feed: the same pages read with psycopg and encoded, no HTTP."""
    started = time.perf_counter()
    after, count = 0, 0
    while True:
        rows = conn.execute(RAW_CHANGES_SQL, [after]).fetchall()
        if not rows:
            break
        orjson.dumps(
            {
                "events": [
                    {
                        "sequence": r[0],
                        "track": {"id": r[1], "isrc": r[2], "iswc": r[3] or None},
                        "policy": orjson.Fragment(r[4]),
                        "previous": orjson.Fragment(r[5]),
                        "disputed": r[6],
                        "cause": r[7],
                        "created_at": r[8],
                    }
                    for r in rows
                ]
            }
        )
        count += len(rows)
        after = rows[-1][0]
    return time.perf_counter() - started, count


RAW_SNAPSHOT_TRACKS_SQL = """
    SELECT t.id, t.public_id, t.title, t.artist_credit, t.isrc, t.iswc,
           p.disputed, p.provenance::text, p.sequence, p.verification::text
    FROM consent_track t JOIN consent_effectivepolicy p ON p.track_id = t.id ORDER BY t.id
"""
RAW_SNAPSHOT_LINKS_SQL = (
    "SELECT track_id, url FROM consent_tracklink WHERE hidden_at IS NULL ORDER BY track_id, url"
)


def raw_snapshot(db_url: str) -> tuple[float, int]:
    """The floor for the snapshot: the same rows streamed with server-side cursors and
    encoded as NDJSON (provenance passed through as stored), no HTTP."""
    started = time.perf_counter()
    lines = 0
    with psycopg.connect(db_url) as conn:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        with conn.cursor("bench_tracks") as tracks, conn.cursor("bench_links") as links:
            tracks.itersize = links.itersize = 5000
            tracks.execute(RAW_SNAPSHOT_TRACKS_SQL)
            links.execute(RAW_SNAPSHOT_LINKS_SQL)
            link_rows = iter(links)
            pending = next(link_rows, None)
            buffer = []
            for tid, public_id, title, credit, isrc, iswc, disputed, prov, seq, proof in tracks:
                urls = []
                while pending is not None and pending[0] <= tid:
                    if pending[0] == tid:
                        urls.append(pending[1])
                    pending = next(link_rows, None)
                buffer.append(
                    orjson.dumps(
                        {
                            "track": {
                                "id": public_id,
                                "title": title,
                                "artist_credit": credit,
                                "isrc": isrc,
                                "iswc": iswc or None,
                                "links": urls,
                            },
                            "disputed": disputed,
                            "verification": orjson.Fragment(proof),
                            "provenance": orjson.Fragment(prov),
                            "sequence": seq,
                        }
                    )
                )
                lines += 1
                if len(buffer) >= 1000:
                    b"\n".join(buffer)
                    buffer = []
        conn.rollback()
    return time.perf_counter() - started, lines


SNAPSHOT_DOWNLOADS = 3  # per repetition, each way


def build_snapshot_file(env: dict) -> dict:
    """`manage.py build_snapshot --force`: the background task's build, timed inside it, with
    the CPU seconds of the whole process (its start-up included)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = manage(env, "build_snapshot", "--force", "--json", capture=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    made = orjson.loads(out.strip().splitlines()[-1])
    made["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return made


def raw_snapshot_cpu(db_url: str) -> tuple[float, int, float]:
    """raw_snapshot, with the CPU seconds this process spent in it."""
    started = time.process_time()
    seconds, lines = raw_snapshot(db_url)
    return seconds, lines, time.process_time() - started


def download(port: int, path: str, headers: dict) -> tuple[float, int]:
    """Seconds to the last byte of one GET on a fresh connection, and the bytes read.

    The server frees the platform's download slot when it closes the response, which can come
    a moment after the client has the last byte: a 429 then is waited out, untimed."""
    buffer = memoryview(bytearray(1 << 20))
    for _ in range(100):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        try:
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            size = 0
            while read := response.readinto(buffer):
                size += read
            elapsed = time.perf_counter() - started
        finally:
            conn.close()
        if response.status != 429:
            break
        time.sleep(0.05)
    if response.status != 200:
        raise SystemExit(f"GET {path} on port {port} answered {response.status}")
    return elapsed, size


# --- The client ---------------------------------------------------------------------------------

CLIENT_ROWS = 1_000_000
CLIENT_PURPOSES = ("tdm", "train-ai", "train-genai", "ai-input", "search")


@dataclass
class Timed:
    returncode: int
    seconds: float
    cpu: float  # user + system, of the process and its children
    rss_kb: int
    stdout: str
    stderr: str


def timed_process(command: list[str], env: dict) -> Timed:
    started = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "bench-time maxrss_kb=%M cpu=%U+%S", *command],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
    )
    seconds = time.monotonic() - started
    found = re.search(r"bench-time maxrss_kb=(\d+) cpu=([\d.]+)\+([\d.]+)", result.stderr)
    rss, user, system = (int(found[1]), float(found[2]), float(found[3])) if found else (0, 0, 0)
    return Timed(result.returncode, seconds, user + system, rss, result.stdout, result.stderr)


def link_variant(url: str, n: int) -> str:
    """`url` as crawlers and listeners meet it (tests/link_variants.py): the other scheme, the
    mobile host, tracking parameters."""
    scheme, host, path, query, _ = urlsplit(url)
    kind = n % 4
    if kind == 0:
        scheme = "http"
    elif kind == 1 and host in ("youtube.com", "soundcloud.com"):
        host = "m." + host
    elif kind == 1 and host == "open.spotify.com":
        path = "/intl-de" + path
    tracking = ("utm_source=newsletter", "si=Ab12Cd", "utm_medium=social&ref=clipboard")
    if kind in (1, 2, 3):
        extra = tracking[n % 3]
        query = f"{query}&{extra}" if query else extra
    return urlunsplit((scheme, host, path, query, ""))


def client_manifest(db_url: str, rows: int, seed: int = 13) -> list[str]:
    """`rows` links: 70% seeded links in everyday variants, 30% links nobody registered."""
    rng = random.Random(seed)
    registered = rows * 7 // 10
    with psycopg.connect(db_url) as conn:
        seeded = [
            r[0]
            for r in conn.execute(
                "SELECT url FROM consent_tracklink WHERE hidden_at IS NULL "
                "ORDER BY md5(id::text) LIMIT %s",
                [registered],
            )
        ]
    urls = [link_variant(url, n) for n, url in enumerate(seeded)]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for n in range(rows - len(urls)):
        if n % 2:
            urls.append(f"https://open.spotify.com/track/{''.join(rng.choices(letters, k=22))}")
        else:
            video = "".join(rng.choices(letters, k=11))
            urls.append(f"https://www.youtube.com/watch?v={video}&utm_source=feed")
    rng.shuffle(urls)
    return urls


@dataclass
class Row:
    measure: str
    result: str
    target: str
    verdict: str
    ok: bool | None  # None: reported only


# Connections on which the `abuse` measure's platform sends its batches, back to back.
ABUSERS = 4


def verdict(ok: bool, detail: str) -> str:
    return ("✅ met" if ok else "❌ missed") + (f": {detail}" if detail else "")


class Bench:
    def __init__(
        self, args, env: dict, server: Server, key: str, samples: Samples, db_url: str, tmp: Path
    ):
        self.args, self.env, self.server, self.key = args, env, server, key
        self.samples, self.db_url, self.tmp = samples, db_url, tmp
        self.base = f"http://127.0.0.1:{server.port}"
        self.rows: list[Row] = []
        self.details: list[str] = []
        self.loads: list[str] = []
        self.wrk_env = dict(os.environ)
        isrc_file, url_file = tmp / "isrcs.txt", tmp / "urls.txt"
        isrc_file.write_text("\n".join(samples.isrcs) + "\n")
        url_file.write_text("\n".join(samples.urls) + "\n")
        self.wrk_env.update(
            BENCH_KEY=key,
            BENCH_ISRCS=str(isrc_file),
            BENCH_URLS=str(url_file),
            BENCH_EVENTS=str(samples.events),
        )

    def fresh_server(self) -> None:
        """Restart, so the memory measured during the snapshot is the snapshot's own, not what
        earlier measures (a 10,000-item batch) left allocated in the workers."""
        self.server.stop()
        self.server.start()
        self.server.request("GET", "/api/ping")

    def note(self, text: str) -> None:
        self.details.append(text)
        log(text)

    def warm_up(self) -> None:
        auth = {"Authorization": f"Bearer {self.key}"}
        for isrc in self.samples.isrcs[:200]:
            status, _, body = self.server.request("GET", f"/api/v1/consent?isrc={isrc}", None, auth)
            if status != 200:
                raise SystemExit(f"lookup of {isrc} answered {status}: {body[:300]!r}")
        run_wrk(f"{self.base}/api/ping", 8, 2, None, self.wrk_env)
        run_wrk(f"{self.base}/api/v1/consent", 8, 2, BENCH / "lookup.lua", self.wrk_env)

    # 1 and 2: the ceilings, then single lookups against them.
    def single(self) -> None:
        d, n = self.args.duration, self.args.repeat
        ceiling_env = dict(self.wrk_env, BENCH_PATH="/api/bench/ceiling")
        # Interleaved, so that each ratio compares runs seconds apart on a shared machine.
        pings, ceilings, lookups = [], [], []
        for _ in range(n):
            pings.append(run_wrk(f"{self.base}/api/ping", 32, d, None, self.wrk_env))
            ceilings.append(
                run_wrk(f"{self.base}/api/bench/ceiling", 32, d, BENCH / "lookup.lua", ceiling_env)
            )
            lookups.append(
                run_wrk(f"{self.base}/api/v1/consent", 32, d, BENCH / "lookup.lua", self.wrk_env)
            )
        ping_rps = median([r.rps for r in pings])
        rps = median([r.rps for r in lookups])
        p99 = median([r.p99 for r in lookups])
        errors = sum(r.errors for r in pings + lookups)
        self.note(
            "ping runs (req/s): "
            + ", ".join(f"{r.rps:,.0f}" for r in pings)
            + "; lookup runs (req/s): "
            + ", ".join(f"{r.rps:,.0f}" for r in lookups)
            + "; lookup p99 (ms): "
            + ", ".join(f"{r.p99:.1f}" for r in lookups)
            + f"; errors: {errors}"
        )
        self.rows.append(
            Row(
                "Bare endpoint `/api/ping`, 32 connections (the ceiling)",
                f"{ping_rps:,.0f} req/s, p50 {median([r.p50 for r in pings]):.1f} ms, "
                f"p99 {median([r.p99 for r in pings]):.1f} ms",
                "reported",
                "—",
                None,
            )
        )
        ceiling_rps = median([r.rps for r in ceilings])
        self.note(
            "ceiling runs (req/s): "
            + ", ".join(f"{r.rps:,.0f}" for r in ceilings)
            + f"; errors: {sum(r.errors for r in ceilings)}"
        )
        self.rows.append(
            Row(
                "Ceiling: the lookup's SQL in a plain Django view, no key, 32 connections",
                f"{ceiling_rps:,.0f} req/s, p50 {median([r.p50 for r in ceilings]):.1f} ms, "
                f"p99 {median([r.p99 for r in ceilings]):.1f} ms",
                "reported",
                "—",
                None,
            )
        )
        ratio = median([lo.rps / pi.rps for pi, lo in zip(pings, lookups, strict=True)])
        to_ceiling = median([lo.rps / ce.rps for ce, lo in zip(ceilings, lookups, strict=True)])
        checks = [rps >= 2500, to_ceiling >= 0.85, ratio >= 0.45, p99 <= 20]
        missed = []
        if not checks[0]:
            missed.append(f"req/s {rps / 2500:.0%} of 2,500")
        if not checks[1]:
            missed.append(f"{to_ceiling:.2f} × ceiling < 0.85")
        if not checks[2]:
            missed.append(f"{ratio:.2f} × bare < 0.45")
        if not checks[3]:
            missed.append(f"p99 {p99 / 20:.1f}× 20 ms")
        self.rows.append(
            Row(
                "Single lookup by ISRC, authenticated, 32 connections",
                f"{rps:,.0f} req/s ({to_ceiling:.2f} × ceiling, {ratio:.2f} × bare), p50 "
                f"{median([r.p50 for r in lookups]):.1f} ms, p99 {p99:.1f} ms",
                "≥ 2,500 req/s, ≥ 0.85 × ceiling, ≥ 0.45 × bare, p99 ≤ 20 ms",
                verdict(all(checks), "; ".join(missed)),
                all(checks),
            )
        )

    # Fair use: one platform hammering batches of 10,000 at its limit, another one's lookups.
    def abuse(self) -> None:
        d, n = self.args.duration, self.args.repeat
        abuser = create_key(self.env, rate_limit=None, label="Abuser")  # the default limit
        body = orjson.dumps({"items": [{"isrc": i} for i in self.samples.batches[0]]})
        headers = {"Authorization": f"Bearer {abuser}", "Content-Type": "application/json"}
        statuses: dict[int, int] = {}
        lock = threading.Lock()

        def hammer(stop: threading.Event) -> None:
            while not stop.is_set():
                conn = self.server.connection(timeout=120)
                try:
                    conn.request("POST", "/api/v1/consent/batch", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    with lock:
                        statuses[response.status] = statuses.get(response.status, 0) + 1
                except OSError:
                    with lock:
                        statuses[0] = statuses.get(0, 0) + 1
                finally:
                    conn.close()

        unloaded, loaded = [], []
        for _ in range(n):
            unloaded.append(
                run_wrk(f"{self.base}/api/v1/consent", 32, d, BENCH / "lookup.lua", self.wrk_env)
            )
            stop = threading.Event()
            threads = [threading.Thread(target=hammer, args=(stop,)) for _ in range(ABUSERS)]
            for thread in threads:
                thread.start()
            try:
                loaded.append(
                    run_wrk(
                        f"{self.base}/api/v1/consent", 32, d, BENCH / "lookup.lua", self.wrk_env
                    )
                )
            finally:
                stop.set()
                for thread in threads:
                    thread.join(timeout=180)
        quiet, busy = median([r.p99 for r in unloaded]), median([r.p99 for r in loaded])
        ratio = median([b.p99 / q.p99 for q, b in zip(unloaded, loaded, strict=True)])
        self.note(
            "abuse: unloaded lookup p99 (ms): "
            + ", ".join(f"{r.p99:.1f}" for r in unloaded)
            + "; with the abuser: "
            + ", ".join(f"{r.p99:.1f}" for r in loaded)
            + "; lookup req/s unloaded / loaded: "
            + ", ".join(f"{q.rps:,.0f}/{b.rps:,.0f}" for q, b in zip(unloaded, loaded, strict=True))
            + f"; the abuser's answers by status: {dict(sorted(statuses.items()))}"
            + f"; lookup errors: {sum(r.errors for r in unloaded + loaded)}"
        )
        self.rows.append(
            Row(
                f"Abuse: another platform's lookup p99 while one sends batches of 10,000 on "
                f"{ABUSERS} connections at its limit",
                f"p99 {busy:.1f} ms against {quiet:.1f} ms unloaded ({ratio:.2f} ×); "
                f"abuser: {statuses.get(200, 0)} batches answered, "
                f"{sum(c for s, c in statuses.items() if s == 429)} refused (429)",
                "≤ 1.5 × unloaded p99",
                verdict(ratio <= 1.5, f"{ratio:.2f} × unloaded"),
                ratio <= 1.5,
            )
        )

    # 3: batch of 10,000 ISRCs against a raw query of the same.
    def batch(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        api, raw, sizes = [], [], []
        with psycopg.connect(self.db_url) as conn:
            set_json_loads(orjson.loads, conn)
            baseline_isrcs(conn, self.samples.batches[0])  # warm
            timed_post(
                self.server,
                "/api/v1/consent/batch",
                orjson.dumps({"items": [{"isrc": i} for i in self.samples.batches[0]]}),
                headers,
            )
            for isrcs in self.samples.batches:
                # Each set is read once, untimed, before either is timed: otherwise the endpoint
                # would pay for bringing the rows into memory and the baseline would not.
                baseline_isrcs(conn, isrcs)
                body = orjson.dumps({"items": [{"isrc": i} for i in isrcs]})
                elapsed, data, status = timed_post(
                    self.server, "/api/v1/consent/batch", body, headers
                )
                answer = orjson.loads(data)
                if status != 200 or answer.get("count") != len(isrcs):
                    raise SystemExit(f"batch answered {status}: {data[:300]!r}")
                registered = sum(r.get("status") == "registered" for r in answer["results"])
                if registered != len(isrcs):
                    raise SystemExit(f"batch found {registered} of {len(isrcs)} seeded ISRCs")
                api.append(elapsed)
                sizes.append(len(data))
                raw.append(baseline_isrcs(conn, isrcs)[0])
        a, b = median(api), median(raw)
        ratio = median([x / y for x, y in zip(api, raw, strict=True)])
        self.note(
            "batch runs (s): "
            + ", ".join(f"{x:.3f}" for x in api)
            + "; raw baseline runs (s): "
            + ", ".join(f"{x:.3f}" for x in raw)
            + f"; response {median(sizes) / 1e6:.1f} MB"
        )
        self.rows.append(
            Row(
                "Batch of 10,000 ISRCs",
                f"{a * 1000:,.0f} ms (raw psycopg + orjson: {b * 1000:,.0f} ms)",
                "≤ 1.5 × raw baseline",
                verdict(ratio <= 1.5, f"{ratio:.2f} × baseline"),
                ratio <= 1.5,
            )
        )

    # 4: the compatibility endpoint with 10,000 URLs.
    def compat(self) -> None:
        headers = {"Authorization": f"API {self.key}", "Content-Type": "text/plain"}
        api, raw = [], []
        with psycopg.connect(self.db_url) as conn:
            baseline_urls(conn, self.samples.url_batches[0])
            timed_post(
                self.server,
                "/api/v2/query/urls/",
                "\n".join(self.samples.url_batches[0]).encode(),
                headers,
            )
            for urls in self.samples.url_batches:
                baseline_urls(conn, urls)  # warm this set for both, untimed (see batch)
                elapsed, data, status = timed_post(
                    self.server, "/api/v2/query/urls/", "\n".join(urls).encode(), headers
                )
                answer = orjson.loads(data)
                if status != 200 or len(answer.get("urls", [])) != len(urls):
                    raise SystemExit(f"compatibility query answered {status}: {data[:300]!r}")
                api.append(elapsed)
                raw.append(baseline_urls(conn, urls)[0])
        a, b = median(api), median(raw)
        ratio = median([x / y for x, y in zip(api, raw, strict=True)])
        self.note(
            "compatibility runs (s): "
            + ", ".join(f"{x:.3f}" for x in api)
            + "; raw baseline runs (s): "
            + ", ".join(f"{x:.3f}" for x in raw)
        )
        self.rows.append(
            Row(
                "Compatibility endpoint, 10,000 URLs",
                f"{a * 1000:,.0f} ms (raw psycopg + orjson: {b * 1000:,.0f} ms)",
                "≤ 2 × raw baseline",
                verdict(ratio <= 2, f"{ratio:.2f} × baseline"),
                ratio <= 2,
            )
        )

    # 5: the whole change log, paged by 10,000.
    def changes(self) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        rates, raw = [], []
        raw_conn = psycopg.connect(self.db_url)
        for _ in range(self.args.changes_repeat):
            raw.append(raw_changes(raw_conn))  # interleaved with the API's runs
            conn = self.server.connection()
            after, count, pages = 0, 0, 0
            started = time.perf_counter()
            while True:
                conn.request("GET", f"/api/v1/changes?after={after}&limit=10000", headers=headers)
                response = conn.getresponse()
                data = response.read()
                if response.status != 200:
                    raise SystemExit(f"changes answered {response.status}: {data[:300]!r}")
                page = orjson.loads(data)
                count += len(page["events"])
                pages += 1
                after = page["next_after"]
                if not page["has_more"]:
                    break
            elapsed = time.perf_counter() - started
            conn.close()
            if count != self.samples.events:
                raise SystemExit(
                    f"changes feed gave {count:,} events, expected {self.samples.events:,}"
                )
            rates.append(count / elapsed)
        raw_conn.close()
        rate = median(rates)
        raw_rate = median([n / t for t, n in raw])
        self.note(
            f"changes feed: {count:,} events in {pages} pages; runs (events/s): "
            + ", ".join(f"{x:,.0f}" for x in rates)
            + "; raw psycopg + orjson, no HTTP (events/s): "
            + ", ".join(f"{n / t:,.0f}" for t, n in raw)
        )
        self.rows.append(
            Row(
                f"Changes feed, {count:,} events paged by 10,000",
                f"{rate:,.0f} events/s ({count / rate:.1f} s for the log; raw psycopg + orjson "
                f"of the same pages: {raw_rate:,.0f} events/s)",
                "≥ 100,000 events/s",
                verdict(rate >= 100_000, f"{rate / 100_000:.0%} of target"),
                rate >= 100_000,
            )
        )

    # 6: the snapshot files: built in the background against the raw read, served against a
    # plain sendfile server, and the lines decompressed for a client without gzip, with the
    # server's memory sampled while they stream.
    def snapshot(self) -> None:
        builds, raw = [], []
        for _ in range(self.args.snapshot_repeat):
            raw.append(raw_snapshot_cpu(self.db_url))  # interleaved with the builds
            builds.append(build_snapshot_file(self.env))
        build_s = median([b["seconds"] for b in builds])
        raw_s = median([t for t, _, _ in raw])
        build_ratio = median([b["seconds"] / t for b, (t, _, _) in zip(builds, raw, strict=True)])
        made = builds[-1]
        self.note(
            f"snapshot build: {made['lines']:,} lines, {made['size'] / 1e6:,.0f} MB gzip "
            f"({made['ndjson_size'] / 1e6:,.0f} MB NDJSON), level "
            f"{self.env.get('SNAPSHOT_GZIP_LEVEL') or 'default'}; builds (s): "
            + ", ".join(f"{b['seconds']:.1f}" for b in builds)
            + "; raw psycopg + orjson read (s): "
            + ", ".join(f"{t:.1f}" for t, _, _ in raw)
            + "; CPU of the build process, start-up included (s): "
            + ", ".join(f"{b['cpu']:.1f}" for b in builds)
            + "; CPU of the raw read's client (s): "
            + ", ".join(f"{c:.1f}" for _, _, c in raw)
        )
        self.rows.append(
            Row(
                f"Snapshot file of {made['lines']:,} tracks built in the background "
                "(`manage.py build_snapshot`, the task's code)",
                f"{build_s:.1f} s for {made['size'] / 1e6:,.0f} MB gzip; raw psycopg + orjson "
                f"read {raw_s:.1f} s; {build_ratio:.2f}× the raw read",
                "≤ 1.2× the raw read",
                verdict(build_ratio <= 1.2, f"{build_ratio:.2f}×"),
                build_ratio <= 1.2,
            )
        )
        self.snapshot_served(Path(made["file"]))
        self.snapshot_decompressed()

    def snapshot_served(self, path: Path) -> None:
        """The newest file through the API (gzip, as stored) and through a minimal sendfile
        server (bench/sendfile_server.py), one connection each, interleaved."""
        port = free_port()
        static = subprocess.Popen([PYTHON, str(BENCH / "sendfile_server.py"), str(path), str(port)])
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise SystemExit("the sendfile server did not start") from None
                    time.sleep(0.1)
            headers = {"Authorization": f"Bearer {self.key}", "Accept-Encoding": "gzip"}
            size = path.stat().st_size
            for _ in range(self.server.workers):  # warm: each worker's first request loads code
                download(self.server.port, "/api/v1/snapshot", headers)
            download(port, "/snapshot.ndjson.gz", {})
            api_rates, static_rates = [], []
            for _ in range(self.args.snapshot_repeat):
                for _ in range(SNAPSHOT_DOWNLOADS):
                    seconds, got = download(self.server.port, "/api/v1/snapshot", headers)
                    if got != size:
                        raise SystemExit(f"the API sent {got:,} bytes of a {size:,}-byte file")
                    api_rates.append(got / seconds)
                    seconds, got = download(port, "/snapshot.ndjson.gz", {})
                    static_rates.append(got / seconds)
        finally:
            static.terminate()
            static.wait(10)
        ratios = [a / b for a, b in zip(api_rates, static_rates, strict=True)]
        rate, static_rate, ratio = median(api_rates), median(static_rates), median(ratios)
        self.note(
            f"snapshot served: {size / 1e6:,.0f} MB file; API (MB/s): "
            + ", ".join(f"{r / 1e6:,.0f}" for r in api_rates)
            + "; sendfile server (MB/s): "
            + ", ".join(f"{r / 1e6:,.0f}" for r in static_rates)
        )
        self.rows.append(
            Row(
                f"Snapshot file served, gzip as stored ({size / 1e6:,.0f} MB), one connection",
                f"{rate / 1e6:,.0f} MB/s ({size / rate:.2f} s a download); plain sendfile "
                f"server: {static_rate / 1e6:,.0f} MB/s; {ratio:.2f}×",
                "≥ 0.8× a plain static-file server",
                verdict(ratio >= 0.8, f"{ratio:.2f}×"),
                ratio >= 0.8,
            )
        )

    def snapshot_decompressed(self) -> None:
        """The earlier row: rows/s to a client that does not accept gzip (the file decompressed
        as it streams), with the server's memory sampled meanwhile."""
        headers = {"Authorization": f"Bearer {self.key}"}
        rates, peaks = [], []
        idle = self.server.memory()
        raw = []
        for _ in range(self.args.snapshot_repeat):
            raw.append(raw_snapshot(self.db_url))  # interleaved with the API's runs
            peak = dict(idle)
            done = threading.Event()

            def sample(peak=peak, done=done):
                while not done.is_set():
                    for name, value in self.server.memory().items():
                        peak[name] = max(peak[name], value)
                    done.wait(0.1)

            sampler = threading.Thread(target=sample)
            sampler.start()
            conn = self.server.connection()
            started = time.perf_counter()
            conn.request("GET", "/api/v1/snapshot", headers=headers)
            response = conn.getresponse()
            lines, size = 0, 0
            while chunk := response.read(1 << 20):
                lines += chunk.count(b"\n")
                size += len(chunk)
            elapsed = time.perf_counter() - started
            done.set()
            sampler.join()
            conn.close()
            if response.status != 200 or lines != self.samples.tracks:
                raise SystemExit(
                    f"snapshot answered {response.status} with {lines:,} lines, "
                    f"expected {self.samples.tracks:,}"
                )
            sequence = response.getheader("X-Registry-Sequence")
            rates.append(lines / elapsed)
            peaks.append(peak)
        rate = median(rates)
        raw_rate = median([n / t for t, n in raw])
        peak_rss = max(p["workers_rss"] for p in peaks)
        peak_pss = max(p["workers_pss"] for p in peaks)
        largest = max(p["largest_rss"] for p in peaks)
        master = max(p["master_rss"] for p in peaks)
        self.note(
            f"snapshot, decompressed for a client without gzip: {lines:,} rows, "
            f"{size / 1e6:,.0f} MB, X-Registry-Sequence {sequence}; runs (rows/s): "
            + ", ".join(f"{x:,.0f}" for x in rates)
            + "; raw psycopg + orjson, no HTTP (rows/s): "
            + ", ".join(f"{n / t:,.0f}" for t, n in raw)
            + f"; workers' RSS idle {idle['workers_rss'] / 1024:.0f} MB, peak "
            f"{peak_rss / 1024:.0f} MB (PSS {peak_pss / 1024:.0f} MB), largest worker "
            f"{largest / 1024:.0f} MB, master {master / 1024:.0f} MB"
        )
        ok = rate >= 100_000 and peak_rss < 250 * 1024
        missed = []
        if rate < 100_000:
            missed.append(f"{rate / 100_000:.0%} of the rate")
        if peak_rss >= 250 * 1024:
            missed.append(f"RSS {peak_rss / 1024 / 250:.2f} × 250 MB")
        self.rows.append(
            Row(
                f"Snapshot of {lines:,} tracks (NDJSON, no gzip: the file decompressed)",
                f"{rate:,.0f} rows/s (raw psycopg + orjson: {raw_rate:,.0f} rows/s); "
                f"workers' RSS peak {peak_rss / 1024:.0f} MB "
                f"(idle {idle['workers_rss'] / 1024:.0f} MB, "
                f"largest worker {largest / 1024:.0f} MB)",
                "≥ 100,000 rows/s, server RSS < 250 MB",
                verdict(ok, "; ".join(missed)),
                ok,
            )
        )

    # 7: mixed load.
    def mixed(self) -> None:
        result = run_wrk(
            f"{self.base}/api/v1/consent",
            64,
            self.args.mixed_duration,
            BENCH / "mixed.lua",
            self.wrk_env,
            timeout=30,
        )
        statuses = ", ".join(f"{s}: {c:,}" for s, c in sorted(result.statuses.items()))
        self.note(
            f"mixed load: {result.requests:,} requests, statuses {statuses}; "
            f"socket errors {result.socket_errors}; non-2xx/3xx {result.non_2xx}"
        )
        non_ok = sum(c for s, c in result.statuses.items() if not 200 <= s < 300)
        errors = result.errors + (non_ok if result.statuses else 0)
        self.rows.append(
            Row(
                f"64 connections for {self.args.mixed_duration} s, mixed endpoints",
                f"{result.requests:,} requests ({result.rps:,.0f} req/s), {errors} errors; "
                f"p50 {result.p50:.0f} ms, p99 {result.p99:.0f} ms",
                "zero errors",
                verdict(errors == 0, f"{errors} errors" if errors else ""),
                errors == 0,
            )
        )

    # The transparency log's read path: full tiles against the single lookup, same run.
    def tiles(self) -> None:
        d, n = self.args.duration, self.args.repeat
        full = self.samples.log_size // 256
        if full < 1:
            self.note("tiles: the seeded log holds no full tile")
            return
        rng = random.Random(11)
        numbers = rng.sample(range(full), min(1000, full))
        files = {}
        for kind, prefix in (("hash", "/log/tile/0/"), ("entries", "/log/tile/entries/")):
            files[kind] = self.tmp / f"tiles-{kind}.txt"
            files[kind].write_text("".join(f"{prefix}{encode_tile_index(i)}\n" for i in numbers))
        # Every path is read once, untimed, as a CDN or the cache would have it: full tiles never
        # change, so the server caches them (consent/transparency/log.py); that first pass,
        # which builds each tile from the database, is reported beside the runs.
        cold = {}
        for kind, file in files.items():
            started = time.monotonic()
            for path in file.read_text().split():
                status, _, body = self.server.request("GET", path)
                if status != 200:
                    raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
            cold[kind] = len(numbers) / (time.monotonic() - started)
        runs: dict[str, list[WrkResult]] = {"lookup": [], "hash": [], "entries": []}
        for _ in range(n):  # interleaved, as in `single`
            runs["lookup"].append(
                run_wrk(f"{self.base}/api/v1/consent", 32, d, BENCH / "lookup.lua", self.wrk_env)
            )
            for kind, file in files.items():
                env = dict(self.wrk_env, BENCH_TILES=str(file))
                runs[kind].append(run_wrk(self.base, 32, d, BENCH / "tiles.lua", env))
        lookup_rps = median([r.rps for r in runs["lookup"]])
        self.note(
            "tiles: "
            + "; ".join(
                f"{kind} runs (req/s): " + ", ".join(f"{r.rps:,.0f}" for r in results)
                for kind, results in runs.items()
            )
            + f"; errors: {sum(r.errors for results in runs.values() for r in results)}"
            + f"; {len(numbers):,} random full tiles of {full:,}, first read (one client, "
            + ", ".join(f"{kind} {rate:,.0f}/s" for kind, rate in cold.items())
            + ")"
        )
        labels = {
            "hash": "Log hash tiles `/log/tile/0/<N>` (full), 32 connections",
            "entries": "Log entry bundles `/log/tile/entries/<N>` (full), 32 connections",
        }
        for kind in ("hash", "entries"):
            results = runs[kind]
            rps = median([r.rps for r in results])
            ratio = median([t.rps / lo.rps for lo, t in zip(runs["lookup"], results, strict=True)])
            errors = sum(r.errors for r in results)
            ok = ratio >= 1 and errors == 0
            self.rows.append(
                Row(
                    labels[kind],
                    f"{rps:,.0f} req/s ({ratio:.2f} × the single lookup's {lookup_rps:,.0f}), "
                    f"p50 {median([r.p50 for r in results]):.1f} ms, "
                    f"p99 {median([r.p99 for r in results]):.1f} ms",
                    "≥ 1 × single lookup",
                    verdict(ok, "" if ok else f"ratio {ratio:.2f}, {errors} errors"),
                    ok,
                )
            )

    # Signed receipts (docs/log.md "Receipts"): the single lookup with and without
    # `receipt=true`, interleaved, and a batch of 10,000 with one, whose header must hold
    # exactly one signature.
    def receipts(self) -> None:
        d, n = self.args.duration, self.args.repeat
        signed_env = dict(self.wrk_env, BENCH_RECEIPT="1")
        plain, signed = [], []
        for _ in range(n):
            plain.append(
                run_wrk(f"{self.base}/api/v1/consent", 32, d, BENCH / "lookup.lua", self.wrk_env)
            )
            signed.append(
                run_wrk(f"{self.base}/api/v1/consent", 32, d, BENCH / "lookup.lua", signed_env)
            )
        ratio = median([s.rps / p.rps for p, s in zip(plain, signed, strict=True)])
        errors = sum(r.errors for r in plain + signed)
        self.note(
            "receipts: lookup runs without (req/s): "
            + ", ".join(f"{r.rps:,.0f}" for r in plain)
            + "; with receipt=true: "
            + ", ".join(f"{r.rps:,.0f}" for r in signed)
            + f"; errors: {errors}"
        )
        ok = ratio >= 0.9 and errors == 0
        self.rows.append(
            Row(
                "Single lookup with a signed receipt (`receipt=true`), 32 connections",
                f"{median([r.rps for r in signed]):,.0f} req/s ({ratio:.2f} × the same lookup "
                f"without, {median([r.rps for r in plain]):,.0f}), "
                f"p99 {median([r.p99 for r in signed]):.1f} ms",
                "≥ 0.90 × without",
                verdict(ok, "" if ok else f"ratio {ratio:.2f}, {errors} errors"),
                ok,
            )
        )
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        times: dict[bool, list[float]] = {False: [], True: []}
        signatures = []
        for number, isrcs in enumerate(self.samples.batches):
            body = orjson.dumps({"items": [{"isrc": i} for i in isrcs]})
            # Each set once untimed (as `batch` does), then both orders in turn, so that neither
            # request is the one that brings the rows into memory.
            self.server.request("POST", "/api/v1/consent/batch", body, headers)
            for receipt in (False, True) if number % 2 == 0 else (True, False):
                path = "/api/v1/consent/batch" + ("?receipt=true" if receipt else "")
                started = time.monotonic()
                status, answer_headers, data = self.server.request("POST", path, body, headers)
                times[receipt].append(time.monotonic() - started)
                if status != 200:
                    raise SystemExit(f"batch answered {status}: {data[:300]!r}")
                if receipt:
                    token = {k.lower(): v for k, v in answer_headers.items()}.get(
                        "registry-receipt", ""
                    )
                    # A compact JWS is three dot-separated parts: one signature.
                    signatures.append(1 if token.count(".") == 2 else 0)
        batch_ratio = median([s / p for p, s in zip(times[False], times[True], strict=True)])
        one = all(count == 1 for count in signatures)
        self.note(
            "receipts: batch of 10,000 without (s): "
            + ", ".join(f"{x:.3f}" for x in times[False])
            + "; with: "
            + ", ".join(f"{x:.3f}" for x in times[True])
            + f"; signatures per answer: {signatures}"
        )
        self.rows.append(
            Row(
                "Batch of 10,000 ISRCs with a signed receipt",
                f"{median(times[True]) * 1000:,.0f} ms ({batch_ratio:.2f} × without), "
                f"{'one signature' if one else 'not one signature'} per answer",
                "one signature per batch",
                verdict(one, "" if one else f"signatures {signatures}"),
                one,
            )
        )

    # The client: a mirror of the whole registry synced with `registry-client sync`, then a
    # manifest of 1,000,000 links judged offline with `registry-client check --mirror`.
    def client(self) -> None:
        env = dict(
            os.environ,
            PYTHONPATH=str(ROOT / "client"),
            REGISTRY_URL=self.base,
            REGISTRY_API_KEY=self.key,
        )
        command = [PYTHON, "-m", "registry_client"]
        mirror = self.tmp / "client-mirror"
        sync = timed_process([*command, "sync", str(mirror), "--quiet"], env)
        if sync.returncode != 0:
            raise SystemExit(f"registry-client sync failed: {sync.stderr[-2000:]}")
        self.note(f"client sync: {sync.seconds:.1f} s, CPU {sync.cpu:.0f} s: {sync.stdout[-300:]}")
        self.rows.append(
            Row(
                f"`registry-client sync` of a new mirror ({self.samples.tracks:,} tracks)",
                f"{sync.seconds:.1f} s, CPU {sync.cpu:.0f} s (client)",
                "reported",
                "—",
                None,
            )
        )
        rows = CLIENT_ROWS
        manifest, urls = self.tmp / "manifest.csv", client_manifest(self.db_url, rows)
        with open(manifest, "w", newline="") as stream:
            stream.write("url,title\n")
            stream.writelines(f"{url},row {n}\n" for n, url in enumerate(urls))
        output = self.tmp / "judged.csv"
        runs = []
        for _ in range(self.args.repeat):
            run = timed_process(
                [*command, "check", str(manifest), "-o", str(output), "--mirror", str(mirror)]
                + ["--quiet"],
                env,
            )
            if run.returncode != 0:
                raise SystemExit(f"registry-client check failed: {run.stderr[-2000:]}")
            runs.append(run)
        self.client_agrees(urls, output)
        seconds = median([r.seconds for r in runs])
        cpu = median([r.cpu for r in runs])
        self.note(
            "client check runs (s, CPU s): "
            + ", ".join(f"{r.seconds:.1f} ({r.cpu:.1f})" for r in runs)
            + f"; peak RSS {median([r.rss_kb for r in runs]) / 1024:,.0f} MB"
        )
        ok = seconds <= 60
        self.rows.append(
            Row(
                f"`registry-client check` of {rows:,} URLs (70% registered, in everyday "
                "variants) against the mirror",
                f"{seconds:.1f} s ({rows / seconds:,.0f} rows/s), CPU {cpu:.1f} s, "
                f"peak RSS {median([r.rss_kb for r in runs]) / 1024:,.0f} MB",
                "≤ 60 s",
                verdict(ok, "" if ok else f"{seconds / 60:.2f} × 60 s"),
                ok,
            )
        )

    def client_agrees(self, urls: list[str], output: Path) -> None:
        """1,000 rows of the judged manifest against the live batch endpoint's answers."""
        with open(output, newline="") as stream:
            judged = list(csv.DictReader(stream))
        if len(judged) != len(urls):
            raise SystemExit(f"client check wrote {len(judged):,} rows of {len(urls):,}")
        picked = random.Random(11).sample(range(len(urls)), 1000)
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        body = orjson.dumps({"items": [{"url": urls[i]} for i in picked]})
        status, _, data = self.server.request("POST", "/api/v1/consent/batch", body, headers)
        if status != 200:
            raise SystemExit(f"batch answered {status}: {data[:300]!r}")
        wrong = []
        registered = 0
        for index, answer in zip(picked, orjson.loads(data)["results"], strict=True):
            row = judged[index]
            if row["url"] != urls[index]:
                raise SystemExit(f"client check reordered the rows: line {index + 2}")
            if answer.get("status") == "registered":
                registered += 1
                expected = {p: answer["policy"][p]["value"] for p in CLIENT_PURPOSES}
                expected["track_id"] = str(answer["track"]["id"])
            else:
                expected = dict.fromkeys(CLIENT_PURPOSES, "unset") | {"track_id": ""}
            found = {k: row[k] for k in expected}
            if found != expected:
                wrong.append((urls[index], found, expected))
        if wrong:
            raise SystemExit(
                f"client check disagrees with the live API on {len(wrong)} of 1,000 rows, "
                f"e.g. {wrong[0]}"
            )
        self.note(f"client check agrees with the live API on 1,000 rows ({registered} registered)")

    # `manage.py verify_log` over the whole seeded log, after the server has stopped.
    def verify(self) -> None:
        started = time.monotonic()
        backends = BackendCPU(self.db_url)
        backends.start()
        try:
            result = subprocess.run(
                [
                    "/usr/bin/time",
                    "-f",
                    "maxrss_kb=%M cpu=%U+%S",
                    PYTHON,
                    "manage.py",
                    "verify_log",
                ],
                cwd=ROOT,
                env=self.env,
                text=True,
                capture_output=True,
            )
        finally:
            backends.stop()
        seconds = time.monotonic() - started
        rss = re.search(r"maxrss_kb=(\d+)", result.stderr)
        rss_text = f", peak RSS {int(rss.group(1)) / 1024:,.0f} MB" if rss else ""
        cpu = re.search(r"cpu=([\d.]+)\+([\d.]+)", result.stderr)
        if cpu:  # its processes' CPU time: what the load of the machine does not inflate
            python_cpu = float(cpu.group(1)) + float(cpu.group(2))
            rss_text += f", CPU {python_cpu:.0f} s"
            if backends.seconds:  # and PostgreSQL's, serving it on the same cores
                rss_text += (
                    f" + PostgreSQL's {backends.seconds:.0f} s (all on 2 cores: "
                    f"{(python_cpu + backends.seconds) / 2:.0f} s at best)"
                )
        said = (result.stdout.strip() or result.stderr.strip()).splitlines()
        self.note(f"verify_log: {seconds:.1f} s, exit {result.returncode}: {said[-2:]}")
        ok = result.returncode == 0 and seconds <= 60
        self.rows.append(
            Row(
                f"`manage.py verify_log` over the seeded log ({self.samples.log_size:,} entries)",
                f"{seconds:.1f} s{rss_text}"
                + ("" if result.returncode == 0 else f"; FAILED: {said[-1] if said else ''}"),
                "≤ 60 s, accepts the log",
                verdict(ok, "" if ok else f"{seconds / 60:.1f} × 60 s"),
                ok,
            )
        )

    # What the log adds to a catalogue-wide opt-out and to a 10,000-row import
    # (bench/log_overhead.py, on a database of its own).
    def logging(self) -> None:
        env = dict(os.environ, BENCH_LOG_REDIS_URL=self.env["REDIS_URL"])
        result = subprocess.run(
            [PYTHON, str(BENCH / "log_overhead.py"), "--json"],
            cwd=ROOT,
            env=env,
            text=True,
            capture_output=True,
            check=True,
        )
        figures = orjson.loads(result.stdout.strip().splitlines()[-1])
        self.note(f"log overhead: {figures}")
        for case in figures["cases"]:
            ratio = case["ratio"]
            ok = ratio <= 1.10
            self.rows.append(
                Row(
                    case["label"],
                    f"{case['with_ms']:,.0f} ms with the log, {case['without_ms']:,.0f} ms "
                    f"without ({ratio:.2f} ×)",
                    "≤ 1.10 × without",
                    verdict(ok, "" if ok else f"{ratio:.2f} ×"),
                    ok,
                )
            )

    # How long heavy writes hold the consent write lock, and a 100,000-track catalogue change
    # applied in the background (bench/writes.py, on the bench database itself).
    def writes(self) -> None:
        result = subprocess.run(
            [PYTHON, str(BENCH / "writes.py"), "--json", "--repeat", str(self.args.repeat)],
            cwd=ROOT,
            env=self.env,
            text=True,
            capture_output=True,
        )
        if result.returncode != 0:
            raise SystemExit(f"bench/writes.py failed:\n{result.stderr[-3000:]}")
        figures = orjson.loads(result.stdout.strip().splitlines()[-1])
        self.note(f"writes: {figures}")
        for case, before, label in (
            ("toggle_5k", "toggle_5k_before", "catalogue-wide opt-out of 5,000 tracks"),
            ("import_10k", "import_10k_before", "import of 10,000 new tracks (CSV)"),
        ):
            held, was = figures[case]["max_hold"] * 1000, figures[before]["max_hold"] * 1000
            ok = held <= 200
            self.rows.append(
                Row(
                    f"Longest hold of the sequence lock: {label}",
                    f"{held:,.0f} ms ({was:,.0f} ms computed under the lock as before: "
                    f"{was / held:.1f} × shorter)",
                    "≤ 200 ms",
                    verdict(ok, "" if ok else f"{held / 200:.1f} × 200 ms"),
                    ok,
                )
            )
        large = figures["toggle_100k"]
        ok = large["answered"] < 1 and large["applied"] <= 60
        self.rows.append(
            Row(
                "Catalogue-wide change of 100,000 tracks, in the background",
                f"request {large['answered'] * 1000:,.0f} ms; applied in {large['applied']:.1f} s "
                f"(the job's own CPU {large['job_cpu']:.1f} s); "
                f"longest lock hold {large['max_hold'] * 1000:,.0f} ms",
                "request < 1 s; applied ≤ 60 s",
                verdict(ok, "" if ok else f"applied in {large['applied'] / 60:.1f} × 60 s"),
                ok,
            )
        )

    def webhooks(self) -> None:
        """10,000 changes fanned out to 10 local endpoints by one worker (bench/webhooks_fanout.py,
        on a database of its own)."""
        from webhooks_fanout import run as fan_out

        figures = fan_out(changes=10_000, endpoints=10, concurrency=1)
        ok = bool(figures["within_60s"])
        self.note(f"webhooks: {figures}")
        self.rows.append(
            Row(
                "Webhooks: 10,000 changes to 10 local endpoints, one worker",
                f"all delivered in {figures['delivery_seconds']:.1f} s; "
                f"{figures['events_per_second']:,.0f} deliveries/s; commit → delivery "
                f"median {figures['delay_median_ms']:,.0f} ms, "
                f"p99 {figures['delay_p99_ms']:,.0f} ms",
                "all within 60 s",
                verdict(ok, "" if ok else "not all delivered within 60 s"),
                ok,
            )
        )

    def feeds(self, workers: int, threads: int, worker_class: str) -> None:
        """The public feeds while a writer changes a declaration every second (bench/feeds.md in
        bench/README.md): a server of its own and a Celery worker with the bench Redis as
        broker, so that every rebuild runs in the worker, never in a request; wrk on each kind
        of feed file in turn, as many seconds each as the other measures."""
        redis_url = self.env["REDIS_URL"]
        env = dict(self.env, CELERY_BROKER_URL=redis_url, FEED_REBUILD_DELAY="5")
        folder = self.tmp / "feeds"
        folder.mkdir(exist_ok=True)
        started = time.monotonic()
        built = manage(env, "build_feeds", capture=True).strip().splitlines()[-1]
        build_seconds = time.monotonic() - started
        self.note(f"feeds: first build: {built} ({build_seconds:.0f} s with the command)")
        server = Server(env, workers, threads, worker_class, folder)
        log_file = (folder / "worker.log").open("wb")
        worker = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "registry", "worker", "--loglevel=WARNING",
             "--concurrency=1", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        writer = None
        try:
            server.start()
            base = f"http://127.0.0.1:{server.port}"
            kinds = self._feed_paths(server)
            with psycopg.connect(self.db_url, autocommit=True) as conn:
                before = conn.execute(
                    "SELECT coalesce(sum(value), 0) FROM consent_feedstate "
                    "WHERE name = 'request-builds'"
                ).fetchone()[0]
            seconds = len(kinds) * self.args.duration * self.args.repeat + 10
            writer = subprocess.Popen(
                [PYTHON, str(BENCH / "feeds_writer.py"), "--base", base,
                 "--seconds", str(seconds), "--wait", "90"],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            time.sleep(5)  # the writer's first changes are under way
            results = {}
            for kind, paths in kinds.items():
                path_file = folder / (re.sub(r"[^a-z0-9]+", "-", kind) + ".txt")
                path_file.write_text("\n".join(paths) + "\n")
                wrk_env = dict(self.wrk_env, BENCH_FEED_PATHS=str(path_file))
                runs = []
                for _ in range(self.args.repeat):
                    r = run_wrk(f"{base}/", 16, self.args.duration, BENCH / "feeds.lua", wrk_env)
                    runs.append(r)
                    self.note(
                        f"feeds {kind}: {r.rps:,.0f} req/s, p50 {r.p50:.1f} ms, "
                        f"p99 {r.p99:.1f} ms, {r.errors} errors"
                    )
                # The median of each figure over the repetitions.
                results[kind] = WrkResult(
                    median([r.rps for r in runs]),
                    sum(r.requests for r in runs),
                    median([r.p50 for r in runs]),
                    median([r.p99 for r in runs]),
                    sum(r.non_2xx for r in runs),
                    {"all": sum(sum(r.socket_errors.values()) for r in runs)},
                )
            out, err = writer.communicate(timeout=seconds + 200)
            if writer.returncode != 0:
                raise RuntimeError(f"the feeds writer failed: {err[-2000:]}")
            figures = orjson.loads(out.strip().splitlines()[-1])
            self.note(f"feeds writer: {figures}")
            with psycopg.connect(self.db_url, autocommit=True) as conn:
                after = conn.execute(
                    "SELECT coalesce(sum(value), 0) FROM consent_feedstate "
                    "WHERE name = 'request-builds'"
                ).fetchone()[0]
                files, largest, over = conn.execute(
                    "SELECT count(*), max(length(body)), "
                    "count(*) FILTER (WHERE length(body) > 500 * 1024) FROM consent_feedfile"
                ).fetchone()
        finally:
            if writer is not None and writer.poll() is None:
                writer.kill()
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
            server.stop()
        bare = results[BARE_KIND]
        for kind, r in results.items():
            figures_text = f"{r.rps:,.0f} req/s, p50 {r.p50:.1f} ms, p99 {r.p99:.1f} ms"
            if kind == BARE_KIND:
                self.rows.append(Row(f"Feeds run: {kind}", figures_text, "(baseline)", "", None))
                continue
            ok = r.p99 <= 50 and r.errors == 0
            self.rows.append(
                Row(
                    f"Feeds, {kind}, 1 write/s",
                    f"{figures_text} ({r.rps / bare.rps:.2f} × bare)",
                    "p99 ≤ 50 ms",
                    verdict(ok, "" if ok else f"p99 {r.p99:.1f} ms, {r.errors} errors"),
                    ok,
                )
            )
        ok = over == 0
        self.rows.append(
            Row(
                "Feeds: largest stored file",
                f"{largest / 1024:,.0f} KiB of {files:,} files (first build {build_seconds:.0f} s)",
                "≤ 500 KiB",
                verdict(ok, "" if ok else f"{over} files larger"),
                ok,
            )
        )
        builds = after - before
        self.rows.append(
            Row(
                "Feeds: rebuilds on the request path",
                f"{builds}",
                "0",
                verdict(builds == 0, "" if builds == 0 else f"{builds}"),
                builds == 0,
            )
        )
        ok = figures["changes"] > 0 and figures["within_60s"] == figures["changes"]
        median_s = figures["delay_median_s"]
        max_s = figures["delay_max_s"]
        self.rows.append(
            Row(
                "Feeds: a changed track's rule in its shard",
                f"{figures['seen']} of {figures['changes']} changes shown, "
                + (f"median {median_s:.1f} s, max {max_s:.1f} s" if median_s is not None else ""),
                "all within 60 s",
                verdict(ok, "" if ok else f"{figures['within_60s']} within 60 s"),
                ok,
            )
        )

    def _feed_paths(self, server: "Server") -> dict[str, list[str]]:
        """The paths of each kind of feed file, sampled from the bench data and the files built."""
        rng = random.Random(11)
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            large = [
                (host, depth)
                for host, depth in conn.execute(
                    "SELECT host, depth FROM consent_feedhost WHERE depth > 0 ORDER BY rank"
                )
            ]
            small = [
                r[0]
                for r in conn.execute(
                    "SELECT host FROM consent_feedhost WHERE depth = 0 ORDER BY rank LIMIT 200"
                )
            ]
            pages = conn.execute(
                "SELECT count(*) FROM consent_feedfile WHERE key LIKE 'hosts/%%'"
            ).fetchone()[0]
            creators = [
                r[0]
                for r in conn.execute(
                    "SELECT public_id FROM consent_creator ORDER BY random() LIMIT 100"
                )
            ]
            tracks = [
                r[0]
                for r in conn.execute(
                    "SELECT public_id FROM consent_track TABLESAMPLE SYSTEM (1) LIMIT 300"
                )
            ]
        shard_paths = []
        for host, depth in large:
            for _ in range(100):
                shard = f"{rng.getrandbits(4 * depth):0{depth}x}"
                name = rng.choice(["robots.txt", "ai.txt", "rsl.xml", "tdmrep.json"])
                shard_paths.append(f"/hosts/{host}/shards/{shard}/{name}")
        licences = [f"/licenses/{c}.xml" for c in creators]
        # A catalogue's licence is built on first request (by the worker): ask once, then wait.
        deadline = time.monotonic() + 300
        waiting = list(licences)
        while waiting and time.monotonic() < deadline:
            waiting = [p for p in waiting if server.request("GET", p)[0] != 200]
            if waiting:
                time.sleep(2)
        if waiting:
            self.note(f"feeds: {len(waiting)} creator licences were still not built")
        return {
            # The floor on this machine at this moment: the project's bare endpoint.
            BARE_KIND: ["/api/ping"],
            "robots.txt": ["/robots.txt"],
            "tdmrep.json": ["/.well-known/tdmrep.json"],
            "hosts pages": [f"/hosts/?page={n}" for n in range(1, pages + 1)],
            "host indexes": [f"/hosts/{h}/index.json" for h, _ in large]
            + [f"/hosts/{h}/robots.txt" for h, _ in large],
            "host shards": shard_paths,
            "small hosts": [
                f"/hosts/{h}/{name}" for h in small for name in ("robots.txt", "ai.txt")
            ],
            "creator licences": licences,
            "track pages": [f"/t/{t}/" for t in tracks],
            "track licences": [f"/licenses/{t}.xml" for t in tracks],
        }


BARE_KIND = "bare endpoint /api/ping"


# --- Profiles -----------------------------------------------------------------------------------

PROFILE_INTRO = (
    "Sampled with `py-spy record --subprocesses --gil` on every gunicorn worker while the "
    "measure ran: only threads holding the GIL are sampled, so the shares are of the Python "
    "CPU time of the server (time waiting for PostgreSQL or Redis is not in them). "
    "`self` is time in the function itself, `inclusive` with what it calls; framework "
    "plumbing frames (gunicorn, middleware wrappers) are left out of the inclusive list."
)
_PLUMBING = (
    "gunicorn/",
    "threading.py",
    "concurrent/futures",
    "django/utils/deprecation.py",
    "django/core/handlers/",
    "csrf.py",
    "generic/base.py",
    "whitenoise/",
    "allauth/account/middleware",
)


class Profiler:
    """py-spy on the gunicorn master and its workers for the duration of a `with` block."""

    def __init__(self, server: Server, output: Path, rate: int = 200):
        self.server, self.output, self.rate = server, output, rate
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Profiler":
        spy = shutil.which("py-spy", path=str(Path(PYTHON).parent)) or shutil.which("py-spy")
        if not spy:
            raise SystemExit("--profile needs py-spy: pip install -r requirements-dev.txt")
        self.process = subprocess.Popen(
            [spy, "record", "--pid", str(self.server.process.pid), "--subprocesses", "--gil",
             "--nonblocking", "--rate", str(self.rate), "--format", "raw",
             "--output", str(self.output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(1.5)  # py-spy attaches to every worker before the measure starts
        return self

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def summary(self, top_self: int = 15, top_inclusive: int = 30) -> str:
        own: dict[str, int] = {}
        inclusive: dict[str, int] = {}
        total = 0
        try:
            lines = self.output.read_text().splitlines()
        except FileNotFoundError:
            return "(py-spy wrote no profile)\n"
        for line in lines:
            stack, _, count = line.rpartition(" ")
            frames = [f for f in stack.split(";") if not f.startswith(("process ", "Thread "))]
            if not frames or not count.isdigit():
                continue
            n = int(count)
            total += n
            own[frames[-1]] = own.get(frames[-1], 0) + n
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + n
        if not total:
            return "(no samples)\n"
        out = [f"{total} samples at {self.rate} Hz ({total / self.rate:.1f} s of Python CPU)"]
        out.append("self:")
        for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top_self]:
            out.append(f"  {n / total:6.1%}  {frame}")
        out.append("inclusive:")
        kept = [
            (frame, n)
            for frame, n in sorted(inclusive.items(), key=lambda kv: -kv[1])
            if not any(p in frame for p in _PLUMBING)
        ]
        for frame, n in kept[:top_inclusive]:
            out.append(f"  {n / total:6.1%}  {frame}")
        return "\n".join(out) + "\n"


# --- Report -------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) // 1024
    except OSError:
        pass
    return f"{os.cpu_count()} × {cpu}, {mem / 1024:.0f} GB RAM, {platform.platform()}"


def versions(db_url: str) -> str:
    with psycopg.connect(db_url) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    wrk = wrk.split("[")[0].strip() or "wrk"
    return f"Python {platform.python_version()}, PostgreSQL {pg}, {wrk}"


def commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def report(bench: Bench, seed: dict, started: float) -> str:
    now = datetime.now(UTC)
    seed_line = (
        f"reused (seeded {seed['completed_at']:%Y-%m-%d} in {seed['seconds']:.0f} s)"
        if seed.get("reused")
        else f"seeded in this run in {seed.get('seconds', 0):.0f} s "
        f"({seed.get('wall', 0):.0f} s with start-up and verification)"
    )
    lines = [
        f"# Benchmark {now:%Y-%m-%d %H:%M} UTC",
        "",
        f"- command: `{bench.args.command}`",
        f"- commit: {commit()}",
        f"- machine: {machine()}",
        f"- software: {versions(bench.db_url)}",
        f"- server: {bench.server.description}, production settings (DEBUG off), "
        "PostgreSQL, Redis cache; wrk, gunicorn, PostgreSQL and Redis share the same cores",
        f"- data: {bench.samples.tracks:,} tracks, {bench.samples.events:,} change events; "
        f"{seed_line}",
        f"- repetitions: {bench.args.repeat} per measure (wrk runs of {bench.args.duration} s); "
        "figures are medians"
        + ("; PROFILED RUN: py-spy sampled the server throughout" if bench.args.profile else ""),
        f"- total time: {time.monotonic() - started:.0f} s",
        "- load average (1 min) as each measure started, other work on the machine included: "
        + ", ".join(bench.loads),
        "",
        "| measure | result | target | verdict |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {r.measure} | {r.result} | {r.target} | {r.verdict} |" for r in bench.rows]
    lines += ["", "Runs:", ""]
    lines += [f"- {d}" for d in bench.details]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop the bench database and seed")
    parser.add_argument("--tracks", type=int, default=1_000_000)
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument(
        "--only",
        default=os.environ.get("BENCH_ONLY", ""),
        help="comma-separated: single,abuse,batch,compat,changes,snapshot,mixed,tiles,receipts,"
        "client,verify,logging,writes,feeds,webhooks (default: BENCH_ONLY, else all)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="record each measure with py-spy (slower)"
    )
    args = parser.parse_args()
    args.repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    args.changes_repeat = args.snapshot_repeat = args.repeat
    args.duration = int(os.environ.get("BENCH_DURATION", "10"))
    args.mixed_duration = int(os.environ.get("BENCH_MIXED_DURATION", "60"))
    args.command = os.environ.get("BENCH_COMMAND", "make bench")
    # One process per core, threads for the waits on PostgreSQL and Redis: see bench/README.md.
    workers = int(os.environ.get("BENCH_WORKERS", "0") or 0) or (os.cpu_count() or 1)
    threads = int(os.environ.get("BENCH_THREADS", "4"))
    worker_class = os.environ.get("BENCH_WORKER_CLASS", "gthread")
    db_url = os.environ.get("BENCH_DB_URL", "postgres://postgres@127.0.0.1:5432/registry_bench")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")

    started = time.monotonic()
    env = serving_env(db_url, redis_url)
    ensure_database(db_url, args.reseed)
    info = seed_info(db_url)
    if info and info["version"] != seed_version():
        log("the bench database was seeded by another version of bench/seed.py: re-seeding")
        ensure_database(db_url, reseed=True)
    log("migrating the bench database")
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    seed = ensure_seed(env, db_url, args.tracks, args.creators)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    key = create_key(env)
    samples = pick_samples(db_url, args.repeat)
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    env["SNAPSHOT_DIR"] = str(tmp / "snapshots")
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    if not only or only & {"snapshot", "client"}:
        # What the worker does after a change; served from the first request on.
        log("building the snapshot file")
        manage(env, "build_snapshot")
    server = Server(env, workers, threads, worker_class, tmp)
    try:
        server.start()
        bench = Bench(args, env, server, key, samples, db_url, tmp)
        bench.warm_up()
        profiles: list[tuple[str, str]] = []
        for name in (
            "single",
            "abuse",
            "batch",
            "compat",
            "changes",
            "snapshot",
            "mixed",
            "tiles",
            "receipts",
            "client",
        ):
            if not only or name in only:
                if name == "snapshot":
                    bench.fresh_server()
                load = Path("/proc/loadavg").read_text().split()[0]
                bench.loads.append(f"{name} {load}")
                log(f"measuring: {name} (load average {load})")
                if args.profile:
                    with Profiler(server, tmp / f"{name}.folded") as profiler:
                        getattr(bench, name)()
                    profiles.append((name, profiler.summary()))
                else:
                    getattr(bench, name)()
    finally:
        server.stop()
        shutil.rmtree(tmp / "snapshots", ignore_errors=True)  # hundreds of MB a file
    # After the server has stopped: each runs alone, on the seeded log or a database of its own.
    for name in ("verify", "logging", "writes"):
        if not only or name in only:
            load = Path("/proc/loadavg").read_text().split()[0]
            bench.loads.append(f"{name} {load}")
            log(f"measuring: {name} (load average {load})")
            getattr(bench, name)()
    if not only or "feeds" in only:
        # After the main server has stopped: a server and a Celery worker of its own.
        load = Path("/proc/loadavg").read_text().split()[0]
        bench.loads.append(f"feeds {load}")
        log(f"measuring: feeds (load average {load})")
        bench.feeds(workers, threads, worker_class)
    if not only or "webhooks" in only:
        # After the server has stopped: the fan-out runs its own worker and receivers.
        load = Path("/proc/loadavg").read_text().split()[0]
        bench.loads.append(f"webhooks {load}")
        log(f"measuring: webhooks (load average {load})")
        bench.webhooks()
    text = report(bench, seed, started)
    results = BENCH / "results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
    (results / f"{stamp}.md").write_text(text)
    if not args.profile and not args.only:  # complete, unprofiled runs only
        (results / "latest.md").write_text(text)
    if args.profile:
        profile_text = f"# Profiles of the benchmark of {stamp}\n\n{PROFILE_INTRO}\n" + "".join(
            f"\n## {name}\n\n```\n{summary}```\n" for name, summary in profiles
        )
        (results / f"{stamp}-profiles.md").write_text(profile_text)
        log(f"profiles written to bench/results/{stamp}-profiles.md")
    print(text)
    log(f"written to bench/results/{stamp}.md; server log: {server.log_path}")
    if any(r.ok is False for r in bench.rows):
        log("some targets were missed (see the table); README.md in bench/ says what limits them")


if __name__ == "__main__":
    main()
