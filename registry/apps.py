from urllib.parse import urlsplit

from django.apps import AppConfig
from django.db.models.signals import post_migrate

SITE_NAME = "Music Consent Registry"


def sync_site(sender, using: str = "default", **kwargs) -> None:
    """Keep the Sites row (which account emails greet with) equal to SITE_URL after migrating."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": SITE_NAME}
    )


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry website"

    def ready(self) -> None:
        from allauth.socialaccount import signals as social

        from consent.signals import (
            dispute_changed,
            notices_created,
            platform_reviewed,
            proof_changed,
        )
        from registry import connected_accounts
        from registry.notices import email_notices
        from registry.notifications import notify_parties
        from registry.platform_notifications import notify_platform_contact
        from registry.proof_notifications import notify_owner

        post_migrate.connect(sync_site, sender=self)
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
