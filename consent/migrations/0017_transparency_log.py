"""The public transparency log's tables; entries and stored hashes are append-only in the
database, exactly like declarations (PostgreSQL reuses consent_refuse_change() from 0002).

The log of the rows that already exist is written by `manage.py backfill_log` (docs/log.md).
"""

import django.db.models.deletion
from django.db import migrations, models

TABLES = ["consent_logentry", "consent_loghash"]


def forward(apps, schema_editor):
    for table in TABLES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION consent_refuse_change();"
            )
        else:
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} BEGIN "
                    f"SELECT RAISE(ABORT, '{table} rows are append-only: {op} refused'); END;"
                )


def backward(apps, schema_editor):
    for table in TABLES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        else:
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op};")


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0016_merge_rejected_outcome"),
    ]

    operations = [
        migrations.CreateModel(
            name="Checkpoint",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("size", models.BigIntegerField(unique=True)),
                ("root_hash", models.BinaryField(max_length=32)),
                ("note", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["size"],
            },
        ),
        migrations.CreateModel(
            name="LogEntry",
            fields=[
                ("index", models.BigIntegerField(primary_key=True, serialize=False)),
                ("data", models.BinaryField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["index"],
            },
        ),
        migrations.CreateModel(
            name="LogHash",
            fields=[
                ("index", models.BigIntegerField(primary_key=True, serialize=False)),
                ("hash", models.BinaryField(max_length=32)),
            ],
            options={
                "ordering": ["index"],
            },
        ),
        migrations.CreateModel(
            name="Cosignature",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=255)),
                ("key_id", models.BinaryField(max_length=4)),
                ("signature_line", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "checkpoint",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="cosignatures",
                        to="consent.checkpoint",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("checkpoint", "name", "key_id"),
                        name="one_cosignature_per_witness_key",
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
