"""Who is calling: key authentication, scope checks and per-key throttling for DRF views."""

import re
import time
from datetime import timedelta

import orjson
import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, throttling

from api import keys
from api.models import ApiKey
from consent.lookup import db_datetime, hot_cursor
from consent.models import Platform

LAST_USED_RESOLUTION = timedelta(minutes=1)


class KeyUser:
    """The authenticated principal of an API request: a key and its platform."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, key: ApiKey):
        self.key = key
        self.platform: Platform = key.platform

    def __str__(self) -> str:
        return f"{self.platform} / {self.key.display}"


# ApiKey and its Platform in one statement: every API request runs it, so it is plain SQL.
_KEY_FIELDS = ["id", "platform_id", "name", "prefix", "hashed_key", "scopes", "last_used_at",
               "revoked_at"]  # fmt: skip
_PLATFORM_FIELDS = ["id", "name", "status", "rate_limit_per_minute"]
_KEY_SQL = (
    "SELECT k.id, k.platform_id, k.name, k.prefix, k.hashed_key, CAST(k.scopes AS text), "
    "k.last_used_at, k.revoked_at, p.id, p.name, p.status, p.rate_limit_per_minute "
    "FROM api_apikey k JOIN consent_platform p ON p.id = k.platform_id WHERE k.prefix = %s"
)


def _load_key(prefix: str) -> ApiKey | None:
    with hot_cursor() as cursor:
        cursor.execute(_KEY_SQL, [prefix])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row[:8])
    values[5] = orjson.loads(values[5])
    values[6], values[7] = db_datetime(values[6]), db_datetime(values[7])
    key = ApiKey.from_db(connection.alias, _KEY_FIELDS, values)
    # Other platform fields load on first use, like any deferred field.
    key.platform = Platform.from_db(connection.alias, _PLATFORM_FIELDS, row[8:])
    return key


def authenticate_key(raw: str) -> ApiKey:
    """The live key for `raw`, or AuthenticationFailed with the same message for every failure."""
    prefix = keys.prefix_of(raw)
    key = _load_key(prefix) if prefix else None
    if not keys.matches(raw, key.hashed_key if key else None) or key.revoked_at is not None:
        raise exceptions.AuthenticationFailed("The API key is unknown, wrong or revoked.")
    if not key.platform.is_approved:
        raise exceptions.PermissionDenied(
            f"The platform “{key.platform.name}” is {key.platform.get_status_display().lower()}; "
            "it has no access until an admin approves it."
        )
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <key>`."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword.lower():
            return None
        raw = raw.strip()
        if not raw:
            raise exceptions.AuthenticationFailed("The Authorization header has no key.")
        key = authenticate_key(raw)
        return KeyUser(key), key

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'


class SpawningKeyAuthentication(ApiKeyAuthentication):
    """`Authorization: API <key>`, as the de-facto opt-out query API's clients send it."""

    keyword = "API"


class HasScope(permissions.BasePermission):
    """An approved platform's key carrying the view's `required_scope` (default `read`)."""

    message = "This API key lacks the scope this endpoint needs."

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, KeyUser):
            raise exceptions.NotAuthenticated(
                "Send an API key: `Authorization: Bearer <key>`. Platforms get keys in their "
                "console once approved."
            )
        scope = getattr(view, "required_scope", ApiKey.Scope.READ)
        if scope not in request.user.key.scopes:
            self.message = f"This API key lacks the “{scope}” scope this endpoint needs."
            return False
        return True


# Options of Django's Redis cache that are Django's own, not redis-py connection options.
_DJANGO_CACHE_OPTIONS = ("serializer", "pool_class", "parser_class")
_clients: dict[str, redis.Redis] = {}


def _redis_client() -> redis.Redis:
    """A redis-py client on the default cache's Redis, made once per process.

    Django's cache keeps its client private and builds a new client object per call, which cost
    as much as the round trip itself; a redis-py client is safe to share between threads and its
    pool reconnects after a fork. It is made from the cache's own settings: the first server of
    LOCATION (the one Django writes to) and OPTIONS.
    """
    config = settings.CACHES["default"]
    location = config["LOCATION"]
    url = location[0] if isinstance(location, list | tuple) else re.split("[;,]", location)[0]
    client = _clients.get(url)
    if client is None:
        options = {
            name: value
            for name, value in config.get("OPTIONS", {}).items()
            if name not in _DJANGO_CACHE_OPTIONS
        }
        client = _clients[url] = redis.Redis.from_url(url, **options)
    return client


def _count_request(counter: str, ttl: int) -> int:
    """Add one to a counter that expires; one Redis round trip except once per window."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        key = backend.make_and_validate_key(counter)
        client = _redis_client()
        count = client.incr(key)
        if count == 1:  # the window's first request sets its expiry
            client.expire(key, ttl)
        return count
    # Local-memory cache (development without Redis): two calls, same result.
    if cache.add(counter, 1, ttl):
        return 1
    try:
        return cache.incr(counter)
    except ValueError:  # expired between add() and incr()
        cache.add(counter, 1, ttl)
        return 1


class KeyRateThrottle(throttling.BaseThrottle):
    """A fixed one-minute window per key, counted in the shared cache (Redis in production).

    The limit is `API_RATE_LIMIT_PER_MINUTE`, or the platform's own when an admin raised it.
    """

    window = 60

    def allow_request(self, request, view) -> bool:
        user = request.user
        if not isinstance(user, KeyUser):
            return True
        limit = user.platform.rate_limit_per_minute or settings.API_RATE_LIMIT_PER_MINUTE
        now = time.time()
        window_start = int(now // self.window) * self.window
        count = _count_request(f"throttle:{user.key.pk}:{window_start}", self.window + 5)
        self._wait = window_start + self.window - now
        return count <= limit

    def wait(self) -> float:
        return self._wait
