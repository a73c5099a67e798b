"""Reading a catalogue file: from bytes to records with their spreadsheet line numbers, and the
header row that names the columns. A file that cannot be read stops here with one problem
(`FileProblem`); the format is described in `consent.importing`."""

import csv
import io
from dataclasses import dataclass

from consent.identifiers import InvalidIdentifier, normalize_isrc
from consent.importing.columns import COLUMNS, RowError, header_key, plural

# --- Reading the file -----------------------------------------------------------------------


EMPTY_FILE = "The file is empty. It needs a header row naming the columns and one line per track."


class FileProblem(Exception):
    """A file that cannot be read at all; `line` is where, when known."""

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


def _size(n: int) -> str:
    if n < 1024:
        return plural(n, "byte")
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


UTF8 = "UTF-8"
WINDOWS_1252 = "Windows-1252"


def decode(data: bytes, max_bytes: int) -> str:
    """The file's text; see `decode_text`."""
    return decode_text(data, max_bytes)[0]


def decode_text(data: bytes, max_bytes: int) -> tuple[str, str]:
    """The file's text and the encoding it was read as (`UTF8` or `WINDOWS_1252`).

    UTF-8 first, with or without a byte order mark; only a file that is not valid UTF-8 is read
    as Windows-1252, which is what Excel writes for “CSV (comma delimited)” on a European
    Windows. `FileProblem` says why a file is too large or cannot be read as CSV text.
    """
    too_large = size_problem(len(data), max_bytes)
    if too_large:
        raise FileProblem(too_large)
    if data.startswith(b"PK\x03\x04"):
        raise FileProblem(
            "This looks like a spreadsheet workbook (for example .xlsx), not a CSV file. "
            "In your spreadsheet, choose “Save as” or “Download” and pick “CSV UTF-8”."
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileProblem(
            "The file is saved as UTF-16 text, but the import reads UTF-8 or Windows-1252. "
            "In your spreadsheet, save it again as “CSV UTF-8”."
        )
    encoding = UTF8
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as not_utf8:
        encoding = WINDOWS_1252
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise FileProblem(
                "The file is neither UTF-8 nor Windows-1252 text (the first character that "
                f"cannot be read is on line {line} of the file). In your spreadsheet, save it "
                "again as “CSV UTF-8”.",
            ) from not_utf8
    if "\x00" in text:
        raise FileProblem(
            "The file contains NUL characters, so it is not a CSV text file (it may be "
            "UTF-16 text or a binary file). In your spreadsheet, save it as “CSV UTF-8”."
        )
    if not text.strip():
        raise FileProblem(EMPTY_FILE)
    return text, encoding


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


def read_records(text: str) -> list[tuple[int, list[str]]]:
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
        raise FileProblem(_csv_problem(str(exc)), line + 1) from exc
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
class Header:
    index: dict[str, int]  # column key → position in the row
    written: dict[str, str]  # column key → the header text as in the file
    unnamed: list[int]  # positions whose header cell is empty
    width: int


def parse_header(line: int, cells: list[str]) -> tuple[Header, list[RowError]]:
    known = {column.key for column in COLUMNS}
    header = Header(index={}, written={}, unnamed=[], width=len(cells))
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
                f"The header names {plural(len(unknown), 'column')} this import does not "
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
