"""Bulk import of a catalogue from a CSV file: parse, validate every row, then register all at once.

The website's import page and the `import_catalogue` command both call `import_catalogue`, so a
file is judged the same way wherever it comes from. Nothing is written unless every row is valid:
an artist fixing a spreadsheet wants the complete list of problems in one go, and a half-imported
catalogue would be worse than none.

The file format (also shown on the import page, from `COLUMNS`):

- UTF-8 text (a leading byte order mark, as spreadsheets write it, is fine), comma separated;
  a semicolon or tab works too when the header row uses it.
- Line 1 is a header naming the columns, in any order. Names ignore case, and `-`, `_` and spaces
  in them are interchangeable (`Train AI`, `train_ai` and `train-ai` are the same column).
  Columns this import does not know are refused rather than silently ignored.
- `title` is required, and so is an `isrc` or an `iswc` column (or both). Every row needs a title
  and at least one of the two identifiers: they are how a track is found again, so importing the
  same file twice is caught instead of registering every track a second time.
- Line numbers are those a spreadsheet shows: the header is line 1, blank lines count but are
  otherwise ignored, and a cell that spans several lines inside quotes still belongs to one line.
"""

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from consent.identifiers import (
    InvalidIdentifier,
    format_isrc,
    format_iswc,
    normalize_isrc,
    normalize_iswc,
    normalize_url,
)
from consent.models import Claim, Creator
from consent.purposes import Purpose, PurposeChoice, Value, licence_terms_missing
from consent.services import ConsentError, TrackData, register_tracks
from consent.text import LineBreakError, clean_single_line
from consent.tracks import DEFAULT_ROLE_CHOICE, ROLE_CHOICES, DurationError, parse_duration

Progress = Callable[[int, int], None]

MAX_TITLE_LENGTH = 300
MAX_CREDIT_LENGTH = 300
MAX_TERMS_URL_LENGTH = 500
MAX_EMAIL_LENGTH = 254


@dataclass(frozen=True)
class Column:
    """One column of the import format, documented for people on the import page."""

    name: str
    required: str
    meaning: str
    example: str

    @property
    def key(self) -> str:
        return header_key(self.name)


COLUMNS: tuple[Column, ...] = (
    Column("title", "Yes", "The track's title.", "Night Drive"),
    Column(
        "isrc",
        "ISRC or ISWC",
        "The recording's ISRC, with or without hyphens. Listing an ISRC someone else has "
        "registered adds your claim and opens a dispute.",
        "US-RC1-76-07839",
    ),
    Column("iswc", "ISRC or ISWC", "The composition's ISWC.", "T-034.524.680-1"),
    Column(
        "role",
        "No",
        "What you own: recording, composition or both. Empty means recording.",
        "both",
    ),
    Column(
        "links",
        "No",
        "Web pages where the track is published, separated by spaces or “|”.",
        "https://artist.bandcamp.com/track/night-drive",
    ),
    Column(
        "artist_credit",
        "No",
        "The artist name as credited on the track. Empty means your artist name.",
        "Owner Band feat. Guest",
    ),
    Column("duration", "No", "Length as seconds, m:ss or h:mm:ss.", "3:45"),
    Column(
        "train-ai",
        "No",
        "Training any AI model: allow, deny or license. Empty follows your catalogue-wide choice.",
        "deny",
    ),
    Column("train-genai", "No", "Training generative AI: allow, deny or license.", "deny"),
    Column("ai-input", "No", "AI input (RAG, grounding): allow, deny or license.", "license"),
    Column("tdm", "No", "Text and data mining: allow, deny or license.", ""),
    Column("search", "No", "Search indexing: allow, deny or license.", "allow"),
    Column(
        "terms_url",
        "With license",
        "Where your licence terms are published, for the license values on the same line "
        "(which need this or a contact email).",
        "https://ownerband.example/licensing",
    ),
    Column(
        "contact_email",
        "With license",
        "Who to ask for a licence, for the license values on the same line.",
        "licensing@ownerband.example",
    ),
)

PURPOSE_COLUMNS: tuple[Purpose, ...] = (
    Purpose.TRAIN_AI,
    Purpose.TRAIN_GENAI,
    Purpose.AI_INPUT,
    Purpose.TDM,
    Purpose.SEARCH,
)
CELL_VALUES: dict[str, Value] = {
    "allow": Value.ALLOW,
    "deny": Value.DENY,
    "license": Value.LICENSE,
    "licence": Value.LICENSE,
}

# Rows of the downloadable example; they import cleanly, which a test checks.
EXAMPLE_ROWS: tuple[dict[str, str], ...] = (
    {
        "title": "Night Drive",
        "isrc": "QZ-ES5-24-00001",
        "iswc": "T-034.524.680-1",
        "role": "both",
        "links": "https://ownerband.example/night-drive | https://video.example/watch?v=nd24",
        "duration": "3:45",
        "train-ai": "deny",
        "train-genai": "deny",
        "ai-input": "deny",
        "search": "allow",
    },
    {
        "title": "Harbour Lights",
        "isrc": "QZ-ES5-24-00002",
        "role": "recording",
        "duration": "254",
        "train-ai": "license",
        "train-genai": "deny",
        "terms_url": "https://ownerband.example/licensing",
        "contact_email": "licensing@ownerband.example",
    },
    {
        "title": "-ness",
        "isrc": "QZ-ES5-24-00003",
        "artist_credit": "Owner Band feat. Guest",
    },
)
EXAMPLE_COLUMNS: tuple[str, ...] = (
    "title",
    "isrc",
    "iswc",
    "role",
    "links",
    "artist_credit",
    "duration",
    "train-ai",
    "train-genai",
    "ai-input",
    "tdm",
    "search",
    "terms_url",
    "contact_email",
)


def example_csv() -> bytes:
    """The downloadable example: `EXAMPLE_ROWS` under every column, with the byte order mark
    that makes spreadsheets open it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, EXAMPLE_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(EXAMPLE_ROWS)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode()


@dataclass(frozen=True)
class RowError:
    """One problem, located as the person sees it in their spreadsheet.

    `line` is None for a problem with the file as a whole; `column` is the header as written in
    the file, or empty when the problem is not about one cell.
    """

    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Line {self.line}" if self.line is not None else "File"
        if self.column:
            where += f", column “{self.column}”"
        return f"{where}: {self.message}"


@dataclass
class ParseResult:
    """The rows a file describes and every problem found in it.

    `rows` and `lines` run in parallel (the spreadsheet line each row came from). Rows are only
    to be imported when `errors` is empty.
    """

    rows: list[TrackData] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Column key → the header as written in the file, to name columns the way the file does.
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportSummary:
    tracks: int
    claims: int
    disputes: int

    def sentence(self, *, dry_run: bool = False) -> str:
        counts = f"{_plural(self.claims, 'new claim')}, {_plural(self.disputes, 'dispute')} opened"
        if dry_run:
            return (
                f"Every line is valid: importing would register {_plural(self.tracks, 'track')} "
                f"({counts}). Nothing was imported: this was a dry run."
            )
        return f"Imported {_plural(self.tracks, 'track')} ({counts})."


@dataclass(frozen=True)
class ImportOutcome:
    """Either the errors that stopped an import or the summary of what it wrote."""

    errors: list[RowError]
    summary: ImportSummary | None = None

    @property
    def ok(self) -> bool:
        return self.summary is not None


# --- Cells ----------------------------------------------------------------------------------


def header_key(name: str) -> str:
    """`Train AI`, `train_ai` and ` TRAIN-AI ` all name the column `train-ai`."""
    return re.sub(r"[\s_\-]+", "-", name.strip().lower())


# A cell after a leading `-` that a spreadsheet would still read as a formula: a cell reference
# (`-A1`), a function call (`-SUM(`), or a DDE call (`-cmd|' /C calc'!A0`).
_DASH_FORMULA = re.compile(r"^-(?:[A-Za-z]{1,3}\$?\d|[A-Za-z][\w.]*\(|[^|]*\|)")


def formula_problem(cell: str) -> str | None:
    """Why a cell would run as a spreadsheet formula, or None when it is plain text.

    The rule, checked on the cell as written and again after surrounding spaces are removed
    (which is what gets stored):

    - a cell starting with `=`, `+` or `@` is refused;
    - a cell starting with a tab or a carriage return is refused;
    - a cell starting with `-` is refused when the next character is not a letter (`-1`,
      `- 1`, `-(`, a lone `-`), and also when, despite the letter, it reads as a cell reference
      (`-A1`), a function call (`-SUM(`) or a link to another program (contains `|`).
      So a title such as “-ness” or “-ing Away” is accepted.
    """
    if not cell:
        return None
    first = cell[0]
    if first in "\t\r":
        name = "a tab" if first == "\t" else "a carriage return"
        return (
            f"This cell starts with {name}, which spreadsheets can treat as the start of a "
            "formula; formulas are not accepted. Remove the leading whitespace."
        )
    stripped = cell.strip()
    if not stripped:
        return None
    first = stripped[0]
    refused = first in "=+@" or (
        first == "-"
        and (len(stripped) == 1 or not stripped[1].isalpha() or _DASH_FORMULA.match(stripped))
    )
    if not refused:
        return None
    return (
        f"This cell starts with “{first}”, so a spreadsheet would run it as a formula; "
        f"formulas are not accepted. Remove the leading “{first}” or reword the cell."
    )


def web_link(text: str) -> str:
    """A page address completed with https:// when written without a scheme.

    Refuses what `normalize_url` would otherwise read as a host: an email address, or a
    `mailto:` link, would become `https://mailto:name@host`.
    """
    url = text if "://" in text else f"https://{text}"
    try:
        has_user = urlsplit(url).username is not None
    except ValueError:
        has_user = False  # normalize_url reports what is wrong with it
    if has_user:
        raise InvalidIdentifier(
            f"“{text}” is not a web link: write a page address starting with https://; "
            "an email address belongs in contact_email."
        )
    return url


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _size(n: int) -> str:
    if n < 1024:
        return _plural(n, "byte")
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


# --- Reading the file -----------------------------------------------------------------------


EMPTY_FILE = "The file is empty. It needs a header row naming the columns and one line per track."


class _FileProblem(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def size_problem(size: int, max_bytes: int) -> str | None:
    """The sentence refusing a file of `size` bytes, or None when it is within the limit.

    Faces call this with the size of an upload or a file on disk before reading it.
    """
    if size <= max_bytes:
        return None
    return (
        f"The file is {_size(size)}, more than the limit of {_size(max_bytes)}. "
        "Split it into smaller files and import them one after the other."
    )


def _decode(data: bytes, max_bytes: int) -> str:
    too_large = size_problem(len(data), max_bytes)
    if too_large:
        raise _FileProblem(too_large)
    if data.startswith(b"PK\x03\x04"):
        raise _FileProblem(
            "This looks like a spreadsheet workbook (for example .xlsx), not a CSV file. "
            "In your spreadsheet, choose “Save as” or “Download” and pick “CSV UTF-8”."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _FileProblem(
            "The file is saved as UTF-16 text, but the import reads UTF-8. "
            "In your spreadsheet, save it again as “CSV UTF-8”."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _FileProblem(
            f"The file is not UTF-8 text (the first character that cannot be read is on "
            f"line {line} of the file). In your spreadsheet, save it again as “CSV UTF-8”.",
        ) from exc
    if "\x00" in text:
        raise _FileProblem(
            "The file contains NUL characters, so it is not a CSV text file (it may be "
            "UTF-16 text or a binary file). In your spreadsheet, save it as “CSV UTF-8”."
        )
    if not text.strip():
        raise _FileProblem(EMPTY_FILE)
    return text


def _delimiter(text: str) -> str:
    """The separator the header row uses: commas unless it only makes sense with `;` or tabs."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    for candidate in (",", ";", "\t"):
        names = {
            header_key(cell) for cell in next(csv.reader([first_line], delimiter=candidate), [])
        }
        if "title" in names:
            return candidate
    return ","


def _records(text: str) -> list[tuple[int, list[str]]]:
    """Every record with its spreadsheet line number (1-based, blank lines counted).

    Strict quoting, so that a quote opened and never closed is reported on its line instead of
    silently turning the rest of the file into one cell.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 0
    try:
        for cells in reader:
            line += 1
            records.append((line, cells))
    except csv.Error as exc:
        raise _FileProblem(_csv_problem(str(exc)), line + 1) from exc
    return records


def _csv_problem(reason: str) -> str:
    if reason.startswith("unexpected end of data") or reason.startswith("field larger"):
        return (
            "A quote opened on this line is never closed, so the rest of the file reads as one "
            "cell. Close the quote, or remove it if it is part of a title."
        )
    if "expected after" in reason:
        return (
            "A cell on this line continues after its closing quote. A quoted cell must end "
            'with the quote; a quote inside a quoted title is written twice ("").'
        )
    return f"This line cannot be read as CSV ({reason}); check its quotes and separators."


# --- The header -----------------------------------------------------------------------------


@dataclass
class _Header:
    index: dict[str, int]  # column key → position in the row
    written: dict[str, str]  # column key → the header text as in the file
    unnamed: list[int]  # positions whose header cell is empty
    width: int


def _parse_header(line: int, cells: list[str]) -> tuple[_Header, list[RowError]]:
    known = {column.key for column in COLUMNS}
    header = _Header(index={}, written={}, unnamed=[], width=len(cells))
    errors: list[RowError] = []
    unknown: list[str] = []
    for position, cell in enumerate(cells):
        key = header_key(cell)
        if not key:
            header.unnamed.append(position)
        elif key not in known:
            unknown.append(cell.strip())
        elif key in header.index:
            errors.append(
                RowError(
                    line,
                    cell.strip(),
                    f"The column “{cell.strip()}” appears twice in the header (columns "
                    f"{header.index[key] + 1} and {position + 1}); keep only one.",
                )
            )
        else:
            header.index[key] = position
            header.written[key] = cell.strip()
    if unknown:
        names = ", ".join(f"“{name}”" for name in unknown)
        accepted = ", ".join(column.name for column in COLUMNS)
        errors.append(
            RowError(
                line,
                "",
                f"The header names {_plural(len(unknown), 'column')} this import does not "
                f"know: {names}. Remove or rename them; the accepted columns are: {accepted}.",
            )
        )
    example = "for example: title,isrc,role,train-ai"
    if "title" not in header.index and any(_is_isrc(cell) for cell in cells):
        # Without a header every cell reads as an unknown column; one sentence says why.
        message = "Line 1 looks like a track rather than a header row naming the columns"
        return header, [RowError(line, "", f"{message}, {example}.")]
    if "title" not in header.index:
        errors.append(
            RowError(line, "", f"The header row has no “title” column; name it, {example}.")
        )
    if "isrc" not in header.index and "iswc" not in header.index:
        errors.append(
            RowError(
                line,
                "",
                "The header row needs an “isrc” column, an “iswc” column or both, so that "
                "every track can be identified.",
            )
        )
    return header, errors


def _is_isrc(cell: str) -> bool:
    try:
        normalize_isrc(cell)
    except InvalidIdentifier:
        return False
    return True


# --- One row --------------------------------------------------------------------------------


class _Row:
    """Reads the cells of one data row, collecting a RowError per bad cell."""

    def __init__(self, line: int, cells: list[str], header: _Header) -> None:
        self.line = line
        self.cells = cells
        self.header = header
        self.errors: list[RowError] = []
        self.isrc: str | None = None
        self.iswc = ""

    def error(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.line, self.header.written.get(key, ""), message))

    def cell(self, key: str) -> str:
        """The stripped text of a column, or "" when the column is absent or the cell refused."""
        position = self.header.index.get(key)
        if position is None or position >= len(self.cells):
            return ""
        raw = self.cells[position]
        problem = formula_problem(raw)
        if problem:
            self.error(key, problem)
            return ""
        return raw.strip()

    def check_unlisted_cells(self) -> bool:
        """Report values outside the named columns; True when the line is too long to read."""
        extra = [cell for cell in self.cells[self.header.width :] if cell.strip()]
        if extra:
            # Its cells are shifted, so every other complaint about it would mislead.
            self.errors.append(
                RowError(
                    self.line,
                    "",
                    f"This line has {len(self.cells)} cells but the header names only "
                    f"{self.header.width} columns; a title containing a comma must be in "
                    "double quotes.",
                )
            )
            return True
        for position in self.header.unnamed:
            if position < len(self.cells) and self.cells[position].strip():
                self.errors.append(
                    RowError(
                        self.line,
                        "",
                        f"Column {position + 1} has a value but no name in the header row; "
                        "name the column or remove the value.",
                    )
                )
        return False

    def text(self, key: str, label: str, max_length: int) -> str:
        """A one-line text: a line break inside a quoted cell is refused, like on the website;
        other runs of spaces and tabs become one space."""
        value = self.cell(key)
        try:
            clean_single_line(value, label)
        except LineBreakError as exc:
            self.error(key, str(exc))
            return ""
        value = " ".join(value.split())
        if len(value) > max_length:
            self.error(
                key, f"The {label} is {len(value):,} characters long; the limit is {max_length:,}."
            )
            return ""
        return value


def _parse_row(row: _Row, default_artist_credit: str) -> TrackData | None:
    if row.check_unlisted_cells():
        return None
    title = row.text("title", "title", MAX_TITLE_LENGTH)
    if not title and not _refused(row, "title"):
        row.error("title", "Every track needs a title.")
    artist_credit = (
        row.text("artist-credit", "artist credit", MAX_CREDIT_LENGTH) or default_artist_credit
    )

    raw_isrc, raw_iswc = row.cell("isrc"), row.cell("iswc")
    if raw_isrc:
        try:
            row.isrc = normalize_isrc(raw_isrc)
        except InvalidIdentifier as exc:
            row.error("isrc", str(exc))
    if raw_iswc:
        try:
            row.iswc = normalize_iswc(raw_iswc)
        except InvalidIdentifier as exc:
            row.error("iswc", str(exc))
    if not raw_isrc and not raw_iswc and not _refused(row, "isrc", "iswc"):
        row.error(
            "isrc" if "isrc" in row.header.index else "iswc",
            "Every track needs an ISRC or an ISWC, so that it can be found again.",
        )

    roles: tuple[str, ...] = ROLE_CHOICES[DEFAULT_ROLE_CHOICE]
    raw_role = row.cell("role")
    if raw_role:
        if raw_role.lower() in ROLE_CHOICES:
            roles = ROLE_CHOICES[raw_role.lower()]
        else:
            row.error(
                "role",
                f"“{raw_role}” is not a role: write recording, composition or both "
                "(an empty cell means recording).",
            )

    links: list[str] = []
    for link in re.split(r"[\s|]+", row.cell("links")):
        if not link:
            continue
        problem = formula_problem(link)
        if problem:
            row.error("links", problem)
            continue
        try:
            links.append(normalize_url(web_link(link)))
        except InvalidIdentifier as exc:
            row.error("links", str(exc))

    duration: int | None = None
    raw_duration = row.cell("duration")
    if raw_duration:
        try:
            duration = parse_duration(raw_duration)
        except DurationError as exc:
            row.error("duration", str(exc))

    values: dict[Purpose, Value] = {}
    for purpose in PURPOSE_COLUMNS:
        raw_value = row.cell(purpose.value)
        if not raw_value:
            continue
        value = CELL_VALUES.get(raw_value.lower())
        if value is None:
            row.error(
                purpose.value,
                f"“{raw_value}” is not a choice for {purpose.value}: write allow, deny or "
                "license, or leave the cell empty to follow your catalogue-wide choice.",
            )
        else:
            values[purpose] = value

    terms_url = row.cell("terms-url")
    if terms_url:
        terms_url = _terms_url(row, terms_url)
    contact_email = row.cell("contact-email")
    if contact_email:
        contact_email = _contact_email(row, contact_email)
    choices = {
        purpose: PurposeChoice(value, terms_url, contact_email)
        if value == Value.LICENSE
        else PurposeChoice(value)
        for purpose, value in values.items()
    }
    problem = licence_terms_missing(choices)
    if problem and not _refused(row, "terms-url", "contact-email"):
        licensed = [p for p in PURPOSE_COLUMNS if values.get(p) == Value.LICENSE]
        row.error(licensed[0].value, problem)

    if row.errors:
        return None
    return TrackData(
        title=title,
        artist_credit=artist_credit,
        roles=roles,
        isrc=row.isrc,
        iswc=row.iswc,
        duration_seconds=duration,
        links=tuple(dict.fromkeys(links)),
        choices=choices,
    )


def _refused(row: _Row, *keys: str) -> bool:
    """Whether a cell of these columns was already reported, so one mistake gives one error."""
    written = {row.header.written.get(key) for key in keys} - {None}
    return any(error.column in written for error in row.errors)


def _terms_url(row: _Row, text: str) -> str:
    if len(text) > MAX_TERMS_URL_LENGTH:
        row.error("terms-url", f"The terms URL is longer than {MAX_TERMS_URL_LENGTH} characters.")
        return ""
    try:
        url = web_link(text)
        normalize_url(url)
    except InvalidIdentifier as exc:
        row.error("terms-url", str(exc))
        return ""
    # Stored as written (the page may need every query parameter), only completed with a scheme.
    return url


def _contact_email(row: _Row, text: str) -> str:
    try:
        if len(text) > MAX_EMAIL_LENGTH:
            raise ValidationError("too long")
        validate_email(text)
    except ValidationError:
        row.error("contact-email", f"“{text}” is not a valid email address.")
        return ""
    return text


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
        records = _records(_decode(data, max_bytes))
    except _FileProblem as problem:
        return ParseResult(errors=[RowError(problem.line, "", str(problem))])

    records = [(line, cells) for line, cells in records if any(c.strip() for c in cells)]
    if not records:
        return ParseResult(errors=[RowError(None, "", EMPTY_FILE)])
    header_line, header_cells = records[0]
    header, header_errors = _parse_header(header_line, header_cells)
    if header_errors:
        return ParseResult(errors=header_errors)

    body = records[1:]
    result = ParseResult(columns=header.written)
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
    for done, (line, cells) in enumerate(body, start=1):
        row = _Row(line, cells, header)
        track = _parse_row(row, default_artist_credit)
        _check_repeats(row, first_isrc, first_iswc)
        result.errors.extend(row.errors)
        if track is not None and not row.errors:
            result.rows.append(track)
            result.lines.append(line)
        if progress and (done % step == 0 or done == len(body)):
            progress(done, len(body))
    return result


def _check_repeats(row: _Row, first_isrc: dict[str, int], first_iswc: dict[str, int]) -> None:
    """Refuse a second line for the same recording, naming both lines."""
    if row.isrc:
        earlier = first_isrc.setdefault(row.isrc, row.line)
        if earlier != row.line:
            row.error(
                "isrc",
                f"The ISRC {format_isrc(row.isrc)} is also on line {earlier}; each recording "
                f"can be listed once, so keep line {earlier} or line {row.line}.",
            )
    elif row.iswc and not _refused(row, "isrc"):
        earlier = first_iswc.setdefault(row.iswc, row.line)
        if earlier != row.line:
            row.error(
                "iswc",
                f"The ISWC {format_iswc(row.iswc)} without an ISRC is also on line {earlier}; "
                "if these are different recordings, add their ISRCs.",
            )


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
                    f"(ISRC {format_isrc(isrc)}); remove this line to import the rest.",
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
