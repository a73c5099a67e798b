"""Texts that must stay on one line: track titles, artist credits and email subjects.

A title or credit is copied into email subjects, lists, CSV exports and line-based files. A line
break inside it would end the line there: in an email, the rest becomes a header of its own (or
the message is refused and the notice never leaves); in a line-based file, a new rule. So the
registry refuses such text where people type it (the website's forms, the CSV import and
`consent.services.register_tracks` behind them), and every email subject goes through
`email_subject`, which puts it on one line whatever it contains.
"""

import re

from django.conf import settings

# Every character Python's str.splitlines() ends a line at, which is every line break a mail
# client, a spreadsheet or a line-based parser might honour: LF, CR, VT, FF, the file, group and
# record separators (U+001C-U+001E), NEL (U+0085), and the Unicode line and paragraph separators.
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
_BREAK_RUN = re.compile("[" + re.escape("".join(sorted(LINE_BREAKS))) + "]+")


class LineBreakError(ValueError):
    """A text that must be on one line has a line break; the message says which field."""


def has_line_break(value: str) -> bool:
    return any(ch in LINE_BREAKS for ch in value)


def clean_single_line(value: str, field_label: str) -> str:
    """`value` unchanged when it has no line break; otherwise LineBreakError naming the field.

    `field_label` is the field as people know it, in lower case: "title", "artist credit".
    """
    if has_line_break(value):
        raise LineBreakError(
            f"The {field_label} cannot contain a line break. Write it on one line: it is copied "
            "into emails and files that are read line by line, where a break would cut it in two."
        )
    return value


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
