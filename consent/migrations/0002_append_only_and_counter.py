"""Make declarations append-only in the database itself, and create the sequence counter's row.

The trigger is the guarantee: no code path, admin action or hand-typed SQL can rewrite what an
artist declared. (TRUNCATE is left to operators: it is not a row-level rewrite.)
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE OR REPLACE FUNCTION consent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%% rows are append-only: %% refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER consent_declaration_append_only
    BEFORE UPDATE OR DELETE ON consent_declaration
    FOR EACH ROW EXECUTE FUNCTION consent_refuse_change();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS consent_declaration_append_only ON consent_declaration;
DROP FUNCTION IF EXISTS consent_refuse_change();
"""
SQLITE_FORWARD = [
    """
    CREATE TRIGGER consent_declaration_no_update BEFORE UPDATE ON consent_declaration
    BEGIN SELECT RAISE(ABORT, 'consent_declaration rows are append-only: UPDATE refused'); END;
    """,
    """
    CREATE TRIGGER consent_declaration_no_delete BEFORE DELETE ON consent_declaration
    BEGIN SELECT RAISE(ABORT, 'consent_declaration rows are append-only: DELETE refused'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS consent_declaration_no_update;",
    "DROP TRIGGER IF EXISTS consent_declaration_no_delete;",
]


def forward(apps, schema_editor):
    statements = (
        [POSTGRES_FORWARD] if schema_editor.connection.vendor == "postgresql" else SQLITE_FORWARD
    )
    for sql in statements:
        schema_editor.execute(sql)
    apps.get_model("consent", "SequenceCounter").objects.get_or_create(pk=1)


def backward(apps, schema_editor):
    statements = (
        [POSTGRES_BACKWARD] if schema_editor.connection.vendor == "postgresql" else SQLITE_BACKWARD
    )
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
