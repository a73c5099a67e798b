"""Stored links rewritten in the form consent.identifiers.normalize_url now gives: https for every
web link and each platform's canonical form (youtu.be, m. hosts, Spotify's intl- paths, …), so a
lookup of any everyday form finds them.

When two visible links of one track become the same URL, the oldest stays visible and the others
are hidden as removed (the rows stay for the record). Proof pages keep their scheme (the registry
fetches them); a proof that would become a second proof of the same page for its creator is left
as it is. Links that no longer normalize (none should) are left as they are. Not reversible: the
forms links were typed in are not kept.

Each track's stored link set (EffectivePolicy.links) is left as it was, so `manage.py
rebuild_policies`, run after migrating (docs/operations.md, "Upgrading"), finds every track whose links
changed and writes its change event: mirrors learn the new forms through the feed.
"""

from django.db import migrations
from django.utils import timezone

from consent.identifiers import InvalidIdentifier, normalize_url, url_host

TRACKS_PER_PAGE = 500
WRITE_BATCH = 500


def _normalized(url: str, **options) -> str:
    try:
        return normalize_url(url, **options)
    except InvalidIdentifier:
        return url


def renormalize_links(TrackLink, now) -> tuple[int, int]:
    """Returns (links rewritten, links hidden as duplicates)."""
    rows = TrackLink._base_manager.all()
    rewritten = hidden = 0
    last_track = 0
    while True:
        # Materialized a page at a time: SQLite cannot update a table it is still reading.
        tracks = list(
            rows.filter(track_id__gt=last_track)
            .order_by("track_id")
            .values_list("track_id", flat=True)
            .distinct()[:TRACKS_PER_PAGE]
        )
        if not tracks:
            return rewritten, hidden
        last_track = tracks[-1]
        duplicates, changed = [], []
        visible: set[tuple[int, str]] = set()
        links = rows.filter(track_id__in=tracks).order_by("track_id", "created_at", "id")
        for link in links.iterator(chunk_size=2000):
            url = _normalized(link.url)
            if link.hidden_at is None:
                if (link.track_id, url) in visible:
                    link.hidden_at, link.hidden_reason = now, "removed"
                    duplicates.append(link)
                else:
                    visible.add((link.track_id, url))
            if url != link.url or url_host(url) != link.host:
                link.url, link.host = url, url_host(url)
                changed.append(link)
        # Duplicates first: once they are hidden, no visible link of a track shares a URL.
        TrackLink._base_manager.bulk_update(
            duplicates, ["hidden_at", "hidden_reason"], batch_size=WRITE_BATCH
        )
        TrackLink._base_manager.bulk_update(changed, ["url", "host"], batch_size=WRITE_BATCH)
        rewritten += len(changed)
        hidden += len(duplicates)


def renormalize_proofs(ProfileProof) -> int:
    proofs = ProfileProof._base_manager
    taken = set(proofs.values_list("creator_id", "url"))
    changed = []
    for proof in proofs.order_by("id").iterator(chunk_size=2000):
        url = _normalized(proof.url, keep_scheme=True)
        if url != proof.url and (proof.creator_id, url) not in taken:
            taken.add((proof.creator_id, url))
            proof.url = url
            changed.append(proof)
    proofs.bulk_update(changed, ["url"], batch_size=WRITE_BATCH)
    return len(changed)


def forward(apps, schema_editor):
    renormalize_links(apps.get_model("consent", "TrackLink"), timezone.now())
    renormalize_proofs(apps.get_model("consent", "ProfileProof"))


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0012_link_change_events"),
    ]

    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
