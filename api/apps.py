from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "Platform API"

    def ready(self) -> None:
        from api.webhooks import admin  # noqa: F401  (registers the webhook models' admin)
        from api.webhooks.tasks import on_changes_committed
        from consent.signals import changes_committed

        # After every commit that wrote change events: queue their delivery to webhooks.
        changes_committed.connect(on_changes_committed, dispatch_uid="api.webhooks")
