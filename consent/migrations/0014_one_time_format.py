"""Stored policies write `declared_at` as every answer now does: RFC 3339, UTC, microseconds, `Z`
(consent.times).

EffectivePolicy.provenance and EffectivePolicy.answer_policy kept `isoformat()`'s spelling
(`+00:00`, microseconds only when not zero); the answer policy goes out as stored, so it is
rewritten here, and the provenance with it so that `rebuild_policies` finds nothing to repair.
Only the spelling changes, never the instant; the old spelling still reads, so reversing is a
no-op.
"""

from datetime import UTC, datetime

from django.db import migrations

BATCH = 2000


def _spelled(text: str) -> str:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:  # never written so; left as it is rather than guessed
        return text
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _respell(entries: dict, inner: str | None) -> bool:
    changed = False
    for entry in entries.values():
        holder = entry.get(inner) if inner and isinstance(entry, dict) else entry
        if isinstance(holder, dict) and isinstance(holder.get("declared_at"), str):
            spelled = _spelled(holder["declared_at"])
            if spelled != holder["declared_at"]:
                holder["declared_at"] = spelled
                changed = True
    return changed


def respell_declared_at(EffectivePolicy) -> int:
    """Rewrite every stored `declared_at` in the one format; returns the rows rewritten."""
    rows = EffectivePolicy._base_manager.only("track_id", "provenance", "answer_policy")
    rewritten, last = 0, 0
    while True:
        # A page at a time, materialized: SQLite cannot update a table it is still reading.
        page = list(rows.filter(track_id__gt=last).order_by("track_id")[:BATCH])
        if not page:
            return rewritten
        last = page[-1].track_id
        changed = []
        for policy in page:
            provenance = _respell(policy.provenance or {}, None)
            answer = _respell(policy.answer_policy or {}, "source")
            if provenance or answer:
                changed.append(policy)
        EffectivePolicy._base_manager.bulk_update(changed, ["provenance", "answer_policy"])
        rewritten += len(changed)


def respell(apps, schema_editor):
    respell_declared_at(apps.get_model("consent", "EffectivePolicy"))


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0013_renormalize_links"),
    ]

    operations = [
        migrations.RunPython(respell, migrations.RunPython.noop),
    ]
