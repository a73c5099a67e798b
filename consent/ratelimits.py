"""Per-account limits, counted in the shared cache (Redis) so that they hold across every web
process and every way in.

- Disputes: how many one account may open a day, whether by contesting or by registering an
  ISRC someone else already claims.
- Declarations, catalogue-wide changes and link changes: how many one account may make per
  clock hour. Each one writes change events that every platform receives, and a catalogue-wide
  change recomputes every track of the catalogue, so a script hammering the website could
  otherwise flood the change log and every platform's webhooks.
"""

import datetime
import ipaddress
import math
import re
import threading
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.utils import timezone

HOUR = 3600


def _key(user_id: int) -> str:
    return f"disputes-opened:{user_id}:{timezone.now().date().isoformat()}"


def disputes_left_today(user_id: int) -> int:
    return max(0, settings.DISPUTES_PER_DAY - (cache.get(_key(user_id)) or 0))


def count_disputes_opened(user_id: int, count: int = 1) -> None:
    key = _key(user_id)
    cache.add(key, 0, timeout=int(datetime.timedelta(days=2).total_seconds()))
    cache.incr(key, count)


# --- Per hour -------------------------------------------------------------------------------


def _count_this_hour(kind: str, user_id: int) -> tuple[int, float]:
    """Count one more action of this kind by this account; its count this hour and the hour's end.

    A fixed window per clock hour: `add` creates the counter (atomically, only if absent) and
    `incr` is atomic in Redis, so concurrent requests never lose a count.
    """
    start = int(time.time()) // HOUR * HOUR
    key = f"rate:{kind}:{user_id}:{start}"
    cache.add(key, 0, timeout=2 * HOUR)
    return cache.incr(key), start + HOUR


def _refuse(done: str, limit: int, again: str, ends: float) -> None:
    # Imported here: consent.services imports this module, and ConsentError lives there.
    from consent.services import ConsentError

    minutes = max(1, math.ceil((ends - time.time()) / 60))
    at = timezone.localtime(datetime.datetime.fromtimestamp(ends, tz=datetime.UTC))
    raise ConsentError(
        f"You have {done} {limit:,} time{'s' if limit != 1 else ''} this hour, the most one "
        f"account may. You can {again} again at {at:%H:%M} {at.tzname()} (in {minutes} "
        f"minute{'s' if minutes != 1 else ''}); nothing was changed."
    )


def limit_declarations(creator, *, catalogue: bool) -> None:
    """Count a save of choices (for one track, or `catalogue`-wide, opt-outs included); a
    ConsentError saying when to try again once the account is over a limit."""
    count, ends = _count_this_hour("declarations", creator.user_id)
    if count > settings.DECLARATIONS_PER_HOUR:
        _refuse("saved choices", settings.DECLARATIONS_PER_HOUR, "save them", ends)
    if not catalogue:
        return
    count, ends = _count_this_hour("catalogue", creator.user_id)
    if count > settings.CATALOGUE_CHANGES_PER_HOUR:
        _refuse(
            "changed your catalogue-wide choices",
            settings.CATALOGUE_CHANGES_PER_HOUR,
            "change them",
            ends,
        )


def limit_link_changes(creator) -> None:
    """Count an addition or removal of links; a ConsentError once the account is over the limit."""
    count, ends = _count_this_hour("links", creator.user_id)
    if count > settings.LINK_CHANGES_PER_HOUR:
        _refuse("added or removed links", settings.LINK_CHANGES_PER_HOUR, "change links", ends)


def limit_proof_checks(creator) -> None:
    """Count a check of a proof page (each one fetches a page on the web); a ConsentError once
    the account is over the limit."""
    count, ends = _count_this_hour("proof-checks", creator.user_id)
    if count > settings.PROOF_CHECKS_PER_HOUR:
        _refuse("checked proof pages", settings.PROOF_CHECKS_PER_HOUR, "check them", ends)


# --- Shared counting machinery: Redis when the cache is Redis, the cache otherwise ----------------

# Options of Django's Redis cache that are Django's own, not redis-py connection options.
_DJANGO_CACHE_OPTIONS = ("serializer", "pool_class", "parser_class")
_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis | None:
    """A redis-py client on the default cache's Redis, made once per process (None: no Redis).

    Django's cache keeps its client private and builds a new client object per call, which cost
    as much as the round trip itself; a redis-py client is safe to share between threads and its
    pool reconnects after a fork. It is made from the cache's own settings: the first server of
    LOCATION (the one Django writes to) and OPTIONS.
    """
    config = settings.CACHES["default"]
    if not isinstance(caches["default"], RedisCache):
        return None
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


def cache_key(name: str) -> str:
    """`name` as Django's cache stores it (prefix and version), so both sides share counters."""
    return caches["default"].make_and_validate_key(name)


def count(counter: str, ttl: int, amount: int = 1) -> int:
    """Add `amount` to a counter that expires; its new total. One Redis round trip except when
    the counter is created (it then gets its expiry)."""
    client = redis_client()
    if client is not None:
        key = cache_key(counter)
        total = client.incrby(key, amount)
        if total == amount:  # this call created it: the window's expiry starts now
            client.expire(key, ttl)
        return total
    # Local-memory cache (development without Redis): same result, several calls.
    if cache.add(counter, amount, ttl):
        return amount
    try:
        return cache.incr(counter, amount)
    except ValueError:  # expired between add() and incr()
        cache.add(counter, amount, ttl)
        return amount


class Budget:
    """Units spent per scope (a platform) in fixed one-minute windows, counted in this process and
    reconciled with the shared total in batches.

    A request is admitted when this process's view of the window's total plus its cost stays
    within the limit. The view is the shared total last read plus what this process admitted
    since; it is sent (one INCRBY, which also reads the shared total back) once it reaches a
    batch of `fraction` of the limit, once `interval` seconds passed since the last exchange, or
    on every request once the view is within `near` of the limit. So each process holds back
    less than one batch, and the shared total can overshoot the limit by less than one batch per
    process (docs/operations.md, "Fair use"). A request that makes the shared total cross the
    limit is refused and its cost given back.
    """

    window = 60

    @dataclass
    class _Window:
        start: int
        known: int = 0  # the shared total as last read, this process's sends included
        pending: int = 0  # admitted here, not yet sent
        synced: float = 0.0

    def __init__(self, name: str):
        self.name = name
        self.lock = threading.Lock()
        self.windows: dict[object, Budget._Window] = {}

    def reset(self) -> None:
        with self.lock:
            self.windows.clear()

    def spent(self, scope, limit: int) -> tuple[bool, float]:
        """Whether this process already knows `scope` used up `limit` this minute (no round
        trip): a caller can refuse before working out what the request would cost."""
        now = time.time()
        start = int(now // self.window) * self.window
        state = self.windows.get(scope)
        used = state is not None and state.start == start and state.known + state.pending >= limit
        return used, start + self.window - now

    def charge(self, scope, cost: int, limit: int) -> tuple[bool, float]:
        """Spend `cost` of `scope`'s `limit` this minute: (admitted, seconds until the window
        ends)."""
        now = time.time()
        start = int(now // self.window) * self.window
        wait = start + self.window - now
        batch = max(1, int(limit * settings.API_THROTTLE_BATCH_FRACTION))
        near = limit * settings.API_THROTTLE_EXACT_FROM
        with self.lock:
            state = self.windows.get(scope)
            if state is None or state.start != start:
                if state is None and len(self.windows) > 10_000:
                    # Scopes of past windows; the current ones re-read their totals.
                    self.windows.clear()
                state = self.windows[scope] = self._Window(start, synced=now)
            view = state.known + state.pending + cost
            if view > limit:
                return False, wait
            if (
                state.pending + cost < batch
                and now - state.synced < settings.API_THROTTLE_SYNC_SECONDS
                and view <= near
            ):
                state.pending += cost
                return True, wait
            amount, state.pending = state.pending + cost, 0
        counter = f"budget:{self.name}:{scope}:{start}"
        total = count(counter, self.window + 5, amount)
        refused = total > limit
        if refused:  # this request crossed the limit: it is refused, so it costs nothing
            total = count(counter, self.window + 5, -cost)
        with self.lock:
            if self.windows.get(scope) is state:
                state.known = max(state.known, total)
                state.synced = now
        return not refused, wait


# --- Concurrency: a few heavy requests at a time per platform ----------------------------------

# Drops leases past their expiry, then takes one if fewer than the cap remain. A lease is a
# member of a sorted set scored by its expiry, so a worker that dies holding one frees it when
# the lease runs out, with nothing to clean up.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  redis.call('EXPIRE', KEYS[1], ARGV[5])
  return 1
end
return 0
"""
_local_leases: dict[str, dict[str, float]] = {}
_local_lock = threading.Lock()


@dataclass
class Lease:
    """One of a scope's concurrent slots; `release()` frees it (it also expires on its own)."""

    key: str
    token: str
    released: bool = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        client = redis_client()
        if client is not None:
            client.zrem(cache_key(self.key), self.token)
        else:
            with _local_lock:
                _local_leases.get(self.key, {}).pop(self.token, None)


def acquire_slot(name: str, scope, cap: int, lease_seconds: int) -> Lease | None:
    """A lease on one of `cap` concurrent slots of `scope`, or None when all are taken."""
    key = f"slots:{name}:{scope}"
    token = uuid.uuid4().hex
    now = time.time()
    client = redis_client()
    if client is not None:
        args = [now, cap, now + lease_seconds, token, lease_seconds + 5]
        taken = client.eval(_ACQUIRE, 1, cache_key(key), *args)
        return Lease(key, token) if taken else None
    with _local_lock:
        leases = _local_leases.setdefault(key, {})
        for held, expiry in list(leases.items()):
            if expiry <= now:
                del leases[held]
        if len(leases) >= cap:
            return None
        leases[token] = now + lease_seconds
    return Lease(key, token)


# --- Per address -------------------------------------------------------------------------------


def client_address(request) -> str:
    """The address a request came from: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT reverse
    proxies the entry of X-Forwarded-For the nearest trusted proxy added (entries further left
    are whatever the client chose to send, so they are never trusted)."""
    proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def address_exempt(address: str) -> bool:
    """Addresses in RATE_LIMIT_EXEMPT_ADDRESSES (e.g. a monitoring probe) are never limited."""
    networks = _exempt_networks(tuple(settings.RATE_LIMIT_EXEMPT_ADDRESSES))
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


@lru_cache(maxsize=8)
def _exempt_networks(texts: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(text, strict=False) for text in texts)


def _window() -> tuple[int, float]:
    now = time.time()
    start = int(now // 60) * 60
    return start, start + 60 - now


def count_address(kind: str, address: str, limit: int) -> tuple[bool, float]:
    """Count one request of `kind` from `address` this minute: (within the limit, seconds until
    the minute ends). Counted exactly in the shared cache: one round trip."""
    start, wait = _window()
    return count(f"addr:{kind}:{address}:{start}", 65) <= limit, wait


def address_over(kind: str, address: str, limit: int) -> tuple[bool, float]:
    """Whether `address` already used up `limit` of `kind` this minute, without counting."""
    start, wait = _window()
    return (cache.get(f"addr:{kind}:{address}:{start}") or 0) >= limit, wait
