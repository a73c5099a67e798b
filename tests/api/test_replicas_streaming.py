"""The API against a real streaming replica: reads go there, `min_sequence` reads your writes.

The test makes a PostgreSQL primary cluster of its own (initdb, on a free port, in a temporary
folder) and a streaming replica of it (`pg_basebackup -R`, on another port), migrates the
primary, and serves the registry under gunicorn with DATABASE_URL on the primary and
DATABASE_REPLICA_URLS on the replica. Pausing the replica's replay (`pg_wal_replay_pause()`)
makes it visibly behind: a change committed on the primary is then missing from every answer
the replica gives, so an old answer proves the replica gave it, and `min_sequence` must reach
past it to the primary. The server binaries run as the `postgres` OS user when the tests run as
root, as PostgreSQL refuses to run as root.
"""

import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BINS = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
APPLICATION = "registry-replica-reads"
ISRC = "USRC17600001"

# Both tests share one pair of clusters: keep them on one xdist worker.
pytestmark = [pytest.mark.slow, pytest.mark.subprocess, pytest.mark.xdist_group("pg-replica")]

if not PG_BINS:
    pytest.skip("no PostgreSQL server binaries in /usr/lib/postgresql", allow_module_level=True)
BIN = Path(PG_BINS[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def as_postgres(args: list, **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL binary, as the `postgres` user when the tests run as root."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, *map(str, args)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


class Cluster:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.log = folder.parent / f"{folder.name}.log"

    def url(self, database: str = "postgres", **query: str) -> str:
        suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}{suffix}"

    def connect(self, database: str = "registry") -> psycopg.Connection:
        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=10)

    def start(self) -> None:
        as_postgres([BIN / "pg_ctl", "-D", self.folder, "-l", self.log, "-w", "-t", "60", "start"])

    def stop(self) -> None:
        if (self.folder / "postmaster.pid").exists():
            as_postgres([BIN / "pg_ctl", "-D", self.folder, "-m", "immediate", "-w", "stop"])


@pytest.fixture(scope="module")
def clusters():
    """(primary, replica): a primary of our own, and a streaming replica made from it."""
    base = Path(tempfile.mkdtemp(prefix="registry-replicas-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    primary = Cluster(base / "primary", free_port())
    replica = Cluster(base / "replica", free_port())
    try:
        as_postgres(
            [BIN / "initdb", "-D", primary.folder, "-U", "postgres", "--auth=trust", "--no-sync"]
        )
        settings = (
            f"\nlisten_addresses = '127.0.0.1'\nport = {primary.port}\n"
            f"unix_socket_directories = '{base}'\nwal_level = replica\nmax_wal_senders = 4\n"
            "fsync = off\nhot_standby = on\nhot_standby_feedback = on\n"
        )
        conf = primary.folder / "postgresql.conf"
        as_postgres(["sh", "-c", f"cat >> {conf}"], input=settings)
        primary.start()
        with psycopg.connect(primary.url(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE registry")
        # Copies the primary, with the settings that make the copy follow it (-R). A fast
        # checkpoint: the default spreads it over most of checkpoint_timeout, minutes of waiting.
        as_postgres(
            [BIN / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres"]
            + ["-D", replica.folder, "-R", "-X", "stream", "--no-sync", "--checkpoint=fast"]
        )
        auto = replica.folder / "postgresql.auto.conf"
        as_postgres(["sh", "-c", f"cat >> {auto}"], input=f"\nport = {replica.port}\n")
        replica.start()
        yield primary, replica
    finally:
        for cluster in (replica, primary):
            with contextlib.suppress(subprocess.CalledProcessError):
                cluster.stop()
        shutil.rmtree(base, ignore_errors=True)


def app_environment(primary: Cluster, replica: Cluster) -> dict[str, str]:
    """Production settings (debug off), the primary and its replica; keys as `make test` has."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REPLICA_"))}
    return env | {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "replica-test-secret-key-that-is-long-enough-for-django-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": primary.url("registry"),
        "MIGRATION_DATABASE_URL": "",
        "DATABASE_REPLICA_URLS": replica.url("registry", application_name=APPLICATION),
        # Behind for as long as the test keeps it paused, yet still used: what is measured
        # here is that its answers are old, and that min_sequence reaches past them.
        "REPLICA_MAX_LAG_SECONDS": "600",
        "REPLICA_CHECK_SECONDS": "1",
        "CACHE_KEY_PREFIX": f"replicas-{os.getpid()}",
        "CELERY_BROKER_URL": "",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


SEED = f"""
import json
from api.services import create_key
from consent.policies import last_sequence
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_track
from tests.api.platform_helpers import make_platform
from tests.conftest import make_artist, verify_claims_of

artist = make_artist("Replica Band", "replica-band")
data = TrackData(title="Mirror Song", artist_credit="Replica Band", roles=["recording"],
                 isrc="{ISRC}", links=["https://soundcloud.com/replica-band/mirror-song"])
track = register_track(artist, data).tracks[0]
verify_claims_of(artist)
declare(artist, {{Purpose.TRAIN_GENAI: PurposeChoice(Value.ALLOW)}})
key = create_key(make_platform("Replica Readers"), "tests", ("read",))[1]
print(json.dumps({{"key": key, "track": str(track.public_id), "sequence": last_sequence()}}))
"""

CHANGE = """
import json
from consent.models import Creator
from consent.policies import last_sequence
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare

declare(Creator.objects.get(handle="replica-band"), {Purpose.TRAIN_GENAI: PurposeChoice(Value.%s)})
print(json.dumps({"sequence": last_sequence()}))
"""


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


class Server:
    def __init__(self, env: dict):
        self.port = free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.process = subprocess.Popen(
            [gunicorn, "registry.wsgi:application", "--bind", f"127.0.0.1:{self.port}"]
            + ["--workers", "1", "--worker-class", "gthread", "--threads", "2"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]

    def request(self, path: str, key: str = "", body: bytes | None = None, **headers):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body)
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        for name, value in headers.items():
            request.add_header(name.replace("_", "-"), value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (http)
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def wait_until(self, check, what: str, seconds: float = 60):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{self.output()}"
            try:
                result = check()
                if result:
                    return result
            except OSError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"{what} within {seconds} s; server log:\n{self.output()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


def replayed_sequence(replica: Cluster) -> int:
    with replica.connect() as conn:
        row = conn.execute("SELECT value FROM consent_sequencecounter WHERE id = 1").fetchone()
        return row[0] if row else 0


def wait_for_replay(replica: Cluster, sequence: int) -> None:
    deadline = time.monotonic() + 60
    while replayed_sequence(replica) < sequence:
        assert time.monotonic() < deadline, f"the replica did not replay sequence {sequence}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def seeded(clusters) -> dict:
    """The primary migrated, with one verified artist's track and a platform's key."""
    primary, replica = clusters
    env = app_environment(primary, replica)
    manage(env, "migrate", "--noinput")
    return last_json(manage(env, "shell", "--no-imports", "-c", SEED))


def resume(replica: Cluster) -> None:
    if (replica.folder / "postmaster.pid").exists():
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
    else:
        replica.start()


def test_reads_go_to_the_replica_and_min_sequence_reads_your_writes(clusters, seeded):
    primary, replica = clusters
    env = app_environment(primary, replica)
    key, track, before = seeded["key"], seeded["track"], seeded["sequence"]
    wait_for_replay(replica, before)

    server = Server(env)
    try:
        server.wait_until(
            lambda: server.request("/api/health")[1].get("replicas") == {"replica1": "ok"},
            "the replica counted as up and caught up",
        )
        lookup = f"/api/v1/consent?track={track}"
        status, body = server.request(lookup, key)
        assert status == 200 and body["policy"]["train-genai"]["value"] == "allow"
        # The server keeps a connection to the replica, named as its URL says.
        with replica.connect() as conn:
            names = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [APPLICATION],
            ).fetchone()[0]
        assert names >= 1

        # The replica stops replaying; a change commits on the primary.
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")
            for _ in range(100):
                state = conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0]
                if state == "paused":
                    break
                time.sleep(0.1)
            assert state == "paused"
        after = last_json(manage(env, "shell", "--no-imports", "-c", CHANGE % "DENY"))["sequence"]
        assert after > before
        assert replayed_sequence(replica) == before

        # Without min_sequence: the replica's answer, from before the change; only the replica
        # still says this, so the read went there.
        status, body = server.request(lookup, key)
        assert status == 200, body
        assert body["policy"]["train-genai"]["value"] == "allow"
        assert body["sequence"] == before
        status, body = server.request("/api/v1/changes?after=0", key)
        assert body["last_sequence"] == before
        # A sequence the replica holds is still read there.
        status, body = server.request(f"{lookup}&min_sequence={before}", key)
        assert body["policy"]["train-genai"]["value"] == "allow"

        # min_sequence past the replica: the primary answers, with the change.
        status, body = server.request(f"{lookup}&min_sequence={after}", key)
        assert status == 200, body
        assert body["policy"]["train-genai"]["value"] == "deny"
        assert body["sequence"] == after
        status, body = server.request(f"/api/v1/changes?after=0&min_sequence={after}", key)
        assert body["last_sequence"] == after
        assert body["events"][-1]["sequence"] == after
        batch = json.dumps({"items": [{"isrc": ISRC}]}).encode()
        status, body = server.request(
            f"/api/v1/consent/batch?min_sequence={after}",
            key,
            batch,
            Content_Type="application/json",
        )
        assert status == 200, body
        assert body["results"][0]["policy"]["train-genai"]["value"] == "deny"
        status, body = server.request(
            "/api/v2/query/urls/?min_sequence=" + str(after),
            key,
            b"https://soundcloud.com/replica-band/mirror-song",
            Content_Type="text/plain",
        )
        assert status == 200 and body["urls"][0]["optOut"] is True
        # A cursor from the primary (or a replica further on) is paged from where it is held,
        # never refused as "past the latest change" by the replica behind it.
        status, body = server.request(f"/api/v1/changes?after={after}", key)
        assert status == 200, body
        assert (body["events"], body["last_sequence"]) == ([], after)
        # A sequence nobody has reached is refused, as `after` is.
        status, body = server.request(f"{lookup}&min_sequence={after + 1}", key)
        assert status == 400 and "min_sequence" in body["detail"]

        # Writes go to the primary whatever the replica does.
        status, body = server.request(
            "/api/v1/acks",
            key,
            json.dumps({"sequence": after}).encode(),
            Content_Type="application/json",
        )
        assert status == 200 and body["sequence"] == after

        # Replay resumes: the replica catches up and answers with the change.
        with replica.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")
        wait_for_replay(replica, after)
        server.wait_until(
            lambda: server.request(lookup, key)[1]["sequence"] == after,
            "the replica's answer caught up",
        )

        # The replica stops: the primary answers, the health check says so and stays 200.
        replica.stop()
        status, body = server.request(lookup, key)
        assert status == 200 and body["policy"]["train-genai"]["value"] == "deny"
        status, body = server.request("/api/health")
        assert status == 200 and body["status"] == "ok"
        assert body["replicas"]["replica1"].startswith("down")
        status, body = server.request(f"/api/v1/changes?after=0&min_sequence={after}", key)
        assert status == 200 and body["last_sequence"] == after
    finally:
        server.stop()
        resume(replica)


LAGGING = """
import json, time
import psycopg
from api.replicas import replica_set
from consent.models import Creator
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, declare

found = replica_set()
for _ in range(50):  # caught up, but a check may land between a write and its replay
    found.check(wait=True)
    if found.replicas["replica1"].usable:
        break
    time.sleep(0.2)
before = found.choose()
with psycopg.connect(%(replica)r, autocommit=True) as conn:
    conn.execute("SELECT pg_wal_replay_pause()")
declare(Creator.objects.get(handle="replica-band"), {Purpose.SEARCH: PurposeChoice(Value.ALLOW)})
time.sleep(2.5)
found.check(wait=True)
print(json.dumps({"before": before, "after": found.choose(), "status": found.statuses()}))
"""


def test_a_replica_further_behind_than_the_limit_is_skipped(clusters, seeded):
    primary, replica = clusters
    env = app_environment(primary, replica) | {"REPLICA_MAX_LAG_SECONDS": "1"}
    with primary.connect() as conn:
        sequence = conn.execute("SELECT value FROM consent_sequencecounter").fetchone()[0]
    wait_for_replay(replica, sequence)
    script = LAGGING % {"replica": replica.url("registry")}
    try:
        out = last_json(manage(env, "shell", "--no-imports", "-c", script))
    finally:
        resume(replica)
    # Caught up at the first check, used; two and a half seconds after a change it has not
    # replayed, more than REPLICA_MAX_LAG_SECONDS behind, skipped: the primary answers.
    assert out["before"] == "replica1"
    assert out["after"] == "default"
    assert out["status"]["replica1"].startswith("behind by")
