"""The feeds that cover many tracks, built in the background and served as last built.

Which files: each host's robots.txt, ai.txt, rsl.xml and tdmrep.json (one set per shard once a
host is large), each host's shard index, each creator's registry licence, and the pages of
/hosts/. A request reads one stored row (`read`) and never builds; the builder (`refresh`, run by
the `registry.tasks.refresh_feeds` task) reads the change log from where it stopped and rebuilds
exactly the files the new events touch:

- an event names its track's visible links before and after the change, so the builder knows
  every host shard that lists (or listed) them, removed links included;
- a host's shard is the first `depth` hex digits of the MD5 of a link's normalized URL, so one
  link always lands in the same shard and the shard's rows are one range of an index
  (`tracklink_host_md5_idx`); `depth` grows with the host (`shard_depth`) so that no file
  outgrows what crawlers read;
- the tracks' active claims name the creators whose licences list them.

A change schedules one rebuild FEED_REBUILD_DELAY seconds after its commit (debounced through
the cache, so a burst costs one), the beat task every 30 s catches a schedule that was lost, and
a request that finds the builder behind for longer kicks it (`read`). The builder holds a
PostgreSQL advisory lock while it works: however many are started, one builds (single-flight)
and the others return at once; the one that builds loops until it has caught up.

With tasks in process (no broker: `make run`, the tests) the rebuild runs right after the commit,
and a request that finds the builder behind runs it before answering, so a page always shows the
change just made. Only then does a request build anything; `request_builds()` counts those
builds, and the bench checks that with a worker it stays at zero.
"""

import hashlib
import json
import logging
import math
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F
from django.db.models.functions import MD5
from django.urls import reverse
from django.utils import timezone

from consent.identifiers import url_host
from consent.models import (
    ChangeEvent,
    Claim,
    Creator,
    FeedFile,
    FeedHost,
    FeedState,
    SequenceCounter,
    TrackLink,
)
from registry.feeds import (
    CHUNK,
    HOST_LINK_COLUMNS,
    JSON,
    TEXT,
    Document,
    HostFeed,
    host_feed_from_rows,
    site_url,
)

logger = logging.getLogger(__name__)

# The kinds of file every host (and every shard) has: the URL name's suffix and the file name.
HOST_KINDS: tuple[tuple[str, str], ...] = (
    ("robots", "robots.txt"),
    ("ai_txt", "ai.txt"),
    ("rsl", "rsl.xml"),
    ("tdmrep", "tdmrep.json"),
)
HOSTS_PER_PAGE = 100
CHANGES = "changes"  # FeedState: the last change event applied
HOST_LIST = "hosts"  # FeedState: the number of hosts in the last host list
HOST_LIST_DIRTY = "hosts-dirty"  # FeedState: 1 when links changed since the host list was built
REQUEST_BUILDS = "request-builds"  # FeedState: builds that ran inside a request
LICENCE_MARK = "licence:"  # FeedState: a creator whose licence waits to be rebuilt
LOCK_KEY = 0x46454544  # the builder's advisory lock ("FEED")
SCHEDULED = "feeds:refresh-scheduled"
KICKED = "feeds:refresh-kicked"
EVENT_BATCH = 5000
SMALL_HOSTS_BATCH = 500
REFRESH_SECONDS = 120

_LOCAL_LOCK = threading.Lock()
_in_request: ContextVar[bool] = ContextVar("feed_build_in_request", default=False)


# --- Keys ---------------------------------------------------------------------------------


def host_key(host: str, name: str, shard: str = "") -> str:
    """`name` is a file name of HOST_KINDS, or `index.json`."""
    return f"host/{host}/shards/{shard}/{name}" if shard else f"host/{host}/{name}"


def licence_key(public_id: UUID) -> str:
    return f"licence/{public_id}"


def hosts_page_key(number: int) -> str:
    return f"hosts/{number}"


# --- Shards -------------------------------------------------------------------------------


def shard_depth(links: int) -> int:
    """How many hex digits name a host's shards: none while the host fits in one file."""
    per_shard = settings.FEED_SHARD_LINKS
    if links <= per_shard:
        return 0
    return math.ceil(math.log(links / per_shard, 16))


def url_hash(url: str) -> str:
    """What PostgreSQL's md5() gives for the URL: the shard is its first digits."""
    return hashlib.md5(url.encode("utf-8"), usedforsecurity=False).hexdigest()


def shard_of(url: str, depth: int) -> str:
    return url_hash(url)[:depth]


def _host_links(host: str):
    return TrackLink.objects.filter(host=host).alias(digest=MD5("url"))


# --- Storing ------------------------------------------------------------------------------


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha256(data).hexdigest() + '"'


STORE_SQL = """
INSERT INTO consent_feedfile (key, status, body, content_type, etag, last_modified, built_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (key) DO UPDATE SET status = EXCLUDED.status, body = EXCLUDED.body,
    content_type = EXCLUDED.content_type, etag = EXCLUDED.etag,
    last_modified = EXCLUDED.last_modified, built_at = EXCLUDED.built_at
"""


def store(key: str, document: Document, status: int = 200) -> None:
    """Replace one file, atomically: a reader sees the old bytes or the new ones."""
    store_many([(key, document, status)])


def store_many(files: list[tuple[str, Document, int]]) -> None:
    """Replace several files in one statement: a shard's four, or a page of the host list."""
    if not files:
        return
    now = timezone.now()
    rows = []
    for key, document, status in files:
        data = document.body.encode("utf-8")
        rows.append(
            (key, status, data, document.content_type, _etag(data), document.last_modified, now)
        )
    with connection.cursor() as cursor:
        cursor.executemany(STORE_SQL, rows)
    for _ in files:
        _count_request_build()


def _count_request_build() -> None:
    if _in_request.get():
        _bump(REQUEST_BUILDS)


def _bump(name: str) -> None:
    now = timezone.now()
    updated = FeedState.objects.filter(name=name).update(value=F("value") + 1, updated_at=now)
    if not updated:
        FeedState.objects.get_or_create(name=name, defaults={"value": 1, "updated_at": now})


def request_builds() -> int:
    """Files built inside a request (only ever with tasks in process); zero with a worker."""
    row = FeedState.objects.filter(name=REQUEST_BUILDS).values_list("value", flat=True).first()
    return row or 0


def _state(name: str) -> FeedState:
    state, _ = FeedState.objects.get_or_create(name=name, defaults={"updated_at": timezone.now()})
    return state


def _set_state(name: str, value: int) -> None:
    FeedState.objects.update_or_create(
        name=name, defaults={"value": value, "updated_at": timezone.now()}
    )


# --- Building a host ----------------------------------------------------------------------


def _store_feed(feed: HostFeed) -> None:
    store_many(
        [
            (host_key(feed.host, "robots.txt", feed.shard), feed.robots_txt(), 200),
            (host_key(feed.host, "ai.txt", feed.shard), feed.ai_txt(), 200),
            (host_key(feed.host, "rsl.xml", feed.shard), feed.rsl(), 200),
            (host_key(feed.host, "tdmrep.json", feed.shard), feed.tdmrep_json(), 200),
        ]
    )


def _remove_shard(host: str, shard: str) -> None:
    FeedFile.objects.filter(
        key__in=[host_key(host, name, shard) for _, name in HOST_KINDS]
    ).delete()


def build_shards(host: str, depth: int, shards: Iterable[str]) -> int:
    """Rebuild some shards of a host (all its links when depth is 0); the number built."""
    built = 0
    for shard in sorted(set(shards)):
        links = _host_links(host)
        if depth:
            links = links.filter(digest__gte=shard, digest__lt=shard + "g")
        rows = links.order_by("url", "id").values(*HOST_LINK_COLUMNS)
        # A shard is small (a host of one shard too), so it is read at once: through a
        # server-side cursor PostgreSQL plans for the first rows and walks the whole URL index in
        # URL order instead (10 s, not 50 ms, at a million links).
        feed = host_feed_from_rows(host, list(rows), shard)
        if feed is None:
            if depth:
                _remove_shard(host, shard)
            else:
                _remove_host(host)
            continue
        _store_feed(feed)
        built += 1
    return built


def build_host(host: str, depth: int) -> int:
    """Every file of a host at a depth, in one pass over its links in MD5 order.

    Files of another depth (the host grew or shrank) are removed first, so no stale shard stays
    reachable.
    """
    with transaction.atomic():
        FeedFile.objects.filter(key__startswith=f"host/{host}/").delete()
        if depth == 0:
            built = build_shards(host, 0, [""])
        else:
            rows = (
                _host_links(host)
                .annotate(shard_digest=F("digest"))
                .order_by("digest", "url", "id")
                .values("shard_digest", *HOST_LINK_COLUMNS)
            )
            built = 0
            for shard, group in groupby(
                rows.iterator(chunk_size=CHUNK), key=lambda row: row["shard_digest"][:depth]
            ):
                feed = host_feed_from_rows(host, group, shard)
                if feed is not None:
                    _store_feed(feed)
                    built += 1
            _store_sharded_pointers(host)
        _store_index(host, depth)
    return built


def _store_sharded_pointers(host: str) -> None:
    """The single-file URLs of a sharded host: they name the index instead of one giant file.

    robots.txt and ai.txt answer comments only, which a parser reads as "no rule here" (true of
    this URL); the JSON and XML files answer 404 with a problem document naming the index.
    """
    index = site_url(reverse("host_index", args=[host]))
    lines = [
        f"# The registered links on {host} are too many for one file: they are split into",
        "# shards by the MD5 of each link's normalized URL. The index says how to find the",
        f"# shard of a URL, and lists every shard's files: {index}",
    ]
    text = Document("\n".join(lines) + "\n", TEXT, timezone.now())
    store(host_key(host, "robots.txt"), text)
    store(host_key(host, "ai.txt"), text)
    problem = {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": f"The links on {host} are split into shards; their index is at {index}",
    }
    body = Document(json.dumps(problem) + "\n", "application/problem+json", None)
    store(host_key(host, "rsl.xml"), body, status=404)
    store(host_key(host, "tdmrep.json"), body, status=404)


def _store_index(host: str, depth: int) -> None:
    store(host_key(host, "index.json"), _index(host, depth))


def _index(host: str, depth: int) -> Document:
    """The host's index, a fixed size at any number of links: how to name a URL's shard, and
    the URL template of each kind of file (as a sitemap index lists its sitemaps)."""
    if depth:
        placeholder = "0" * depth
        files = {
            name: site_url(reverse(f"host_shard_{kind}", args=[host, placeholder])).replace(
                f"/shards/{placeholder}/", "/shards/{shard}/"
            )
            for kind, name in HOST_KINDS
        }
    else:
        files = {name: site_url(reverse(f"host_{kind}", args=[host])) for kind, name in HOST_KINDS}
    index = {
        "host": host,
        "shard_digits": depth,
        "shards": 16**depth if depth else 1,
        "shard_of_url": (
            "the first shard_digits hex digits of the MD5 of the link's URL as the registry "
            "normalizes it (https, lowercase host, no trailing slash, sorted query without "
            "tracking parameters); a shard with no links answers 404"
            if depth
            else "one shard: every link is in the host's own files"
        ),
        "files": files,
    }
    return Document(json.dumps(index, indent=2) + "\n", JSON, None)


def _remove_host(host: str) -> None:
    FeedFile.objects.filter(key__startswith=f"host/{host}/").delete()
    FeedHost.objects.filter(host=host).delete()


# --- The host list ------------------------------------------------------------------------


@dataclass(frozen=True)
class HostRow:
    host: str
    tracks: int


def build_host_list() -> int:
    """Count every host's links and tracks, store /hosts/ page by page, and rebuild every host
    whose shard depth changed (or that is new); the number of hosts."""
    counts = (
        TrackLink.objects.values("host")
        .annotate(links=Count("id"), tracks=Count("track", distinct=True))
        .order_by("-tracks", "host")
    )
    known = {
        host: (links, tracks, depth, rank)
        for host, links, tracks, depth, rank in FeedHost.objects.values_list(
            "host", "links", "tracks", "depth", "rank"
        )
    }
    seen: set[str] = set()
    rows: list[list] = []
    changed: list[FeedHost] = []
    rebuild: list[FeedHost] = []
    for rank, row in enumerate(counts.iterator(chunk_size=CHUNK)):
        host = row["host"]
        entry = FeedHost(host, row["links"], row["tracks"], shard_depth(row["links"]), rank)
        seen.add(host)
        current = known.get(host)
        if current is None or current[2] != entry.depth:
            # Recorded once its files are built: a builder stopped half-way builds it again.
            rebuild.append(entry)
        elif current != (entry.links, entry.tracks, entry.depth, entry.rank):
            changed.append(entry)
        rows.append([host, row["tracks"]])
    FeedHost.objects.bulk_create(
        changed,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["host"],
        update_fields=["links", "tracks", "depth", "rank"],
    )
    total = len(rows)
    pages = [rows[i : i + HOSTS_PER_PAGE] for i in range(0, total, HOSTS_PER_PAGE)] or [[]]
    number = len(pages)
    store_many(
        [
            (hosts_page_key(n), Document(json.dumps(page), JSON, None), 200)
            for n, page in enumerate(pages, start=1)
        ]
    )
    FeedFile.objects.filter(key__startswith="hosts/").exclude(
        key__in=[hosts_page_key(n) for n in range(1, number + 1)]
    ).delete()
    for host in set(known) - seen:
        _remove_host(host)
    _set_state(HOST_LIST, total)
    # Until every host below is built: a run stopped half-way leaves the list to build again.
    _set_state(HOST_LIST_DIRTY, 1)
    # New hosts of one shard are built many at a time; a host that shrank to one shard is
    # built alone, so that its shard files go.
    small = [entry for entry in rebuild if entry.depth == 0 and entry.host not in known]
    for start in range(0, len(small), SMALL_HOSTS_BATCH):
        batch = small[start : start + SMALL_HOSTS_BATCH]
        build_small_hosts([entry.host for entry in batch])
        FeedHost.objects.bulk_create(
            batch,
            update_conflicts=True,
            unique_fields=["host"],
            update_fields=["links", "tracks", "depth", "rank"],
        )
    for entry in rebuild:
        if entry.depth or entry.host in known:
            build_host(entry.host, entry.depth)
            entry.save()
    _set_state(HOST_LIST_DIRTY, 0)
    return total


def build_small_hosts(hosts: list[str]) -> None:
    """The files of many one-shard hosts at once: one query for all their links, one statement
    for all their files (a registry has tens of thousands of small hosts, one per artist's own
    site)."""
    rows = (
        TrackLink.objects.filter(host__in=hosts)
        .order_by("host", "url", "id")
        .values("host", *HOST_LINK_COLUMNS)
    )
    files: list[tuple[str, Document, int]] = []
    with transaction.atomic():
        FeedFile.objects.filter(
            key__in=[host_key(host, name) for host in hosts for _, name in HOST_KINDS]
        ).delete()
        for host, group in groupby(rows.iterator(chunk_size=CHUNK), key=lambda row: row["host"]):
            feed = host_feed_from_rows(host, group)
            if feed is None:
                continue
            files += [
                (host_key(host, "robots.txt"), feed.robots_txt(), 200),
                (host_key(host, "ai.txt"), feed.ai_txt(), 200),
                (host_key(host, "rsl.xml"), feed.rsl(), 200),
                (host_key(host, "tdmrep.json"), feed.tdmrep_json(), 200),
            ]
        files += [(host_key(host, "index.json"), _index(host, 0), 200) for host in hosts]
        store_many(files)


def hosts_page(number: int) -> tuple[int, list[HostRow]]:
    """The number of hosts and one page of them, as last counted: two reads by primary key."""
    total = FeedState.objects.filter(name=HOST_LIST).values_list("value", flat=True).first() or 0
    body = FeedFile.objects.filter(key=hosts_page_key(number)).values_list("body", flat=True)
    data = body.first()
    rows = json.loads(bytes(data)) if data is not None else []
    return total, [HostRow(host, tracks) for host, tracks in rows]


# --- Creators -----------------------------------------------------------------------------


def build_creator_licence(creator: Creator) -> None:
    from registry.kit import creator_kit

    store(licence_key(creator.public_id), creator_kit(creator).registry_rsl())


# --- The builder --------------------------------------------------------------------------


@contextmanager
def _single_flight() -> Iterator[bool]:
    """Whether this process may build: one builder at a time, across every machine.

    On SQLite (a checkout with no DATABASE_URL, one machine) a lock in the process does.
    """
    if connection.vendor != "postgresql":
        locked = _LOCAL_LOCK.acquire(blocking=False)
        try:
            yield locked
        finally:
            if locked:
                _LOCAL_LOCK.release()
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        (locked,) = cursor.fetchone()
    try:
        yield locked
    finally:
        if locked:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def in_process() -> bool:
    """Tasks run in the calling process (no broker): `make run` and the tests."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


@dataclass
class RefreshResult:
    busy: bool = False
    events: int = 0
    shards: int = 0
    creators: int = 0
    hosts: int | None = None


def refresh() -> RefreshResult:
    """Apply every change event since the last run to the files it touches (see the module)."""
    with _single_flight() as locked:
        if not locked:
            return RefreshResult(busy=True)
        result = RefreshResult()
        if not FeedState.objects.filter(name=HOST_LIST).exists():
            # The first run: every host's files, then the events from here on.
            last = SequenceCounter.objects.values_list("value", flat=True).first() or 0
            result.hosts = build_host_list()
            _set_state(CHANGES, last)
        # Until caught up: a run that found the lock taken has returned, trusting this one. A
        # run that has worked for REFRESH_SECONDS under a steady stream of changes hands over to
        # a fresh task, so that no task outlives the worker's time limit.
        started = time.monotonic()
        while True:
            if time.monotonic() - started > REFRESH_SECONDS:
                _hand_over()
                break
            while _apply_events(result):
                pass
            _build_marked_licences(result)
            if (
                not _events_waiting()
                and not FeedState.objects.filter(name__startswith=LICENCE_MARK).exists()
            ):
                break
        dirty = _state(HOST_LIST_DIRTY)
        if dirty.value:
            age = timezone.now() - _state(HOST_LIST).updated_at
            if in_process() or age >= timedelta(seconds=settings.FEED_HOST_LIST_SECONDS):
                result.hosts = build_host_list()
        return result


def _hand_over() -> None:
    from registry.tasks import refresh_feeds

    if not in_process():
        transaction.on_commit(refresh_feeds.delay)


def _apply_events(result: RefreshResult) -> bool:
    """One batch of events; False once there are none left."""
    after = _state(CHANGES).value
    events = list(
        ChangeEvent.objects.filter(sequence__gt=after)
        .order_by("sequence")
        .values("sequence", "track_id", "links", "previous_links")[:EVENT_BATCH]
    )
    if not events:
        return False
    urls: set[str] = set()
    links_changed = False
    for event in events:
        now, before = event["links"] or [], event["previous_links"] or []
        urls.update(now, before)
        links_changed = links_changed or now != before
    by_host: dict[str, set[str]] = {}
    for url in urls:
        host = url_host(url)
        if host:
            by_host.setdefault(host, set()).add(url)
    depths = dict(FeedHost.objects.filter(host__in=list(by_host)).values_list("host", "depth"))
    for host, host_urls in sorted(by_host.items()):
        depth = depths.get(host)
        if depth is None:
            links_changed = True  # a new host: the host list will count it
            depth = 0
        result.shards += build_shards(host, depth, {shard_of(u, depth) for u in host_urls})
    track_ids = {event["track_id"] for event in events}
    # Every claim, ended ones too: a creator whose claim ended must stop listing the track.
    # Their licences read whole catalogues, so they are marked here, in the same transaction as
    # the position in the log, and built after every shard (`_build_marked_licences`).
    creator_ids = set(
        Claim.objects.filter(track_id__in=track_ids).values_list("creator_id", flat=True)
    )
    now = timezone.now()
    with transaction.atomic():
        FeedState.objects.bulk_create(
            [FeedState(f"{LICENCE_MARK}{pk}", 0, now) for pk in sorted(creator_ids)],
            ignore_conflicts=True,
        )
        if links_changed:
            _set_state(HOST_LIST_DIRTY, 1)
        _set_state(CHANGES, events[-1]["sequence"])
    result.events += len(events)
    return True


def _build_marked_licences(result: RefreshResult) -> None:
    """The licences of the creators whose tracks changed, each once however many changes."""
    marks = list(
        FeedState.objects.filter(name__startswith=LICENCE_MARK).values_list("name", flat=True)
    )
    ids = [int(name.removeprefix(LICENCE_MARK)) for name in marks]
    for creator in Creator.objects.filter(id__in=ids).iterator(chunk_size=CHUNK):
        # The mark goes first: a change while the licence is built marks it again.
        FeedState.objects.filter(name=f"{LICENCE_MARK}{creator.pk}").delete()
        build_creator_licence(creator)
        result.creators += 1
        if _events_waiting():
            return  # the shards come first; the other marks wait for the next round
    FeedState.objects.filter(name__in=marks).delete()  # creators that no longer exist


def _events_waiting() -> bool:
    after = _state(CHANGES).value
    return ChangeEvent.objects.filter(sequence__gt=after).exists()


def schedule_refresh() -> None:
    """After a commit: one rebuild FEED_REBUILD_DELAY seconds later, whatever commits meanwhile.

    With tasks in process it runs at once, so the page after a change shows it.
    """
    from registry.tasks import refresh_feeds

    if in_process():
        refresh_feeds.delay()
        return
    delay = settings.FEED_REBUILD_DELAY
    try:
        first = cache.add(SCHEDULED, 1, timeout=max(delay, 1))
    except Exception:  # the cache is away: better a rebuild too many than one lost
        logger.warning("feeds: the cache is unavailable, scheduling without debounce")
        first = True
    if first:
        refresh_feeds.apply_async(countdown=delay)


def on_changes_committed(sender, last_sequence: int, **kwargs) -> None:
    """Receiver of `consent.signals.changes_committed`, sent after the commit."""
    try:
        schedule_refresh()
    except Exception:  # the change is committed; the beat task rebuilds what this missed
        logger.exception("Scheduling the feeds' rebuild failed; the beat task will do it.")


# --- Reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stored:
    status: int
    body: bytes
    content_type: str
    etag: str
    last_modified: datetime | None


READ_SQL = """
SELECT s.value - COALESCE(c.value, 0), c.updated_at,
       f.status, f.body, f.content_type, f.etag, f.last_modified
FROM (SELECT 1) one
LEFT JOIN consent_sequencecounter s ON s.id = 1
LEFT JOIN consent_feedstate c ON c.name = %s
LEFT JOIN consent_feedfile f ON f.key = %s
"""


def read(key: str) -> Stored | None:
    """The file as last built, in one query by primary key; None if it was never built.

    The same query says how far the builder is behind the change log. Behind for longer than
    its schedule allows means the scheduled rebuild was lost: the request kicks one, once across
    every process (the cache's add is the single flight), and still answers with the stored
    copy. With tasks in process the rebuild runs here, before the answer.
    """
    row = _read_row(key)
    lag, applied_at = row[0] or 0, row[1]
    if lag > 0 or applied_at is None:
        if in_process():
            token = _in_request.set(True)
            try:
                refresh()
            finally:
                _in_request.reset(token)
            row = _read_row(key)
        elif applied_at is None or timezone.now() - applied_at > timedelta(
            seconds=settings.FEED_REBUILD_DELAY + 10
        ):
            _kick()
    if row[2] is None:
        return None
    return Stored(row[2], bytes(row[3]), row[4], row[5], row[6])


def _read_row(key: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(READ_SQL, [CHANGES, key])
        return cursor.fetchone()


def _kick() -> None:
    from registry.tasks import refresh_feeds

    try:
        first = cache.add(KICKED, 1, timeout=30)
    except Exception:
        logger.warning("feeds: the cache is unavailable, not kicking the builder")
        return
    if first:
        refresh_feeds.delay()


def request_creator_licence(creator: Creator) -> None:
    """A creator's licence that was never built: build it in the background, once."""
    from registry.tasks import build_creator_licence_task

    if in_process():
        token = _in_request.set(True)
        try:
            build_creator_licence(creator)
        finally:
            _in_request.reset(token)
        return
    try:
        first = cache.add(f"feeds:licence:{creator.public_id}", 1, timeout=60)
    except Exception:
        first = True
    if first:
        build_creator_licence_task.delay(creator.pk)
