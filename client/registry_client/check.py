"""Judging a dataset manifest: one added column per purpose, the track and the sequence.

A manifest is CSV, JSON Lines or Parquet (with `pyarrow`) with a column of links and/or ISRCs
(or ISWCs, audio SHA-256s, track ids). Every row is answered as the registry answers its
identifiers, all at one moment: offline from a mirror (its cursor), or live with
`POST /api/v1/consent/batch` pinned to one `as_of`. A row with several identifiers takes, per
purpose, the most restrictive answer among them. Rows that cannot be judged (no identifier, an
identifier the registry cannot read, a line that is not JSON) are kept with `unset`, listed with
their line numbers in the audit record, or refused with `strict`.

The manifest is streamed: rows are read, judged and written in chunks of `CHUNK` (Parquet by
record batches), in order, so memory stays bounded whatever the manifest's size. Against a
mirror, chunks are judged in worker processes (normalizing a link is most of the work), each
reading the mirror in one read transaction that must be at the cursor the run was pinned to.
The output is written beside its final name and renamed into place once complete, so a failed
run never leaves a judged manifest that lacks rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

from registry_client.api import Registry
from registry_client.mirror import FILENAME, RANK, UNSET_VALUES, Mirror, read_verdicts
from registry_client.mirror import FORMAT as MIRROR_FORMAT
from registry_client.progress import Progress
from registry_client.urls import InvalidIdentifier, normalize

PURPOSES = ("tdm", "train-ai", "train-genai", "ai-input", "search")
VALUES = ("allow", "deny", "license", "unset")
ADDED = (*PURPOSES, "track_id", "sequence")
ALLOWED = ("allow", "unset")
BATCH = 10_000
# Rows read, judged and written at a time: the bound on memory (times the chunks in flight).
CHUNK = 20_000
FORMATS = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}
# Column names recognised without --column (lowercased), and the kind of identifier they hold.
KNOWN_COLUMNS = {
    **dict.fromkeys(
        (
            "url",
            "urls",
            "link",
            "links",
            "href",
            "uri",
            "source_url",
            "page_url",
            "audio_url",
            "track_url",
            "original_url",
            "webpage_url",
            "src",
        ),
        "url",
    ),
    "isrc": "isrc",
    "isrcs": "isrc",
    "iswc": "iswc",
    "sha256": "sha256",
    "audio_sha256": "sha256",
    "registry_track_id": "track",
}


class ManifestError(Exception):
    """The manifest cannot be judged as asked (format, columns, or a malformed row in strict)."""


def detect_format(path: Path, given: str | None) -> str:
    if given:
        return given
    suffixes = [s.lower() for s in path.suffixes]
    for suffix in reversed(suffixes):
        if suffix in FORMATS:
            return FORMATS[suffix]
    raise ManifestError(f"cannot tell the format of {path.name} from its name: give --format")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# --- Reading ------------------------------------------------------------------------------------


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ManifestError(
            "Parquet needs pyarrow: pip install 'registry-client[parquet]'"
        ) from exc
    return pq


def _chunked(rows: Iterable, size: int) -> Iterator[list]:
    """`rows` in lists of `size` (the last one shorter)."""
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _TextManifest:
    """What a manifest read as text shares: how far the read has gone, and closing it."""

    stream: io.TextIOWrapper
    size: int

    def share(self) -> float:
        return min(self.stream.buffer.tell() / self.size, 1.0)

    def close(self) -> None:
        self.stream.close()


class CsvManifest(_TextManifest):
    """A CSV manifest's header, then its records in chunks of (the line each ends on, fields)."""

    def __init__(self, path: Path):
        self.stream = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 (closed by close)
        self.size = max(os.fstat(self.stream.fileno()).st_size, 1)
        self.reader = csv.reader(self.stream)
        self.names: list[str] = next(self.reader, [])

    def chunks(self, size: int) -> Iterator[list]:
        reader = self.reader
        # A blank line is no record (as csv.DictReader reads it); line_num is read as each
        # record is taken, so it is the line that record ends on.
        return _chunked(((reader.line_num, fields) for fields in reader if fields), size)


class JsonlManifest(_TextManifest):
    """A JSON Lines manifest: its keys (those of every object in it, read in a first pass that
    keeps only the keys), then chunks of (line number, text) for the non-blank lines."""

    def __init__(self, path: Path, wanted: Sequence[str] | None):
        self.path = path
        self.size = max(path.stat().st_size, 1)
        names: dict[str, None] = {}
        missing = set(wanted or ())
        with open(path, encoding="utf-8-sig") as stream:
            for text in stream:
                if wanted is not None and not missing:
                    break  # every column asked for is there
                try:
                    data = json.loads(text)
                except ValueError:
                    continue
                if isinstance(data, dict):
                    names.update(dict.fromkeys(data))
                    missing.difference_update(data)
        self.names = list(names)
        self.stream = open(path, encoding="utf-8-sig")  # noqa: SIM115 (closed by close)

    def chunks(self, size: int) -> Iterator[list]:
        lines = enumerate(self.stream, start=1)
        return _chunked(((n, text.rstrip("\r\n")) for n, text in lines if text.strip()), size)


class ParquetManifest:
    """A Parquet manifest read by record batches: chunks of (row number, row as a dict)."""

    def __init__(self, path: Path):
        pq = _pyarrow_parquet()
        self.file = pq.ParquetFile(path)
        self.schema = self.file.schema_arrow
        self.names: list[str] = list(self.schema.names)
        self.total = max(self.file.metadata.num_rows, 1)
        self.done = 0

    def chunks(self, size: int) -> Iterator[list]:
        for batch in self.file.iter_batches(batch_size=size):
            rows = batch.to_pylist()
            yield [(self.done + n, row) for n, row in enumerate(rows, start=1)]
            self.done += len(rows)

    def share(self) -> float:
        return min(self.done / self.total, 1.0)

    def close(self) -> None:
        self.file.close()


def open_manifest(path: Path, fmt: str, wanted: Sequence[str] | None):
    if fmt == "csv":
        return CsvManifest(path)
    if fmt == "jsonl":
        return JsonlManifest(path, wanted)
    if fmt == "parquet":
        return ParquetManifest(path)
    raise ManifestError(f"unknown format {fmt}")


# --- Writing ------------------------------------------------------------------------------------


class Writer:
    """The judged manifest, chunk by chunk: CSV and JSON Lines as the text the judges wrote,
    Parquet as record batches with the input's schema and the added columns."""

    def __init__(self, path: Path, fmt: str, manifest, header: list[str]):
        self.fmt = fmt
        self.parquet = None
        if fmt == "parquet":
            import pyarrow as pa

            pq = _pyarrow_parquet()
            kept = [f for f in manifest.schema if f.name not in ADDED]
            added = [pa.field(name, pa.string()) for name in ADDED[:-1]]
            self.schema = pa.schema([*kept, *added, pa.field("sequence", pa.int64())])
            self.parquet = pq.ParquetWriter(path, self.schema)
            self.stream = None
        else:
            self.stream = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
            if fmt == "csv":
                csv.writer(self.stream).writerow(header)

    def write(self, body) -> None:
        if self.parquet is not None:
            if body:
                import pyarrow as pa

                self.parquet.write_table(pa.Table.from_pylist(body, schema=self.schema))
        else:
            self.stream.write(body)

    def close(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
            self.parquet = None
        if self.stream is not None:
            self.stream.close()
            self.stream = None


# --- Columns ------------------------------------------------------------------------------------


def kind_of(name: str) -> str:
    lowered = name.lower()
    if lowered in KNOWN_COLUMNS:
        return KNOWN_COLUMNS[lowered]
    for part in ("isrc", "iswc", "sha256"):
        if part in lowered:
            return part
    return "url"


def identifier_columns(columns: Sequence[str], given: Sequence[str] | None) -> list[tuple]:
    """(column, kind) pairs: those given (`name` or `name=kind`), or the recognised names."""
    if given:
        chosen = []
        for spec in given:
            name, _, kind = spec.partition("=")
            if name not in columns:
                raise ManifestError(f"no column {name!r}; the columns are {', '.join(columns)}")
            if kind and kind not in ("url", "isrc", "iswc", "sha256", "track"):
                raise ManifestError(f"unknown identifier kind {kind!r} for column {name!r}")
            chosen.append((name, kind or kind_of(name)))
        return chosen
    found = [
        (name, KNOWN_COLUMNS[name.lower()]) for name in columns if name.lower() in KNOWN_COLUMNS
    ]
    if not found:
        raise ManifestError(
            f"no column of links or ISRCs found among {', '.join(columns) or 'no columns'}: "
            "name them with --column"
        )
    return found


# --- Judging ------------------------------------------------------------------------------------

# An answer as a check reads it: (the five values, the first track's id) for what the registry
# answered, or (None, the reason) for what it could not read.
Verdict = tuple[Any, str]
Answerer = Callable[[dict[str, list[str]]], dict[tuple[str, str], Verdict]]
UNREGISTERED: Verdict = (UNSET_VALUES, "")


@dataclass(frozen=True)
class Plan:
    """What judging a chunk needs, the same for every chunk (and sent to worker processes)."""

    fmt: str
    chosen: tuple[tuple[str, str], ...]  # (column, kind)
    positions: tuple[int, ...]  # CSV: the position of each chosen column
    keep: tuple[int, ...]  # CSV: the positions of the input's columns written back
    width: int  # CSV: the number of columns in the header
    sequence: int
    drop: int | None  # the index in PURPOSES of --drop-reserved


@dataclass
class Judged:
    """A chunk judged: its output, and what the audit record adds up."""

    body: Any = ""
    rows: int = 0
    written: int = 0
    identifiers: int = 0
    registered_identifiers: int = 0
    rows_registered: int = 0
    rows_unjudged: int = 0
    values: Counter = field(default_factory=Counter)  # the five values of each row, counted
    malformed: list[dict] = field(default_factory=list)


def _texts(given: Any) -> list[str]:
    """The identifiers of one cell: JSON Lines and Parquet may hold several, as a list."""
    found = []
    for value in given if isinstance(given, list) else [given]:
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        found.append(str(value))
    return found


def judge_chunk(plan: Plan, chunk: Sequence[tuple], answer: Answerer) -> Judged:
    """Judge and write one chunk of rows, in order."""
    fmt, chosen = plan.fmt, plan.chosen
    judged = Judged(rows=len(chunk))
    # 1. Each row's identifiers, as given.
    rows: list[tuple[int, Any, list[tuple[str, str, str]], str]] = []
    for line, item in chunk:
        given: list[tuple[str, str, str]] = []  # (column, kind, text)
        if fmt == "csv":
            data = item
            for (column, kind), position in zip(chosen, plan.positions, strict=True):
                if position < len(item) and item[position].strip():
                    given.append((column, kind, item[position]))
        else:
            if fmt == "jsonl":
                try:
                    data = json.loads(item)
                except ValueError:
                    data = None
                if not isinstance(data, dict):
                    data = None
            else:
                data = item
            if data is not None:
                for column, kind in chosen:
                    given.extend((column, kind, text) for text in _texts(data.get(column)))
        rows.append((line, data, given, item if data is None else ""))
    # 2. Each distinct identifier normalized once.
    normalized: dict[tuple[str, str], str | None] = {}
    reasons: dict[tuple[str, str], str] = {}
    wanted: dict[str, dict[str, None]] = {}
    for _, _, given, _ in rows:
        for _, kind, text in given:
            key = (kind, text)
            if key in normalized:
                continue
            try:
                value = normalize(kind, text)
            except InvalidIdentifier as exc:
                normalized[key] = None
                reasons[key] = str(exc)
                continue
            normalized[key] = value
            wanted.setdefault(kind, {})[value] = None
    # 3. Each distinct normalized identifier answered once.
    answers = answer({kind: list(values) for kind, values in wanted.items()})
    # 4. Each row judged and written.
    out = io.StringIO() if fmt != "parquet" else None
    writer = csv.writer(out) if fmt == "csv" else None
    parquet_rows: list[dict] = []
    sequence, drop, keep, width = plan.sequence, plan.drop, plan.keep, plan.width
    names = ", ".join(column for column, _ in chosen)
    for line, data, given, raw in rows:
        found: list[Verdict] = []
        problems: list[dict] = []
        if data is None:
            problems.append({"line": line, "reason": "not a JSON object", "text": raw})
        for column, kind, text in given:
            value = normalized[(kind, text)]
            if value is None:
                problems.append(
                    {"line": line, "column": column, "value": text, "reason": reasons[(kind, text)]}
                )
                continue
            verdict = answers.get((kind, value), UNREGISTERED)
            if verdict[0] is None:  # the registry could not read what the client could
                problems.append({"line": line, "value": value, "reason": verdict[1]})
                continue
            found.append(verdict)
        if data is not None and not given:
            problems.append({"line": line, "reason": f"no identifier in {names}"})
        if fmt == "csv" and len(data) > width:
            problems.append(
                {
                    "line": line,
                    "reason": f"{len(data)} fields where the header has {width}: "
                    "the extra ones are not written",
                }
            )
        judged.identifiers += len(found)
        registered = [v for v in found if v[1]]
        judged.registered_identifiers += len(registered)
        if not found:
            judged.rows_unjudged += 1
        if registered:
            judged.rows_registered += 1
            if len(registered) == 1:
                values, track_id = registered[0]
            else:
                values = tuple(
                    max(each, key=RANK.__getitem__)
                    for each in zip(*(v[0] for v in registered), strict=True)
                )
                track_id = ";".join(dict.fromkeys(v[1] for v in registered))
        else:
            values, track_id = UNSET_VALUES, ""
        judged.values[values] += 1
        judged.malformed.extend(problems)
        if drop is not None and values[drop] not in ALLOWED:
            continue
        judged.written += 1
        if fmt == "csv":
            fields = [data[i] if i < len(data) else "" for i in keep]
            writer.writerow([*fields, *values, track_id, sequence])
        else:
            base = data if data is not None else {"_malformed": raw}
            row = dict(base) | dict(zip(PURPOSES, values, strict=True))
            row |= {"track_id": track_id, "sequence": sequence}
            if out is not None:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            else:
                parquet_rows.append(row)
    judged.body = out.getvalue() if out is not None else parquet_rows
    return judged


class MirrorAnswerer:
    """Answers from the mirror's SQLite file, in one read transaction that must hold the state
    at `sequence`: a sync or a webhook receiver writing meanwhile cannot mix two moments."""

    def __init__(self, database: Path, sequence: int):
        self.db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        self.db.execute("BEGIN")
        row = self.db.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone()
        if row is None or int(row[0]) != sequence:
            self.db.close()
            raise ManifestError(
                "the mirror moved on while the manifest was being judged (a sync or a webhook "
                "receiver wrote to it): check again"
            )

    def __call__(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], Verdict]:
        answers: dict[tuple[str, str], Verdict] = {}
        for kind, values in wanted.items():
            for value, verdict in read_verdicts(self.db, kind, values).items():
                answers[(kind, value)] = verdict
        return answers

    def close(self) -> None:
        self.db.close()


_worker_answerer: MirrorAnswerer | None = None


def _judge_in_worker(plan: Plan, chunk: Sequence[tuple], database: str) -> Judged:
    """A worker process's chunk: its mirror connection is opened once and kept."""
    global _worker_answerer
    if _worker_answerer is None:
        _worker_answerer = MirrorAnswerer(Path(database), plan.sequence)
    return judge_chunk(plan, chunk, _worker_answerer)


class LiveAnswerer:
    """Answers from `POST /api/v1/consent/batch`, `batch_size` identifiers a request, `workers`
    requests at a time, every one pinned to `as_of`."""

    def __init__(self, registry: Registry, as_of: str, workers: int, batch_size: int):
        self.registry, self.as_of, self.batch_size = registry, as_of, max(1, batch_size)
        self.pool = ThreadPoolExecutor(max_workers=max(1, workers))

    def _ask(self, queries: list[tuple[str, str]]) -> list[dict]:
        items = [{kind: value} for kind, value in queries]
        return self.registry.batch(items, self.as_of)["results"]

    def __call__(self, wanted: dict[str, list[str]]) -> dict[tuple[str, str], Verdict]:
        queries = [(kind, value) for kind, values in wanted.items() for value in values]
        size = self.batch_size
        batches = [queries[i : i + size] for i in range(0, len(queries), size)]
        answers: dict[tuple[str, str], Verdict] = {}
        for batch, results in zip(batches, self.pool.map(self._ask, batches), strict=True):
            for query, result in zip(batch, results, strict=True):
                status = result.get("status")
                if status == "registered":
                    policy = result["policy"]
                    values = tuple(policy[p]["value"] for p in PURPOSES)
                    answers[query] = (values, str(result["track"]["id"]))
                elif status in ("unrecognised", "error"):
                    answers[query] = (None, result.get("reason") or result.get("detail") or status)
        return answers

    def close(self) -> None:
        self.pool.shutdown()


def pin_moment(registry: Registry) -> tuple[str, int]:
    """The registry's own current time (RFC 3339) and the last change sequence at that time.

    The time is the registry's answer to an empty batch, so no clock skew can put it in the
    future; the sequence is read before and after, and again until both agree.
    """
    as_of, sequence = "", 0
    for _ in range(10):
        before = registry.last_sequence()
        as_of = registry.batch([])["as_of"]
        sequence = registry.last_sequence()
        if before == sequence:
            break
    return as_of, sequence


def judge_all(
    chunks: Iterator[list],
    plan: Plan,
    answerer: Answerer | None,
    database: Path | None,
    processes: int,
) -> Iterator[Judged]:
    """Every chunk judged, in order: in this process, or (from a mirror, with `processes` > 1
    and more than one chunk) in worker processes, at most two chunks in flight per process."""
    first = next(chunks, None)
    second = next(chunks, None) if first is not None else None
    ahead = [c for c in (first, second) if c is not None]
    if answerer is not None and (processes <= 1 or second is None or database is None):
        for chunk in chain(ahead, chunks):
            yield judge_chunk(plan, chunk, answerer)
        return
    pool = ProcessPoolExecutor(processes)
    try:
        pending: deque = deque()
        for chunk in chain(ahead, chunks):
            pending.append(pool.submit(_judge_in_worker, plan, chunk, str(database)))
            while len(pending) >= processes * 2:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)


def check_manifest(
    path: str | Path,
    output: str | Path,
    *,
    columns: Sequence[str] | None = None,
    file_format: str | None = None,
    mirror: str | Path | Mirror | None = None,
    registry: Registry | None = None,
    drop_reserved: str | None = None,
    strict: bool = False,
    progress: bool = False,
    workers: int = 3,
    batch_size: int = BATCH,
    chunk_rows: int = CHUNK,
) -> dict:
    """Judge the manifest at `path`, write it to `output` with the added columns, and write
    `<output>.audit.json`. Returns the audit record.

    `workers`: live, the requests at a time; from a mirror, the processes judging chunks (at
    most one per core)."""
    started = time.monotonic()
    path, output = Path(path), Path(output)
    fmt = detect_format(path, file_format)
    if drop_reserved is not None and drop_reserved not in PURPOSES:
        raise ManifestError(f"unknown purpose {drop_reserved!r}; one of {', '.join(PURPOSES)}")
    if mirror is None and registry is None:
        raise ManifestError("give a mirror (--mirror) or the registry's address and key")
    manifest = open_manifest(path, fmt, [c.partition("=")[0] for c in columns or ()] or None)
    answerer: Any = None
    partial = output.with_name(output.name + ".partial")
    writer = None
    try:
        names = manifest.names
        chosen = identifier_columns(names, columns)
        database = None
        if mirror is not None:
            directory = mirror.directory if isinstance(mirror, Mirror) else Path(mirror)
            database = directory / FILENAME
            if not database.exists():
                raise ManifestError(f"no mirror in {directory}: run sync")
            with closing(sqlite3.connect(database)) as db:
                meta = dict(db.execute("SELECT key, value FROM meta"))
            if "cursor" not in meta:
                raise ManifestError(f"the mirror in {directory} was never synced: run sync")
            if meta.get("format") != MIRROR_FORMAT:
                raise ManifestError(
                    f"the mirror in {directory} was written by an older client: run sync, "
                    "which reloads it"
                )
            sequence, as_of = int(meta["cursor"]), meta.get("synced_at", "")
            registry_address = meta.get("registry", "")
            mode = "mirror"
            processes = min(max(1, workers), os.cpu_count() or 1)
            answerer = MirrorAnswerer(database, sequence)
        else:
            assert registry is not None
            as_of, sequence = pin_moment(registry)
            registry_address, mode, processes = registry.url, "live", 1
            answerer = LiveAnswerer(registry, as_of, workers, batch_size)
            # Enough rows a chunk to keep every concurrent request full.
            chunk_rows = max(chunk_rows, batch_size * max(1, workers))
        keep = tuple(i for i, name in enumerate(names) if name not in ADDED)
        plan = Plan(
            fmt=fmt,
            chosen=tuple(chosen),
            positions=tuple(names.index(c) for c, _ in chosen) if fmt == "csv" else (),
            keep=keep,
            width=len(names),
            sequence=sequence,
            drop=None if drop_reserved is None else PURPOSES.index(drop_reserved),
        )
        writer = Writer(partial, fmt, manifest, [names[i] for i in keep] + list(ADDED))
        totals = Judged()
        bar = Progress("checking", unit="rows", enabled=progress)
        # How far into the input each chunk ends, for the progress line: chunks are read ahead
        # of being judged.
        ends: deque[float] = deque()

        def reading() -> Iterator[list]:
            for chunk in manifest.chunks(chunk_rows):
                ends.append(manifest.share())
                yield chunk

        for judged in judge_all(reading(), plan, answerer, database, processes):
            if strict and judged.malformed:
                first = judged.malformed[0]
                raise ManifestError(
                    f"a malformed row on line {first['line']}: {first['reason']} "
                    "(without --strict it is kept, judged unset, and listed in the audit)"
                )
            writer.write(judged.body)
            for name in ("rows", "written", "identifiers", "registered_identifiers"):
                setattr(totals, name, getattr(totals, name) + getattr(judged, name))
            totals.rows_registered += judged.rows_registered
            totals.rows_unjudged += judged.rows_unjudged
            totals.values.update(judged.values)
            totals.malformed.extend(judged.malformed)
            bar.update(totals.rows, share=ends.popleft())
        bar.close()
        writer.close()
        os.replace(partial, output)
    except BaseException:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
        raise
    finally:
        manifest.close()
        if answerer is not None:
            answerer.close()

    counts = {p: dict.fromkeys(VALUES, 0) for p in PURPOSES}
    for values, number in totals.values.items():
        for purpose, value in zip(PURPOSES, values, strict=True):
            counts[purpose][value] += number
    audit = {
        "registry": registry_address,
        "mode": mode,
        "sequence": sequence,
        "as_of": as_of,
        "input": {"path": str(path), "format": fmt, "sha256": sha256_of(path)},
        "output": {"path": str(output), "sha256": sha256_of(output)},
        "columns": [{"column": c, "kind": k} for c, k in chosen],
        "rows": totals.rows,
        "written": totals.written,
        "dropped": totals.rows - totals.written,
        "drop_reserved": drop_reserved,
        "identifiers": totals.identifiers,
        "registered_identifiers": totals.registered_identifiers,
        "rows_registered": totals.rows_registered,
        "rows_unjudged": totals.rows_unjudged,
        "counts": counts,
        "malformed": totals.malformed,
        "seconds": round(time.monotonic() - started, 3),
    }
    audit_path = output.with_name(output.name + ".audit.json")
    audit_path.write_text(json.dumps(audit, indent=2, ensure_ascii=False) + "\n")
    return audit


def iter_allowed(rows: Iterable[dict], purpose: str) -> Iterator[dict]:
    """Rows of a judged manifest a model may use for `purpose` (`allow` or `unset`)."""
    return (row for row in rows if row.get(purpose) in ALLOWED)
