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

        # Keys are kept verified in each process (api.auth): any change to a key or a platform
        # (revocation, scopes, suspension, limit) makes every process forget them.
        from django.db.models.signals import post_delete, post_save

        from api.auth import forget_keys
        from api.models import ApiKey
        from consent.models import Platform

        for model in (ApiKey, Platform):
            post_save.connect(forget_keys, sender=model, dispatch_uid=f"api.keys.{model.__name__}")
            post_delete.connect(
                forget_keys, sender=model, dispatch_uid=f"api.keys.del.{model.__name__}"
            )
