"""Snapshot files: every registered track's answer, written once per published sequence.

A download of the snapshot is a copy of a file (docs/operations.md, "Snapshot files"): a task
reads the registry in one consistent database snapshot (`consent.snapshot.read_snapshot`),
writes the lines gzip-compressed to a temporary file beside the others, flushes it to disk and
renames it into place, so a reader only ever sees a whole file; a build that fails leaves the
files before it untouched. Beside each file a small JSON "sidecar" says what it holds: its
sequence, the SHA-256 and size of the file and of the NDJSON inside, when the database was read,
and the receipt signed for it once (consent.transparency.receipts), so no request hashes or
signs anything. The newest SNAPSHOT_KEEP files are kept.

When builds run: files are at least SNAPSHOT_DEBOUNCE_SECONDS apart, so a burst of changes makes
one file, not one per change. A commit queues the build task at once (once per that many
seconds: a mark in the cache), which builds if the newest file is behind the registry and old
enough; beat runs the same task every min(60, SNAPSHOT_DEBOUNCE_SECONDS) seconds, which builds
what the last burst left once the interval has passed, and what a lost task or a broker outage
missed. No task is queued with a countdown: a worker holding one for minutes stopped taking
new tasks after a broker restart (tests/api/test_webhooks_faults.py caught it). With tasks
in-process (no broker, `make run`) nothing is built on the write path; the snapshot endpoint
builds in-process when the newest file is behind (`ensure_current`). A lock in the cache keeps
builds one at a time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import queue
import threading
import time
import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from consent.snapshot import SnapshotState, read_snapshot
from consent.times import rfc3339

logger = logging.getLogger(__name__)

FORMAT = 1
CONTENT_TYPE = "application/x-ndjson"
PREFIX = "snapshot-"
SUFFIX = ".ndjson.gz"
SIDECAR = ".json"
# Cache keys: the build lock, the mark of a queued build, and how long the last build took.
BUILD_LOCK = "snapshot:building"
QUEUED_MARK = "snapshot:queued"
LAST_BUILD_SECONDS = "snapshot:last-build-seconds"
# Lines are handed to the compressing thread in blocks of about this many bytes.
BLOCK_BYTES = 1 << 20
# Temporary files older than this are a crashed build's and are removed by the next build.
STALE_TEMPORARY_SECONDS = 24 * 3600

# As api.renderers.dumps writes an answer, plus the line's newline (tests/api/test_snapshot_files.py
# holds the two equal).
_LINE_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_APPEND_NEWLINE
)


def _json_default(value):
    if isinstance(value, datetime):
        return rfc3339(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_line(answer: dict) -> bytes:
    return orjson.dumps(answer, default=_json_default, option=_LINE_OPTIONS)


@dataclass(frozen=True)
class SnapshotFile:
    """One built file and what its sidecar says about it."""

    path: Path
    sequence: int
    log_size: int
    read_at: str  # when the database was read (RFC 3339)
    built_at: str  # when the file was complete (RFC 3339)
    built_ts: float  # the same, Unix seconds
    size: int  # bytes of the file (gzip)
    sha256: str  # hex, of the file's bytes
    ndjson_size: int  # bytes of the NDJSON inside
    lines: int
    database: str
    receipt: str | None

    @property
    def etag(self) -> str:
        """Strong validator of the file as stored (the gzip representation)."""
        return f'"{self.sha256[:40]}"'

    @property
    def ndjson_etag(self) -> str:
        """Strong validator of the decompressed NDJSON (the identity representation): its bytes
        are a function of the file's, so the file's hash names them too, without hashing them."""
        return f'"{self.sha256[:40]}-ndjson"'

    def sidecar(self) -> dict:
        return {
            "format": FORMAT,
            "file": self.path.name,
            "sequence": self.sequence,
            "log_size": self.log_size,
            "read_at": self.read_at,
            "built_at": self.built_at,
            "built_ts": self.built_ts,
            "size": self.size,
            "sha256": self.sha256,
            "ndjson_size": self.ndjson_size,
            "lines": self.lines,
            "database": self.database,
            "receipt": self.receipt,
        }


def directory() -> Path:
    return Path(settings.SNAPSHOT_DIR)


def database_fingerprint() -> str:
    """Which database the files were read from: a folder shared by mistake between two
    deployments (or test databases) never serves one's file as the other's."""
    s = connection.settings_dict
    where = f"{connection.vendor}:{s.get('HOST') or ''}:{s.get('PORT') or ''}/{s.get('NAME')}"
    return hashlib.sha256(where.encode()).hexdigest()[:16]


def _load(sidecar: Path) -> SnapshotFile | None:
    try:
        data = json.loads(sidecar.read_bytes())
        if data.get("format") != FORMAT:
            return None
        path = sidecar.with_name(data["file"])
        if path.name != sidecar.name[: -len(SIDECAR)] + SUFFIX or not path.is_file():
            return None
        return SnapshotFile(
            path=path,
            sequence=int(data["sequence"]),
            log_size=int(data["log_size"]),
            read_at=data["read_at"],
            built_at=data["built_at"],
            built_ts=float(data["built_ts"]),
            size=int(data["size"]),
            sha256=data["sha256"],
            ndjson_size=int(data["ndjson_size"]),
            lines=int(data["lines"]),
            database=data["database"],
            receipt=data.get("receipt"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


# The listing this process read last: (folder, its mtime in ns, the files). A file appears or
# goes by a rename or an unlink in the folder, which changes its mtime, so a request that finds
# the mtime unchanged reads no sidecar.
_listing: tuple[str, int, list[SnapshotFile]] | None = None


def available(folder: Path | None = None) -> list[SnapshotFile]:
    """Every complete file of this database, newest first (highest sequence, then latest)."""
    global _listing
    folder = folder or directory()
    try:
        mtime = folder.stat().st_mtime_ns
    except FileNotFoundError:
        return []
    cached = _listing
    if cached is not None and cached[0] == str(folder) and cached[1] == mtime:
        files = cached[2]
    else:
        files = [
            found
            for sidecar in folder.glob(f"{PREFIX}*{SIDECAR}")
            if (found := _load(sidecar)) is not None
        ]
        files.sort(key=lambda f: (f.sequence, f.built_ts), reverse=True)
        # A change within the file system's timestamp granularity of this listing would leave
        # the mtime as it is: a folder changed in the last second is listed again next time.
        if time.time_ns() - mtime > 1_000_000_000:
            _listing = (str(folder), mtime, files)
    fingerprint = database_fingerprint()
    return [f for f in files if f.database == fingerprint and f.path.exists()]


def newest(folder: Path | None = None) -> SnapshotFile | None:
    files = available(folder)
    return files[0] if files else None


def by_sequence(sequence: int, folder: Path | None = None) -> SnapshotFile | None:
    return next((f for f in available(folder) if f.sequence == sequence), None)


# --- Building ----------------------------------------------------------------------------------


class _Writer(threading.Thread):
    """Compresses, hashes and writes blocks handed over by the reading thread.

    zlib and hashlib release the GIL on large buffers, so the compression runs beside the
    database read and the encoding instead of after them.
    """

    def __init__(self, file, level: int):
        super().__init__(name="snapshot-writer", daemon=True)
        self.file = file
        self.blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
        self.compressor = zlib.compressobj(level, zlib.DEFLATED, 31)  # gzip, mtime 0
        self.file_hash = hashlib.sha256()
        self.size = 0
        self.error: BaseException | None = None

    def _write(self, data: bytes) -> None:
        if data:
            self.file.write(data)
            self.file_hash.update(data)
            self.size += len(data)

    def run(self) -> None:
        try:
            while (block := self.blocks.get()) is not None:
                if self.error is None:
                    self._write(self.compressor.compress(block))
            if self.error is None:
                self._write(self.compressor.flush())
        except BaseException as exc:  # handed to the reading thread, which raises it
            self.error = exc
            while self.blocks.get() is not None:  # let the reader finish handing over
                pass

    def put(self, block: bytes) -> None:
        if self.error is not None:
            raise self.error
        self.blocks.put(block)


def _fsync_directory(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with temporary.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _write_file(folder: Path, name: str, answers) -> tuple[Path, int, str, int, int]:
    """Write the lines to a temporary file, flushed to disk; (its path, size, SHA-256, NDJSON
    size, lines). Nothing is left behind when it fails."""
    temporary = folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
    lines = ndjson_size = 0
    try:
        with temporary.open("wb") as out:
            writer = _Writer(out, settings.SNAPSHOT_GZIP_LEVEL)
            writer.start()
            try:
                buffer: list[bytes] = []
                buffered = 0
                for answer in answers:
                    line = encode_line(answer)
                    buffer.append(line)
                    buffered += len(line)
                    lines += 1
                    if buffered >= BLOCK_BYTES:
                        writer.put(b"".join(buffer))
                        ndjson_size += buffered
                        buffer, buffered = [], 0
                if buffer:
                    writer.put(b"".join(buffer))
                    ndjson_size += buffered
            finally:
                writer.blocks.put(None)
                writer.join()
            if writer.error is not None:
                raise writer.error
            out.flush()
            os.fsync(out.fileno())
        return (
            temporary,
            writer.size,
            writer.file_hash.hexdigest(),
            ndjson_size,
            lines,
        )
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _sign_receipt(state: SnapshotState, built_at: datetime, sha256: str) -> str | None:
    """The file's receipt, signed once: it binds the file's SHA-256, the sequence and a signed
    checkpoint of the log covering every entry up to the snapshot's read (docs/log.md, "Snapshot
    receipts"). None without the keys (only possible with debug on)."""
    from consent.transparency import checkpoints, keys, receipts

    try:
        receipts.signing_key()
        checkpoint = checkpoints.covering(state.log_size)
    except (receipts.NoReceiptKey, keys.NoSigningKey) as exc:
        logger.warning("Snapshot %s built without a receipt: %s", state.sequence, exc)
        return None
    log_state = receipts.LogState(
        sequence=state.sequence,
        log_size=state.log_size,
        checkpoint_size=checkpoint.size,
        root_hash=bytes(checkpoint.root_hash),
        note=checkpoint.note,
    )
    claims = receipts.payload(
        at=built_at,
        as_of=rfc3339(state.at),
        method="GET",
        path=reverse("api_snapshot"),
        query="",
        request_body=None,
        status=200,
        content_type=CONTENT_TYPE,
        body=b"",
        state=log_state,
    )
    # The body a receipt vouches for is the file as stored: hashed once, while it was written.
    claims["response"]["body_sha256"] = sha256
    return receipts.sign(claims)


class BuildBusy(RuntimeError):
    """Another process is building a snapshot file now."""


def _take_lock() -> str | None:
    token = uuid.uuid4().hex
    try:
        taken = cache.add(BUILD_LOCK, token, settings.SNAPSHOT_BUILD_TIME_LIMIT + 60)
    except Exception:  # no cache: builds are still atomic, only perhaps duplicated
        logger.warning("Cache unreachable; building the snapshot without the lock.")
        return token
    return token if taken else None


def _drop_lock(token: str) -> None:
    try:
        if cache.get(BUILD_LOCK) == token:
            cache.delete(BUILD_LOCK)
    except Exception:
        logger.debug("Cache unreachable; the snapshot build lock expires by itself.")


def building() -> bool:
    """Whether a build holds the lock now."""
    try:
        return cache.get(BUILD_LOCK) is not None
    except Exception:
        return False


def last_build_seconds() -> float | None:
    try:
        value = cache.get(LAST_BUILD_SECONDS)
    except Exception:
        return None
    return float(value) if value is not None else None


def build(force: bool = False, min_age: float = 0) -> SnapshotFile | None:
    """Write a file for the registry as it is now, unless the newest file already is (or
    `force`), or was built fewer than `min_age` seconds ago. Returns the new file, or None when
    there was nothing to build. BuildBusy when another build holds the lock. A failure raises
    and leaves every earlier file in place."""
    current = newest()
    if not force and current is not None and time.time() - current.built_ts < min_age:
        return None
    token = _take_lock()
    if token is None:
        raise BuildBusy("A snapshot file is being built by another process.")
    try:
        return _build(force)
    finally:
        _drop_lock(token)


def _build(force: bool) -> SnapshotFile | None:
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    current = newest(folder)
    with read_snapshot() as (state, answers):
        if current is not None and current.sequence > state.sequence:
            # Files from a history this database no longer has (it was restored from a backup):
            # serving one would state a sequence the changes feed refuses.
            logger.warning(
                "Snapshot files up to sequence %s are ahead of the registry (%s): removed.",
                current.sequence,
                state.sequence,
            )
            for stale in available(folder):
                if stale.sequence > state.sequence:
                    _remove(stale)
            current = newest(folder)
        if current is not None and current.sequence == state.sequence and not force:
            return None
        name = f"{PREFIX}{state.sequence:012d}-{uuid.uuid4().hex[:8]}"
        temporary, size, sha256, ndjson_size, lines = _write_file(folder, name, answers)
    try:
        from django.utils import timezone

        built_at = timezone.now()
        receipt = _sign_receipt(state, built_at, sha256)
        made = SnapshotFile(
            path=folder / f"{name}{SUFFIX}",
            sequence=state.sequence,
            log_size=state.log_size,
            read_at=rfc3339(state.at),
            built_at=rfc3339(built_at),
            built_ts=built_at.timestamp(),
            size=size,
            sha256=sha256,
            ndjson_size=ndjson_size,
            lines=lines,
            database=database_fingerprint(),
            receipt=receipt,
        )
        # The sidecar first: a file is listed only through its sidecar, and a sidecar whose
        # file is not there yet is skipped, so a reader never sees one without the other.
        _write_atomically(folder / f"{name}{SIDECAR}", orjson.dumps(made.sidecar()))
        os.replace(temporary, made.path)
        _fsync_directory(folder)
    except BaseException:
        temporary.unlink(missing_ok=True)
        (folder / f"{name}{SIDECAR}").unlink(missing_ok=True)
        raise
    seconds = time.monotonic() - started
    try:
        cache.set(LAST_BUILD_SECONDS, round(seconds, 3), None)
    except Exception:
        logger.debug("Cache unreachable; the build's duration is not kept.")
    logger.info(
        "Snapshot at sequence %s: %s lines, %s bytes, built in %.1f s.",
        made.sequence,
        lines,
        size,
        seconds,
    )
    prune(folder)
    return made


def _remove(found: SnapshotFile) -> None:
    # The sidecar first, so the file stops being listed before it goes; a download that has
    # the file open keeps reading it (POSIX keeps an unlinked file until it is closed).
    found.path.with_name(found.path.name[: -len(SUFFIX)] + SIDECAR).unlink(missing_ok=True)
    found.path.unlink(missing_ok=True)


def prune(folder: Path | None = None) -> int:
    """Remove all but the newest SNAPSHOT_KEEP files of this database, and what crashed builds
    left; the number of files removed."""
    folder = folder or directory()
    removed = 0
    for old in available(folder)[settings.SNAPSHOT_KEEP :]:
        _remove(old)
        removed += 1
    now = time.time()
    for leftover in folder.glob(".*.tmp"):
        try:
            if now - leftover.stat().st_mtime > STALE_TEMPORARY_SECONDS:
                leftover.unlink()
        except FileNotFoundError:
            pass
    return removed


# --- When builds run -------------------------------------------------------------------------


def tasks_in_process() -> bool:
    from consent.tasks import build_snapshot

    return bool(build_snapshot.app.conf.task_always_eager)


def queue_build(mark: str = QUEUED_MARK) -> bool:
    """Queue one build now, unless one was queued under `mark` in the last
    SNAPSHOT_DEBOUNCE_SECONDS; True if queued."""
    from consent.tasks import build_snapshot

    try:
        if not cache.add(mark, 1, settings.SNAPSHOT_DEBOUNCE_SECONDS):
            return False
    except Exception:  # no cache: queue anyway; a build with nothing new does nothing
        logger.debug("Cache unreachable; queuing a snapshot build unmarked.")
    try:
        build_snapshot.apply_async(retry=False)
    except Exception:  # the broker is down: beat builds once it is back
        # The mark stays until it expires, so the commits meanwhile do not each wait for the
        # broker's connection timeout.
        logger.warning("Could not queue a snapshot build; beat will build it.")
        return False
    return True


def on_changes_committed(sender, last_sequence: int, **kwargs) -> None:
    """Receiver of `consent.signals.changes_committed`: a build queued, with a broker (at most
    once per SNAPSHOT_DEBOUNCE_SECONDS).

    In-process (no broker) nothing is built on the write path: the snapshot endpoint builds
    when it finds the newest file behind."""
    try:
        if not tasks_in_process():
            queue_build()
    except Exception:  # the change is committed; beat builds the file anyway
        logger.exception("Queuing a snapshot build failed; beat will build it.")


def ensure_current() -> SnapshotFile | None:
    """In-process tasks only: build now if no file is there or the newest is behind the
    registry's last sequence, and return the newest file. With another build running, the
    newest file as it is (None before the first)."""
    from consent.policies import last_sequence

    found = newest()
    if found is not None and found.sequence >= last_sequence():
        return found
    try:
        return build() or newest()
    except BuildBusy:
        return newest()
