"""A local mirror of the whole registry in one SQLite file, answering as the live lookup does.

The mirror is loaded from `GET /api/v1/snapshot` and then follows `GET /api/v1/changes`. Every
page of events is applied in one SQLite transaction together with the cursor (the last sequence
applied), so a crash at any point leaves either the page and its cursor or neither: the next run
resumes from the cursor and never skips or applies an event twice.

What it stores per track is the answer the live lookup gives: the identifiers a lookup keys on
(id, ISRC, ISWC, audio SHA-256, visible links), the title and artist credit, the API's `policy`
(per purpose the value, its `source` and a licence's `terms`), whether it is disputed, how far
its claims are verified, and the sequence of its last change. The snapshot carries all of that;
a change event carries the values but not their sources, so `sync` asks the registry for the
current answer of every track a page of events changed and keeps it when it is the answer at
that event (its `sequence` is the event's). Beside the policy, `vals` holds the five values
alone, which is all a manifest check reads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from registry_client.api import ApiError, Registry
from registry_client.progress import Progress
from registry_client.urls import InvalidIdentifier, normalize

PURPOSES = ("tdm", "train-ai", "train-genai", "ai-input", "search")
# Most restrictive last: when several tracks share an identifier, the most restrictive wins.
RANK = {"unset": 0, "allow": 1, "license": 2, "deny": 3}
UNSET = {"value": "unset", "source": None}
FILENAME = "registry-mirror.sqlite3"
# The layout of the tables: a mirror written by an older client (before the policies' sources,
# or `vals` on links) is emptied on opening, and the next `sync` reloads it from a snapshot.
FORMAT = "3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tracks (
    id TEXT PRIMARY KEY,
    ord INTEGER NOT NULL,
    isrc TEXT,
    iswc TEXT,
    sha256 TEXT,
    title TEXT,
    artist_credit TEXT,
    disputed INTEGER NOT NULL DEFAULT 0,
    verification TEXT,
    policy TEXT NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0,
    links TEXT NOT NULL DEFAULT '[]',
    vals TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS tracks_isrc ON tracks (isrc);
CREATE INDEX IF NOT EXISTS tracks_iswc ON tracks (iswc);
CREATE INDEX IF NOT EXISTS tracks_sha256 ON tracks (sha256);
-- Each visible link with its track's order and values, so that judging a link reads this table
-- alone.
CREATE TABLE IF NOT EXISTS links (
    url TEXT NOT NULL,
    track_id TEXT NOT NULL,
    ord INTEGER NOT NULL DEFAULT 0,
    vals TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (url, track_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS incomplete (track_id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS webhooks (
    id TEXT PRIMARY KEY, received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP, until INTEGER
);
"""
_SELECT = (
    "SELECT id, ord, isrc, iswc, sha256, title, artist_credit, disputed, verification, policy, "
    "sequence, links FROM tracks "
)
_BY_KIND = {
    "isrc": _SELECT + "WHERE isrc = ? ORDER BY ord",
    "iswc": _SELECT + "WHERE iswc = ? ORDER BY ord",
    "sha256": _SELECT + "WHERE sha256 = ? ORDER BY ord",
    "track": _SELECT + "WHERE id = ? ORDER BY ord",
    "url": _SELECT + "WHERE id IN (SELECT track_id FROM links WHERE url = ?) ORDER BY ord",  # noqa: S608
}


def values_of(policy: dict) -> str:
    """The five values of an API policy, comma-separated in the order of PURPOSES."""
    return ",".join((policy.get(p) or UNSET).get("value", "unset") for p in PURPOSES)


def _policy_from_event(policy: dict) -> dict:
    """A change event's policy (a value per purpose, `terms` of licences) in the API's shape.

    An event does not say which declaration a value comes from, so `source` is null until the
    track's answer is read from the registry (`sync`, or `listen` with the registry's address);
    nor whether a licence's terms are withheld, which the registry does by blanking them.
    """
    terms = policy.get("terms") or {}
    kept = {}
    for purpose in PURPOSES:
        entry: dict = {"value": policy.get(purpose, "unset"), "source": None}
        if entry["value"] == "license":
            given = terms.get(purpose) or {}
            url, email = given.get("terms_url", ""), given.get("contact_email", "")
            entry["terms"] = {
                "terms_url": url,
                "contact_email": email,
                "withheld": not url and not email,
            }
        kept[purpose] = entry
    return kept


def _verified(item: dict) -> bool:
    return ((item.get("source") or {}).get("verification") or {}).get("status") == "verified"


def combine_policies(policies: Iterable[dict]) -> dict:
    """Several tracks share an identifier: per purpose the most restrictive answer, and between
    equally restrictive ones a verified source's (as the registry combines them)."""
    combined: dict = {}
    for policy in policies:
        for purpose in PURPOSES:
            item = policy[purpose]
            current = combined.get(purpose)
            if (
                current is None
                or RANK[item["value"]] > RANK[current["value"]]
                or (
                    RANK[item["value"]] == RANK[current["value"]]
                    and _verified(item)
                    and not _verified(current)
                )
            ):
                combined[purpose] = item
    return combined


def combine_verification(summaries: Iterable[dict | None]) -> dict:
    """How far the claims of several tracks sharing an identifier are proven, all together:
    `verified` when every active claim is, `unverified` when none is, `partly-verified` in
    between, `unclaimed` when nobody claims them (as the registry combines them)."""
    verified = pending = 0
    for summary in summaries:
        verified += (summary or {}).get("verified_claims", 0)
        pending += (summary or {}).get("unverified_claims", 0)
    if not verified and not pending:
        status = "unclaimed"
    elif not pending:
        status = "verified"
    elif not verified:
        status = "unverified"
    else:
        status = "partly-verified"
    return {"status": status, "verified_claims": verified, "unverified_claims": pending}


class Mirror:
    """The mirror in `directory` (created when missing). Safe to share between threads."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / FILENAME
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.lock = threading.RLock()
        with self.lock:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            tables = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
            written = None
            if "meta" in tables:
                row = self.db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
                written = row[0] if row else None
            if "tracks" in tables and written != FORMAT:
                # An older layout: emptied, and reloaded from a snapshot by the next sync.
                self.db.executescript(
                    "BEGIN IMMEDIATE; DROP TABLE tracks; DROP TABLE IF EXISTS links; "
                    "DROP TABLE IF EXISTS incomplete; "
                    "DELETE FROM meta WHERE key IN ('cursor', 'snapshot_sequence'); COMMIT;"
                )
            self.db.executescript(SCHEMA)
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES ('format', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (FORMAT,),
            )

    def close(self) -> None:
        self.db.close()

    # A mirror travels between processes as its directory (a `datasets` filter with
    # `num_proc`, a multiprocessing pool): each process opens its own connection.
    def __getstate__(self) -> dict:
        return {"directory": str(self.directory)}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["directory"])  # type: ignore[misc]

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self):
        """One write transaction: everything inside commits together or not at all."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # --- State ----------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: object) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, str(value)),
        )

    @property
    def cursor(self) -> int | None:
        """The last change sequence applied; None before the first snapshot."""
        value = self.get_meta("cursor")
        return None if value is None else int(value)

    def track_count(self) -> int:
        with self.lock:
            return self.db.execute("SELECT count(*) FROM tracks").fetchone()[0]

    # --- Writing --------------------------------------------------------------------------------

    def load_snapshot(
        self,
        sequence: int,
        lines: Iterable[bytes],
        registry_url: str = "",
        on_line: Callable[[int], None] | None = None,
    ) -> int:
        """Replace everything with a snapshot's lines, consistent with `sequence`, in one
        transaction. Returns the number of tracks."""
        count = 0
        with self.transaction() as db:
            db.execute("DELETE FROM tracks")
            db.execute("DELETE FROM links")
            db.execute("DELETE FROM incomplete")
            tracks: list[tuple] = []
            links: list[tuple] = []
            for line in lines:
                answer = json.loads(line)
                track = answer["track"]
                count += 1
                policy = answer.get("policy") or {}
                tracks.append(
                    (
                        track["id"],
                        count,
                        track.get("isrc"),
                        track.get("iswc"),
                        track.get("audio_sha256"),
                        track.get("title"),
                        track.get("artist_credit"),
                        int(bool(answer.get("disputed"))),
                        json.dumps(answer.get("verification")),
                        json.dumps(policy),
                        answer.get("sequence") or 0,
                        json.dumps(track.get("links") or []),
                        values_of(policy),
                    )
                )
                vals = tracks[-1][-1]
                links.extend((url, track["id"], count, vals) for url in track.get("links") or [])
                if len(tracks) >= 5000:
                    self._insert(db, tracks, links)
                    tracks, links = [], []
                if on_line:
                    on_line(count)
            self._insert(db, tracks, links)
            self._set_meta("cursor", sequence)
            self._set_meta("snapshot_sequence", sequence)
            if registry_url:
                self._set_meta("registry", registry_url)
        return count

    @staticmethod
    def _insert(db: sqlite3.Connection, tracks: list[tuple], links: list[tuple]) -> None:
        db.executemany(
            "INSERT INTO tracks (id, ord, isrc, iswc, sha256, title, artist_credit, disputed, "
            "verification, policy, sequence, links, vals) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tracks,
        )
        db.executemany(
            "INSERT OR IGNORE INTO links (url, track_id, ord, vals) VALUES (?, ?, ?, ?)", links
        )

    def _apply_event(self, db: sqlite3.Connection, event: dict) -> None:
        track = event["track"]
        track_id = str(track["id"])
        policy = event.get("policy") or {}
        row = db.execute("SELECT links, ord FROM tracks WHERE id = ?", (track_id,)).fetchone()
        links = track.get("links")
        if links is None:  # recorded before link changes were events: links unchanged
            links = json.loads(row[0]) if row else []
        answer_policy = _policy_from_event(policy)
        values = (
            track.get("isrc"),
            track.get("iswc"),
            track.get("audio_sha256"),
            int(bool(event.get("disputed", policy.get("disputed")))),
            json.dumps(policy.get("verification")),
            json.dumps(answer_policy),
            event["sequence"],
            json.dumps(links),
            values_of(answer_policy),
        )
        if row is None:
            (last,) = db.execute("SELECT coalesce(max(ord), 0) FROM tracks").fetchone()
            order = last + 1
            db.execute(
                "INSERT INTO tracks (isrc, iswc, sha256, disputed, verification, policy, "
                "sequence, links, vals, id, ord) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, track_id, order),
            )
        else:
            order = row[1]
            db.execute(
                "UPDATE tracks SET isrc = ?, iswc = ?, sha256 = ?, disputed = ?, "
                "verification = ?, policy = ?, sequence = ?, links = ?, vals = ? WHERE id = ?",
                (*values, track_id),
            )
        db.execute("DELETE FROM links WHERE track_id = ?", (track_id,))
        db.executemany(
            "INSERT OR IGNORE INTO links (url, track_id, ord, vals) VALUES (?, ?, ?, ?)",
            [(url, track_id, order, values[-1]) for url in links],
        )

    @staticmethod
    def _complete(db: sqlite3.Connection, answer: dict) -> None:
        """Take from the registry's answer what events do not carry: the title, the artist
        credit and each value's source (and whether a licence's terms are withheld)."""
        track = answer["track"]
        policy = answer["policy"]
        db.execute(
            "UPDATE tracks SET title = ?, artist_credit = ?, policy = ?, vals = ?, "
            "verification = ?, disputed = ? WHERE id = ?",
            (
                track.get("title"),
                track.get("artist_credit"),
                json.dumps(policy),
                values_of(policy),
                json.dumps(answer.get("verification")),
                int(bool(answer.get("disputed"))),
                str(track["id"]),
            ),
        )
        db.execute(
            "UPDATE links SET vals = ? WHERE track_id = ?", (values_of(policy), str(track["id"]))
        )

    def apply_page(
        self,
        events: Sequence[dict],
        cursor: int,
        webhook_id: str | None = None,
        before_commit: Callable[[], None] | None = None,
        answers: dict[str, dict] | None = None,
    ) -> int:
        """Apply events in sequence order and move the cursor to `cursor`, in one transaction.

        Events at or below the stored cursor are already applied and are skipped, so a page
        delivered twice (a webhook retried, a feed page read again) changes nothing. With
        `webhook_id`, the message is recorded as received in the same transaction. `answers`
        (the registry's current answers by track id, read after the events) complete each
        changed track whose answer is the one at its last event here; a track that changed
        again since keeps what its events say until that later event is applied. Returns the
        number of events applied.
        """
        applied = 0
        last_of: dict[str, int] = {}
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone()
            current = int(row[0]) if row else 0
            for event in sorted(events, key=lambda e: e["sequence"]):
                if event["sequence"] <= current:
                    continue
                self._apply_event(db, event)
                current = event["sequence"]
                last_of[str(event["track"]["id"])] = current
                applied += 1
            for track_id, sequence in last_of.items():
                answer = (answers or {}).get(track_id)
                if answer and answer.get("sequence") == sequence and answer.get("track"):
                    self._complete(db, answer)
                    db.execute("DELETE FROM incomplete WHERE track_id = ?", (track_id,))
                else:
                    db.execute("INSERT OR IGNORE INTO incomplete VALUES (?)", (track_id,))
            self._set_meta("cursor", max(current, cursor))
            if webhook_id is not None:
                db.execute(
                    "INSERT OR IGNORE INTO webhooks (id, until) VALUES (?, ?)",
                    (webhook_id, max(current, cursor)),
                )
            if before_commit:
                before_commit()
        return applied

    def incomplete(self) -> list[str]:
        """Tracks changed by events whose sources the registry's answers have not yet given."""
        with self.lock:
            return [row[0] for row in self.db.execute("SELECT track_id FROM incomplete")]

    def complete(self, answers: dict[str, dict]) -> int:
        """Complete each track from its answer when the answer is at the track's last applied
        change; returns how many were."""
        done = 0
        with self.transaction() as db:
            for track_id, answer in answers.items():
                row = db.execute("SELECT sequence FROM tracks WHERE id = ?", (track_id,)).fetchone()
                if row and answer.get("sequence") == row[0] and answer.get("track"):
                    self._complete(db, answer)
                    db.execute("DELETE FROM incomplete WHERE track_id = ?", (track_id,))
                    done += 1
        return done

    def seen_webhook(self, webhook_id: str) -> bool:
        with self.lock:
            row = self.db.execute("SELECT 1 FROM webhooks WHERE id = ?", (webhook_id,)).fetchone()
        return row is not None

    def record_webhook(self, webhook_id: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO webhooks (id) VALUES (?)", (webhook_id,))

    # --- Answers --------------------------------------------------------------------------------

    def _tracks_for(self, kind: str, value: str) -> list[tuple]:
        with self.lock:
            return self.db.execute(_BY_KIND[kind], (value,)).fetchall()

    @staticmethod
    def _state(row: tuple) -> dict:
        track_id, _, isrc, iswc, sha, title, credit, disputed, verification, policy, seq, links = (
            row
        )
        return {
            "track": {
                "id": track_id,
                "title": title,
                "artist_credit": credit,
                "isrc": isrc,
                "iswc": iswc,
                "audio_sha256": sha,
                "links": json.loads(links),
            },
            "disputed": bool(disputed),
            "verification": json.loads(verification) if verification else None,
            "policy": json.loads(policy),
            "sequence": seq,
        }

    def answers_normalized(self, kind: str, values: Sequence[str]) -> dict[str, dict]:
        """`answer_normalized` of many identifiers of one kind, with one query per 500 of them
        rather than one each."""
        found: dict[str, list[tuple]] = {}
        column = "l.url" if kind == "url" else "t." + ("id" if kind == "track" else kind)
        joined = "JOIN links l ON l.track_id = t.id " if kind == "url" else ""
        query = (
            f"SELECT {column}, t.id, t.ord, t.isrc, t.iswc, t.sha256, t.title, t.artist_credit, "  # noqa: S608
            "t.disputed, t.verification, t.policy, t.sequence, t.links FROM tracks t "
            f"{joined}WHERE {column} IN (%s) ORDER BY t.ord"
        )
        with self.lock:
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                sql = query % ",".join("?" * len(chunk))
                for row in self.db.execute(sql, chunk):
                    found.setdefault(row[0], []).append(row[1:])
        return {value: self._answer_from(kind, value, found.get(value, ())) for value in values}

    def verdicts(self, kind: str, values: Sequence[str]) -> dict[str, tuple[tuple, str]]:
        """What judging a manifest reads, for identifiers already normalized: per identifier
        its five values (the most restrictive across the tracks that share it, in the order of
        PURPOSES) and its first track's id (empty when unregistered)."""
        with self.lock:
            return read_verdicts(self.db, kind, values)

    def answer_normalized(self, kind: str, value: str) -> dict:
        """The answer for an identifier already normalized as the registry normalizes it."""
        return self._answer_from(kind, value, self._tracks_for(kind, value))

    def _answer_from(self, kind: str, value: str, rows: Sequence[tuple]) -> dict:
        states = [self._state(row) for row in rows]
        if not states:
            answer: dict[str, Any] = {
                "status": "unregistered",
                "track": None,
                "disputed": False,
                "verification": None,
                "policy": {p: dict(UNSET) for p in PURPOSES},
                "sequence": None,
            }
        elif len(states) == 1:
            answer = {"status": "registered"} | states[0]
        else:
            policy = combine_policies(s["policy"] for s in states)
            answer = {
                "status": "registered",
                "track": states[0]["track"],
                "disputed": any(s["disputed"] for s in states),
                "verification": combine_verification(s["verification"] for s in states),
                "policy": policy,
                "sequence": max(s["sequence"] for s in states),
                "matches": states,
            }
        if kind == "url":
            answer["normalized"] = value
        return answer

    def answer(self, kind: str, raw: str) -> dict:
        """What `GET /api/v1/consent?<kind>=<raw>` answers, read from the mirror.

        Raises InvalidIdentifier for what the API answers 400 (an identifier it cannot read).
        """
        return {"query": {kind: raw}} | self.answer_normalized(kind, normalize(kind, raw))


UNSET_VALUES = ("unset",) * len(PURPOSES)
_VERDICT_SQL = {
    "url": "SELECT url, track_id, vals FROM links WHERE url IN (%s) ORDER BY ord",
    **{
        kind: f"SELECT t.{column}, t.id, t.vals FROM tracks t WHERE t.{column} IN (%s) "  # noqa: S608
        "ORDER BY t.ord"
        for kind, column in (("isrc", "isrc"), ("iswc", "iswc"), ("sha256", "sha256"))
    },
    "track": "SELECT t.id, t.id, t.vals FROM tracks t WHERE t.id IN (%s) ORDER BY t.ord",
}


def read_verdicts(
    db: sqlite3.Connection, kind: str, values: Sequence[str]
) -> dict[str, tuple[tuple, str]]:
    """`Mirror.verdicts` on a connection: one query per 500 identifiers, each distinct set of
    values split once."""
    split: dict[str, tuple] = {}
    found: dict[str, tuple[tuple, str]] = {}
    query = _VERDICT_SQL[kind]
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        for value, track_id, vals in db.execute(query % ",".join("?" * len(chunk)), chunk):
            parsed = split.get(vals)
            if parsed is None:
                parsed = split[vals] = tuple(vals.split(","))
            known = found.get(value)
            if known is None:
                found[value] = (parsed, track_id)
            else:  # several tracks share it: per purpose the most restrictive value
                combined = tuple(
                    a if RANK[a] >= RANK[b] else b for a, b in zip(known[0], parsed, strict=True)
                )
                found[value] = (combined, known[1])
    return found


# --- Syncing ------------------------------------------------------------------------------------


def changed_tracks(events: Iterable[dict]) -> list[str]:
    return list(dict.fromkeys(str(event["track"]["id"]) for event in events))


def current_answers(registry: Registry, ids: Sequence[str]) -> dict[str, dict]:
    """The registry's current answer of each of these tracks, by track id: one batch per
    10,000 tracks (a page of the feed is at most one)."""
    answers: dict[str, dict] = {}
    for start in range(0, len(ids), 10_000):
        chunk = ids[start : start + 10_000]
        results = registry.batch([{"track": track_id} for track_id in chunk])["results"]
        for track_id, result in zip(chunk, results, strict=True):
            if result.get("status") == "registered":
                answers[track_id] = result
    return answers


def sync(
    registry: Registry,
    mirror: Mirror,
    *,
    ack: bool = False,
    progress: bool = False,
    page_size: int = 10_000,
    full: bool = False,
    on_page: Callable[[int], None] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> dict:
    """Bring the mirror up to date: a snapshot when it has none (or `full`), then every page of
    the changes feed. `on_page(cursor)` runs after each page has committed; `before_commit()`
    inside each page's transaction (both for tests and progress reports). With `ack`, the last
    applied sequence is acknowledged. Returns what was done."""
    report: dict[str, Any] = {"snapshot": None, "events": 0, "pages": 0}
    if full or mirror.cursor is None:
        # The snapshot may be streamed without a length; a mirror being reloaded knows roughly
        # how many lines to expect, which gives the progress line an ETA, and when the registry
        # sends the snapshot's length, the share of it received gives one on a first load too.
        expected = mirror.track_count() or None
        sequence, length, lines = registry.snapshot()
        bar = Progress("snapshot", total=expected, unit="lines", enabled=progress)

        def counted(count: int) -> None:
            if count % 500 == 0:
                read = getattr(registry, "snapshot_bytes_read", 0)
                share = min(read / length, 1.0) if length and not expected else None
                bar.update(count, f"({read / 1048576:.1f} MB received)", share=share)

        tracks = mirror.load_snapshot(sequence, lines, registry.url, counted)
        bar.update(tracks)
        bar.close()
        report["snapshot"] = {"sequence": sequence, "tracks": tracks}
    cursor = start = mirror.cursor or 0
    bar = None
    while True:
        try:
            page = registry.changes(cursor, page_size)
        except ApiError as exc:
            if exc.status == 400 and (exc.body or {}).get("field") == "after":
                raise ApiError(
                    400,
                    f"the mirror's cursor ({cursor}) is past the registry's latest change: it "
                    "was synced from another registry or the registry was restored from a "
                    "backup. Reload it with `sync --full`.",
                    exc.body,
                ) from exc
            raise
        events = page["events"]
        if events or page["next_after"] != cursor:
            answers = current_answers(registry, changed_tracks(events)) if events else {}
            report["events"] += mirror.apply_page(
                events, page["next_after"], None, before_commit, answers
            )
            report["pages"] += 1
            cursor = page["next_after"]
            if progress and page["has_more"]:
                if bar is None:
                    bar = Progress("changes", total=page["last_sequence"] - start, unit="events")
                bar.update(report["events"])
            if on_page:
                on_page(cursor)
        if not page["has_more"]:
            break
    if bar is not None:
        bar.close()
    # Tracks whose answer had moved on when their events were applied (they changed again
    # meanwhile), or that a webhook receiver applied without the registry's address.
    pending = mirror.incomplete()
    if pending:
        report["completed"] = mirror.complete(current_answers(registry, pending))
    report["cursor"] = cursor
    report["synced_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with mirror.transaction():
        mirror._set_meta("synced_at", report["synced_at"])
    if ack:
        registry.acknowledge(cursor)
        report["acknowledged"] = cursor
    return report


__all__ = ["Mirror", "InvalidIdentifier", "sync"]
