"""Link changes become change events: each track's policy row remembers its visible links, and
each event the links before and after it.

Every existing policy row gets the links its track shows now, so the first change after this
migration compares against the truth and no track reports a link change that did not happen.
Earlier events keep null links: which links a track had then was not recorded with them.
"""

from django.db import migrations, models

_POSTGRESQL = """
    UPDATE consent_effectivepolicy p SET links = COALESCE(
        (SELECT jsonb_agg(l.url ORDER BY l.url) FROM consent_tracklink l
         WHERE l.track_id = p.track_id AND l.hidden_at IS NULL),
        '[]'::jsonb)
"""
_SQLITE = """
    UPDATE consent_effectivepolicy SET links = COALESCE(
        (SELECT json_group_array(url) FROM (
            SELECT l.url FROM consent_tracklink l
            WHERE l.track_id = consent_effectivepolicy.track_id AND l.hidden_at IS NULL
            ORDER BY l.url)),
        '[]')
"""


def record_current_links(apps, schema_editor):
    sql = _POSTGRESQL if schema_editor.connection.vendor == "postgresql" else _SQLITE
    schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0011_profile_proofs"),
    ]

    operations = [
        migrations.AddField(
            model_name="effectivepolicy",
            name="links",
            field=models.JSONField(default=list),
        ),
        migrations.AddField(
            model_name="changeevent",
            name="links",
            field=models.JSONField(
                blank=True,
                help_text="The track's visible links after the change (sorted).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="changeevent",
            name="previous_links",
            field=models.JSONField(
                blank=True,
                help_text="The track's visible links before the change (sorted).",
                null=True,
            ),
        ),
        migrations.RunPython(record_current_links, migrations.RunPython.noop),
    ]
