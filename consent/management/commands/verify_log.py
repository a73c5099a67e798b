"""Check the transparency log: its hashes, that it records every row exactly as the database holds
it, and every checkpoint's root hash (consent.transparency.verify). Exits non-zero at the first
mismatch, naming it."""

from django.core.management.base import BaseCommand, CommandError

from consent.models import Checkpoint, LogEntry
from consent.transparency import verify


class Command(BaseCommand):
    help = "Recompute the transparency log and compare it with the database; name any mismatch."

    def handle(self, *args, **options):
        for problem in verify.problems():
            raise CommandError(problem)
        checked = "checked" if verify.signatures_checked() else "not checked here"
        self.stdout.write(
            f"The log's {LogEntry.objects.count()} entries, their hashes and "
            f"{Checkpoint.objects.count()} checkpoints match the database "
            f"(checkpoint signatures {checked})."
        )
