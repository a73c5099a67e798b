"""Template filters of the proof pages."""

from django import template

from registry.connected_accounts import PROVIDER_NAMES

register = template.Library()


@register.filter
def provider_name(provider_id: str) -> str:
    """ "soundcloud" → "SoundCloud", as the provider spells itself."""
    return PROVIDER_NAMES.get(provider_id, provider_id.capitalize())
