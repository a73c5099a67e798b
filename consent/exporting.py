"""A creator's catalogue as a CSV sheet that the import reads back (`EXPORT_COLUMNS`).

One line per track the creator claims, with the track's own (track-level) choice per purpose,
empty where the track follows the catalogue-wide choice, and its identifiers, so that editing
the choices and importing the sheet in update mode changes exactly what was edited. Produced a
chunk of tracks at a time, so a large catalogue streams without being held in memory.
"""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Subquery

from consent.identifiers import format_isrc, format_iswc
from consent.importing.columns import EXPORT_COLUMNS, PURPOSE_COLUMNS, TRACK_ID
from consent.importing.rows import formula_problem
from consent.models import Claim, Creator, Track
from consent.policies import chunks, latest_statements, visible_links
from consent.purposes import Value
from consent.tracks import ROLE_CHOICES

BYTE_ORDER_MARK = "\ufeff"  # so that spreadsheets open the file as UTF-8
CHUNK = 1000
ROLE_NAMES = {frozenset(roles): name for name, roles in ROLE_CHOICES.items()}


def export_lines(creator: Creator) -> Iterator[str]:
    """The CSV text, a line at a time: the header, then one line per track, by title."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield BYTE_ORDER_MARK + flush()
    for rows in export_rows(creator):
        writer.writerows(rows)
        yield flush()


def export_rows(creator: Creator) -> Iterator[list[list[str]]]:
    """The tracks' lines, a chunk at a time, each in `EXPORT_COLUMNS` order."""
    roles: dict[int, set[str]] = defaultdict(set)
    for track_id, role in (
        Claim.objects.active().filter(creator=creator).values_list("track_id", "role")
    ):
        roles[track_id].add(role)
    claimed = Claim.objects.active().filter(creator=creator).values("track_id")
    ordered = list(
        Track.objects.filter(pk__in=Subquery(claimed))
        .order_by("title", "id")
        .values_list("id", flat=True)
    )
    for chunk in chunks(ordered, CHUNK):
        tracks = Track.objects.in_bulk(chunk)
        links = visible_links(chunk)
        statements = latest_statements([creator.id], chunk)
        yield [
            _line(
                tracks[track_id],
                roles[track_id],
                links.get(track_id, []),
                statements.get((creator.id, track_id), {}),
            )
            for track_id in chunk
        ]


def _line(track: Track, roles: set[str], links: list[str], own: dict) -> list[str]:
    """`own`: the creator's track-level statements per purpose."""
    cells = {
        TRACK_ID: str(track.public_id),
        "title": track.title,
        "isrc": format_isrc(track.isrc) if track.isrc else "",
        "iswc": format_iswc(track.iswc) if track.iswc else "",
        "role": ROLE_NAMES.get(frozenset(roles), ""),
        "links": " | ".join(links),
        "artist_credit": track.artist_credit,
        "duration": _duration(track.duration_seconds),
        "terms_url": "",
        "contact_email": "",
    }
    for purpose in PURPOSE_COLUMNS:
        statement = own.get(purpose)
        value = statement.value if statement else Value.UNSET
        cells[purpose.value] = "" if value == Value.UNSET else value.value
        if value == Value.LICENSE and not (cells["terms_url"] or cells["contact_email"]):
            cells["terms_url"] = statement.terms_url
            cells["contact_email"] = statement.contact_email
    return [_safe(cells[name]) for name in EXPORT_COLUMNS]


def _duration(seconds: int | None) -> str:
    if not seconds:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _safe(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is written with a leading apostrophe, which
    spreadsheets read as "this is text"."""
    return f"'{cell}" if formula_problem(cell) else cell
