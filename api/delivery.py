"""One HTTP POST to a platform's endpoint, made safe to point at any URL a platform types.

- Server-side request forgery: the host is resolved here and every address it resolves to must
  be public; loopback, private, link-local, shared, reserved and cloud metadata addresses are
  refused unless `WEBHOOK_ALLOW_PRIVATE_ADDRESSES` lists them. The connection is then opened to
  the vetted address itself (with the host name kept for `Host` and TLS), so a DNS answer that
  changes between the check and the connection (rebinding) cannot slip through.
- A deadline for the whole exchange, redirects never followed (a 3xx is a failure), and at most
  `max_response_bytes` of the answer read.

Plain standard library (`http.client`), no Django: the caller passes the settings in.
"""

import contextlib
import email.utils
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Metadata services some clouds put on ordinary-looking addresses: refused even where a
# deployment allows private networks in general, unless listed one by one.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack
        "169.254.170.2",  # AWS ECS task metadata
        "168.63.129.16",  # Azure wire server
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS over IPv6
    )
)
USER_AGENT = "ConsentRegistry-Webhooks/1.0"
EXCERPT_CHARS = 1000


class AddressRefused(Exception):
    """The endpoint's host is, or resolves to, an address webhooks may not reach."""


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


def allowed_networks(entries: Iterable[str]) -> list[IPNetwork]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4, compatible), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return address
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal(address: IPAddress, allowed: list[IPNetwork]) -> str:
    """What kind of address webhooks may not reach this is ("a loopback address"), or ""."""
    address = _embedded_ipv4(address)
    if address in METADATA_ADDRESSES:
        # Only an allowance naming exactly this address lets it through, never a range.
        exact = any(n.num_addresses == 1 and address in n for n in allowed)
        return "" if exact else "a cloud metadata address"
    if any(address in network for network in allowed):
        return ""
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if not address.is_global or address.is_multicast:
        return "not a public address"
    return ""


def resolve(host: str, port: int, allowed: list[IPNetwork]) -> list[str]:
    """Every address of `host`, all checked; AddressRefused names the first one refused."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise OSError(f"The host {host} cannot be resolved ({exc}).") from exc
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    for address in addresses:
        kind = refusal(address, allowed)
        if kind:
            where = f"{address} is" if literal is not None else f"{host} resolves to {address},"
            raise AddressRefused(f"{where} {kind}: webhooks are never sent there.")
    return [str(a) for a in addresses]


def check_url(url: str, *, require_https: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, request target) of an endpoint URL, or ValueError saying why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("The URL must start with https://.")
    if require_https and parts.scheme != "https":
        raise ValueError("The URL must use https.")
    if parts.username or parts.password:
        raise ValueError("The URL may not contain a user name or password.")
    if not parts.hostname:
        raise ValueError("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise ValueError("The URL's port is not a number between 1 and 65535.") from exc
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # HTTP request lines are ASCII: other characters are sent percent-encoded.
    target = quote(target, safe="/?&=%:@!$'()*+,;~-._#[]")
    return parts.scheme, parts.hostname, port, target


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


class _Deadline:
    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        return remaining


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address while speaking to the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


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
        scheme, host, port, target = check_url(url, require_https=require_https)
    except ValueError as exc:
        return Result(error=str(exc), refused=True)
    deadline = _Deadline(timeout)
    try:
        addresses = resolve(host, port, allowed)
    except AddressRefused as exc:
        return Result(error=str(exc), refused=True, duration_ms=elapsed())
    except OSError as exc:
        return Result(error=str(exc), duration_ms=elapsed())
    connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
    request_headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Content-Length": str(len(body)),
    } | headers
    last_error = ""
    for address in addresses:
        try:
            remaining = deadline.left()
        except TimeoutError:
            return Result(error=f"No answer within {timeout:g} s.", duration_ms=elapsed())
        connection = connection_class(host, port, address, timeout=remaining)
        # Socket timeouts bound each read, not the exchange: a receiver trickling one byte at a
        # time would hold the worker (and the endpoint's lock) for ever. The watchdog closes the
        # socket when the deadline passes, whatever is happening on it.
        expired = threading.Event()

        def expire(connection=connection, expired=expired) -> None:
            expired.set()
            if connection.sock is not None:
                with contextlib.suppress(OSError):
                    connection.sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(remaining, expire)
        watchdog.daemon = True
        watchdog.start()
        try:
            connection.request("POST", target, body=body, headers=request_headers)
            connection.sock.settimeout(deadline.left())
            response = connection.getresponse()
            data = b""
            while len(data) < max_response_bytes:
                deadline.left()
                chunk = response.read(min(65536, max_response_bytes - len(data)))
                if not chunk:
                    break
                data += chunk
            if expired.is_set():
                raise TimeoutError("timed out")
            return Result(
                status=response.status,
                duration_ms=elapsed(),
                excerpt=_text(data.decode("utf-8", "replace")[:EXCERPT_CHARS]),
                retry_after=parse_retry_after(response.getheader("Retry-After")),
            )
        except TimeoutError:
            return Result(error=f"No answer within {timeout:g} s.", duration_ms=elapsed())
        except ssl.SSLError as exc:
            if expired.is_set():
                return Result(error=f"No answer within {timeout:g} s.", duration_ms=elapsed())
            return Result(error=_text(f"TLS failed: {exc.reason or exc}"), duration_ms=elapsed())
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if expired.is_set():
                return Result(error=f"No answer within {timeout:g} s.", duration_ms=elapsed())
            last_error = _text(f"{exc.__class__.__name__}: {exc}"[:300])
        finally:
            watchdog.cancel()
            connection.close()
    return Result(error=last_error or "No address could be reached.", duration_ms=elapsed())


def _text(value: str) -> str:
    """What is stored of a receiver's answer: PostgreSQL text cannot hold NUL characters."""
    return value.replace("\x00", "\ufffd")
