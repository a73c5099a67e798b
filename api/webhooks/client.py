"""One HTTP POST to a platform's endpoint, made safe to point at any URL a platform types.

The guard itself is `consent.net`, shared with the fetching of proof pages:

- Server-side request forgery: the host is resolved and every address it resolves to must be
  public; loopback, private, link-local, shared, reserved and cloud metadata addresses are
  refused unless `WEBHOOK_ALLOW_PRIVATE_ADDRESSES` lists them. The connection is then opened to
  the vetted address itself (with the host name kept for `Host` and TLS), so a DNS answer that
  changes between the check and the connection (rebinding) cannot slip through.
- A deadline for the whole exchange, redirects never followed (a 3xx is a failure), and at most
  `max_response_bytes` of the answer read.

Plain standard library (`http.client`), no Django: the caller passes the settings in.
"""

import email.utils
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from consent import net
from consent.net import (  # noqa: F401 (the webhook code and its tests use them from here)
    METADATA_ADDRESSES,
    AddressRefused,
    IPAddress,
    IPNetwork,
    allowed_networks,
    check_url,
    refusal,
)

USER_AGENT = "ConsentRegistry-Webhooks/1.0"
EXCERPT_CHARS = 1000
REFUSED = "webhooks are never sent there"


@dataclass(frozen=True)
class Result:
    """What happened to one POST. `status` is None when no HTTP answer came back."""

    status: int | None = None
    duration_ms: int = 0
    error: str = ""
    excerpt: str = ""
    retry_after: float | None = None
    refused: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def resolve(host: str, port: int, allowed: list[IPNetwork]) -> list[str]:
    """Every address of `host`, all checked; AddressRefused names the first one refused."""
    return net.resolve(host, port, allowed, REFUSED)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        at = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    reference = now if now is not None else datetime.now(UTC).timestamp()
    return max(0.0, at.timestamp() - reference)


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout: float,
    max_response_bytes: int,
    allowed: list[IPNetwork],
    require_https: bool,
) -> Result:
    """POST `body` to `url`; never raises for anything the endpoint or the network does."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        check_url(url, require_https=require_https)
    except ValueError as exc:
        return Result(error=str(exc), refused=True)
    request_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Content-Length": str(len(body)),
    } | headers
    try:
        response = net.request(
            "POST",
            url,
            headers=request_headers,
            body=body,
            deadline=net.Deadline(timeout),
            read_limit=max_response_bytes,
            allowed=allowed,
            require_https=require_https,
            refused=REFUSED,
        )
    except AddressRefused as exc:
        return Result(error=str(exc), refused=True, duration_ms=elapsed())
    except net.Failure as exc:
        return Result(error=str(exc), duration_ms=elapsed())
    return Result(
        status=response.status,
        duration_ms=elapsed(),
        excerpt=net.clean_text(response.body.decode("utf-8", "replace")[:EXCERPT_CHARS]),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
