"""Make the dispute audit log append-only in the database, exactly like declarations.

The record of who decided what, and why, must stand up later: no code path, admin page or
hand-typed SQL can rewrite or erase an entry. PostgreSQL reuses consent_refuse_change() from
migration 0002. (TRUNCATE is left to operators, as for declarations.)
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE TRIGGER consent_auditentry_append_only
    BEFORE UPDATE OR DELETE ON consent_auditentry
    FOR EACH ROW EXECUTE FUNCTION consent_refuse_change();
"""
POSTGRES_BACKWARD = "DROP TRIGGER IF EXISTS consent_auditentry_append_only ON consent_auditentry;"
SQLITE_FORWARD = [
    """
    CREATE TRIGGER consent_auditentry_no_update BEFORE UPDATE ON consent_auditentry
    BEGIN SELECT RAISE(ABORT, 'consent_auditentry rows are append-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER consent_auditentry_no_delete BEFORE DELETE ON consent_auditentry
    BEGIN SELECT RAISE(ABORT, 'consent_auditentry rows are append-only: DELETE refused'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS consent_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS consent_auditentry_no_delete;",
]


def forward(apps, schema_editor):
    statements = (
        [POSTGRES_FORWARD] if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    )
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = (
        [POSTGRES_BACKWARD] if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    )
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("consent", "0003_disputes_review")]

    operations = [migrations.RunPython(forward, backward)]
