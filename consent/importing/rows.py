"""Validating one data row of a catalogue file into a `TrackData` and its choices.

Every bad cell is reported (`Row` collects a `RowError` per cell), one mistake giving one error;
a row is only turned into a `TrackData` when it has none.
"""

import re

from consent.addresses import clean_contact_email, clean_terms_url, normalize_web_link
from consent.identifiers import (
    InvalidIdentifier,
    format_isrc,
    format_iswc,
    normalize_isrc,
    normalize_iswc,
)
from consent.importing.columns import CELL_VALUES, PURPOSE_COLUMNS, RowError
from consent.importing.reading import Header
from consent.purposes import Purpose, PurposeChoice, Value, licence_terms_missing
from consent.services import TrackData
from consent.text import LineBreakError, clean_single_line
from consent.tracks import DEFAULT_ROLE_CHOICE, ROLE_CHOICES, DurationError, parse_duration

MAX_TITLE_LENGTH = 300
MAX_CREDIT_LENGTH = 300


# --- Cells ----------------------------------------------------------------------------------


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


# --- One row --------------------------------------------------------------------------------


class Row:
    """Reads the cells of one data row, collecting a RowError per bad cell."""

    def __init__(self, line: int, cells: list[str], header: Header) -> None:
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
        try:
            value = clean_single_line(self.cell(key), label)  # the website's rule too
        except LineBreakError as exc:
            self.error(key, str(exc))
            return ""
        if len(value) > max_length:
            self.error(
                key, f"The {label} is {len(value):,} characters long; the limit is {max_length:,}."
            )
            return ""
        return value


def parse_row(row: Row, default_artist_credit: str) -> TrackData | None:
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
            links.append(normalize_web_link(link))
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


def _refused(row: Row, *keys: str) -> bool:
    """Whether a cell of these columns was already reported, so one mistake gives one error."""
    written = {row.header.written.get(key) for key in keys} - {None}
    return any(error.column in written for error in row.errors)


def _terms_url(row: Row, text: str) -> str:
    try:
        return clean_terms_url(text)  # the rule of the website's form too
    except InvalidIdentifier as exc:
        row.error("terms-url", str(exc))
        return ""


def _contact_email(row: Row, text: str) -> str:
    try:
        return clean_contact_email(text)  # the rule of the website's form too
    except InvalidIdentifier as exc:
        row.error("contact-email", str(exc))
        return ""


def check_repeats(row: Row, first_isrc: dict[str, int], first_iswc: dict[str, int]) -> None:
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
