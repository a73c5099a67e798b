"""What a hostile or broken receiver cannot do: hold a worker past the deadline, poison the log
with bytes the database refuses, or slip through an address check by wrapping IPv4 in IPv6."""

import ipaddress
import socket
import threading
import time

import pytest

from api.models import WebhookDelivery
from api.webhooks import client, dispatch
from api.webhooks import services as webhooks
from tests.api.webhooks_support import new_tracks

ALLOW_LOCAL = client.allowed_networks(["127.0.0.1"])


class RawServer:
    """A TCP server on 127.0.0.1 that answers every connection with `handler(socket)`."""

    def __init__(self, handler):
        self.handler = handler
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:  # closed by close()
                return
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn):
        try:
            conn.recv(65536)
            self.handler(conn, self.stop)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stop.set()
        time.sleep(0.25)  # the accept loop notices within its 0.2 s timeout
        self.sock.close()


def trickle(conn, stop):
    """Headers one byte at a time, each just inside the socket timeout: never finishing."""
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 100:
        if stop.is_set():
            return
        conn.sendall(bytes([byte]))
        time.sleep(0.3)


def nul_answer(conn, stop):
    body = b"bad\x00answer"
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def post(url: str, timeout: float = 1.0):
    return client.post(
        url,
        b"{}",
        {"webhook-id": "msg_1"},
        timeout=timeout,
        max_response_bytes=1024,
        allowed=ALLOW_LOCAL,
        require_https=False,
    )


def test_a_trickling_receiver_is_cut_off_at_the_deadline():
    server = RawServer(trickle)
    try:
        started = time.monotonic()
        result = post(f"http://127.0.0.1:{server.port}/hook", timeout=1.0)
        took = time.monotonic() - started
    finally:
        server.close()
    assert result.status is None
    assert "No answer within 1 s" in result.error
    assert took < 2.5


@pytest.mark.django_db
def test_a_nul_in_the_answer_is_recorded_not_retried_for_ever(platform, artist, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = ["127.0.0.1"]
    server = RawServer(nul_answer)
    try:
        endpoint, _ = webhooks.create_endpoint(platform, f"http://127.0.0.1:{server.port}/hook")
        new_tracks(artist, 2)
        dispatch.deliver(endpoint.pk)
    finally:
        server.close()
    attempt = WebhookDelivery.objects.get(endpoint=endpoint)
    assert attempt.status_code == 200
    assert "\x00" not in attempt.response_excerpt
    endpoint.refresh_from_db()
    assert endpoint.cursor > 0


def test_a_non_ascii_path_is_sent_percent_encoded():
    _, _, _, target = client.check_url("https://example.com/hé?x=ü", require_https=True)
    assert target == "/h%C3%A9?x=%C3%BC"
    target.encode("ascii")


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "::127.0.0.1",  # IPv4-compatible loopback
        "::ffff:10.0.0.1",  # IPv4-mapped
    ],
)
def test_ipv4_wrapped_in_ipv6_is_judged_as_the_ipv4_address(address):
    assert client.refusal(ipaddress.ip_address(address), []) != ""


def test_allowing_a_range_never_opens_the_metadata_address():
    broad = client.allowed_networks(["169.254.0.0/16", "100.64.0.0/10"])
    assert client.refusal(ipaddress.ip_address("169.254.169.254"), broad) == (
        "a cloud metadata address"
    )
    assert client.refusal(ipaddress.ip_address("100.100.100.200"), broad) != ""
    assert client.refusal(ipaddress.ip_address("169.254.1.1"), broad) == ""
    exact = client.allowed_networks(["169.254.169.254"])
    assert client.refusal(ipaddress.ip_address("169.254.169.254"), exact) == ""
