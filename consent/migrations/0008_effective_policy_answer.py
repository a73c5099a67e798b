"""EffectivePolicy.answer_policy: the platform API's `policy`, stored beside its provenance.

Existing rows are filled from their provenance with the same function the services use.
"""

from django.db import migrations, models

BATCH = 2000


def fill_answer_policy(apps, schema_editor):
    from consent.services import policy_from_provenance

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
