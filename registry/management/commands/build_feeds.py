"""Build the stored feeds now: on a new deployment before it takes traffic, or after restoring.

The same work the `registry.tasks.refresh_feeds` task does: the first run builds every host's
files and the host list, later runs apply the change events since the last.
"""

import time

from django.core.management.base import BaseCommand

from registry import feed_store


class Command(BaseCommand):
    help = "Build the per-host feed files and the host list, then apply any pending changes."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        result = feed_store.refresh()
        if result.busy:
            self.stderr.write("Another builder is running; it will apply every change.")
            return
        self.stdout.write(
            f"feeds: {result.events} change events applied, {result.shards} shards and "
            f"{result.creators} creator licences rebuilt"
            + (f", {result.hosts} hosts listed" if result.hosts is not None else "")
            + f" in {time.monotonic() - started:.1f} s"
        )
