"""The catalogue import's format: its columns, the downloadable example, and how a problem is
located (`RowError`). The format is described in `consent.importing`; the import page shows it
from `COLUMNS`."""

import csv
import io
import re
from dataclasses import dataclass

from consent.purposes import Purpose, Value


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


TRACK_ID = "track_id"

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
    Column(
        TRACK_ID,
        "No",
        "The registry's id of one of your tracks, as an exported sheet has it: the line "
        "updates that track. Leave it empty for a new track.",
        "",
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


# What an export writes, in this order: every column the import reads.
EXPORT_COLUMNS: tuple[str, ...] = (TRACK_ID, *EXAMPLE_COLUMNS)


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


def header_key(name: str) -> str:
    """`Train AI`, `train_ai` and ` TRAIN-AI ` all name the column `train-ai`."""
    return re.sub(r"[\s_\-]+", "-", name.strip().lower())


def plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
