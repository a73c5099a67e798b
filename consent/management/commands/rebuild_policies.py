"""Recompute every EffectivePolicy from declarations and report where the stored one differs."""

from django.core.management.base import BaseCommand, CommandError

from consent.policies import find_policy_differences, rebuild_policies


class Command(BaseCommand):
    help = (
        "Recompute each track's effective policy from the append-only declarations, report every "
        "difference from what is stored, and repair it (unless --check)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only report differences; exit with status 1 if there are any.",
        )

    def handle(self, *args, check: bool = False, **options):
        differences = find_policy_differences() if check else rebuild_policies()
        for difference in differences:
            track = difference.track
            self.stdout.write(f"Track {track.public_id} “{track.title}”:")
            keys = sorted(set(difference.stored) | set(difference.computed))
            for key in keys:
                stored = difference.stored.get(key, "(missing)")
                computed = difference.computed.get(key, "(missing)")
                if stored != computed:
                    self.stdout.write(f"  {key}: stored {stored!r}, declarations give {computed!r}")
        if not differences:
            message = "Every effective policy matches its declarations."
            self.stdout.write(self.style.SUCCESS(message))
            return
        if check:
            raise CommandError(f"{len(differences)} track(s) differ from their declarations.")
        message = f"Repaired {len(differences)} track(s); each repair is a change event."
        self.stdout.write(self.style.WARNING(message))
