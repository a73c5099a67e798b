"""A whole catalogue file: every row validated, checked against what the creator already
registered, then registered in one transaction (or not at all).

The website's import page and the `import_catalogue` command both call `import_catalogue`, so a
file is judged the same way wherever it comes from; see `consent.importing` for the format.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from consent.identifiers import InvalidIdentifier, format_isrc, format_iswc
from consent.importing.columns import TRACK_ID, RowError, header_key, plural
from consent.importing.reading import (
    EMPTY_FILE,
    UTF8,
    FileProblem,
    decode_text,
    parse_header,
    read_records,
)
from consent.importing.rows import Row, check_repeats, formula_problem, parse_row
from consent.models import Claim, Creator
from consent.services import ConsentError, TrackData, register_tracks
from consent.text import LineBreakError

Progress = Callable[[int, int], None]


@dataclass
class ParseResult:
    """The rows a file describes and every problem found in it.

    `rows`, `lines` (the spreadsheet line each row came from) and `track_ids` (the registry's id
    from the track_id column, or None) run in parallel. Rows are only to be imported when
    `errors` is empty.
    """

    rows: list[TrackData] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Column key → the header as written in the file, to name columns the way the file does.
    columns: dict[str, str] = field(default_factory=dict)
    track_ids: list[uuid.UUID | None] = field(default_factory=list)
    encoding: str = UTF8


@dataclass(frozen=True)
class ImportSummary:
    tracks: int
    claims: int
    disputes: int

    def sentence(self, *, dry_run: bool = False) -> str:
        counts = f"{plural(self.claims, 'new claim')}, {plural(self.disputes, 'dispute')} opened"
        if dry_run:
            return (
                f"Every line is valid: importing would register {plural(self.tracks, 'track')} "
                f"({counts}). Nothing was imported: this was a dry run."
            )
        return f"Imported {plural(self.tracks, 'track')} ({counts})."


@dataclass(frozen=True)
class ImportOutcome:
    """Either the errors that stopped an import or the summary of what it wrote."""

    errors: list[RowError]
    summary: ImportSummary | None = None

    @property
    def ok(self) -> bool:
        return self.summary is not None


# --- The whole file -------------------------------------------------------------------------


def parse_catalogue_csv(
    data: bytes,
    *,
    max_rows: int,
    max_bytes: int,
    default_artist_credit: str,
    progress: Progress | None = None,
) -> ParseResult:
    """Read a catalogue CSV and validate every row; see the module docstring for the format.

    Every problem is collected (not only the first), except that a file which cannot be read,
    has an unusable header or has more than `max_rows` tracks stops at that one problem.
    `progress(done, total)` is called about a hundred times while rows are validated.
    """
    try:
        text, encoding = decode_text(data, max_bytes)
        records = read_records(text)
    except FileProblem as problem:
        return ParseResult(errors=[RowError(problem.line, "", str(problem))])

    records = [(line, cells) for line, cells in records if any(c.strip() for c in cells)]
    if not records:
        return ParseResult(errors=[RowError(None, "", EMPTY_FILE)])
    header_line, header_cells = records[0]
    header, header_errors = parse_header(header_line, header_cells)
    if header_errors:
        return ParseResult(errors=header_errors)

    body = records[1:]
    result = ParseResult(columns=header.written, encoding=encoding)
    if not body:
        result.errors.append(
            RowError(None, "", "The file has a header row but no tracks below it.")
        )
        return result
    if len(body) > max_rows:
        result.errors.append(
            RowError(
                None,
                "",
                f"The file lists {len(body):,} tracks, more than the limit of {max_rows:,} "
                "per import. Split it into smaller files and import them one after the other.",
            )
        )
        return result

    step = max(1, len(body) // 100)
    first_isrc: dict[str, int] = {}
    first_iswc: dict[str, int] = {}
    first_id: dict[uuid.UUID, int] = {}
    for done, (line, cells) in enumerate(body, start=1):
        row = Row(line, cells, header)
        track = parse_row(row, default_artist_credit)
        check_repeats(row, first_isrc, first_iswc)
        track_id = read_track_id(row, first_id)
        result.errors.extend(row.errors)
        if track is not None and not row.errors:
            result.rows.append(track)
            result.lines.append(line)
            result.track_ids.append(track_id)
        if progress and (done % step == 0 or done == len(body)):
            progress(done, len(body))
    return result


def read_track_id(row: Row, first_id: dict[uuid.UUID, int]) -> uuid.UUID | None:
    """The registry's id of the track a line updates, from the track_id column of an export."""
    key = header_key(TRACK_ID)
    position = row.header.index.get(key)
    if position is None or position >= len(row.cells):
        return None
    text = row.cells[position].strip()
    if not text:
        return None
    try:
        if formula_problem(row.cells[position]):
            raise ValueError
        track_id = uuid.UUID(text)
    except ValueError:
        row.error(
            key,
            f"“{text}” is not a track id. Keep the track_id cells as the export wrote them, "
            "or leave the cell empty for a new track.",
        )
        return None
    earlier = first_id.setdefault(track_id, row.line)
    if earlier != row.line:
        row.error(
            key,
            f"The track id {track_id} is also on line {earlier}; each track can be listed "
            f"once, so keep line {earlier} or line {row.line}.",
        )
    return track_id


# --- Against the registry -------------------------------------------------------------------

_QUERY_CHUNK = 5000


def find_conflicts(creator: Creator, parsed: ParseResult) -> list[RowError]:
    """Valid rows the creator has already registered, so a repeated import is caught up front.

    A row conflicts when the creator actively claims the same role of the track with its ISRC,
    or, for a row without ISRC, already claims a track with the same ISWC and no ISRC (importing
    it would register the same work a second time). One query per few thousand rows.
    """
    by_isrc: dict[str, int] = {}
    by_iswc: dict[str, int] = {}
    for position, track in enumerate(parsed.rows):
        if track.isrc:
            by_isrc[track.isrc] = position
        elif track.iswc:
            by_iswc[track.iswc] = position

    mine = Claim.objects.active().filter(creator=creator)
    claimed: dict[str, tuple[str, set[str]]] = {}
    isrcs = list(by_isrc)
    for start in range(0, len(isrcs), _QUERY_CHUNK):
        chunk = isrcs[start : start + _QUERY_CHUNK]
        for isrc, title, role in mine.filter(track__isrc__in=chunk).values_list(
            "track__isrc", "track__title", "role"
        ):
            claimed.setdefault(isrc, (title, set()))[1].add(role)

    errors: list[RowError] = []
    for isrc, (title, roles) in claimed.items():
        position = by_isrc[isrc]
        repeated = [role for role in parsed.rows[position].roles if role in roles]
        if repeated:
            errors.append(
                RowError(
                    parsed.lines[position],
                    parsed.columns.get("isrc", "isrc"),
                    f"You have already registered the {' and '.join(repeated)} of “{title}” "
                    f"(ISRC {format_isrc(isrc)}); remove this line to import the rest, or "
                    "choose “Update my tracks” to change the choices of tracks you registered.",
                )
            )
    iswcs = list(by_iswc)
    for start in range(0, len(iswcs), _QUERY_CHUNK):
        chunk = iswcs[start : start + _QUERY_CHUNK]
        rows = mine.filter(track__isrc__isnull=True, track__iswc__in=chunk).values_list(
            "track__iswc", "track__title"
        )
        for iswc, title in dict(rows).items():
            errors.append(
                RowError(
                    parsed.lines[by_iswc[iswc]],
                    parsed.columns.get("iswc", "iswc"),
                    f"You have already registered “{title}” with the ISWC {format_iswc(iswc)} "
                    "and no ISRC; remove this line, or add its ISRC if it is another recording.",
                )
            )
    return sorted(errors, key=lambda error: error.line or 0)


def import_catalogue(
    creator: Creator,
    data: bytes,
    *,
    max_rows: int,
    max_bytes: int,
    dry_run: bool = False,
    progress: Progress | None = None,
    before_writing: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Validate a catalogue file and, when every row is valid, register it in one transaction.

    A dry run performs the whole import and rolls it back, so its summary (claims, disputes) is
    exactly what a real import would have written at that moment. `progress` follows the
    validation of rows; `before_writing(rows)` is called once every row is known to be valid,
    just before the (longer) writing starts.
    """
    parsed = parse_catalogue_csv(
        data,
        max_rows=max_rows,
        max_bytes=max_bytes,
        default_artist_credit=creator.artist_name,
        progress=progress,
    )
    errors = parsed.errors
    if parsed.rows:
        errors = sorted(errors + find_conflicts(creator, parsed), key=lambda e: e.line or 0)
    if errors:
        return ImportOutcome(errors=errors)
    if before_writing:
        before_writing(len(parsed.rows))
    try:
        with transaction.atomic():
            result = register_tracks(creator, parsed.rows)
            summary = ImportSummary(
                tracks=len(result.tracks),
                claims=sum(len(track.roles) for track in parsed.rows),
                disputes=len({dispute.pk for dispute in result.disputes}),
            )
            if dry_run:
                transaction.set_rollback(True)
    except (ConsentError, InvalidIdentifier, LineBreakError) as exc:
        # Another import of the same tracks committed between validation and this one.
        return ImportOutcome(errors=[RowError(None, "", str(exc))])
    return ImportOutcome(errors=[], summary=summary)
