"""Give every recorded row that has no transparency-log entry yet its entry, in a deterministic
order (consent.transparency.backfill); safe to run again."""

from django.core.management.base import BaseCommand

from consent.transparency.backfill import backfill


class Command(BaseCommand):
    help = "Append the log entries of rows written before the log existed."

    def handle(self, *args, **options):
        count = backfill()
        self.stdout.write(f"Appended {count} log entries.")
