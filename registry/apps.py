from urllib.parse import urlsplit

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def sync_site(sender, using: str = "default", **kwargs) -> None:
    """Make the Sites row say SITE_NAME and SITE_URL's host after every migrate (and flush).

    allauth and any other app that reads `Site.objects.get_current()` name the site from it;
    left alone it says example.com, the row django.contrib.sites creates.
    """
    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME}
    )
    Site.objects.clear_cache()


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry website"

    def ready(self) -> None:
        from allauth.socialaccount import signals as social

        from consent.signals import (
            changes_committed,
            dispute_changed,
            notices_created,
            platform_reviewed,
            proof_changed,
        )

        # Registers the beat task that signs whatever an after-commit signing missed. Every
        # append schedules its own signing (`log.append_many`), so a commit that changed answers
        # needs no receiver here.
        from consent.transparency import checkpoints  # noqa: F401
        from registry import connected_accounts, feed_store
        from registry.notices import email_notices
        from registry.notifications import notify_parties
        from registry.platform_notifications import notify_platform_contact
        from registry.proof_notifications import notify_owner

        # Sent for apps with models only, which this one is not: follow the sites app, right
        # after its own handler has created the row.
        post_migrate.connect(
            sync_site, sender=apps.get_app_config("sites"), dispatch_uid="registry.sync_site"
        )
        # After every commit that wrote change events: rebuild the feed files they touch.
        changes_committed.connect(
            feed_store.on_changes_committed, dispatch_uid="registry.refresh_feeds"
        )
        dispute_changed.connect(notify_parties, dispatch_uid="registry.notify_dispute_parties")
        platform_reviewed.connect(
            notify_platform_contact, dispatch_uid="registry.notify_platform_contact"
        )
        notices_created.connect(email_notices, dispatch_uid="registry.email_collision_notices")
        proof_changed.connect(notify_owner, dispatch_uid="registry.notify_proof_owner")
        social.social_account_added.connect(
            connected_accounts.account_connected, dispatch_uid="registry.account_connected"
        )
        social.social_account_updated.connect(
            connected_accounts.account_connected, dispatch_uid="registry.account_updated"
        )
        social.social_account_removed.connect(
            connected_accounts.account_disconnected, dispatch_uid="registry.account_disconnected"
        )
