"""Outgoing HTTP that is safe to point at any URL a person types: webhooks and proof pages.

- Server-side request forgery: the host is resolved here and every address it resolves to must
  be public; loopback, private, link-local, shared, reserved and cloud metadata addresses are
  refused unless the caller's allowance (the `WEBHOOK_ALLOW_PRIVATE_ADDRESSES` setting) lists
  them. The connection is then opened to the vetted address itself (with the host name kept for
  `Host` and TLS), so a DNS answer that changes between the check and the connection
  (rebinding) cannot slip through.
- A deadline for the whole exchange, enforced by a watchdog that closes the socket, so a server
  trickling one byte at a time cannot hold a worker; at most so many bytes of the answer read.
- `request` never follows redirects; `get_page` follows a few within the same host and refuses
  one to another host, with a message saying where it pointed.

Plain standard library (`http.client`), no Django: callers pass the settings in.
"""

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit

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
REDIRECTS = (301, 302, 303, 307, 308)


class Failure(Exception):
    """No usable answer; the message is a sentence for the person who gave the URL."""


class AddressRefused(Failure):
    """The host is, or resolves to, an address the registry may not reach."""


class Unreachable(Failure):
    """The host could not be resolved or connected to, or the exchange broke off."""


class TimedOut(Failure):
    """The deadline passed before the answer was read."""


class RedirectedElsewhere(Failure):
    """A page redirected to another host (or too many times)."""


def allowed_networks(entries: Iterable[str]) -> list[IPNetwork]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Local-use NAT64 (RFC 8215) and the deprecated site-local range: neither is public, and a local
# translator can carry the first to any IPv4 address, metadata services included.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
_SITE_LOCAL = ipaddress.ip_network("fec0::/10")
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
    """What kind of address the registry may not reach this is ("a loopback address"), or ""."""
    address = _embedded_ipv4(address)
    if address in METADATA_ADDRESSES:
        # Only an allowance naming exactly this address lets it through, never a range.
        exact = any(n.num_addresses == 1 and address in n for n in allowed)
        return "" if exact else "a cloud metadata address"
    if any(address in network for network in allowed):
        return ""
    if isinstance(address, ipaddress.IPv6Address) and (
        address in _LOCAL_NAT64 or address in _SITE_LOCAL
    ):
        return "a private address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if not address.is_global or address.is_multicast:
        return "not a public address"
    return ""


def resolve(
    host: str,
    port: int,
    allowed: list[IPNetwork],
    refused: str = "the registry never connects there",
) -> list[str]:
    """Every address of `host`, all checked; AddressRefused names the first one refused, and
    ends with `refused` (what the caller never does with such an address)."""
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
            raise AddressRefused(f"{where} {kind}: {refused}.")
    return [str(a) for a in addresses]


def check_url(url: str, *, require_https: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, request target) of a URL, or ValueError saying why not."""
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


class Deadline:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out")
        return remaining

    @property
    def message(self) -> str:
        return f"No answer within {self.seconds:g} s."


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address while speaking to the URL's host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]  # names in lower case
    body: bytes  # at most `read_limit` bytes of it


def clean_text(value: str) -> str:
    """What may be stored of an answer: PostgreSQL text cannot hold NUL characters."""
    return value.replace("\x00", "\ufffd")


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    deadline: Deadline,
    read_limit: int,
    allowed: list[IPNetwork],
    require_https: bool = False,
    refused: str = "the registry never connects there",
) -> Response:
    """One request, no redirects followed; raises ValueError for a URL that cannot be used and
    a Failure for anything the server or the network does."""
    scheme, host, port, target = check_url(url, require_https=require_https)
    try:
        addresses = resolve(host, port, allowed, refused)  # AddressRefused goes to the caller
    except OSError as exc:
        raise Unreachable(str(exc)) from exc
    connection_class = PinnedHTTPSConnection if scheme == "https" else PinnedHTTPConnection
    last_error = ""
    for address in addresses:
        try:
            remaining = deadline.left()
        except TimeoutError:
            raise TimedOut(deadline.message) from None
        connection = connection_class(host, port, address, timeout=remaining)
        # Socket timeouts bound each read, not the exchange: a server trickling one byte at a
        # time would hold the worker for ever. The watchdog closes the socket when the deadline
        # passes, whatever is happening on it.
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
            connection.request(method, target, body=body, headers=headers)
            connection.sock.settimeout(deadline.left())
            response = connection.getresponse()
            data = bytearray()
            while len(data) < read_limit:
                deadline.left()
                chunk = response.read(min(65536, read_limit - len(data)))
                if not chunk:
                    break
                data += chunk
            if expired.is_set():
                raise TimeoutError("timed out")
            return Response(
                status=response.status,
                reason=response.reason or "",
                headers={name.lower(): value for name, value in response.getheaders()},
                body=bytes(data),
            )
        except TimeoutError:
            raise TimedOut(deadline.message) from None
        except ssl.SSLError as exc:
            if expired.is_set():
                raise TimedOut(deadline.message) from None
            raise Unreachable(clean_text(f"TLS failed: {exc.reason or exc}")) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if expired.is_set():
                raise TimedOut(deadline.message) from None
            last_error = clean_text(f"{exc.__class__.__name__}: {exc}"[:300])
        finally:
            watchdog.cancel()
            connection.close()
    raise Unreachable(last_error or "No address could be reached.")


# --- Reading a page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """A page as read: where it ended up, its status, type and (at most `max_bytes` of) body."""

    url: str
    status: int
    reason: str
    content_type: str
    charset: str
    body: bytes
    too_large: bool = False
    redirects: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self) -> str:
        try:
            return clean_text(self.body.decode(self.charset or "utf-8", "replace"))
        except LookupError:  # a charset Python does not know
            return clean_text(self.body.decode("utf-8", "replace"))


def same_host(a: str, b: str) -> bool:
    """Whether two URLs name the same host (case, a trailing dot and `www.` aside)."""

    def key(url: str) -> str:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
        return host.removeprefix("www.")

    return key(a) != "" and key(a) == key(b)


def _content_type(value: str) -> tuple[str, str]:
    """("text/html", "utf-8") from a Content-Type header."""
    media, _, params = value.partition(";")
    charset = ""
    for param in params.split(";"):
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("\"'").lower()
    return media.strip().lower(), charset


def get_page(
    url: str,
    *,
    timeout: float,
    max_bytes: int,
    allowed: list[IPNetwork],
    user_agent: str,
    max_redirects: int = 3,
) -> Page:
    """GET a page for a person who gave its URL; a Failure says in a sentence what went wrong.

    Redirects are followed within the same host (at most `max_redirects`), never to another
    host. `timeout` bounds the whole fetch, redirects included. Reads at most `max_bytes` of the
    body; `too_large` says there was more.
    """
    deadline = Deadline(timeout)
    headers = {
        "User-Agent": user_agent,
        "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.1",
        "Accept-Encoding": "identity",
    }
    current = url
    followed: list[str] = []
    while True:
        try:
            response = request(
                "GET",
                current,
                headers=headers,
                deadline=deadline,
                read_limit=max_bytes + 1,
                allowed=allowed,
                refused="the registry never fetches pages from there",
            )
        except ValueError as exc:
            raise Unreachable(f"{current} cannot be fetched: {exc}") from exc
        if response.status in REDIRECTS:
            location = response.headers.get("location", "").strip()
            if not location:
                raise Unreachable(
                    f"{current} answered with a redirect ({response.status}) that does not say "
                    "where to."
                )
            try:
                target = urljoin(current, location)
                elsewhere = not same_host(target, url) or (
                    urlsplit(target).scheme != urlsplit(current).scheme
                    or urlsplit(target).port != urlsplit(current).port
                )
            except ValueError as exc:
                raise Unreachable(
                    f"{current} redirects to an address that is not a valid link ({exc})."
                ) from exc
            if elsewhere:
                where = urlsplit(target).hostname or target
                raise RedirectedElsewhere(
                    f"{current} redirects to another host ({where}); the registry follows "
                    "redirects only within the same host. Give the address of the page itself."
                )
            if len(followed) >= max_redirects:
                raise RedirectedElsewhere(
                    f"{url} redirected more than {max_redirects} times; give the address of "
                    "the page it ends up at."
                )
            followed.append(target)
            current = target
            continue
        media, charset = _content_type(response.headers.get("content-type", ""))
        return Page(
            url=current,
            status=response.status,
            reason=response.reason,
            content_type=media,
            charset=charset,
            body=response.body[:max_bytes],
            too_large=len(response.body) > max_bytes,
            redirects=followed,
        )
