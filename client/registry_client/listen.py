"""A webhook receiver that keeps a mirror up to date from signed change events.

Messages follow Standard Webhooks 1.0 (headers `webhook-id`, `webhook-timestamp`,
`webhook-signature`; HMAC-SHA256 over `id.timestamp.body` with the endpoint's `whsec_` secret;
timestamps older or newer than five minutes are refused). Each message is applied once: its id
is recorded in the mirror in the same transaction as its events, and events at or below the
mirror's cursor are skipped (replays and retries under a new id change nothing). Events are
applied in sequence order; one beyond the next expected sequence means events are missing (a
lost delivery, an endpoint filter, a disabled endpoint), and the receiver catches up from the
changes feed instead of leaving a gap.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from registry_client.api import ApiError, Registry
from registry_client.mirror import Mirror, changed_tracks, current_answers, sync

TOLERANCE_SECONDS = 5 * 60
MAX_BODY = 32 * 1024 * 1024


class InvalidSignature(Exception):
    pass


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix("whsec_"))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of one message with one secret."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return (
        "v1," + base64.b64encode(hmac.new(_key(secret), content, hashlib.sha256).digest()).decode()
    )


def verify(
    secrets: Iterable[str],
    headers,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise InvalidSignature unless one of `secrets` signed this message recently."""
    message_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (message_id and timestamp and signatures):
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        at = int(timestamp)
    except ValueError:
        raise InvalidSignature("webhook-timestamp is not a number") from None
    now = time.time() if now is None else now
    if at < now - tolerance:
        raise InvalidSignature("message timestamp too old")
    if at > now + tolerance:
        raise InvalidSignature("message timestamp too new")
    given = [s for s in signatures.split(" ") if s.startswith("v1,")]
    for secret in secrets:
        expected = sign(secret, message_id, at, body)
        if any(hmac.compare_digest(expected, candidate) for candidate in given):
            return
    raise InvalidSignature("no matching signature")


class Receiver:
    """Verifies, de-duplicates and applies webhook messages to a mirror (HTTP aside)."""

    def __init__(
        self,
        mirror: Mirror,
        secrets: str | Iterable[str],
        registry: Registry | None = None,
        ack: bool = False,
        clock: Callable[[], float] = time.time,
    ):
        self.mirror = mirror
        self.secrets = [secrets] if isinstance(secrets, str) else list(secrets)
        self.registry = registry
        self.ack = ack
        self.clock = clock
        self.lock = threading.Lock()
        self.stats = {"received": 0, "applied": 0, "duplicates": 0, "refused": 0, "catch_ups": 0}

    def handle(self, headers, body: bytes) -> tuple[int, dict]:
        """(HTTP status, JSON answer) for one delivery."""
        try:
            verify(self.secrets, headers, body, now=self.clock())
        except InvalidSignature as exc:
            self.stats["refused"] += 1
            return 401, {"error": str(exc)}
        try:
            message = json.loads(body)
        except ValueError:
            return 400, {"error": "the body is not JSON"}
        message_id = headers.get("webhook-id")
        self.stats["received"] += 1
        if message.get("type") != "consent.changes":
            return 200, {"ignored": message.get("type")}
        with self.lock:
            if self.mirror.seen_webhook(message_id):
                self.stats["duplicates"] += 1
                return 200, {"duplicate": message_id, "cursor": self.mirror.cursor}
            try:
                applied = self._apply(message_id, message.get("data") or {})
            except ApiError as exc:
                # Not acknowledged: the registry sends the same message again later.
                return 503, {"error": f"catching up failed: {exc}"}
            cursor = self.mirror.cursor
        if self.ack and self.registry is not None and cursor is not None:
            try:
                self.registry.acknowledge(cursor)
            except ApiError as exc:
                print(f"registry-client listen: acknowledging failed: {exc}", file=sys.stderr)
        return 200, {"applied": applied, "cursor": cursor}

    def _catch_up(self) -> None:
        if self.registry is None:
            raise ApiError(0, "events are missing and no registry address was given")
        self.stats["catch_ups"] += 1
        sync(self.registry, self.mirror)

    def _apply(self, message_id: str, data: dict) -> int:
        if self.mirror.cursor is None:
            self._catch_up()  # never synced: snapshot and feed first
        cursor = self.mirror.cursor or 0
        events = sorted(data.get("events") or [], key=lambda e: e["sequence"])
        pending = [e for e in events if e["sequence"] > cursor]
        expected = cursor + 1
        contiguous = []
        for event in pending:
            if event["sequence"] != expected:
                break
            contiguous.append(event)
            expected += 1
        if len(contiguous) < len(pending):
            # A gap: what lies between comes from the feed, which holds every event.
            self._catch_up()
            cursor = self.mirror.cursor or 0
            contiguous = [e for e in pending if e["sequence"] > cursor]
            for offset, event in enumerate(contiguous):
                if event["sequence"] != cursor + 1 + offset:  # not committed a moment ago?
                    contiguous = contiguous[:offset]
                    break
        last = contiguous[-1]["sequence"] if contiguous else cursor
        answers = None
        if self.registry is not None and contiguous:
            # Events carry values, not their sources: the registry's answers complete them.
            # Without them the events still apply, with `source` null until the next sync
            # completes them.
            try:
                answers = current_answers(self.registry, changed_tracks(contiguous))
            except ApiError as exc:
                print(f"registry-client listen: reading the answers failed: {exc}", file=sys.stderr)
        applied = self.mirror.apply_page(contiguous, last, webhook_id=message_id, answers=answers)
        self.stats["applied"] += applied
        return applied


def make_server(
    receiver: Receiver, host: str = "127.0.0.1", port: int = 8080, quiet: bool = False
) -> ThreadingHTTPServer:
    """A threaded HTTP server that hands every POST to `receiver` (port 0: any free port)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "registry-client"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, {"error": "body too large"})
                return
            body = self.rfile.read(length)
            status, answer = receiver.handle(self.headers, body)
            self._answer(status, answer)

        def do_GET(self) -> None:
            self._answer(200, {"cursor": receiver.mirror.cursor, **receiver.stats})

        def _answer(self, status: int, answer: dict) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base's name)
            if not quiet:
                super().log_message(format, *args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


def serve(
    directory: str | Path,
    secret: str,
    port: int = 8080,
    host: str = "127.0.0.1",
    registry: Registry | None = None,
    ack: bool = False,
) -> None:
    """Receive webhooks into the mirror in `directory` until interrupted."""
    with Mirror(directory) as mirror:
        receiver = Receiver(mirror, secret.split(","), registry, ack=ack)
        server = make_server(receiver, host, port)
        print(
            f"registry-client listen: http://{host}:{server.server_port}/ into {mirror.path} "
            f"(cursor {mirror.cursor})",
            file=sys.stderr,
        )
        try:
            server.serve_forever()
        finally:
            server.server_close()
