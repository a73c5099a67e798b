"""Judging a dataset manifest: one added column per purpose, the track and the sequence.

A manifest is CSV, JSON Lines or Parquet (with `pyarrow`) with a column of links and/or ISRCs
(or ISWCs, audio SHA-256s, track ids). Every row is answered as the registry answers its
identifiers, all at one moment: offline from a mirror (its cursor), or live with
`POST /api/v1/consent/batch` pinned to one `as_of`. A row with several identifiers takes, per
purpose, the most restrictive answer among them. Rows that cannot be judged (no identifier, an
identifier the registry cannot read, a line that is not JSON) are kept with `unset`, listed with
their line numbers in the audit record, or refused with `strict`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from registry_client.api import Registry
from registry_client.mirror import RANK, Mirror
from registry_client.progress import Progress
from registry_client.urls import InvalidIdentifier, normalize

PURPOSES = ("tdm", "train-ai", "train-genai", "ai-input", "search")
ADDED = (*PURPOSES, "track_id", "sequence")
BATCH = 10_000
# Manifests with at least this many distinct identifiers of a kind are normalized in processes.
PARALLEL_FROM = 50_000
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


@dataclass
class Row:
    line: int
    data: dict | None  # None: the line could not be read as a row
    raw: str = ""
    queries: list[tuple[str, str]] = field(default_factory=list)


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


# --- Reading and writing ------------------------------------------------------------------------


def read_rows(path: Path, fmt: str) -> tuple[list[str], list[Row]]:
    """(the columns in order, the rows with the line each ends on)."""
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8-sig") as stream:
            reader = csv.DictReader(stream)
            rows = [Row(reader.line_num, dict(record)) for record in reader]
            return list(reader.fieldnames or []), rows
    if fmt == "jsonl":
        columns: dict[str, None] = {}
        rows = []
        with open(path, encoding="utf-8-sig") as stream:
            for number, text in enumerate(stream, start=1):
                if not text.strip():
                    continue
                try:
                    data = json.loads(text)
                except ValueError:
                    data = None
                if not isinstance(data, dict):
                    rows.append(Row(number, None, text.rstrip("\r\n")))
                    continue
                columns.update(dict.fromkeys(data))
                rows.append(Row(number, data))
        return list(columns), rows
    if fmt == "parquet":
        pq = _pyarrow_parquet()
        table = pq.read_table(path)
        return table.column_names, [
            Row(index, record) for index, record in enumerate(table.to_pylist(), start=1)
        ]
    raise ManifestError(f"unknown format {fmt}")


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise ManifestError(
            "Parquet needs pyarrow: pip install 'registry-client[parquet]'"
        ) from exc
    return pq


def write_rows(path: Path, fmt: str, columns: list[str], rows: list[dict]) -> None:
    if fmt == "csv":
        with open(path, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as stream:
            for row in rows:
                stream.write(json.dumps(row, ensure_ascii=False) + "\n")
    else:
        import pyarrow as pa

        pq = _pyarrow_parquet()
        pq.write_table(pa.Table.from_pylist(rows), path)


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


# --- Answers ------------------------------------------------------------------------------------


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


def answer_live(
    registry: Registry,
    queries: list[tuple[str, str]],
    as_of: str,
    workers: int,
    bar: Progress,
    batch_size: int = BATCH,
) -> dict[tuple[str, str], dict]:
    chunks = [queries[i : i + batch_size] for i in range(0, len(queries), batch_size)]
    answers: dict[tuple[str, str], dict] = {}
    done = 0

    def ask(chunk: list[tuple[str, str]]) -> list[dict]:
        return registry.batch([{kind: value} for kind, value in chunk], as_of)["results"]

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for chunk, results in zip(chunks, pool.map(ask, chunks), strict=True):
            for query, result in zip(chunk, results, strict=True):
                answers[query] = result
            done += len(chunk)
            bar.update(done)
    return answers


def _normalize_each(kind: str, texts: list[str]) -> list[str | tuple[str]]:
    """Each text normalized, or (the reason it cannot be) for one the registry cannot read."""
    results: list[str | tuple[str]] = []
    for text in texts:
        try:
            results.append(normalize(kind, text))
        except InvalidIdentifier as exc:
            results.append((str(exc),))
    return results


def normalize_all(
    rows: list[Row], chosen: list[tuple], workers: int = 1
) -> dict[tuple[str, str], str | tuple[str]]:
    """Every distinct identifier of the manifest normalized once: a link normalized takes tens
    of microseconds, so a manifest of a million spreads them over `workers` processes."""
    distinct: dict[tuple[str, str], None] = {}
    for row in rows:
        if row.data is None:
            continue
        for column, kind in chosen:
            given = row.data.get(column)
            for value in given if isinstance(given, list) else [given]:
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                distinct[(kind, str(value))] = None
    by_kind: dict[str, list[str]] = {}
    for kind, text in distinct:
        by_kind.setdefault(kind, []).append(text)
    results: dict[tuple[str, str], str | tuple[str]] = {}
    processes = min(workers, os.cpu_count() or 1)
    for kind, texts in by_kind.items():
        if processes > 1 and len(texts) >= PARALLEL_FROM:
            size = -(-len(texts) // (processes * 4))
            chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
            with ProcessPoolExecutor(processes) as pool:
                done = pool.map(_normalize_each, [kind] * len(chunks), chunks)
                normalized = [item for chunk in done for item in chunk]
        else:
            normalized = _normalize_each(kind, texts)
        results.update(zip(((kind, t) for t in texts), normalized, strict=True))
    return results


def verdict(answers: list[dict]) -> dict[str, Any]:
    """A row's values: per purpose the most restrictive among its registered identifiers."""
    registered = [a for a in answers if a.get("status") == "registered"]
    row: dict[str, Any] = {}
    for purpose in PURPOSES:
        values = [a["policy"][purpose]["value"] for a in registered] or ["unset"]
        row[purpose] = max(values, key=RANK.__getitem__)
    tracks = list(dict.fromkeys(str(a["track"]["id"]) for a in registered if a.get("track")))
    row["track_id"] = ";".join(tracks)
    return row


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
) -> dict:
    """Judge the manifest at `path`, write it to `output` with the added columns, and write
    `<output>.audit.json`. Returns the audit record."""
    started = time.monotonic()
    path, output = Path(path), Path(output)
    fmt = detect_format(path, file_format)
    if drop_reserved is not None and drop_reserved not in PURPOSES:
        raise ManifestError(f"unknown purpose {drop_reserved!r}; one of {', '.join(PURPOSES)}")
    names, rows = read_rows(path, fmt)
    chosen = identifier_columns(names, columns)
    normalized = normalize_all(rows, chosen, workers if mirror is not None else 1)
    malformed: list[dict] = []
    for row in rows:
        if row.data is None:
            malformed.append({"line": row.line, "reason": "not a JSON object", "text": row.raw})
            continue
        unreadable = 0
        for column, kind in chosen:
            given = row.data.get(column)
            # JSON Lines and Parquet may hold several identifiers in one cell, as a list.
            for value in given if isinstance(given, list) else [given]:
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                text = str(value)
                result = normalized[(kind, text)]
                if isinstance(result, str):
                    row.queries.append((kind, result))
                else:
                    unreadable += 1
                    malformed.append(
                        {"line": row.line, "column": column, "value": text, "reason": result[0]}
                    )
        if not row.queries and not unreadable:
            malformed.append(
                {"line": row.line, "reason": f"no identifier in {', '.join(c for c, _ in chosen)}"}
            )
    if strict and malformed:
        first = malformed[0]
        raise ManifestError(
            f"{len(malformed)} malformed rows, the first on line {first['line']}: {first['reason']}"
        )

    unique = list(dict.fromkeys(q for row in rows for q in row.queries))
    bar = Progress("checking", total=len(unique), unit="identifiers", enabled=progress)
    opened = None
    if mirror is not None:
        source = mirror if isinstance(mirror, Mirror) else Mirror(mirror)
        opened = None if isinstance(mirror, Mirror) else source
        if source.cursor is None:
            raise ManifestError(f"the mirror in {source.directory} was never synced: run sync")
        sequence, as_of = source.cursor, source.get_meta("synced_at") or ""
        registry_address = source.get_meta("registry") or ""
        answers = {}
        by_kind: dict[str, list[str]] = {}
        for kind, value in unique:
            by_kind.setdefault(kind, []).append(value)
        done = 0
        for kind, values in by_kind.items():
            for start in range(0, len(values), BATCH):
                chunk = values[start : start + BATCH]
                for value, answer in source.answers_normalized(
                    kind, chunk, verdicts_only=True
                ).items():
                    answers[(kind, value)] = answer
                done += len(chunk)
                bar.update(done)
        bar.update(len(unique))
        mode = "mirror"
    else:
        if registry is None:
            raise ManifestError("give a mirror (--mirror) or the registry's address and key")
        as_of, sequence = pin_moment(registry)
        answers = answer_live(registry, unique, as_of, workers, bar, batch_size)
        registry_address = registry.url
        mode = "live"
    bar.close()
    if opened is not None:
        opened.close()

    for query, answer in answers.items():
        if answer.get("status") in ("unrecognised", "error"):  # the two sides disagree
            lines = [row.line for row in rows if query in row.queries]
            malformed.extend(
                {"line": line, "value": query[1], "reason": answer.get("reason", "")}
                for line in lines
            )

    added_columns = [c for c in names if c not in ADDED] + list(ADDED)
    counts = {p: dict.fromkeys(("allow", "deny", "license", "unset"), 0) for p in PURPOSES}
    written: list[dict] = []
    for row in rows:
        judged = verdict([answers[q] for q in row.queries]) | {"sequence": sequence}
        for purpose in PURPOSES:
            counts[purpose][judged[purpose]] += 1
        if drop_reserved and judged[drop_reserved] not in ("allow", "unset"):
            continue
        base = row.data if row.data is not None else {"_malformed": row.raw}
        written.append(dict(base) | judged)
    if any(row.data is None for row in rows) and "_malformed" not in added_columns:
        added_columns.insert(0, "_malformed")
    write_rows(output, fmt, added_columns, written)

    audit = {
        "registry": registry_address,
        "mode": mode,
        "sequence": sequence,
        "as_of": as_of,
        "input": {"path": str(path), "format": fmt, "sha256": sha256_of(path)},
        "output": {"path": str(output), "sha256": sha256_of(output)},
        "columns": [{"column": c, "kind": k} for c, k in chosen],
        "rows": len(rows),
        "written": len(written),
        "dropped": len(rows) - len(written),
        "drop_reserved": drop_reserved,
        "identifiers": len(unique),
        "registered_identifiers": sum(a.get("status") == "registered" for a in answers.values()),
        "rows_registered": sum(
            any(answers[q].get("status") == "registered" for q in row.queries) for row in rows
        ),
        "rows_unjudged": len({m["line"] for m in malformed}),
        "counts": counts,
        "malformed": sorted(malformed, key=lambda m: m["line"]),
        "seconds": round(time.monotonic() - started, 3),
    }
    audit_path = output.with_name(output.name + ".audit.json")
    audit_path.write_text(json.dumps(audit, indent=2, ensure_ascii=False) + "\n")
    return audit


def iter_allowed(rows: Iterator[dict], purpose: str) -> Iterator[dict]:
    """Rows of a judged manifest a model may use for `purpose` (`allow` or `unset`)."""
    return (row for row in rows if row.get(purpose) in ("allow", "unset"))
