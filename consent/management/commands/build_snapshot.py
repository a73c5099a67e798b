"""Write a snapshot file now (consent.snapshot_files), as the background task does: after a
restore, to warm a new deployment before platforms ask, or to time a build."""

import json as jsonlib
import time

from django.core.management.base import BaseCommand, CommandError

from consent import snapshot_files


class Command(BaseCommand):
    help = "Write a snapshot file of the registry as it is now, unless the newest is current."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="write one even if the newest file is current"
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args, force=False, json=False, **options):
        started = time.monotonic()
        try:
            made = snapshot_files.build(force=force)
        except snapshot_files.BuildBusy as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        if json:
            found = made or snapshot_files.newest()
            self.stdout.write(
                jsonlib.dumps(
                    {
                        "built": made is not None,
                        "seconds": round(seconds, 3),
                        "file": str(found.path) if found else None,
                        "sequence": found.sequence if found else None,
                        "lines": found.lines if found else None,
                        "size": found.size if found else None,
                        "ndjson_size": found.ndjson_size if found else None,
                    }
                )
            )
        elif made is None:
            self.stdout.write("The newest snapshot file is current; nothing to build.")
        else:
            self.stdout.write(
                f"Wrote {made.path} (sequence {made.sequence}, {made.lines:,} tracks, "
                f"{made.size:,} bytes) in {seconds:.1f} s."
            )
