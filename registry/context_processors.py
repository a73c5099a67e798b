from django.conf import settings

from registry.apps import SITE_NAME


def site(request) -> dict:
    return {"SITE_URL": settings.SITE_URL, "SITE_NAME": SITE_NAME}
