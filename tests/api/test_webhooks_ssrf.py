"""The POST to an endpoint: no private addresses, no redirects, a deadline, a read limit."""

import ipaddress
import socket
import time

import pytest

from api.webhooks import client
from tests.api.webhooks_support import Receiver, Reply

ALLOW_LOCAL = client.allowed_networks(["127.0.0.1"])


def post(url: str, *, allowed=ALLOW_LOCAL, timeout: float = 2, max_bytes: int = 1024):
    return client.post(
        url,
        b"{}",
        {"webhook-id": "msg_1"},
        timeout=timeout,
        max_response_bytes=max_bytes,
        allowed=allowed,
        require_https=False,
    )


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.10", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("100.100.100.200", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("::ffff:10.0.0.1", "private"),
        ("0.0.0.0", "private"),  # noqa: S104 (an address to refuse, not to bind)
        ("100.64.0.1", "not a public"),
        ("224.0.0.1", "not a public"),
        ("64:ff9b:1::a9fe:a9fe", "private"),  # local-use NAT64 to 169.254.169.254
        ("fec0::1", "private"),  # site-local
    ],
)
def test_non_public_addresses_are_refused(address, kind):
    assert kind in client.refusal(ipaddress.ip_address(address), [])


def test_public_addresses_pass_and_an_allowed_one_passes_too():
    assert client.refusal(ipaddress.ip_address("93.184.216.34"), []) == ""
    assert client.refusal(ipaddress.ip_address("2606:4700::1111"), []) == ""
    assert client.refusal(ipaddress.ip_address("127.0.0.1"), ALLOW_LOCAL) == ""
    assert client.refusal(ipaddress.ip_address("127.0.0.2"), ALLOW_LOCAL)


@pytest.mark.parametrize("resolved", ["10.0.0.7", "169.254.169.254", "fd00::1", "127.0.0.1"])
def test_a_host_name_that_resolves_to_a_private_address_is_never_connected_to(
    monkeypatch, resolved
):
    family = socket.AF_INET6 if ":" in resolved else socket.AF_INET

    def resolve(host, port, *args, **kwargs):
        return [(family, socket.SOCK_STREAM, 6, "", (resolved, port))]

    def connect(*args, **kwargs):
        raise AssertionError("a refused address was connected to")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(socket, "create_connection", connect)

    result = post("http://hooks.attacker.example/", allowed=[])

    assert result.refused and result.status is None
    assert f"hooks.attacker.example resolves to {resolved}" in result.error


def test_one_private_address_among_public_ones_is_enough_to_refuse(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert post("http://hooks.example/").refused


def test_redirects_are_not_followed():
    with Receiver(verify=False) as target, Receiver(verify=False) as redirecting:
        redirecting.script = lambda m, n: Reply(307, headers={"Location": target.url()})
        result = post(redirecting.url())

    assert result.status == 307 and not result.ok
    assert target.messages == []


def test_a_slow_endpoint_times_out():
    with Receiver(verify=False) as slow:
        slow.script = lambda m, n: Reply(delay=3)
        started = time.monotonic()
        result = post(slow.url(), timeout=1)

    assert result.status is None and "No answer within 1 s" in result.error
    assert time.monotonic() - started < 2


def test_only_so_much_of_the_answer_is_read():
    with Receiver(verify=False) as chatty:
        chatty.script = lambda m, n: Reply(body=b"x" * 5_000_000)
        result = post(chatty.url(), max_bytes=1024)

    assert result.ok
    assert len(result.excerpt) == client.EXCERPT_CHARS


def test_an_unreachable_endpoint_is_a_failure_not_an_error():
    result = post(f"http://127.0.0.1:{_closed_port()}/")
    assert result.status is None and not result.refused
    assert "Connection refused" in result.error or "ConnectionRefused" in result.error


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://hooks.example/", "https://"),
        ("https://user:secret@hooks.example/", "password"),
        ("https:///nohost", "no host"),
        ("https://hooks.example:99999/", "port"),
    ],
)
def test_malformed_urls_are_refused(url, words):
    result = post(url)
    assert result.refused and words in result.error


def test_http_is_refused_where_https_is_required():
    result = client.post(
        "http://hooks.example/",
        b"{}",
        {},
        timeout=1,
        max_response_bytes=10,
        allowed=[],
        require_https=True,
    )
    assert result.refused and "https" in result.error


def test_retry_after_reads_seconds_and_http_dates():
    assert client.parse_retry_after("120") == 120
    assert client.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470) == 10
    assert client.parse_retry_after("soon") is None
    assert client.parse_retry_after(None) is None


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
