from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = "Consent"

    def ready(self) -> None:
        from consent import snapshot_files
        from consent.signals import changes_committed

        # After every commit that wrote change events: a snapshot file, debounced.
        changes_committed.connect(
            snapshot_files.on_changes_committed, dispatch_uid="consent.snapshot_files"
        )
