"""EffectivePolicy.answer_policy: the platform API's `policy`, stored beside its provenance.

Existing rows are filled from their provenance. The function that does it is a copy of the
services' `policy_from_provenance` as it was when this migration was written, frozen here so
that the migration does the same whatever the services later become; `manage.py
rebuild_policies`, run after migrating (docs/operations.md, "Upgrading"), rewrites every stored answer in
the current shape.
"""

from django.db import migrations, models

BATCH = 2000

# The purposes and the fields of a value's source, as they were at this migration.
PURPOSES = ("tdm", "train-ai", "train-genai", "ai-input", "search")
SOURCE_FIELDS = ("level", "declared_for", "claim", "role", "creator", "declaration", "declared_at")


def policy_from_provenance(provenance: dict) -> dict:
    """The API's `policy`: per purpose its value, where it comes from, and licence terms."""
    policy = {}
    for purpose in PURPOSES:
        entry = provenance.get(purpose)
        if not entry or entry.get("value", "unset") == "unset":
            policy[purpose] = {"value": "unset", "source": None}
            continue
        item = {
            "value": entry["value"],
            "source": {field: entry.get(field) for field in SOURCE_FIELDS},
        }
        if entry["value"] == "license":
            item["terms"] = {
                "terms_url": entry.get("terms_url", ""),
                "contact_email": entry.get("contact_email", ""),
            }
        policy[purpose] = item
    return policy


def fill_answer_policy(apps, schema_editor):
    EffectivePolicy = apps.get_model("consent", "EffectivePolicy")
    batch = []
    for policy in EffectivePolicy.objects.only("track_id", "provenance").iterator(chunk_size=BATCH):
        policy.answer_policy = policy_from_provenance(policy.provenance)
        batch.append(policy)
        if len(batch) >= BATCH:
            EffectivePolicy.objects.bulk_update(batch, ["answer_policy"])
            batch = []
    EffectivePolicy.objects.bulk_update(batch, ["answer_policy"])


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0007_platforms_and_claim_periods"),
    ]

    operations = [
        migrations.AddField(
            model_name="effectivepolicy",
            name="answer_policy",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(fill_answer_policy, migrations.RunPython.noop),
    ]
