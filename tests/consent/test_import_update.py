"""Updating registered tracks from an exported sheet: matching, the planned changes, applying
them all or nothing, and what an applied change leaves behind (declarations, events)."""

import csv
import io
import uuid

import pytest

from consent.exporting import export_lines
from consent.importing.catalogue import parse_catalogue_csv
from consent.importing.columns import COLUMNS, EXPORT_COLUMNS, header_key
from consent.importing.updating import StalePlan, apply_update, plan_update
from consent.models import ChangeEvent, Claim, Declaration, Track
from consent.policies import latest_statements
from consent.purposes import Purpose, PurposeChoice, Value
from consent.services import ConsentError, declare
from tests.factories import register

pytestmark = pytest.mark.django_db

LICENCE = PurposeChoice(Value.LICENSE, "https://owner.example/licensing", "deals@owner.example")


def parse(data: bytes):
    return parse_catalogue_csv(
        data, max_rows=10_000, max_bytes=10_000_000, default_artist_credit="Owner Band"
    )


def exported(creator) -> str:
    return "".join(export_lines(creator))


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def sheet(rows: list[dict[str, str]], fieldnames=EXPORT_COLUMNS) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def edited(text: str, changes: dict[Track, dict[str, str]]) -> str:
    rows = rows_of(text)
    by_id = {str(track.public_id): cells for track, cells in changes.items()}
    for row in rows:
        row.update(by_id.get(row["track_id"], {}))
    return sheet(rows)


def plan(creator, data: bytes | str):
    data = data.encode() if isinstance(data, str) else data
    return plan_update(creator, parse(data))


def apply(creator, data: bytes | str):
    data = data.encode() if isinstance(data, str) else data
    return apply_update(creator, parse(data), plan(creator, data).digest())


def own_choices(creator, track) -> dict[Purpose, Value]:
    statements = latest_statements([creator.id], [track.id]).get((creator.id, track.id), {})
    return {purpose: s.value for purpose, s in statements.items() if s.value != Value.UNSET}


@pytest.fixture
def catalogue(artist):
    """Four tracks: choices of every kind, an ISWC-only work, both roles, links, a duration."""
    night = register(
        artist,
        "https://owner.example/night",
        title="Night Drive",
        isrc="QZES52400001",
        iswc="T0345246801",
        roles=["recording", "composition"],
        duration_seconds=225,
        choices={Purpose.TRAIN_AI: PurposeChoice(Value.DENY), Purpose.SEARCH: LICENCE},
    )
    harbour = register(artist, title="Harbour Lights", isrc="QZES52400002")
    cafe = register(
        artist,
        title="Café Noir",
        isrc="QZES52400003",
        choices={Purpose.AI_INPUT: PurposeChoice(Value.DENY)},
    )
    hymn = register(artist, title="Old Hymn", iswc="T0000000010", roles=["composition"])
    declare(artist, {Purpose.TDM: PurposeChoice(Value.DENY)})  # catalogue-wide: not exported
    return night, harbour, cafe, hymn


def test_the_export_has_the_import_columns_and_one_line_per_owned_track(
    artist, other_artist, catalogue
):
    register(other_artist, title="Not Mine", isrc="QZES52400099")
    text = exported(artist)
    assert text.startswith("\ufeff")
    header = text.removeprefix("\ufeff").splitlines()[0].split(",")
    assert {header_key(name) for name in header} == {column.key for column in COLUMNS}
    rows = rows_of(text)
    assert [row["title"] for row in rows] == [
        "Café Noir",
        "Harbour Lights",
        "Night Drive",
        "Old Hymn",
    ]
    night = rows[2]
    assert night["track_id"] == str(catalogue[0].public_id)
    assert (night["isrc"], night["iswc"], night["role"]) == (
        "QZ-ES5-24-00001",
        "T-034.524.680-1",
        "both",
    )
    assert (night["links"], night["duration"]) == ("https://owner.example/night", "3:45")
    assert (night["train-ai"], night["search"], night["tdm"]) == ("deny", "license", "")
    assert night["terms_url"] == LICENCE.terms_url
    assert night["contact_email"] == LICENCE.contact_email
    assert rows[1]["train-ai"] == ""  # follows the catalogue: blank, not the inherited value
    assert rows[3]["role"] == "composition"


def test_a_withdrawn_track_is_not_exported(artist, catalogue):
    Claim.objects.filter(track=catalogue[1]).update(status=Claim.Status.WITHDRAWN)
    assert "Harbour Lights" not in exported(artist)


def test_a_title_a_spreadsheet_would_run_is_exported_as_text(artist):
    track = register(artist, title="Night Drive", isrc="QZES52400001")
    Track.objects.filter(pk=track.pk).update(title="=HYPERLINK(1)")
    assert rows_of(exported(artist))[0]["title"] == "'=HYPERLINK(1)"


def test_the_round_trip_without_edits_changes_nothing(artist, catalogue):
    result = plan(artist, exported(artist))
    assert result.errors == []
    assert [line.kind for line in result.lines] == ["unchanged"] * 4
    assert all(line.notes == [] for line in result.lines)
    assert result.summary() == "No changes: the 4 tracks in the file match the registry."
    before = Declaration.objects.count()
    outcome = apply(artist, exported(artist))
    assert (outcome.declarations, outcome.registered, outcome.unchanged) == (0, 0, 4)
    assert Declaration.objects.count() == before


def test_edited_choices_are_planned_before_and_after_then_applied(artist, catalogue):
    night, harbour, cafe, _ = catalogue
    text = edited(
        exported(artist),
        {
            night: {"train-ai": "allow", "search": ""},  # deny → allow, licence → inherit
            harbour: {"train-genai": "deny"},
            cafe: {"ai-input": "license", "terms_url": "owner.example/terms"},
        },
    )
    result = plan(artist, text)
    assert result.errors == []
    changes = {line.title: line.changes for line in result.of_kind("changed")}
    assert [(c.purpose, c.before.value, c.after.value) for c in changes["Night Drive"]] == [
        ("train-ai", Value.DENY, Value.ALLOW),
        ("search", Value.LICENSE, Value.UNSET),
    ]
    assert [(c.purpose, c.after.value) for c in changes["Harbour Lights"]] == [
        ("train-genai", Value.DENY)
    ]
    assert changes["Café Noir"][0].after == PurposeChoice(
        Value.LICENSE, "https://owner.example/terms", ""
    )
    assert [line.title for line in result.of_kind("unchanged")] == ["Old Hymn"]

    outcome = apply(artist, text)
    assert (outcome.declarations, outcome.registered, outcome.unchanged) == (4, 0, 1)
    assert own_choices(artist, night) == {Purpose.TRAIN_AI: Value.ALLOW}
    assert own_choices(artist, harbour) == {Purpose.TRAIN_GENAI: Value.DENY}
    assert own_choices(artist, cafe) == {Purpose.AI_INPUT: Value.LICENSE}
    # Applied again, the same sheet has nothing left to change.
    assert plan(artist, text).of_kind("changed") == []


def test_every_changed_track_gets_its_change_event_and_one_history_entry(artist, catalogue):
    night, harbour, cafe, hymn = catalogue
    last = ChangeEvent.objects.order_by("-sequence").first().sequence
    text = edited(
        exported(artist),
        # Search is not under the catalogue's data-mining denial: each one changes an answer.
        {harbour: {"search": "deny"}, cafe: {"search": "license"}, hymn: {"search": "deny"}},
    )
    rows = rows_of(text)
    rows[0]["contact_email"] = "deals@owner.example"
    apply(artist, sheet(rows))
    events = ChangeEvent.objects.filter(sequence__gt=last)
    assert sorted(events.values_list("track_id", flat=True)) == sorted(
        [harbour.id, cafe.id, hymn.id]
    )
    assert set(events.values_list("cause", flat=True)) == {"declaration"}
    written = Declaration.objects.filter(track__in=[harbour, cafe, hymn]).order_by("-id")[:3]
    assert len({row.batch for row in written}) == 1  # one save in the artist's history
    assert {(row.track_id, row.purpose, row.value) for row in written} == {
        (harbour.id, "search", "deny"),
        (cafe.id, "search", "license"),
        (hymn.id, "search", "deny"),
    }


def test_a_purpose_column_left_out_of_the_sheet_is_not_touched(artist, catalogue):
    night = catalogue[0]
    rows = [{"track_id": str(night.public_id), "title": "Night Drive", "isrc": "QZES52400001"}]
    result = plan(artist, sheet(rows, ["track_id", "title", "isrc"]))
    assert result.errors == []
    assert [line.kind for line in result.lines] == ["unchanged"]


def test_one_bad_line_stops_the_whole_update_with_every_error_on_its_line(artist, catalogue):
    night, harbour, cafe, _ = catalogue
    text = edited(
        exported(artist),
        {night: {"train-ai": "allow"}, harbour: {"train-ai": "maybe"}, cafe: {"tdm": "perhaps"}},
    )
    result = plan(artist, text)
    assert [(e.line, e.column) for e in result.errors] == [(2, "tdm"), (3, "train-ai")]
    assert "“maybe” is not a choice for train-ai" in result.errors[1].message
    with pytest.raises(StalePlan):
        apply_update(artist, parse(text.encode()), result.digest())
    assert own_choices(artist, night)[Purpose.TRAIN_AI] == Value.DENY


def test_a_refused_write_leaves_nothing_behind_not_even_new_tracks(artist, catalogue, settings):
    night = catalogue[0]
    rows = rows_of(edited(exported(artist), {night: {"train-ai": "allow"}}))
    rows.append({"title": "Brand New", "isrc": "QZ-ES5-24-00050", "train-ai": "deny"})
    text = sheet(rows)
    result = plan(artist, text)
    assert [line.kind for line in result.lines].count("new") == 1
    settings.DECLARATIONS_PER_HOUR = 0  # the declarations are refused after the registration
    tracks, declarations = Track.objects.count(), Declaration.objects.count()
    with pytest.raises(ConsentError):
        apply_update(artist, parse(text.encode()), result.digest())
    assert (Track.objects.count(), Declaration.objects.count()) == (tracks, declarations)


def test_lines_that_match_none_of_the_tracks_are_registered_as_new(artist, catalogue):
    rows = rows_of(exported(artist))
    rows.append({"title": "Brand New", "isrc": "QZ-ES5-24-00050", "train-ai": "deny"})
    outcome = apply(artist, sheet(rows))
    assert (outcome.registered, outcome.unchanged) == (1, 4)
    track = Track.objects.get(isrc="QZES52400050")
    assert own_choices(artist, track) == {Purpose.TRAIN_AI: Value.DENY}


def test_a_line_without_track_id_matches_by_isrc_or_by_iswc(artist, catalogue):
    rows = rows_of(edited(exported(artist), {catalogue[1]: {"train-ai": "deny"}}))
    rows[3]["search"] = "deny"  # Old Hymn: ISWC only
    for row in rows:
        row["track_id"] = ""
    result = plan(artist, sheet(rows))
    assert result.errors == []
    assert {line.title for line in result.of_kind("changed")} == {"Harbour Lights", "Old Hymn"}
    assert result.of_kind("new") == []


def test_another_artists_track_id_is_refused_as_if_it_did_not_exist(
    artist, other_artist, catalogue
):
    theirs = register(other_artist, title="Their Song", isrc="QZES52400077")
    nobody = uuid.uuid4()
    messages = []
    for public_id in (theirs.public_id, nobody):
        rows = rows_of(exported(artist))
        rows[0]["track_id"] = str(public_id)
        result = plan(artist, sheet(rows))
        [error] = result.errors
        assert (error.line, error.column) == (2, "track_id")
        messages.append(error.message.replace(str(public_id), "ID"))
    assert messages[0] == messages[1]
    assert "Their Song" not in messages[0]


def test_a_track_id_whose_isrc_was_edited_is_refused(artist, catalogue):
    text = edited(exported(artist), {catalogue[1]: {"isrc": "QZ-ES5-24-00088"}})
    [error] = plan(artist, text).errors
    assert (error.line, error.column) == (3, "isrc")
    assert "cannot change a registered track's ISRC" in error.message


def test_a_track_listed_twice_is_refused_on_both_kinds_of_match(artist, catalogue):
    rows = rows_of(exported(artist))
    rows.append(dict(rows[1], track_id=""))
    errors = plan(artist, sheet(rows)).errors
    assert [error.line for error in errors] == [6]
    assert "also on line 3" in errors[0].message


def test_a_title_or_links_that_differ_are_noted_not_changed(artist, catalogue):
    text = edited(
        exported(artist),
        {catalogue[0]: {"title": "Night Drive (Remastered)", "links": "https://new.example/x"}},
    )
    [line] = [line for line in plan(artist, text).lines if line.notes]
    assert line.kind == "unchanged"
    assert "titles are not changed" in line.notes[0]
    assert "1 link in the file is not on the track" in line.notes[1]


def test_links_in_the_file_are_noted_for_a_track_that_has_none_too(artist, catalogue):
    harbour = catalogue[1]  # registered without links
    text = edited(exported(artist), {harbour: {"links": "https://new.example/harbour"}})
    [line] = [line for line in plan(artist, text).lines if line.notes]
    assert line.kind == "unchanged"
    assert "1 link in the file is not on the track" in line.notes[0]


def test_a_windows_1252_sheet_with_accented_titles(artist, catalogue):
    cafe = catalogue[2]
    rows = rows_of(edited(exported(artist), {cafe: {"train-ai": "deny"}}))
    rows.append({"title": "Señor Ñandú – Été", "isrc": "QZ-ES5-24-00051"})
    data = sheet(rows).encode("cp1252")
    result = plan(artist, data)
    assert result.errors == []
    assert result.encoding == "Windows-1252"
    [changed] = result.of_kind("changed")
    assert (changed.title, changed.notes) == ("Café Noir", [])
    assert result.of_kind("new")[0].title == "Señor Ñandú – Été"
    apply(artist, data)
    assert Track.objects.filter(title="Señor Ñandú – Été").exists()
    assert own_choices(artist, cafe)[Purpose.TRAIN_AI] == Value.DENY


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""], ids=["with-bom", "without-bom"])
def test_a_utf8_sheet_with_or_without_byte_order_mark(artist, catalogue, bom):
    text = edited(exported(artist), {catalogue[2]: {"train-genai": "deny"}})
    result = plan(artist, bom + text.encode())
    assert result.errors == []
    assert result.encoding == "UTF-8"
    [changed] = result.of_kind("changed")
    assert (changed.title, changed.notes) == ("Café Noir", [])


def test_applying_refuses_a_plan_that_is_no_longer_the_one_previewed(artist, catalogue):
    night, harbour, *_ = catalogue
    text = edited(exported(artist), {harbour: {"train-ai": "deny"}}).encode()
    previewed = plan(artist, text).digest()
    declare(artist, {Purpose.TRAIN_AI: PurposeChoice(Value.ALLOW)}, track=harbour)
    before = Declaration.objects.count()
    with pytest.raises(StalePlan):
        apply_update(artist, parse(text), previewed)
    assert Declaration.objects.count() == before
    # The registry unchanged, what is applied is exactly what the plan listed.
    current = plan(artist, text)
    listed = {
        (line.track_id, c.purpose, c.after.value.value)
        for line in current.lines
        for c in line.changes
    }
    last = Declaration.objects.order_by("-id").first().id
    apply_update(artist, parse(text), current.digest())
    written = Declaration.objects.filter(id__gt=last)
    assert {(d.track_id, d.purpose, d.value) for d in written} == listed
