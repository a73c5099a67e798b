"""The app's own database role cannot rewrite, erase or restructure what the registry keeps.

The suite connects as the owner of the test database (PG_URL's role), which plays the migration
role. The module runs `manage.py migrate` exactly as production does, with MIGRATION_DATABASE_URL
the owner and DATABASE_URL a runtime role, which creates that role if it is missing and grants
it what the app needs on the TEST database. Then it connects as the runtime role and tries.

Roles belong to the whole PostgreSQL cluster, not to one database, so every role made here is
named after this process (parallel workers and other runs on the same server never share one)
and dropped once its tests are done.
"""

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.apps import apps
from django.db import connection
from psycopg import errors, sql

BASE_DIR = Path(__file__).resolve().parent.parent
# The tests run `manage.py` and psql in subprocesses and share one migrated runtime role: under
# xdist they all go to one worker, which migrates once.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.subprocess,
    pytest.mark.xdist_group("database_roles"),
]
RUNTIME_ROLE = f"registry_test_runtime_{os.getpid()}"
# Migrations 0002, 0004 and 0006 guard the first four with triggers; the change log is the
# fifth thing nobody may rewrite.
APPEND_ONLY_TABLES = (
    "consent_declaration",
    "consent_auditentry",
    "consent_disputestatement",
    "consent_evidence",
    "consent_changeevent",
)


def database_url(user: str, password: str = "") -> str:
    """The test database's URL, as `user`."""
    settings = connection.settings_dict
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    host, port = settings["HOST"] or "localhost", settings["PORT"] or 5432
    return f"postgres://{auth}@{host}:{port}/{quote(settings['NAME'], safe='')}"


def owner_url() -> str:
    return database_url(connection.settings_dict["USER"], connection.settings_dict["PASSWORD"])


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=os.environ | variables,
        capture_output=True,
        text=True,
        timeout=300,
    )


def migrate_as_owner(runtime_role: str) -> subprocess.CompletedProcess:
    return manage(
        "migrate",
        "--noinput",
        MIGRATION_DATABASE_URL=owner_url(),
        DATABASE_URL=database_url(runtime_role),
    )


def on(template: str, table: str) -> sql.Composed:
    """`template` with `{table}` replaced by the quoted name of `table`."""
    return sql.SQL(template).format(table=sql.Identifier(table))


def as_owner(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture(scope="module")
def runtime_url(django_db_setup, django_db_blocker) -> Iterator[str]:
    try:
        result = migrate_as_owner(RUNTIME_ROLE)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"the runtime role {RUNTIME_ROLE}" in result.stdout
        yield database_url(RUNTIME_ROLE)
    finally:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [RUNTIME_ROLE])
            if cursor.fetchone():
                # Its privileges on this database (and the database's CONNECT), then the role.
                cursor.execute(f"DROP OWNED BY {RUNTIME_ROLE}")
                cursor.execute(f"DROP ROLE {RUNTIME_ROLE}")


@pytest.fixture
def as_runtime(runtime_url):
    """A connection as the runtime role, in a transaction that is rolled back at the end."""
    with psycopg.connect(runtime_url, options="-c lock_timeout=5s") as runtime:
        yield runtime
        runtime.rollback()


def refused(runtime: psycopg.Connection, statement: str | sql.Composed) -> bool:
    """True when PostgreSQL refuses `statement` for want of a privilege."""
    try:
        runtime.execute(statement)
    except errors.InsufficientPrivilege:
        return True
    finally:
        runtime.rollback()
    return False


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize(
    "statement",
    ["UPDATE {table} SET id = id", "DELETE FROM {table}", "TRUNCATE {table}"],
)
def test_the_app_role_may_not_update_delete_or_truncate_an_append_only_table(
    as_runtime, statement, table
):
    assert refused(as_runtime, on(statement, table))


@pytest.mark.parametrize("table", ("consent_logentry", "consent_loghash"))
@pytest.mark.parametrize(
    "statement",
    ['UPDATE {table} SET "index" = "index"', "DELETE FROM {table}", "TRUNCATE {table}"],
)
def test_the_app_role_may_not_rewrite_the_transparency_log(as_runtime, statement, table):
    assert refused(as_runtime, on(statement, table))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE consent_checkpoint SET size = size",
        "DELETE FROM consent_checkpoint",
        "TRUNCATE consent_checkpoint CASCADE",
        "DELETE FROM consent_cosignature",
        "TRUNCATE consent_cosignature",
    ],
)
def test_the_app_role_may_not_rewrite_or_erase_checkpoints_and_cosignatures(as_runtime, statement):
    assert refused(as_runtime, statement)


def test_the_app_role_may_replace_a_cosignature_line_only_by_privilege_to_update(as_runtime):
    # The grant allows the one update add_cosignature makes; the trigger of migration 0021
    # decides which updates pass (a newer line of the same witness only).
    privileges = as_runtime.execute(
        "SELECT has_table_privilege(current_user, 'consent_cosignature', 'UPDATE'), "
        "has_table_privilege(current_user, 'consent_cosignature', 'DELETE')"
    ).fetchone()
    assert privileges == (True, False)


@pytest.mark.parametrize(
    "statement",
    [
        "ALTER TABLE consent_effectivepolicy ADD COLUMN intruder integer",
        "ALTER TABLE consent_declaration DISABLE TRIGGER consent_declaration_append_only",
        "DROP TABLE consent_changeevent",
        "CREATE TABLE intruder (id integer)",
        "CREATE FUNCTION intruder() RETURNS integer AS 'SELECT 1' LANGUAGE sql",
        "DROP SCHEMA public CASCADE",
        "TRUNCATE consent_effectivepolicy",
        "INSERT INTO django_migrations (app, name, applied) VALUES ('consent', '9999_x', now())",
    ],
)
def test_the_app_role_may_not_change_the_schema_or_the_migration_history(as_runtime, statement):
    assert refused(as_runtime, statement)


def test_the_app_role_reads_every_table_of_the_app(as_runtime):
    tables = sorted({model._meta.db_table for model in apps.get_models()})
    for table in tables:
        as_runtime.execute(on("SELECT count(*) FROM {table}", table)).fetchone()
    assert "consent_effectivepolicy" in tables and len(tables) > 20


def test_the_app_role_is_no_superuser_and_owns_nothing(as_runtime):
    superuser, creates_roles = as_runtime.execute(
        "SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    owned = as_runtime.execute(
        "SELECT count(*) FROM pg_class WHERE relowner = "
        "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
    ).fetchone()[0]
    assert (superuser, creates_roles, owned) == (False, False, 0)


@pytest.mark.django_db(transaction=True)
def test_the_app_writes_what_it_needs_as_its_own_role(runtime_url):
    """The demo data: accounts, tracks, claims, declarations, a dispute and its change log."""
    result = manage("load_demo", "--force", DATABASE_URL=runtime_url, MIGRATION_DATABASE_URL="")
    assert result.returncode == 0, result.stdout + result.stderr
    with psycopg.connect(runtime_url) as runtime:
        for table in ("consent_declaration", "consent_changeevent", "consent_auditentry"):
            assert runtime.execute(on("SELECT count(*) FROM {table}", table)).fetchone()[0], table
        policies = runtime.execute("SELECT count(*) FROM consent_effectivepolicy").fetchone()[0]
        updated = runtime.execute("UPDATE consent_effectivepolicy SET disputed = disputed")
        assert updated.rowcount == policies > 0
        inserted = runtime.execute(
            "INSERT INTO consent_auditentry (created_at, action, reason, details) "
            "VALUES (now(), 'opened', 'written by the app role', '{}') RETURNING id"
        )
        assert inserted.fetchone()[0] > 0
        runtime.rollback()


def test_a_table_added_by_a_later_migration_is_usable_at_once_and_append_only_after_migrate(
    runtime_url, django_db_blocker
):
    table = f"roles_later_{os.getpid()}"
    with django_db_blocker.unblock():
        as_owner(
            f"CREATE TABLE {table} (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)",
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION consent_refuse_change()",
        )
        try:
            with psycopg.connect(runtime_url) as runtime:
                # Default privileges: readable and writable before any grant names it.
                runtime.execute(on("INSERT INTO {table} DEFAULT VALUES", table))
                runtime.execute(on("SELECT * FROM {table}", table)).fetchall()
                runtime.execute(on("DELETE FROM {table} WHERE false", table))
                runtime.commit()
                result = migrate_as_owner(RUNTIME_ROLE)
                assert result.returncode == 0, result.stdout + result.stderr
                # Its trigger makes it append-only, so the grants after migrate say so too.
                runtime.execute(on("INSERT INTO {table} DEFAULT VALUES", table))
                runtime.commit()
                assert refused(runtime, on("DELETE FROM {table} WHERE false", table))
                assert refused(runtime, on("UPDATE {table} SET id = id WHERE false", table))
        finally:
            as_owner(f"DROP TABLE {table}")


def test_migrate_stops_with_what_to_do_when_the_app_role_owns_a_table(
    runtime_url, django_db_blocker
):
    role = f"registry_test_owner_{os.getpid()}"
    with django_db_blocker.unblock():
        as_owner(f"CREATE ROLE {role} LOGIN", f"CREATE TABLE {role}_table (id integer)")
        try:
            as_owner(f"ALTER TABLE {role}_table OWNER TO {role}")
            result = migrate_as_owner(role)
        finally:
            as_owner(f"DROP OWNED BY {role}", f"DROP ROLE {role}")
    assert result.returncode != 0
    assert f"The runtime role '{role}' owns relation public.{role}_table" in result.stderr
    assert f"REASSIGN OWNED BY {role} TO" in result.stderr


@pytest.mark.skipif(not shutil.which("psql"), reason="needs psql, as the postgres image has")
def test_the_compose_init_script_creates_a_runtime_role_once(django_db_setup, django_db_blocker):
    role = f"registry_test_init_{os.getpid()}"
    settings = connection.settings_dict
    variables = {
        "POSTGRES_USER": settings["USER"],
        "POSTGRES_DB": settings["NAME"],
        "PGHOST": settings["HOST"] or "localhost",
        "PGPORT": str(settings["PORT"] or 5432),
        "PGPASSWORD": settings["PASSWORD"] or "",
        "RUNTIME_ROLE": role,
        "RUNTIME_PASSWORD": "it's a secret",
    }
    script = BASE_DIR / "docker" / "db-init" / "10-runtime-role.sh"
    runs = [
        subprocess.run(
            ["sh", str(script)], env=os.environ | variables, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolpassword IS NOT NULL "
            "FROM pg_authid WHERE rolname = %s",
            [role],
        )
        created = cursor.fetchone()
        cursor.execute(f"DROP ROLE IF EXISTS {role}")
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr + runs[1].stderr
    assert created == (False, False, False, True, True)
