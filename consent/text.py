"""Texts that must stay on one line: track titles, artist credits and email subjects.

A title or credit is copied into email subjects, lists, CSV exports and line-based files. A line
break inside it would end the line there: in an email, the rest becomes a header of its own (or
the message is refused and the notice never leaves); in a line-based file, a new rule. So the
registry refuses such text where people type it (the website's forms, the CSV import and
`consent.services.register_tracks` behind them), and every email subject goes through
`email_subject`, which puts it on one line whatever it contains.
"""

import re
import unicodedata

from django.conf import settings

# Every character Python's str.splitlines() ends a line at, which is every line break a mail
# client, a spreadsheet or a line-based parser might honour: LF, CR, VT, FF, the file, group and
# record separators (U+001C-U+001E), NEL (U+0085), and the Unicode line and paragraph separators.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_BREAK_RUN = re.compile("[" + re.escape("".join(sorted(LINE_BREAKS))) + "]+")
_SPACE_RUN = re.compile("[ \t]+")

# Invisible characters people cannot see they pasted, so the refusal names each one.
_BREAK_NAMES = {
    "\v": "a vertical tab (U+000B)",
    "\f": "a form feed (U+000C)",
    "\x1c": "a file separator (U+001C)",
    "\x1d": "a group separator (U+001D)",
    "\x1e": "a record separator (U+001E)",
    "\x85": "a next-line character (U+0085)",
    "\u2028": "a line separator (U+2028)",
    "\u2029": "a paragraph separator (U+2029)",
}

# Format characters (Unicode category Cf) that belong to writing and stay allowed: the zero-width
# non-joiner and joiner (Persian, Indic scripts, emoji sequences), the left-to-right,
# right-to-left and Arabic letter marks (direction in a title mixing scripts, without reordering
# what follows), the soft hyphen, and the tag characters of subdivision flags (Scotland, Wales).
# Every other one (bidirectional overrides and isolates, zero-width spaces, byte order marks)
# only hides or reorders what the line says.
WRITING_FORMAT_CHARACTERS = frozenset("\u00ad\u061c\u200c\u200d\u200e\u200f") | frozenset(
    chr(code) for code in range(0xE0020, 0xE0080)
)


class LineBreakError(ValueError):
    """A text that must be on one line has a line break; the message says which field."""


def has_line_break(value: str) -> bool:
    return any(ch in LINE_BREAKS for ch in value)


def _hidden(ch: str) -> bool:
    """A control or format character a one-line text refuses (a tab counts as a space)."""
    if ch == "\t":
        return False
    category = unicodedata.category(ch)
    return category == "Cc" or (category == "Cf" and ch not in WRITING_FORMAT_CHARACTERS)


def _character_name(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return (
        f"“{name.lower()}” (U+{ord(ch):04X})" if name else f"the control character U+{ord(ch):04X}"
    )


def clean_single_line(value: str, field_label: str) -> str:
    """`value` with each run of spaces and tabs made one space; LineBreakError naming the
    field and the character when it has a line break or an invisible control or format
    character.

    `field_label` is the field as people know it, in lower case: "title", "artist credit".
    The website's forms, the CSV import and `consent.services.register_tracks` all use this.
    """
    found = next((ch for ch in value if ch in LINE_BREAKS), None)
    if found is not None:
        which = _BREAK_NAMES.get(found)
        detail = f": it contains {which}, an invisible one" if which else ""
        raise LineBreakError(
            f"The {field_label} cannot contain a line break{detail}. Write it on one line: it "
            "is copied into emails and files that are read line by line, where a break would "
            "cut it in two."
        )
    found = next((ch for ch in value if _hidden(ch)), None)
    if found is not None:
        raise LineBreakError(
            f"The {field_label} cannot contain invisible control characters: it contains "
            f"{_character_name(found)}, which hides or reorders what the text says. Type it "
            "again rather than pasting it, with letters, digits, spaces and punctuation only."
        )
    return _SPACE_RUN.sub(" ", value)


def check_track_texts(items) -> None:
    """Refuse tracks (`TrackData`) whose title or artist credit is not on one line."""
    for item in items:
        clean_single_line(item.title, "title")
        clean_single_line(item.artist_credit, "artist credit")


def one_line(text: str) -> str:
    """The text with every line break (a CR LF pair too) replaced by one space, trimmed."""
    return _BREAK_RUN.sub(" ", text).strip()


def email_subject(text: str) -> str:
    """The subject of an email the registry sends: its prefix, then `text` on one line.

    Every email goes through here (and `registry.tasks.send_email` applies `one_line` again), so
    a title with a line break can neither stop a notice from being sent nor add a header to it.
    """
    return one_line(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + text)
