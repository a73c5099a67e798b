"""What the webhook tests run against: a real HTTP receiver, real Celery workers, a real Redis.

`Receiver` is an HTTP server on 127.0.0.1 (in a thread) that checks every message's signature
with the `standardwebhooks` package, as a platform would, and records what arrives. `Worker`
is a `celery worker` subprocess of this project, pointed at the test database; `RedisServer`
is a private `redis-server` the test may stop and start again, to cut the broker off for real.
"""

import http.server
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import redis
from django.db import connection
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from consent.models import Creator
from consent.purposes import Purpose, Value
from consent.services import PurposeChoice, TrackData, declare, register_tracks

ROOT = Path(__file__).resolve().parents[2]


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


# --- The receiver -------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: dict = field(default_factory=dict)
    body: bytes = b'{"ok":true}'


@dataclass
class Message:
    path: str
    webhook_id: str
    headers: dict
    body: bytes
    verified: bool
    received_at: float
    status: int = 0  # what the receiver answered

    @property
    def payload(self) -> dict:
        return orjson.loads(self.body)

    @property
    def sequences(self) -> list[int]:
        return [event["sequence"] for event in self.payload["data"].get("events", [])]


def _sender_waits(sock: socket.socket, seconds: float) -> bool:
    """Wait `seconds`; False as soon as the sender closes the connection (gave up or died)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([sock], [], [], min(left, 0.1))
        if readable and sock.recv(1, socket.MSG_PEEK) == b"":
            return False
    return True


class Receiver:
    """Records every POST; `script(message, n)` (n: 1 for a path's first request) decides the reply.

    A message whose signature does not verify with one of the path's secrets gets a 401, unless
    the receiver was made with `verify=False` (for tests of the transport alone).
    """

    def __init__(self, host: str = "127.0.0.1", verify: bool = True):
        self.verify = verify
        self.secrets: dict[str, list[str]] = {}
        self.messages: list[Message] = []
        self.script: Callable[[Message, int], Reply] = lambda message, n: Reply()
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.in_flight: Counter = Counter()
        self.max_in_flight: Counter = Counter()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the standard library's name)
                receiver._handle(self)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    def accept(self, path: str, *secrets: str) -> None:
        self.secrets[path] = list(secrets)

    def _handle(self, request: http.server.BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", 0)))
        headers = {k.lower(): v for k, v in request.headers.items()}
        path = request.path
        verified = False
        for secret in self.secrets.get(path, []):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            verified = True
        message = Message(path, headers.get("webhook-id", ""), headers, body, verified, time.time())
        with self.lock:
            self.counts[path] += 1
            n = self.counts[path]
            self.in_flight[path] += 1
            self.max_in_flight[path] = max(self.max_in_flight[path], self.in_flight[path])
            self.messages.append(message)
        try:
            if verified or not self.verify:
                reply = self.script(message, n)
            else:
                reply = Reply(401, body=b"bad signature")
            if reply.delay and not _sender_waits(request.connection, reply.delay):
                return  # the sender gave up (timeout) or died: nobody to answer
            request.send_response(reply.status)
            for name, value in reply.headers.items():
                request.send_header(name, value)
            request.send_header("Content-Length", str(len(reply.body)))
            request.end_headers()
            request.wfile.write(reply.body)
            request.wfile.flush()
            message.status = reply.status  # answered: only now does it count as acknowledged
        except OSError:
            pass
        finally:
            with self.lock:
                self.in_flight[path] -= 1

    def received(self, path: str = "/hook") -> list[Message]:
        with self.lock:
            return [m for m in self.messages if m.path == path]

    def acknowledged(self, path: str = "/hook") -> list[int]:
        """Events of the messages answered 2xx, in arrival order."""
        return [s for m in self.received(path) if 200 <= m.status < 300 for s in m.sequences]

    def deduplicated(self, path: str = "/hook") -> list[int]:
        """Events as a receiver de-duplicating by webhook-id applies them, in arrival order."""
        seen: set[str] = set()
        events = []
        for message in self.received(path):
            if message.webhook_id in seen:
                continue
            seen.add(message.webhook_id)
            events.extend(message.sequences)
        return events


# --- Data ---------------------------------------------------------------------------------------


def new_tracks(creator: Creator, count: int, links: tuple[str, ...] = ()) -> list:
    """Register `count` tracks in one transaction: one change event each."""
    items = [
        TrackData(
            title=f"Track {i}", artist_credit=creator.artist_name, roles=["recording"], links=links
        )
        for i in range(count)
    ]
    return register_tracks(creator, items).tracks


def flip(creator: Creator, value: Value) -> None:
    """A catalogue-wide choice for AI training: one change event per track of the creator."""
    declare(creator, {Purpose.TRAIN_AI: PurposeChoice(value)})


# --- Processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A private redis-server: the broker a test can take away and bring back."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.started = False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        """Start on `port`. Another process (a parallel test run) may take a free port before
        the first start binds it; then the first start moves to another. A restart never moves:
        the workers know the address."""
        for _ in range(5):
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            wait_until(self._answers_or_exited, 10, "redis-server starts")
            if self.process.poll() is None:
                self.started = True
                return
            if self.started:
                break
            self.port = free_port()
        raise AssertionError(f"redis-server could not listen on port {self.port}")

    def _answers_or_exited(self) -> bool:
        if self.process.poll() is not None:
            return True  # no use waiting
        try:
            with redis.Redis.from_url(self.url, socket_connect_timeout=1) as client:
                return bool(client.ping())
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # an outage, not a shutdown: nothing is saved
            self.process.wait(timeout=10)


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def worker_env(broker_url: str, folder: Path, **settings: str) -> dict[str, str]:
    """A worker's environment: the test database, the broker, short test-only waits."""
    return (
        os.environ
        | {
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": broker_url,
            "WEBHOOK_REQUIRE_HTTPS": "false",
            "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "127.0.0.1",
            "WEBHOOK_SWEEP_SECONDS": "1",
            "WEBHOOK_TIMEOUT_SECONDS": "2",
            "WEBHOOK_RETRY_SCHEDULE": "0.3,0.3,0.3,0.3,0.3,0.3,0.3,0.3",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(folder / "emails"),
            # The snapshot builds the commits queue go to this test's folder.
            "SNAPSHOT_DIR": str(folder / "snapshots"),
        }
        | settings
    )


class Worker:
    """`celery -A registry worker` in its own process group, its output in a file."""

    def __init__(
        self, env: dict[str, str], folder: Path, name: str, beat: bool = False, loglevel="WARNING"
    ):
        self.log_path = folder / f"{name}.log"
        command = [sys.executable, "-m", "celery", "-A", "registry", "worker", "--pool=solo",
                   "--concurrency=1", "--without-heartbeat", "--without-gossip",
                   "--without-mingle", f"--loglevel={loglevel}", "-n", f"{name}@%h"]  # fmt: skip
        if beat:
            command += ["-B", "-s", str(folder / f"{name}-beat-schedule")]
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL, as the OOM killer would: no clean-up, no acknowledgement."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")
