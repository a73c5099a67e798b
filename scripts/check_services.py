"""Stop `make test` at once, with one line saying what to do, when PostgreSQL or Redis is down.

The suite runs against real PostgreSQL and Redis; without this check it would fail test by test,
minutes later, with a wall of connection errors.
"""

import os
import socket
import sys
from urllib.parse import urlsplit

import psycopg
import redis

START_POSTGRESQL = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
START_REDIS = (
    "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no"
)


def listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def check_postgresql(url: str) -> str | None:
    """None when PostgreSQL accepts the test user, otherwise what is wrong and what to do."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        return f"DATABASE_URL must point to PostgreSQL (got {parts.scheme or 'nothing'!r})"
    host, port = parts.hostname or "localhost", parts.port or 5432
    if not listening(host, port):
        return f"PostgreSQL is not reachable at {host}:{port}; start it with: {START_POSTGRESQL}"
    try:
        # The test database is created from the maintenance database, so that is what must open.
        with psycopg.connect(url, dbname="postgres", connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        reason = " ".join(str(exc).split()) or "connection failed"
        return f"PostgreSQL at {host}:{port} refuses the test connection ({reason}); check PG_URL"


def check_redis(url: str) -> str | None:
    """None when Redis answers PING, otherwise what is wrong and what to do."""
    if not url:
        return "REDIS_URL is not set"
    parts = urlsplit(url)
    host, port = parts.hostname or "localhost", parts.port or 6379
    if not listening(host, port):
        return f"Redis is not reachable at {host}:{port}; start it with: {START_REDIS}"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
        client.close()
        return None
    except redis.RedisError as exc:
        return f"Redis at {host}:{port} does not answer PING ({exc}); check TEST_REDIS_URL"


def main() -> int:
    for problem in (
        check_postgresql(os.environ.get("DATABASE_URL", "")),
        check_redis(os.environ.get("REDIS_URL", "")),
    ):
        if problem:
            print(f"make test: {problem}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
