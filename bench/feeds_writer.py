"""The writer of the `feeds` measure: one declaration a second, and how soon each shows.

    python bench/feeds_writer.py --base http://127.0.0.1:PORT --seconds 80 [--wait 90]

Run by bench/run.py with the bench's environment (Django configured for the bench database and
the broker the server and its Celery worker use). Every second it picks a track that has a link
on one of the large (sharded) hosts and whose link the host's shard does not reserve yet, and
reserves text and data mining for that track through `consent.services.declare`, as its owner
would. A second thread fetches the link's shard tdmrep.json from the server until the link's
rule says `tdm-reservation: 1`, and notes the delay from the commit. After `--seconds` it stops
writing and waits up to `--wait` seconds for the last changes to show. Prints one JSON line:
changes made, changes seen, the delays (median, max) and how many showed within 60 s.
"""

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
LIMIT_SECONDS = 60
LARGE_HOSTS = ("open.spotify.com", "youtube.com", "soundcloud.com", "music.apple.com")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--seconds", type=int, default=80)
    parser.add_argument("--wait", type=int, default=90)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    import django

    django.setup()
    from django.db import connection

    from consent.models import Creator, Track, TrackLink
    from consent.purposes import Purpose, Value
    from consent.services import PurposeChoice, declare
    from consent.standards import link_path, path_pattern, tdmrep_rules
    from registry.feed_store import url_hash
    from registry.feeds import HOST_LINK_COLUMNS, host_feed_from_rows

    base = urlsplit(args.base)

    def fetch(path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(base.hostname, base.port, timeout=10)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    indexes = {}
    for host in LARGE_HOSTS:
        status, body = fetch(f"/hosts/{host}/index.json")
        if status == 200:
            indexes[host] = json.loads(body)

    def shard_path(url: str) -> str:
        index = indexes[urlsplit(url).hostname]
        template = index["files"]["tdmrep.json"]
        shard = url_hash(url)[: index["shard_digits"]]
        return urlsplit(template.replace("{shard}", shard)).path

    def location(url: str) -> str:
        return path_pattern(link_path(url), exact=True)

    def shown(url: str) -> tuple[bool, dict | None]:
        """Whether the shard answered, and the link's rule in it (None: no rule)."""
        status, body = fetch(shard_path(url))
        if status == 404:
            return True, None
        if status != 200:
            return False, None
        rules = [r for r in json.loads(body) if r["location"] == location(url)]
        return True, rules[0] if rules else None

    def expected(url: str) -> dict | None:
        """The link's rule as the registry's own code writes it from the stored policies."""
        rows = list(
            TrackLink.objects.filter(url=url).order_by("url", "id").values(*HOST_LINK_COLUMNS)
        )
        feed = host_feed_from_rows(urlsplit(url).hostname, rows)
        if feed is None:
            return None
        rules = [r for r in tdmrep_rules(feed.paths) if r["location"] == location(url)]
        return rules[0] if rules else None

    # Candidates: a link on a large host, and the claimant who added it (its owner).
    rng = random.Random(42)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT l.track_id, l.added_by_id, l.url FROM consent_tracklink l
            TABLESAMPLE SYSTEM (1)
            WHERE l.hidden_at IS NULL AND l.host = ANY(%s)
            LIMIT 2000
            """,
            [list(indexes)],
        )
        candidates = cursor.fetchall()
    rng.shuffle(candidates)

    pending: dict[str, tuple[float, dict | None]] = {}
    delays: list[float] = []
    lock = threading.Lock()
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set() or pending:
            with lock:
                items = list(pending.items())
            for url, (committed, rule) in items:
                answered, now = shown(url)
                if answered and now == rule:
                    with lock:
                        pending.pop(url, None)
                        delays.append(time.monotonic() - committed)
            if (
                stop.is_set()
                and items
                and time.monotonic() - min(c for _, (c, _) in items) > (args.wait)
            ):
                return
            time.sleep(0.5)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    made = 0
    write_seconds: list[float] = []
    started = time.monotonic()
    while time.monotonic() - started < args.seconds and candidates:
        tick = time.monotonic()
        track_id, creator_id, url = candidates.pop()
        answered, before = shown(url)
        if not answered:
            continue
        began = time.monotonic()
        try:
            declare(
                Creator.objects.get(pk=creator_id),
                {Purpose.TDM: PurposeChoice(Value.DENY)},
                track=Track.objects.get(pk=track_id),
            )
        except Exception as error:  # a claim that ended in the seed: the next candidate
            sys.stderr.write(f"skipped track {track_id}: {error}\n")
            continue
        done = time.monotonic()
        write_seconds.append(done - began)
        after = expected(url)
        if after == before:
            continue  # the link's rule was already this: nothing for the file to show
        with lock:
            pending[url] = (done, after)
        made += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    stop.set()
    watcher.join(timeout=args.wait + 30)
    within = sum(1 for d in delays if d <= LIMIT_SECONDS)
    print(
        json.dumps(
            {
                "changes": made,
                "seen": len(delays),
                "within_60s": within,
                "delay_median_s": statistics.median(delays) if delays else None,
                "delay_max_s": max(delays) if delays else None,
                "write_median_ms": statistics.median(write_seconds) * 1000 if made else None,
            }
        )
    )


if __name__ == "__main__":
    main()
