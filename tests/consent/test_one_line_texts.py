"""Titles and artist credits stay on one line: the rule, and the domain refusing what breaks it."""

import sys

import pytest

from consent.models import Claim, Track
from consent.services import TrackData, register_track, register_tracks
from consent.text import LINE_BREAKS, LineBreakError, clean_single_line, email_subject, one_line

pytestmark = pytest.mark.django_db

EVERY_BREAK = sorted(LINE_BREAKS)


def test_the_line_breaks_are_exactly_those_python_ends_a_line_at():
    splitting = {chr(c) for c in range(sys.maxunicode + 1) if len(f"a{chr(c)}b".splitlines()) > 1}
    assert splitting == LINE_BREAKS


@pytest.mark.parametrize("brk", EVERY_BREAK, ids=[f"U+{ord(c):04X}" for c in EVERY_BREAK])
def test_a_text_with_any_line_break_is_refused_with_a_sentence_naming_the_field(brk):
    with pytest.raises(LineBreakError) as refused:
        clean_single_line(f"Night{brk}Drive", "artist credit")
    message = str(refused.value)
    assert message.startswith("The artist credit cannot contain a line break")
    assert "Write it on one line" in message
    if brk not in "\n\r":  # an invisible break is named, so the artist can find it
        assert f"(U+{ord(brk):04X})" in message


def test_text_on_one_line_is_returned_with_its_spaces_and_tabs_made_one_space():
    # Tabs, non-breaking spaces and Persian's zero-width non-joiner are not line breaks.
    text = "Sigur Rós\t— Ágætis\xa0Byrjun می\u200cخواهم"
    assert clean_single_line(text, "title") == "Sigur Rós — Ágætis\xa0Byrjun می\u200cخواهم"


@pytest.mark.parametrize(
    ("title", "credit", "field"),
    [
        ("Night\u2028Drive", "Owner Band", "The title"),
        ("Night Drive", "Owner Band\nBcc: everyone@example.org", "The artist credit"),
    ],
)
def test_registering_a_track_with_a_line_break_is_refused_and_registers_nothing(
    artist, title, credit, field
):
    good = TrackData(title="Harbour Lights", artist_credit="Owner Band", roles=["recording"])
    bad = TrackData(title=title, artist_credit=credit, roles=["recording"])
    with pytest.raises(LineBreakError, match=f"^{field} cannot contain a line break"):
        register_tracks(artist, [good, bad])
    assert Track.objects.count() == 0
    assert Claim.objects.count() == 0


def test_a_title_on_one_line_registers(artist):
    data = TrackData(title="Night Drive", artist_credit="Owner Band", roles=["recording"])
    assert register_track(artist, data).tracks[0].title == "Night Drive"


def test_one_line_turns_every_line_break_into_a_space():
    hostile = "".join(f"part{n}{brk}" for n, brk in enumerate(EVERY_BREAK))
    flat = one_line(hostile)
    assert flat.splitlines() == [flat]
    assert flat == " ".join(f"part{n}" for n in range(len(EVERY_BREAK)))


def test_an_email_subject_is_the_prefix_and_the_text_on_one_line(settings):
    settings.ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Consent Registry] "
    subject = email_subject("The dispute over “Night\r\nBcc: x@example.org\u2028Drive” is decided")
    assert subject == (
        "[Consent Registry] The dispute over “Night Bcc: x@example.org Drive” is decided"
    )


# --- The CSV import -------------------------------------------------------------------------


def parse(*lines: str):
    from consent.importing.catalogue import parse_catalogue_csv

    data = ("\n".join(lines) + "\n").encode()
    return parse_catalogue_csv(
        data, max_rows=100, max_bytes=1_000_000, default_artist_credit="Owner Band"
    )


@pytest.mark.parametrize(
    ("header", "row", "column", "field", "named"),
    [
        ("title,isrc", '"Night\nDrive",USRC17607839', "title", "title", ""),
        (
            "title,isrc",
            '"Night\u2028Drive",USRC17607839',
            "title",
            "title",
            ": it contains a line separator (U+2028), an invisible one",
        ),
        (
            "Title,ISRC,Artist Credit",
            'Night Drive,USRC17607839,"Owner Band\x85Guest"',
            "Artist Credit",
            "artist credit",
            ": it contains a next-line character (U+0085), an invisible one",
        ),
    ],
)
def test_an_import_refuses_a_line_break_on_the_spreadsheet_line_naming_the_column(
    header, row, column, field, named
):
    result = parse(header, "Harbour Lights,GBAYE2400001" + ("," if "Credit" in header else ""), row)
    assert result.rows[0].title == "Harbour Lights"
    assert [str(error) for error in result.errors] == [
        f"Line 3, column “{column}”: The {field} cannot contain a line break{named}. Write it on "
        "one line: it is copied into emails and files that are read line by line, where a break "
        "would cut it in two."
    ]


def test_an_import_still_reads_a_title_with_tabs_and_double_spaces_as_one_spaced_line():
    result = parse("title,isrc", '"Night\t  Drive",USRC17607839')
    assert result.errors == []
    assert result.rows[0].title == "Night Drive"
