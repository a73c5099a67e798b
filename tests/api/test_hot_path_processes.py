"""Keys kept verified in each process still fail everywhere within a second of a revocation or
a suspension, and limits hold across processes: two real gunicorn servers on the test database
and this worker's Redis, each answering from its own memory."""

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from api.services import create_key, revoke_key
from consent import platforms
from tests.api.platform_helpers import make_platform
from tests.api.webhooks_support import database_url, free_port

pytestmark = [pytest.mark.subprocess, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
LOOKUP = "/api/v1/consent?isrc=USRC17607839"


class Server:
    """`gunicorn registry.wsgi` with one worker on a free port of 127.0.0.1."""

    def __init__(self, folder: Path, name: str):
        self.port = free_port()
        self.log = (folder / f"{name}.log").open("wb")
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        env = os.environ | {"DATABASE_URL": database_url(), "LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen(
            [gunicorn, "registry.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", "1", "--timeout", "60"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def get(self, path: str, key: str) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Authorization": f"Bearer {key}"})
            response = conn.getresponse()
            response.read()
            return response.status, dict(response.getheaders())
        finally:
            conn.close()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "gunicorn exited"
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/health")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise AssertionError("gunicorn did not answer within 60 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def servers(tmp_path):
    started = [Server(tmp_path, "a"), Server(tmp_path, "b")]
    try:
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            server.stop()


def seconds_until_every_server_answers(servers, key: str, status: int) -> float:
    """From now until each server has answered `status` (bounded at 5 s)."""
    start = time.monotonic()
    waiting = list(servers)
    while waiting and time.monotonic() - start < 5:
        waiting = [s for s in waiting if s.get(LOOKUP, key)[0] != status]
        time.sleep(0.02)
    assert not waiting, f"still not {status} after 5 s"
    return time.monotonic() - start


def test_a_revoked_key_fails_within_a_second_on_every_process(servers):
    platform = make_platform("Two Process Co")
    key, secret = create_key(platform, "k")
    for server in servers:
        assert [server.get(LOOKUP, secret)[0] for _ in range(3)] == [200] * 3  # now cached
    revoke_key(key)
    assert seconds_until_every_server_answers(servers, secret, 401) < 1.0


def test_a_suspended_platform_is_refused_within_a_second_on_every_process(servers, admin_user):
    platform = make_platform("Suspended Later Co")
    secret = create_key(platform, "k")[1]
    for server in servers:
        assert server.get(LOOKUP, secret)[0] == 200
    assert platforms.suspend_platform(platform, admin_user)
    assert seconds_until_every_server_answers(servers, secret, 403) < 1.0


def test_the_platform_limit_holds_across_processes(servers, one_window):
    platform = make_platform("Limited Co")
    platform.rate_limit_per_minute = 30
    platform.save()
    keys = [create_key(platform, name)[1] for name in ("a", "b")]
    statuses = [servers[n % 2].get(LOOKUP, keys[n % 2])[0] for n in range(40)]
    # At 30 units a batch is 1 unit (2% rounds to 1): every request is counted exactly.
    assert statuses.count(200) == 30
    assert set(statuses[30:]) == {429}
    for server in servers:
        status, headers = server.get(LOOKUP, keys[0])
        assert status == 429
        assert 1 <= int(headers["Retry-After"]) <= 61
