"""Who is calling: key authentication, scope checks and fair use (per-platform limits) for DRF
views.

The hot path touches neither the database nor Redis for a key it has already verified: a key is
verified once (one statement) and kept in this process under the HMAC of the whole presented
key, so a wrong secret never meets a cached key. Revocations, suspensions and changes of scopes
or limits reach every process within API_KEY_CACHE_CHECK_MS: whatever changes a key or a
platform increments a version in Redis, and each process reads that version at most that often
and forgets every key when it moved. Throttle counts are kept in process and sent to Redis in
batches (consent.ratelimits.Budget).
"""

import hmac
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone
from rest_framework import authentication, exceptions, permissions, throttling

from api import keys
from api.errors import HeavyThrottled, ProblemError
from api.models import ApiKey
from consent import ratelimits
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


# ApiKey and its Platform in one statement, run once per key and process.
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


# --- Verified keys, kept in this process -------------------------------------------------------

VERSION_KEY = "api-keys:version"
_MAX_CACHED_KEYS = 10_000


@dataclass
class _Verified:
    key: ApiKey
    loaded: float  # time.monotonic()


class _KeyCache:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries: dict[str, _Verified] = {}
        self.version: object = None
        self.checked = float("-inf")

    def forget(self) -> None:
        with self.lock:
            self.entries.clear()
            self.checked = float("-inf")

    def fresh(self) -> None:
        """Forget every key when the shared version moved (read at most every check interval)."""
        now = time.monotonic()
        if now - self.checked < settings.API_KEY_CACHE_CHECK_SECONDS:
            return
        try:
            version = _read_version()
        except Exception:
            # Redis unreachable: verify every key against the database until it answers again.
            version = object()
        with self.lock:
            self.checked = now
            if version != self.version:
                self.entries.clear()
                self.version = version

    def get(self, digest: str) -> ApiKey | None:
        entry = self.entries.get(digest)
        if entry is None:
            return None
        if time.monotonic() - entry.loaded > settings.API_KEY_CACHE_SECONDS:
            return None
        return entry.key

    def put(self, digest: str, key: ApiKey) -> None:
        with self.lock:
            if len(self.entries) >= _MAX_CACHED_KEYS:
                self.entries.clear()
            self.entries[digest] = _Verified(key, time.monotonic())


_keys = _KeyCache()


def _read_version():
    client = ratelimits.redis_client()
    if client is not None:
        return client.get(ratelimits.cache_key(VERSION_KEY))
    return cache.get(VERSION_KEY)


def _bump_version() -> None:
    client = ratelimits.redis_client()
    if client is not None:
        client.incr(ratelimits.cache_key(VERSION_KEY))
    else:
        cache.add(VERSION_KEY, 0, None)
        cache.incr(VERSION_KEY)
    _keys.forget()


def keys_changed() -> None:
    """A key or a platform changed: every process forgets its verified keys.

    Announced at once, and again after the transaction commits: a process that re-read the row
    between the two would otherwise keep the old one until the next change.
    """
    _bump_version()
    transaction.on_commit(_bump_version)


def forget_keys(sender, created: bool = False, **kwargs) -> None:
    """post_save and post_delete of ApiKey and Platform (connected in api/apps.py)."""
    if not created:  # a new key or platform was never verified anywhere
        keys_changed()


def reset_local_state() -> None:
    """Forget this process's keys and counts (tests start each from an empty cache)."""
    _keys.forget()
    _keys.version = None
    platform_budget.reset()


def _refuse_failed_address(address: str) -> None:
    limit = settings.API_AUTH_FAILURES_PER_MINUTE
    if not limit or ratelimits.address_exempt(address):
        return
    over, wait = ratelimits.address_over("auth-failures", address, limit)
    if over:
        raise AddressThrottled(
            f"Too many failed authentications from this address: at most {limit:,} a minute. "
            "Check the key, then try again later.",
            wait,
        )


def _count_failure(address: str) -> None:
    if settings.API_AUTH_FAILURES_PER_MINUTE and not ratelimits.address_exempt(address):
        ratelimits.count_address("auth-failures", address, settings.API_AUTH_FAILURES_PER_MINUTE)


def authenticate_key(raw: str, address: str | None = None) -> ApiKey:
    """The live key for `raw`, or AuthenticationFailed with the same message for every failure.

    A key this process verified is answered from memory. Otherwise the address's failed
    authentications are checked first (when `address` is given), so a guesser is refused before
    any work; each failure counts against it.
    """
    digest = keys.hash_key(raw)
    _keys.fresh()
    key = _keys.get(digest)
    if key is None:
        if address is not None:
            _refuse_failed_address(address)
        prefix = keys.prefix_of(raw)
        loaded = _load_key(prefix) if prefix else None
        stored = loaded.hashed_key if loaded else keys.DUMMY_HASH
        if not hmac.compare_digest(digest, stored) or loaded is None or loaded.revoked_at:
            if address is not None:
                _count_failure(address)
            raise exceptions.AuthenticationFailed("The API key is unknown, wrong or revoked.")
        key = loaded
        _keys.put(digest, key)
    if not key.platform.is_approved:
        raise exceptions.PermissionDenied(
            f"The platform “{key.platform.name}” is {key.platform.get_status_display().lower()}; "
            "it has no access until an admin approves it."
        )
    now = timezone.now()
    # Coarse on purpose: one write per key, process and minute at most.
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        key.last_used_at = now
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
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
        address = ratelimits.client_address(request)
        if not raw:
            _refuse_failed_address(address)
            _count_failure(address)
            raise exceptions.AuthenticationFailed("The Authorization header has no key.")
        key = authenticate_key(raw, address)
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


# --- Fair use ----------------------------------------------------------------------------------


class AddressThrottled(exceptions.Throttled):
    """429 for an address over one of its limits (failed authentications)."""

    def __init__(self, detail: str, wait: float):
        super().__init__(wait=wait, detail=detail)


def _count_request(counter: str, ttl: int, amount: int = 1) -> int:
    """Add to a counter that expires, in the shared cache (Redis in production); its total."""
    return ratelimits.count(counter, ttl, amount)


platform_budget = ratelimits.Budget("platform")


def request_cost(request, view) -> int:
    """What a request costs in the platform's units: the view's own measure, else 1."""
    measure = getattr(view, "request_cost", None)
    return max(1, measure(request)) if measure else 1


def limit_of(platform: Platform) -> int:
    return platform.rate_limit_per_minute or settings.API_RATE_LIMIT_PER_MINUTE


class PlatformThrottle(throttling.BaseThrottle):
    """Fixed one-minute windows per platform (all its keys together), weighted by cost.

    The limit is `API_RATE_LIMIT_PER_MINUTE` units, or the platform's own when an admin set one.
    A heavy request (the view's `is_heavy`) also takes one of the platform's
    API_HEAVY_CONCURRENCY slots for as long as it runs (released with the response; a lease in
    Redis that expires if the worker dies).
    """

    def allow_request(self, request, view) -> bool:
        user = request.user
        if not isinstance(user, KeyUser):
            return True
        platform = user.platform
        limit = limit_of(platform)
        spent, wait = platform_budget.spent(platform.pk, limit)
        if spent:  # refused before reading a body that may hold 10,000 items
            raise exceptions.Throttled(
                wait=wait, detail=f"{platform.name} has used its {limit:,} units this minute."
            )
        cost = request_cost(request, view)
        if cost > limit:
            raise ProblemError(
                "too-large",
                f"This request costs {cost:,} units, more than {platform.name}'s whole limit of "
                f"{limit:,} a minute; split it into smaller requests.",
                cost=cost,
                limit=limit,
            )
        # A heavy request takes its slot first, so that one refused for want of a slot costs
        # no units.
        lease = None
        heavy = getattr(view, "is_heavy", None)
        if heavy is not None and heavy(request, cost):
            lease = ratelimits.acquire_slot(
                "heavy",
                platform.pk,
                settings.API_HEAVY_CONCURRENCY,
                settings.API_HEAVY_LEASE_SECONDS,
            )
            if lease is None:
                raise HeavyThrottled(
                    wait=5,
                    detail=f"{platform.name} already runs {settings.API_HEAVY_CONCURRENCY} heavy "
                    "requests (large batches, snapshots) at once, the most allowed; send this "
                    "one when one of them has finished.",
                )
        allowed, wait = platform_budget.charge(platform.pk, cost, limit)
        if not allowed:
            if lease is not None:
                lease.release()
            raise exceptions.Throttled(
                wait=wait,
                detail=f"{platform.name} has used its {limit:,} units this minute (all its keys "
                f"together; this request costs {cost:,}).",
            )
        if lease is not None:
            request._request.heavy_lease = lease
        return True


class HeavyRequestMixin:
    """Frees a heavy request's slot when its response is closed (after the last byte of a
    stream), or at once if the view failed."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        lease = getattr(request._request, "heavy_lease", None)
        if lease is not None:
            # Django closes every object in _resource_closers when the response is closed.
            response._resource_closers.append(lease.release)
        return response
