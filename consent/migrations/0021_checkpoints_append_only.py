"""Signed checkpoints are kept for ever, like the entries they sign: the database refuses to
change or delete one (PostgreSQL reuses consent_refuse_change() from 0002, as 0017 does).

A witness's cosignature is never deleted either; the one change it may take is the one
`consent.transparency.checkpoints.add_cosignature` makes: its signature line replaced by a newer
signature of the same witness key on the same checkpoint. On PostgreSQL the trigger also checks
that the new line's tlog-cosignature/v1 timestamp (bytes 5 to 12 of the signature after the key
hash) is later than the old one's; on SQLite only that nothing else changes.
"""

from django.db import migrations

POSTGRES_FORWARD = """
CREATE TRIGGER consent_checkpoint_append_only BEFORE UPDATE OR DELETE ON consent_checkpoint
    FOR EACH ROW EXECUTE FUNCTION consent_refuse_change();

CREATE OR REPLACE FUNCTION consent_cosignature_newer_only() RETURNS trigger AS $$
DECLARE
    old_time bytea;
    new_time bytea;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'consent_cosignature rows are kept: DELETE refused'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.id, NEW.checkpoint_id, NEW.name, NEW.key_id, NEW.created_at)
            IS DISTINCT FROM (OLD.id, OLD.checkpoint_id, OLD.name, OLD.key_id, OLD.created_at) THEN
        RAISE EXCEPTION 'consent_cosignature rows may only take a newer signature line'
            USING ERRCODE = 'restrict_violation';
    END IF;
    -- '— <name> <base64 of key hash (4 bytes), timestamp (8, big-endian), signature>'
    old_time := substring(decode(split_part(rtrim(OLD.signature_line, E'\\n'), ' ', 3), 'base64')
        FROM 5 FOR 8);
    new_time := substring(decode(split_part(rtrim(NEW.signature_line, E'\\n'), ' ', 3), 'base64')
        FROM 5 FOR 8);
    IF length(new_time) <> 8 OR new_time <= old_time THEN
        RAISE EXCEPTION 'consent_cosignature rows may only take a newer signature line'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER consent_cosignature_newer_only BEFORE UPDATE OR DELETE ON consent_cosignature
    FOR EACH ROW EXECUTE FUNCTION consent_cosignature_newer_only();
"""
POSTGRES_BACKWARD = """
DROP TRIGGER IF EXISTS consent_cosignature_newer_only ON consent_cosignature;
DROP FUNCTION IF EXISTS consent_cosignature_newer_only();
DROP TRIGGER IF EXISTS consent_checkpoint_append_only ON consent_checkpoint;
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER consent_checkpoint_no_update BEFORE UPDATE ON consent_checkpoint BEGIN "
    "SELECT RAISE(ABORT, 'consent_checkpoint rows are append-only: UPDATE refused'); END;",
    "CREATE TRIGGER consent_checkpoint_no_delete BEFORE DELETE ON consent_checkpoint BEGIN "
    "SELECT RAISE(ABORT, 'consent_checkpoint rows are append-only: DELETE refused'); END;",
    "CREATE TRIGGER consent_cosignature_no_delete BEFORE DELETE ON consent_cosignature BEGIN "
    "SELECT RAISE(ABORT, 'consent_cosignature rows are kept: DELETE refused'); END;",
    "CREATE TRIGGER consent_cosignature_line_only BEFORE UPDATE ON consent_cosignature "
    "WHEN NEW.id IS NOT OLD.id OR NEW.checkpoint_id IS NOT OLD.checkpoint_id "
    "OR NEW.name IS NOT OLD.name OR NEW.key_id IS NOT OLD.key_id "
    "OR NEW.created_at IS NOT OLD.created_at BEGIN "
    "SELECT RAISE(ABORT, 'consent_cosignature rows may only take a newer signature line'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS consent_cosignature_line_only;",
    "DROP TRIGGER IF EXISTS consent_cosignature_no_delete;",
    "DROP TRIGGER IF EXISTS consent_checkpoint_no_delete;",
    "DROP TRIGGER IF EXISTS consent_checkpoint_no_update;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD)
    else:
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_BACKWARD)
    else:
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0020_platform_listed_on_platforms_page"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
