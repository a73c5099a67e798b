"""A local mirror of the whole registry in one SQLite file, answering as the live lookup does.

The mirror is loaded from `GET /api/v1/snapshot` and then follows `GET /api/v1/changes`. Every
page of events is applied in one SQLite transaction together with the cursor (the last sequence
applied), so a crash at any point leaves either the page and its cursor or neither: the next run
resumes from the cursor and never skips or applies an event twice.

What it stores per track is what snapshots and change events carry: the identifiers a lookup
keys on (id, ISRC, ISWC, audio SHA-256, visible links), the value of every purpose (and a
licence's terms), whether it is disputed, how far its claims are verified, and the sequence of
its last change.
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
    links TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS tracks_isrc ON tracks (isrc);
CREATE INDEX IF NOT EXISTS tracks_iswc ON tracks (iswc);
CREATE INDEX IF NOT EXISTS tracks_sha256 ON tracks (sha256);
CREATE TABLE IF NOT EXISTS links (
    url TEXT NOT NULL, track_id TEXT NOT NULL, PRIMARY KEY (url, track_id)
) WITHOUT ROWID;
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


def _policy_from_answer(policy: dict) -> dict:
    """A snapshot line's policy (value, source, terms per purpose) as the mirror keeps it."""
    kept = {}
    for purpose in PURPOSES:
        item = policy.get(purpose) or UNSET
        entry: dict = {"value": item.get("value", "unset")}
        terms = item.get("terms")
        if entry["value"] == "license" and terms:
            entry["terms"] = {
                "terms_url": terms.get("terms_url", ""),
                "contact_email": terms.get("contact_email", ""),
            }
        kept[purpose] = entry
    return kept


def _policy_from_event(policy: dict) -> dict:
    """A change event's policy (a value per purpose, `terms` of licences) as the mirror keeps
    it."""
    terms = policy.get("terms") or {}
    kept = {}
    for purpose in PURPOSES:
        entry: dict = {"value": policy.get(purpose, "unset")}
        if entry["value"] == "license" and purpose in terms:
            entry["terms"] = {
                "terms_url": terms[purpose].get("terms_url", ""),
                "contact_email": terms[purpose].get("contact_email", ""),
            }
        kept[purpose] = entry
    return kept


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
            self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

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
            tracks: list[tuple] = []
            links: list[tuple] = []
            for line in lines:
                answer = json.loads(line)
                track = answer["track"]
                count += 1
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
                        json.dumps(_policy_from_answer(answer.get("policy") or {})),
                        answer.get("sequence") or 0,
                        json.dumps(track.get("links") or []),
                    )
                )
                links.extend((url, track["id"]) for url in track.get("links") or [])
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
        db.executemany("INSERT INTO tracks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", tracks)
        db.executemany("INSERT OR IGNORE INTO links (url, track_id) VALUES (?, ?)", links)

    def _apply_event(self, db: sqlite3.Connection, event: dict) -> None:
        track = event["track"]
        track_id = str(track["id"])
        policy = event.get("policy") or {}
        row = db.execute("SELECT links FROM tracks WHERE id = ?", (track_id,)).fetchone()
        links = track.get("links")
        if links is None:  # recorded before link changes were events: links unchanged
            links = json.loads(row[0]) if row else []
        values = (
            track.get("isrc"),
            track.get("iswc"),
            track.get("audio_sha256"),
            int(bool(event.get("disputed", policy.get("disputed")))),
            json.dumps(policy.get("verification")),
            json.dumps(_policy_from_event(policy)),
            event["sequence"],
            json.dumps(links),
        )
        if row is None:
            (last,) = db.execute("SELECT coalesce(max(ord), 0) FROM tracks").fetchone()
            db.execute(
                "INSERT INTO tracks (isrc, iswc, sha256, disputed, verification, policy, "
                "sequence, links, id, ord) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, track_id, last + 1),
            )
        else:
            db.execute(
                "UPDATE tracks SET isrc = ?, iswc = ?, sha256 = ?, disputed = ?, "
                "verification = ?, policy = ?, sequence = ?, links = ? WHERE id = ?",
                (*values, track_id),
            )
        db.execute("DELETE FROM links WHERE track_id = ?", (track_id,))
        db.executemany(
            "INSERT OR IGNORE INTO links (url, track_id) VALUES (?, ?)",
            [(url, track_id) for url in links],
        )

    def apply_page(
        self,
        events: Sequence[dict],
        cursor: int,
        webhook_id: str | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> int:
        """Apply events in sequence order and move the cursor to `cursor`, in one transaction.

        Events at or below the stored cursor are already applied and are skipped, so a page
        delivered twice (a webhook retried, a feed page read again) changes nothing. With
        `webhook_id`, the message is recorded as received in the same transaction. Returns the
        number of events applied.
        """
        applied = 0
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone()
            current = int(row[0]) if row else 0
            for event in sorted(events, key=lambda e: e["sequence"]):
                if event["sequence"] <= current:
                    continue
                self._apply_event(db, event)
                current = event["sequence"]
                applied += 1
            self._set_meta("cursor", max(current, cursor))
            if webhook_id is not None:
                db.execute(
                    "INSERT OR IGNORE INTO webhooks (id, until) VALUES (?, ?)",
                    (webhook_id, max(current, cursor)),
                )
            if before_commit:
                before_commit()
        return applied

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

    def answers_normalized(
        self, kind: str, values: Sequence[str], *, verdicts_only: bool = False
    ) -> dict[str, dict]:
        """`answer_normalized` of many identifiers of one kind, with one query per 500 of them
        rather than one each (what a manifest of a million links needs). With `verdicts_only`,
        each answer holds only its status, its policy and its track's id, and answers may share
        their policies: what judging a manifest reads, without decoding the rest."""
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
        if verdicts_only:
            policies: dict[str, dict] = {}
            return {value: _verdict_from(found.get(value, ()), policies) for value in values}
        return {value: self._answer_from(kind, value, found.get(value, ())) for value in values}

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
            policy = {}
            for purpose in PURPOSES:
                policy[purpose] = max(
                    (s["policy"][purpose] for s in states), key=lambda item: RANK[item["value"]]
                )
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


def _verdict_from(rows: Sequence[tuple], policies: dict[str, dict]) -> dict:
    """The status, policy and track id of `Mirror._answer_from`, decoding each distinct policy
    once."""
    if not rows:
        return {"status": "unregistered", "track": None, "policy": _UNSET_POLICY}
    decoded = []
    for row in rows:
        policy = policies.get(row[9])
        if policy is None:
            policy = policies[row[9]] = json.loads(row[9])
        decoded.append(policy)
    if len(decoded) == 1:
        policy = decoded[0]
    else:
        policy = {
            purpose: max((p[purpose] for p in decoded), key=lambda item: RANK[item["value"]])
            for purpose in PURPOSES
        }
    return {"status": "registered", "track": {"id": rows[0][0]}, "policy": policy}


_UNSET_POLICY = {p: dict(UNSET) for p in PURPOSES}


# --- Syncing ------------------------------------------------------------------------------------


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
        # The snapshot is streamed without a length; a mirror being reloaded knows roughly how
        # many lines to expect, which gives the progress line an ETA.
        expected = mirror.track_count() or None
        sequence, length, lines = registry.snapshot()
        bar = Progress("snapshot", total=expected, unit="lines", enabled=progress)

        def counted(count: int) -> None:
            if count % 500 == 0:
                read = getattr(registry, "snapshot_bytes_read", 0)
                bar.update(count, f"({read / 1048576:.1f} MB received)")

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
            report["events"] += mirror.apply_page(events, page["next_after"], None, before_commit)
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
    report["cursor"] = cursor
    report["synced_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with mirror.transaction():
        mirror._set_meta("synced_at", report["synced_at"])
    if ack:
        registry.acknowledge(cursor)
        report["acknowledged"] = cursor
    return report


__all__ = ["Mirror", "InvalidIdentifier", "sync"]
