"""GET /api/v1/snapshot: the newest snapshot file, served as a copy of the file.

The files are built in the background (consent.snapshot_files). A request that accepts gzip gets
the file as stored, with `Content-Encoding: gzip`, through Django's FileResponse, so gunicorn
hands it to the kernel with sendfile: no database, no Python loop over the bytes. Byte ranges
(`Range`, `If-Range`) then count bytes of the gzip file. A request that does not accept gzip
gets the same lines decompressed as they stream, without ranges. Every answer names the file by
a strong `ETag` (per representation), `Last-Modified` and `X-Registry-Sequence`, and
`Content-Location` names the file for a resume that outlives a newer build (`?sequence=N`, while
it is among the files kept). A platform downloads one snapshot at a time: a slot in the cache,
with an expiry so a process that died cannot keep it (docs/api.md, "Snapshots").
"""

from __future__ import annotations

import logging
import secrets
import time
import zlib
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date, parse_http_date_safe

from api.errors import ProblemError, invalid, problem_response
from api.receipts import HEADER as RECEIPT_HEADER
from api.receipts import PREFERENCE, asked
from consent import snapshot_files
from consent.snapshot_files import CONTENT_TYPE, SnapshotFile

logger = logging.getLogger(__name__)

READ_BYTES = 256 * 1024
# While a decompressed download streams, its slot's expiry is pushed back this often.
SLOT_REFRESH_SECONDS = 30
# Retry-After when no file exists yet and no earlier build says how long one takes.
FIRST_BUILD_RETRY_SECONDS = 30
FIRST_BUILD_MARK = "snapshot:first-build-queued"


# --- Negotiation and validators -----------------------------------------------------------------


def accepts_gzip(header: str) -> bool:
    """Whether Accept-Encoding (RFC 9110 §12.5.3) accepts gzip: named (or x-gzip) with q > 0,
    or `*` with q > 0 and gzip not named."""
    named: dict[str, float] = {}
    for item in header.split(","):
        parts = [p.strip() for p in item.split(";")]
        coding = parts[0].lower()
        if not coding:
            continue
        q = 1.0
        for parameter in parts[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        named[coding] = max(q, named.get(coding, 0.0)) if coding in named else q
    for coding in ("gzip", "x-gzip"):
        if coding in named:
            return named[coding] > 0
    return named.get("*", 0.0) > 0


def _etags(header: str) -> list[str]:
    """The entity tags of an If-None-Match or If-Range value (`*` is returned as is)."""
    tags, rest = [], header.strip()
    while rest:
        rest = rest.lstrip(" ,")
        if not rest:
            break
        if rest.startswith("*"):
            tags.append("*")
            rest = rest[1:]
            continue
        weak = rest.startswith("W/")
        body = rest[2:] if weak else rest
        if not body.startswith('"'):
            break  # malformed: stop at what could be read
        end = body.find('"', 1)
        if end < 0:
            break
        tags.append(("W/" if weak else "") + body[: end + 1])
        rest = body[end + 1 :]
    return tags


def _weakly_equal(a: str, b: str) -> bool:
    return a.removeprefix("W/") == b.removeprefix("W/")


def not_modified(request, etag: str, built: int) -> bool:
    """RFC 9110 §13.1.2 and §13.1.3: If-None-Match (weak comparison) when sent, otherwise
    If-Modified-Since."""
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        tags = _etags(if_none_match)
        return "*" in tags or any(_weakly_equal(tag, etag) for tag in tags)
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and built <= since


def range_applies(request, etag: str, built: int) -> bool:
    """If-Range (RFC 9110 §13.1.5): a strong entity tag equal to the file's, or exactly its
    Last-Modified date; without If-Range, a Range always applies."""
    value = request.headers.get("If-Range")
    if value is None:
        return True
    value = value.strip()
    if value.startswith('"') or value.startswith("W/"):
        return value == etag  # a weak tag never matches
    date = parse_http_date_safe(value)
    return date is not None and date == built


class Unsatisfiable(Exception):
    pass


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) of a single `bytes=` range of a file of `size` bytes; None for no range or
    one this server ignores (RFC 9110 §14.2 lets it: multiple ranges, other units, bad syntax),
    then the whole file is sent; Unsatisfiable for a range that starts past the end."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if first == "":
            suffix = int(last)
            if suffix < 0 or not last.isdigit():
                return None
            if suffix == 0:
                raise Unsatisfiable
            return max(0, size - suffix), size - 1
        if not first.isdigit() or (last and not last.isdigit()):
            return None
        start = int(first)
        end = int(last) if last else size - 1
    except ValueError:
        return None
    if last and end < start:
        return None  # invalid: ignored
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size - 1)


# --- The download slot --------------------------------------------------------------------------

# Delete the slot only if it is still this download's (it may have expired and been taken).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def _redis():
    client = getattr(cache, "_cache", None)
    get_client = getattr(client, "get_client", None)
    return get_client(write=True) if get_client is not None else None


class Slot:
    """One platform's snapshot download. The token is an int, which Django's Redis cache
    stores as plain digits, so a script can compare it."""

    def __init__(self, platform_id: int):
        self.key = f"snapshot:slot:{platform_id}"
        self.token = secrets.randbits(62)
        self.refreshed = time.monotonic()
        self.held = False

    def take(self) -> bool:
        self.held = bool(cache.add(self.key, self.token, settings.SNAPSHOT_SLOT_SECONDS))
        self.refreshed = time.monotonic()
        return self.held

    def seconds_left(self) -> int:
        client = _redis()
        if client is not None:
            left = client.ttl(cache.make_key(self.key))
            if left and left > 0:
                return int(left)
        return settings.SNAPSHOT_SLOT_SECONDS

    def refresh(self) -> None:
        """Push the expiry back while a long download is still streaming."""
        now = time.monotonic()
        if self.held and now - self.refreshed >= SLOT_REFRESH_SECONDS:
            self.refreshed = now
            try:
                cache.touch(self.key, settings.SNAPSHOT_SLOT_SECONDS)
            except Exception:
                logger.debug("Cache unreachable; the snapshot slot keeps its expiry.")

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            client = _redis()
            if client is not None:
                client.eval(_RELEASE, 1, cache.make_key(self.key), str(self.token))
            elif cache.get(self.key) == self.token:
                cache.delete(self.key)
        except Exception:
            logger.warning("Could not release the snapshot slot %s; it expires.", self.key)


# --- Bodies -------------------------------------------------------------------------------------


class FileRange:
    """Bytes `start` to `start + length` of an open file, for FileResponse.

    gunicorn sends it with sendfile from the file's current offset for Content-Length bytes;
    other servers read it, and it stops at the range's end. It has no tell() or seek(), so
    FileResponse leaves Content-Length to the view."""

    def __init__(self, file, start: int, length: int):
        file.seek(start)
        self.file = file
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        wanted = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self.file.read(wanted)
        self.remaining -= len(data)
        return data

    def fileno(self) -> int:
        return self.file.fileno()

    def close(self) -> None:
        self.file.close()


class Decompressed:
    """The file's NDJSON, decompressed as it streams; closing it closes the file."""

    def __init__(self, file, slot: Slot):
        self.file = file
        self.slot = slot

    def __iter__(self) -> Iterator[bytes]:
        decompressor = zlib.decompressobj(31)
        while chunk := self.file.read(READ_BYTES):
            self.slot.refresh()
            data = decompressor.decompress(chunk)
            if data:
                yield data
        tail = decompressor.flush()
        if tail:
            yield tail

    def close(self) -> None:
        self.file.close()


# --- The view's work ----------------------------------------------------------------------------


def _retry_after_first_build() -> int:
    took = snapshot_files.last_build_seconds()
    return max(5, min(300, int(took + 0.999) if took else FIRST_BUILD_RETRY_SECONDS))


def _not_ready(request) -> HttpResponse:
    """No file yet: the first build is queued (once), and the client told when to come back."""
    try:
        snapshot_files.queue_build(FIRST_BUILD_MARK)
    except Exception:
        logger.exception("Could not queue the first snapshot build; beat will build it.")
    response = problem_response(
        "snapshot-not-ready",
        "The first snapshot file is being built; try again after Retry-After seconds. "
        "Until then, /api/v1/changes?after=0 has every change from the start.",
        request.get_full_path(),
    )
    response["Retry-After"] = str(_retry_after_first_build())
    return response


def _requested_sequence(request) -> int | None:
    raw = request.query_params.get("sequence")
    if raw in (None, ""):
        return None
    if not raw.isdigit():
        raise invalid("sequence must be a whole number from X-Registry-Sequence.", field="sequence")
    return int(raw)


def _describe(response: HttpResponse, found: SnapshotFile, etag: str) -> None:
    """The headers every answer about a file carries, 304 included."""
    response["X-Registry-Sequence"] = str(found.sequence)
    response["ETag"] = etag
    response["Last-Modified"] = http_date(int(found.built_ts))
    response["Content-Location"] = found_path(found)
    response["Vary"] = "Accept-Encoding, Authorization, Prefer"
    response["Cache-Control"] = "private, no-cache"


def found_path(found: SnapshotFile) -> str:
    from django.urls import reverse

    return f"{reverse('api_snapshot')}?sequence={found.sequence}"


def serve(request, attempt: int = 0) -> HttpResponse:
    how = asked(request)  # 400 for a malformed `receipt` before anything else
    wanted = _requested_sequence(request)
    gzip = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    if how == "parameter" and not gzip:
        raise ProblemError(
            "not-acceptable",
            "A snapshot's receipt binds the file as stored, gzip-compressed: ask for it with "
            "Accept-Encoding: gzip to receive the bytes the receipt vouches for.",
        )

    if wanted is not None:
        found = snapshot_files.by_sequence(wanted)
        if found is None:
            raise ProblemError(
                "not-found",
                f"No snapshot file at sequence {wanted:,} is kept any more (only the newest "
                f"{settings.SNAPSHOT_KEEP}); fetch /api/v1/snapshot for the newest.",
            )
    elif snapshot_files.tasks_in_process():
        found = snapshot_files.ensure_current()
    else:
        found = snapshot_files.newest()
    if found is None or attempt > 2:
        return _not_ready(request)

    etag = found.etag if gzip else found.ndjson_etag
    built = int(found.built_ts)
    if not_modified(request, etag, built):
        response = HttpResponse(status=304)
        _describe(response, found, etag)
        return response

    status, start, length = 200, 0, found.size if gzip else found.ndjson_size
    if gzip and request.method == "GET" and range_applies(request, etag, built):
        try:
            chosen = byte_range(request.headers.get("Range"), found.size)
        except Unsatisfiable:
            response = problem_response(
                "range-not-satisfiable",
                f"The snapshot file has {found.size:,} bytes; a range must start before its end.",
                request.get_full_path(),
            )
            _describe(response, found, etag)
            response["Content-Range"] = f"bytes */{found.size}"
            return response
        if chosen is not None:
            status, start, length = 206, chosen[0], chosen[1] - chosen[0] + 1

    if request.method == "HEAD":
        response = HttpResponse(status=200, content_type=CONTENT_TYPE)
    else:
        platform = getattr(request.user, "platform", None)
        slot = Slot(platform.pk if platform is not None else 0)
        if not slot.take():
            response = problem_response(
                "snapshot-busy",
                "This platform is already downloading a snapshot; one download at a time. "
                "Try again when it has finished.",
                request.get_full_path(),
            )
            response["Retry-After"] = str(max(1, min(60, slot.seconds_left())))
            return response
        try:
            file = found.path.open("rb")
        except FileNotFoundError:
            # Pruned between the listing and now (only an older file can be): the newest then.
            slot.release()
            if wanted is not None:
                raise ProblemError("not-found", "That snapshot file was just removed.") from None
            return serve(request, attempt + 1)
        try:
            if gzip:
                response = FileResponse(FileRange(file, start, length), content_type=CONTENT_TYPE)
                response.block_size = READ_BYTES
            else:
                response = StreamingHttpResponse(
                    Decompressed(file, slot), content_type=CONTENT_TYPE
                )
        except BaseException:
            file.close()
            slot.release()
            raise
        response._resource_closers.append(slot.release)
        response.status_code = status
    response["Content-Length"] = str(length)
    if gzip:
        response["Content-Encoding"] = "gzip"
        response["Accept-Ranges"] = "bytes"
        if status == 206:
            response["Content-Range"] = f"bytes {start}-{start + length - 1}/{found.size}"
    else:
        response["Accept-Ranges"] = "none"
    _describe(response, found, etag)
    if how and gzip and found.receipt:
        response[RECEIPT_HEADER] = found.receipt
        if how == "prefer":
            response["Preference-Applied"] = PREFERENCE
    return response
