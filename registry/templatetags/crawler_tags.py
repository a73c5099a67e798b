"""The "What crawlers receive" panel, for any page that shows a track.

A page includes `registry/includes/_crawlers.html`; the include reads the panel with this tag,
so the artist's track page needs no view code of its own for it. A view that has already read
the track's signals passes `crawlers` instead (the public track page does).
"""

from django import template

from consent.models import EffectivePolicy, Track
from registry.crawler_panel import CrawlerPanel, track_panel
from registry.feeds import TrackSignals

register = template.Library()


@register.simple_tag
def crawler_panel(track: Track) -> CrawlerPanel | None:
    """None for a track that has no policy yet: nothing is sent for it."""
    try:
        policy = track.policy
    except EffectivePolicy.DoesNotExist:
        return None
    return track_panel(TrackSignals(track, policy))
