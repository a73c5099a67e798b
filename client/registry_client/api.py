"""The registry's API over the standard library's HTTP client, with retries on 429 and 503."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

USER_AGENT = "registry-client/0.1"
RETRY_STATUSES = (429, 502, 503, 504)


class ApiError(Exception):
    """The registry answered with an error (a problem+json document when it could)."""

    def __init__(self, status: int, detail: str, body: Any = None):
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.body = body


def retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


@dataclass
class Registry:
    """The registry at `url` (its site root, e.g. https://registry.example), with an API key.

    `Registry.from_env()` reads REGISTRY_URL and REGISTRY_API_KEY.
    """

    url: str
    key: str
    timeout: float = 60.0
    max_retries: int = 8
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        self.url = self.url.rstrip("/")
        if self.url.endswith("/api"):
            self.url = self.url[: -len("/api")]

    @classmethod
    def from_env(cls, url: str | None = None, key: str | None = None) -> Registry:
        url = url or os.environ.get("REGISTRY_URL", "")
        key = key or os.environ.get("REGISTRY_API_KEY", "")
        if not url or not key:
            raise ValueError(
                "Name the registry and your API key: --url and --key, or REGISTRY_URL and "
                "REGISTRY_API_KEY."
            )
        return cls(url, key)

    # --- Transport ------------------------------------------------------------------------------

    def open(
        self,
        method: str,
        path: str,
        params: dict | None = None,
        body: Any = None,
        headers: dict | None = None,
    ):
        """The raw response (an open http.client.HTTPResponse), after retrying 429/5xx."""
        address = f"{self.url}/api/{path.lstrip('/')}"
        if params:
            address += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        sent = {"Authorization": f"Bearer {self.key}", "User-Agent": USER_AGENT}
        if data is not None:
            sent["Content-Type"] = "application/json"
        sent |= headers or {}
        for attempt in range(self.max_retries + 1):
            request = urllib.request.Request(  # noqa: S310 (the registry's own https address)
                address, data=data, method=method, headers=sent
            )
            try:
                return urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310
            except urllib.error.HTTPError as exc:
                if exc.code in RETRY_STATUSES and attempt < self.max_retries:
                    wait = retry_after(exc.headers.get("Retry-After"), min(2**attempt, 30))
                    exc.close()
                    self.sleep(wait)
                    continue
                raw = exc.read()
                try:
                    problem = json.loads(raw)
                    detail = problem.get("detail") or problem.get("title") or str(problem)
                except ValueError:
                    problem, detail = None, raw[:200].decode(errors="replace")
                raise ApiError(exc.code, detail, problem) from None
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                if attempt < self.max_retries:
                    self.sleep(min(2**attempt, 30))
                    continue
                raise ApiError(0, f"cannot reach {address}: {exc}") from exc
        raise AssertionError("unreachable")

    def call(self, method: str, path: str, params: dict | None = None, body: Any = None) -> Any:
        with self.open(method, path, params, body) as response:
            return json.loads(response.read())

    # --- Endpoints ------------------------------------------------------------------------------

    def lookup(self, kind: str, value: str, as_of: str | None = None) -> dict:
        """GET /api/v1/consent?<kind>=<value>: one identifier's answer."""
        params = {kind: value} | ({"as_of": as_of} if as_of else {})
        return self.call("GET", "v1/consent", params)

    def batch(self, items: list[dict], as_of: str | None = None) -> dict:
        """POST /api/v1/consent/batch: up to 10,000 items, answered in order."""
        body: dict = {"items": items}
        if as_of:
            body["as_of"] = as_of
        return self.call("POST", "v1/consent/batch", body=body)

    def changes(self, after: int, limit: int = 10_000) -> dict:
        """GET /api/v1/changes?after=N: one page of change events."""
        return self.call("GET", "v1/changes", {"after": after, "limit": limit})

    def last_sequence(self) -> int:
        return int(self.changes(0, 1)["last_sequence"])

    def acknowledge(self, sequence: int) -> dict:
        """POST /api/v1/acks: this platform applied every change up to `sequence`."""
        return self.call("POST", "v1/acks", body={"sequence": sequence})

    def snapshot(self) -> tuple[int, int | None, Iterator[bytes]]:
        """GET /api/v1/snapshot: (its sequence, its compressed length when known, its NDJSON
        lines as bytes). The body is asked for gzip-compressed and decompressed as it streams."""
        import zlib

        response = self.open("GET", "v1/snapshot", headers={"Accept-Encoding": "gzip"})
        sequence = int(response.headers.get("X-Registry-Sequence", "0"))
        length = response.headers.get("Content-Length")
        gzipped = response.headers.get("Content-Encoding", "") == "gzip"
        self.snapshot_bytes_read = 0

        def lines() -> Iterator[bytes]:
            decompressor = zlib.decompressobj(31) if gzipped else None
            pending = b""
            with response:
                while chunk := response.read(256 * 1024):
                    self.snapshot_bytes_read += len(chunk)
                    data = decompressor.decompress(chunk) if decompressor else chunk
                    pending += data
                    *complete, pending = pending.split(b"\n")
                    yield from (line for line in complete if line.strip())
                if decompressor:
                    pending += decompressor.flush()
                for line in pending.split(b"\n"):
                    if line.strip():
                        yield line

        return sequence, int(length) if length else None, lines()
