"""Import a catalogue CSV for one creator from the command line, as the import page does."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from consent.importing.catalogue import import_catalogue
from consent.importing.reading import size_problem
from consent.models import Creator

BAR_WIDTH = 40


def _plain(text: str) -> str:
    """Progress is not an error: keep it out of the red that stderr uses on a terminal."""
    return text


class ProgressBar:
    """A one-line text bar redrawn in place, for people watching a terminal."""

    def __init__(self, stream: OutputWrapper, label: str) -> None:
        self.stream = stream
        self.label = label
        self.shown = -1

    def __call__(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 100
        if percent == self.shown:
            return
        self.shown = percent
        filled = BAR_WIDTH * percent // 100
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        ending = "\n" if done >= total else ""
        line = f"\r{self.label} [{bar}] {percent:3d}% {done:,}/{total:,}"
        self.stream.write(line, style_func=_plain, ending=ending)
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import a catalogue CSV (the format of the website's import page) for the creator with "
        "this handle. Every row is validated first; if any row is invalid, every problem is "
        "listed with its line number and nothing is imported."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("handle", help="The creator's handle, as in their public address.")
        parser.add_argument("file", type=Path, help="The CSV file: UTF-8, header on line 1.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Validate and run the import, then roll it back: reports exactly what an "
            "import would do and changes nothing.",
        )

    def handle(self, *args, handle: str, file: Path, dry_run: bool, **options) -> None:
        try:
            creator = Creator.objects.get(handle=handle)
        except Creator.DoesNotExist:
            raise CommandError(f"No creator has the handle “{handle}”.") from None
        try:
            size = file.stat().st_size
            too_large = size_problem(size, settings.IMPORT_MAX_BYTES)
            if too_large:
                raise CommandError(f"{file}: {too_large}")
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file} cannot be read: {exc.strerror}.") from exc

        # A bar is for a person at a terminal; in a log it would only be noise.
        interactive = self.stderr.isatty()
        outcome = import_catalogue(
            creator,
            data,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_bytes=settings.IMPORT_MAX_BYTES,
            dry_run=dry_run,
            progress=ProgressBar(self.stderr, "Validating") if interactive else None,
            before_writing=self.announce_writing if interactive else None,
        )
        if outcome.errors:
            for error in outcome.errors:
                self.stderr.write(str(error))
            count = len(outcome.errors)
            problems = "1 problem" if count == 1 else f"{count:,} problems"
            raise CommandError(
                f"{problems} in {file}; nothing was imported. Fix the lines above and run the "
                "command again."
            )
        self.stdout.write(self.style.SUCCESS(outcome.summary.sentence(dry_run=dry_run)))

    def announce_writing(self, rows: int) -> None:
        tracks = "1 track" if rows == 1 else f"{rows:,} tracks"
        message = f"Every line is valid. Importing {tracks} in one transaction…"
        self.stderr.write(message, style_func=_plain)
