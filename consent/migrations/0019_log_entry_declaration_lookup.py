"""Find a declaration's log entry by its number without reading the log (docs/log.md, "Receipts
for artists").

An expression index over the entries' own bytes: nothing is added to LogEntry and no row is
rewritten, so the append-only triggers of 0017 stay as they are and entries written before this
migration are indexed like the new ones. On PostgreSQL the index is built CONCURRENTLY, so a large
log keeps taking entries while it is built; `consent_log_declaration(data)` is the number of a
`declaration` record, NULL for any other entry, and the index holds declaration entries only.
`consent.transparency.declaration_receipts` queries it with exactly this expression and predicate.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION consent_log_declaration(data bytea) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE
    WHEN record->>'type' = 'declaration' AND jsonb_typeof(record->'declaration') = 'number'
    THEN (record->>'declaration')::numeric::bigint
  END
  FROM (SELECT convert_from(data, 'UTF8')::jsonb AS record) AS entry
$$;
"""
# Declared IMMUTABLE although convert_from is only STABLE: the database's encoding never changes
# under it, and the entries are UTF-8 JSON by construction (consent.transparency.jcs).

PG_INDEX = """
CREATE INDEX CONCURRENTLY IF NOT EXISTS consent_logentry_declaration
ON consent_logentry (consent_log_declaration(data))
WHERE position('"type":"declaration"'::bytea IN data) > 0;
"""

SQLITE_INDEX = """
CREATE INDEX IF NOT EXISTS consent_logentry_declaration
ON consent_logentry (json_extract(CAST(data AS TEXT), '$.declaration'))
WHERE json_extract(CAST(data AS TEXT), '$.type') = 'declaration';
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)
        schema_editor.execute(PG_INDEX)
    else:
        schema_editor.execute(SQLITE_INDEX)


def backward(apps, schema_editor):
    schema_editor.execute("DROP INDEX IF EXISTS consent_logentry_declaration;")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS consent_log_declaration(bytea);")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [
        ("consent", "0018_receipt_keys"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
