"""`manage.py import_catalogue`: the same import from a terminal, with line-numbered errors."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from consent.models import Claim, Track

pytestmark = pytest.mark.django_db

ISRC = "US-RC1-76-07839"


class Terminal(io.StringIO):
    """Output that says it is a terminal, as a person's shell would."""

    def isatty(self) -> bool:
        return True


def write_csv(tmp_path, *lines: str):
    path = tmp_path / "catalogue.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str, stderr=None) -> tuple[str, str]:
    out, err = io.StringIO(), stderr if stderr is not None else io.StringIO()
    call_command("import_catalogue", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_valid_file_and_prints_the_summary(tmp_path, artist):
    path = write_csv(tmp_path, "title,isrc,role,train-ai", f"Night Drive,{ISRC},both,deny")
    out, err = run(artist.handle, str(path))
    assert out == "Imported 1 track (2 new claims, 0 disputes opened).\n"
    assert err == ""
    assert Claim.objects.filter(creator=artist).count() == 2


def test_a_bad_file_exits_non_zero_lists_every_line_and_imports_nothing(tmp_path, artist):
    path = write_csv(
        tmp_path, "title,isrc,train-ai", f"Good,{ISRC},deny", "Bad,XX,deny", "=cmd,,maybe"
    )
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        run(artist.handle, str(path), stderr=err)
    assert failure.value.returncode == 1
    assert "4 problems in" in str(failure.value)
    assert "nothing was imported" in str(failure.value)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("Line 3, column “isrc”: “XX” is not a valid ISRC")
    assert lines[1].startswith("Line 4, column “title”: This cell starts with “=”")
    assert lines[2].startswith("Line 4, column “isrc”: Every track needs an ISRC or an ISWC")
    assert lines[3].startswith("Line 4, column “train-ai”: “maybe” is not a choice")
    assert Track.objects.count() == 0


def test_a_dry_run_reports_the_outcome_and_writes_nothing(tmp_path, artist):
    path = write_csv(tmp_path, "title,isrc", f"Night Drive,{ISRC}")
    out, _ = run(artist.handle, str(path), "--dry-run")
    assert "importing would register 1 track (1 new claim, 0 disputes opened)." in out
    assert "Nothing was imported: this was a dry run." in out
    assert Track.objects.count() == 0


def test_an_unknown_handle_or_a_missing_file_is_refused_with_a_sentence(tmp_path, artist):
    path = write_csv(tmp_path, "title,isrc", f"Night Drive,{ISRC}")
    with pytest.raises(CommandError, match="No creator has the handle “nobody”."):
        run("nobody", str(path))
    with pytest.raises(CommandError, match="missing.csv cannot be read: No such file"):
        run(artist.handle, str(tmp_path / "missing.csv"))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, artist, settings):
    settings.IMPORT_MAX_BYTES = 10
    path = write_csv(tmp_path, "title,isrc", f"Night Drive,{ISRC}")
    with pytest.raises(CommandError, match="more than the limit of 10 bytes"):
        run(artist.handle, str(path))


def test_a_terminal_sees_a_progress_bar_while_rows_are_validated(tmp_path, artist):
    lines = [f"Song {n},QZES52400{n:03d}" for n in range(300)]
    path = write_csv(tmp_path, "title,isrc", *lines)
    terminal = Terminal()
    out, err = run(artist.handle, str(path), stderr=terminal)
    assert "\rValidating [" in err
    assert err.count("\r") == 100
    assert "] 100% 300/300\n" in err
    assert "Every line is valid. Importing 300 tracks in one transaction…" in err
    assert out == "Imported 300 tracks (300 new claims, 0 disputes opened).\n"
