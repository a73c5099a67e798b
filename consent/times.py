"""The one way the registry writes an instant for machines: RFC 3339, in UTC, with microseconds
and `Z` (`2026-01-31T12:00:00.000000Z`).

Every JSON answer of the API, every change event, webhook payload and snapshot line, and the
provenance stored with each policy write instants through `rfc3339`, so a platform parses one
spelling and compares instants as text. PostgreSQL writes the same spelling with `SQL_FORMAT`
where it builds JSON itself (api.events).
"""

import re
from datetime import UTC, datetime

# `to_char` pattern giving exactly what `rfc3339` gives, for a timestamp taken AT TIME ZONE 'UTC'.
SQL_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
# What every instant on the wire matches, and nothing else does.
PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")


def rfc3339(at: datetime) -> str:
    """`at` in UTC, always with six digits of microseconds and `Z`.

    A naive datetime is refused: guessing its zone would move the instant.
    """
    if at.tzinfo is not UTC:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("An instant needs a time zone to be written in UTC.")
        at = at.astimezone(UTC)
    return at.isoformat(timespec="microseconds").removesuffix("+00:00") + "Z"


def parse_rfc3339(text: str) -> datetime:
    """An instant written with an offset (`Z`, `+00:00`, `+02:00`…), as an aware datetime.

    Reads what `rfc3339` writes and the spellings stored before it (`isoformat()`), so stored
    JSON of either age reads the same.
    """
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone.")
    return at
