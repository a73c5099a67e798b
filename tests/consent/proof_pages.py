"""A real web server on the loopback interface that serves the pages a proof test needs.

`PageServer` runs `http.server` in a thread on 127.0.0.1 (or another loopback address, to stand
for a second host) and answers each path from `pages`, which a test may change at any moment:
the artist editing their bio. It records every request, so a test can tell that a host was
never contacted.
"""

import http.server
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Page:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


def html(body: str, head: str = "") -> Page:
    return Page(
        f"<!doctype html><html><head><title>Profile</title>{head}</head><body>{body}</body></html>"
    )


class PageServer:
    def __init__(self, host: str = "127.0.0.1"):
        self.pages: dict[str, Page] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the standard library's name)
                server._answer(self)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "PageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def root(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.root + path

    def _answer(self, request: http.server.BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.requests.append(request.path)
            page = self.pages.get(request.path, Page("Not found", 404, "text/plain"))
        try:
            if page.delay:
                time.sleep(page.delay)
            body = page.body.encode() if isinstance(page.body, str) else page.body
            request.send_response(page.status)
            request.send_header("Content-Type", page.content_type)
            for name, value in page.headers.items():
                request.send_header(name, value)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            pass  # the registry gave up (timeout, or it read enough)
