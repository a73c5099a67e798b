"""Make dispute statements and evidence append-only in the database, like the audit log.

What a party submitted is what the reviewers decided on: no code path, admin page or
hand-typed SQL can rewrite or erase a statement or a piece of evidence afterwards. PostgreSQL
reuses consent_refuse_change() from migration 0002. Also records the "reopened" audit action.
"""

from django.db import migrations, models

TABLES = ["consent_disputestatement", "consent_evidence"]


def _postgres_forward(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION consent_refuse_change();"
    ]


def _sqlite_forward(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} BEGIN "
        f"SELECT RAISE(ABORT, '{table} rows are append-only: {op} refused'); END;"
        for op in ("UPDATE", "DELETE")
    ]


def _postgres_backward(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"]


def _sqlite_backward(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_{op};" for op in ("update", "delete")]


def _run(schema_editor, postgres, sqlite) -> None:
    build = postgres if schema_editor.connection.vendor == "postgresql" else sqlite
    for table in TABLES:
        for sql in build(table):
            schema_editor.execute(sql)


def forward(apps, schema_editor):
    _run(schema_editor, _postgres_forward, _sqlite_forward)


def backward(apps, schema_editor):
    _run(schema_editor, _postgres_backward, _sqlite_backward)


class Migration(migrations.Migration):
    dependencies = [("consent", "0005_reviewer_group")]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(
                choices=[
                    ("opened", "Dispute opened"),
                    ("joined", "Claim joined the dispute"),
                    ("statement", "Statement added"),
                    ("evidence", "Evidence added"),
                    ("info-requested", "Information requested"),
                    ("reopened", "Back in review"),
                    ("claim-withdrawn", "Claim withdrawn"),
                    ("closed", "Dispute closed"),
                    ("decided", "Dispute decided"),
                    ("claim-revoked", "Claim revoked"),
                    ("creator-suspended", "Creator suspended"),
                ],
                max_length=20,
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
