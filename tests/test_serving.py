"""The web server's settings suit long downloads: compose's gunicorn command, run as it is but
with a test application that streams for eight seconds and a timeout of three, sends the whole
response. Sync workers are cut off at the timeout, which shows the test tells the two apart."""

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.slow_stream import LINES
from tests.test_compose import command_words

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 3

pytestmark = [pytest.mark.slow, pytest.mark.subprocess]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def web_command(port: int, worker_class: str | None = None) -> list[str]:
    """compose's `web` command with the test application, one process, a short timeout."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    words = command_words(compose["services"]["web"])
    assert words[0] == "gunicorn"
    words[1] = "tests.slow_stream:application"
    options = {"--bind": f"127.0.0.1:{port}", "--workers": "1", "--timeout": str(TIMEOUT)}
    if worker_class:
        # Threads would make gunicorn run gthread whatever the class.
        options |= {"--worker-class": worker_class, "--threads": "1"}
    for name, value in options.items():
        words[words.index(name) + 1] = value
    return [str(Path(sys.executable).with_name("gunicorn")), *words[1:]]


def download(port: int) -> bytes:
    """The whole body, or as much as came before the connection was cut."""
    deadline = time.monotonic() + 60
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            break
        except OSError:
            connection.close()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
    body = b""
    try:
        while chunk := response.read1(1024):
            body += chunk
    except (http.client.IncompleteRead, OSError) as exc:
        body += getattr(exc, "partial", b"")
    finally:
        connection.close()
    return body


@pytest.mark.parametrize(
    ("worker_class", "complete"), [(None, True), ("sync", False)], ids=["compose", "sync"]
)
def test_a_download_longer_than_the_timeout_is_sent_whole(worker_class, complete):
    port = free_port()
    server = subprocess.Popen(
        web_command(port, worker_class),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = time.monotonic()
        body = download(port)
        lines = body.splitlines()
        if complete:
            assert lines == [str(n).encode() for n in range(LINES)]
            assert time.monotonic() - started > TIMEOUT  # it did outlast the timeout
        else:
            assert len(lines) < LINES
    finally:
        server.terminate()
        server.wait(30)
