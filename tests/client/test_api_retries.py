"""The client waits as the registry asks: 429 and 503 are retried after their Retry-After."""

import json
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from registry_client import ApiError, Registry


@pytest.fixture
def server():
    """A stand-in registry answering from a script: (status, headers, body) per request."""
    script: list[tuple[int, dict, dict]] = []
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "body": body, "auth": self.headers["Authorization"]})
            status, headers, answer = script.pop(0)
            data = json.dumps(answer).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    httpd.script, httpd.seen = script, seen
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_429_and_503_are_retried_after_their_retry_after(server):
    server.script += [
        (429, {"Retry-After": "3"}, {"detail": "slow down"}),
        (503, {"Retry-After": formatdate(usegmt=True)}, {"detail": "busy"}),
        (200, {}, {"as_of": "2026-12-01T00:00:00.000000Z", "results": []}),
    ]
    waits: list[float] = []
    registry = Registry(f"http://127.0.0.1:{server.server_port}", "crk_test", sleep=waits.append)
    assert registry.batch([{"isrc": "USRC17607839"}], as_of="2026-12-01T00:00:00Z")["results"] == []
    assert waits[0] == 3.0 and 0 <= waits[1] <= 1
    assert [s["body"]["as_of"] for s in server.seen] == ["2026-12-01T00:00:00Z"] * 3
    assert server.seen[0]["path"] == "/api/v1/consent/batch"
    assert server.seen[0]["auth"] == "Bearer crk_test"


def test_other_errors_are_raised_with_the_problems_detail(server):
    server.script.append((400, {}, {"detail": "as_of cannot be in the future.", "field": "as_of"}))
    registry = Registry(f"http://127.0.0.1:{server.server_port}/api/", "k", sleep=lambda s: None)
    with pytest.raises(ApiError, match="cannot be in the future") as raised:
        registry.batch([])
    assert raised.value.status == 400 and raised.value.body["field"] == "as_of"


def test_retries_end(server):
    server.script += [(503, {"Retry-After": "0"}, {"detail": "down"})] * 3
    registry = Registry(
        f"http://127.0.0.1:{server.server_port}", "k", max_retries=2, sleep=lambda s: None
    )
    with pytest.raises(ApiError) as raised:
        registry.batch([])
    assert raised.value.status == 503 and len(server.seen) == 3
