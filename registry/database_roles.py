"""The two PostgreSQL roles, and what the app's own role may do.

The append-only tables stay append-only whatever runs in the app, because the role the app
connects as cannot change them:

- the migration role (MIGRATION_DATABASE_URL) owns every table and applies the migrations;
- the runtime role (DATABASE_URL), which web, worker and beat connect as, may read every table
  and write the others, but may only read and insert the append-only ones (and may update, never
  delete, a witness's cosignature). It may not TRUNCATE
  anything, nor create, alter or drop a table, and it is neither a superuser nor the owner of
  anything (an owner or a superuser would pass every privilege check).

`manage.py migrate` (registry/management/commands/migrate.py) calls grant_runtime_role() after
migrating, so tables added by later migrations are covered; every statement is idempotent, and
default privileges let tables the migration role creates later be read and written at once.
The grants are read back from the database before they are committed. A runtime role that is a
superuser, may create roles, owns something or belongs to the migration role, or that could still
rewrite an append-only table, stops the migration step with what to run instead.
"""

from django.apps import apps
from django.db import IntegrityError, ProgrammingError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

# Rows that are never rewritten or erased: what artists declared, what the disputes' parties
# submitted and reviewers decided, and the change log platforms follow.
APPEND_ONLY_MODELS = (
    ("consent", "Declaration"),
    ("consent", "AuditEntry"),
    ("consent", "DisputeStatement"),
    ("consent", "Evidence"),
    ("consent", "ChangeEvent"),
    ("consent", "LogEntry"),
    ("consent", "LogHash"),
    ("consent", "Checkpoint"),
)
# Rows never erased that one write path may still update: a witness's cosignature takes a newer
# signature line (consent.transparency.checkpoints.add_cosignature; a trigger of consent
# migration 0021 refuses any other change).
KEPT_MODELS = (("consent", "Cosignature"),)
# The trigger function of the append-only tables (consent migration 0002): a table that has it
# is append-only for the runtime role too, even if it is missing from APPEND_ONLY_MODELS.
REFUSE_CHANGE_FUNCTION = "consent_refuse_change"
# Tables only migrations write.
READ_ONLY_TABLES = ("django_migrations",)

READ_WRITE = ("SELECT", "INSERT", "UPDATE", "DELETE")
APPEND_ONLY = ("SELECT", "INSERT")
KEPT = ("SELECT", "INSERT", "UPDATE")
READ_ONLY = ("SELECT",)
CHECKED_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


class RoleSetupError(Exception):
    """The runtime role cannot be given exactly what the app needs; the message says why."""


def grant_runtime_role(
    connection: BaseDatabaseWrapper, role: str, password: str | None = None
) -> str:
    """Give `role` what the app needs on `connection`'s database, and nothing more.

    `connection` is connected as the migration role. A missing runtime role is created when the
    migration role may create roles (with `password`, if any). Returns a line saying what was
    done; raises RoleSetupError when the runtime role cannot be restricted.
    """
    if connection.vendor != "postgresql":
        return ""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema(), current_database()")
        migrator, schema, database = cursor.fetchone()
    if not role:
        return (
            "DATABASE_URL names no role, so no privileges were granted: name the app's own role in "
            "it (see docs/operations.md) to have the database refuse changes to append-only rows."
        )
    if role == migrator:
        return (
            f"DATABASE_URL and MIGRATION_DATABASE_URL connect as the same role ({migrator}), so "
            "only the triggers keep the append-only tables append-only. Give the app a role of "
            "its own (see docs/operations.md) to have the database refuse it as well."
        )
    quote = _quoter(connection)
    created = _ensure_role(connection, role, password, migrator, quote)
    names = {"role": quote(role), "schema": quote(schema), "migrator": quote(migrator)}
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        _refuse_unrestrictable(cursor, role, migrator)
        existing = _tables(cursor, schema)
        append_only = _append_only_tables(cursor, schema) & existing
        statements = [
            "GRANT CONNECT ON DATABASE {database} TO {role}",
            "GRANT USAGE ON SCHEMA {schema} TO {role}",
            "REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
            "REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
            # Tables and sequences the migration role creates later, until the next grant.
            "ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA {schema} "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
            "ALTER DEFAULT PRIVILEGES FOR ROLE {migrator} IN SCHEMA {schema} "
            "GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        ]
        for statement in statements:
            cursor.execute(statement.format(database=quote(database), **names))
        for table in sorted(append_only):
            cursor.execute(f"REVOKE UPDATE, DELETE ON {quote(schema, table)} FROM {names['role']}")
        kept = _kept_tables() & existing - append_only
        for table in sorted(kept):
            cursor.execute(f"REVOKE DELETE ON {quote(schema, table)} FROM {names['role']}")
        for table in sorted(set(READ_ONLY_TABLES) & existing):
            cursor.execute(
                f"REVOKE INSERT, UPDATE, DELETE ON {quote(schema, table)} FROM {names['role']}"
            )
        _check_grants(cursor, role, schema, append_only, kept)
    action = "Created and granted" if created else "Granted"
    return (
        f"{action} the runtime role {role}: it reads all {len(existing)} tables, writes "
        f"{len(existing - append_only - set(READ_ONLY_TABLES))} of them, and may only insert into "
        f"the {len(append_only)} append-only ones ({', '.join(sorted(append_only))})."
    )


def _quoter(connection: BaseDatabaseWrapper):
    raw = connection.connection

    def quote(*name: str) -> str:
        return sql.Identifier(*name).as_string(raw)

    return quote


def _role(cursor, role: str) -> tuple | None:
    cursor.execute(
        "SELECT rolsuper, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = %s", [role]
    )
    return cursor.fetchone()


def _ensure_role(connection, role: str, password: str | None, migrator: str, quote) -> bool:
    """Create the runtime role if it does not exist; True when this call created it."""
    with connection.cursor() as cursor:
        if _role(cursor, role):
            return False
        may_create = _role(cursor, migrator)
        if not may_create or not (may_create[0] or may_create[1]):
            raise RoleSetupError(
                f"The runtime role {role!r} (the user of DATABASE_URL) does not exist, and the "
                f"migration role {migrator!r} may not create roles. Create it as a superuser, "
                f"e.g. CREATE ROLE {quote(role)} LOGIN PASSWORD '…'; then run migrate again."
            )
        statement = f"CREATE ROLE {quote(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
        if password:
            statement += " PASSWORD " + sql.Literal(password).as_string(connection.connection)
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute(statement)
        except (IntegrityError, ProgrammingError):
            # Another process created it at the same moment; any other failure is re-raised.
            if not _role(cursor, role):
                raise
            return False
    return True


def _refuse_unrestrictable(cursor, role: str, migrator: str) -> None:
    superuser, creates_roles, can_login = _role(cursor, role)
    if superuser:
        raise RoleSetupError(
            f"The runtime role {role!r} (the user of DATABASE_URL) is a superuser, which no "
            "privilege can restrict. Connect the app as a role without SUPERUSER, or run "
            f"ALTER ROLE {role} NOSUPERUSER as another superuser."
        )
    if creates_roles:
        raise RoleSetupError(
            f"The runtime role {role!r} (the user of DATABASE_URL) may create roles, and so "
            "could make itself a member of the owner of the tables. Run "
            f"ALTER ROLE {role} NOCREATEROLE as a superuser."
        )
    if not can_login:
        raise RoleSetupError(
            f"The runtime role {role!r} (the user of DATABASE_URL) may not log in. Run "
            f"ALTER ROLE {role} LOGIN as a superuser."
        )
    cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, migrator])
    if cursor.fetchone()[0]:
        raise RoleSetupError(
            f"The runtime role {role!r} is a member of the migration role {migrator!r}, so it "
            f"holds every right of the owner. Run REVOKE {migrator} FROM {role} as a superuser."
        )
    owned = _owned_objects(cursor, role)
    if owned:
        raise RoleSetupError(
            f"The runtime role {role!r} owns {', '.join(owned)}, and an owner may change or "
            f"erase its rows whatever is granted. Give them to the migration role: run "
            f"REASSIGN OWNED BY {role} TO {migrator} as a superuser, then migrate again."
        )


def _owned_objects(cursor, role: str) -> list[str]:
    cursor.execute(
        """
        SELECT 'database ' || datname FROM pg_database
            WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = %(role)s)
                AND datname = current_database()
        UNION ALL
        SELECT 'schema ' || nspname FROM pg_namespace
            WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = %(role)s)
        UNION ALL
        SELECT 'relation ' || n.nspname || '.' || c.relname FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = %(role)s)
        UNION ALL
        SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
            WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = %(role)s)
        ORDER BY 1
        """,
        {"role": role},
    )
    return [row[0] for row in cursor.fetchall()]


def _tables(cursor, schema: str) -> set[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
        [schema],
    )
    return {row[0] for row in cursor.fetchall()}


def _append_only_tables(cursor, schema: str) -> set[str]:
    """The tables of APPEND_ONLY_MODELS, and every table a consent_refuse_change trigger guards."""
    tables = {apps.get_model(app, model)._meta.db_table for app, model in APPEND_ONLY_MODELS}
    cursor.execute(
        "SELECT DISTINCT c.relname FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_proc p ON p.oid = t.tgfoid "
        "WHERE NOT t.tgisinternal AND n.nspname = %s AND p.proname = %s",
        [schema, REFUSE_CHANGE_FUNCTION],
    )
    return tables | {row[0] for row in cursor.fetchall()}


def _kept_tables() -> set[str]:
    return {apps.get_model(app, model)._meta.db_table for app, model in KEPT_MODELS}


def _check_grants(
    cursor, role: str, schema: str, append_only: set[str], kept: set[str] = frozenset()
) -> None:
    """Read back what the role may do on every table, through any grant (PUBLIC's included)."""
    cursor.execute(
        "SELECT c.relname, p.privilege, has_table_privilege(%s, c.oid, p.privilege) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "CROSS JOIN unnest(%s::text[]) AS p(privilege) "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY 1, 2",
        [role, list(CHECKED_PRIVILEGES), schema],
    )
    wrong = []
    for table, privilege, granted in cursor.fetchall():
        if table in append_only:
            expected = APPEND_ONLY
        elif table in kept:
            expected = KEPT
        elif table in READ_ONLY_TABLES:
            expected = READ_ONLY
        else:
            expected = READ_WRITE
        if granted != (privilege in expected):
            wrong.append(f"{'' if granted else 'no '}{privilege} on {table}")
    cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
    if cursor.fetchone()[0]:
        wrong.append(f"CREATE on schema {schema}")
    if wrong:
        raise RoleSetupError(
            f"The runtime role {role!r} does not have exactly what the app needs after the "
            f"grants ({'; '.join(wrong[:10])}). A privilege too many comes from another grant, "
            "often to PUBLIC (on PostgreSQL 14 and older, PUBLIC may create tables: run REVOKE "
            f"CREATE ON SCHEMA {schema} FROM PUBLIC as its owner); one missing, from a table the "
            "migration role does not own (run REASSIGN OWNED BY <its owner> TO <the migration "
            "role> as a superuser). Then run migrate again."
        )
