"""Django's migrate, connected as the migration role, then the runtime role's grants.

`manage.py migrate` connects as MIGRATION_DATABASE_URL's role (the owner of the tables) instead
of DATABASE_URL's, applies the migrations, and then grants DATABASE_URL's role what the app
needs and no more (registry/database_roles.py). With MIGRATION_DATABASE_URL unset, or naming
the same role, it is Django's migrate and nothing else; on SQLite there are no roles.

Every run, even one with nothing to apply, ends with the sites row (`django.contrib.sites`, read
by the account emails) saying SITE_NAME and SITE_URL's host: `registry.apps.sync_site`, a
post_migrate handler, so a flush between tests does the same.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from registry.database_roles import RoleSetupError, grant_runtime_role

# What MIGRATION_DATABASE_URL may change of the connection; the database itself stays the same.
CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT", "OPTIONS")


class Command(migrate.Command):
    help = (
        "Updates the database schema as the migration role (MIGRATION_DATABASE_URL), then "
        "grants the runtime role (DATABASE_URL) what the app needs: no UPDATE, DELETE or "
        "TRUNCATE on the append-only tables, no CREATE, ALTER or DROP."
    )

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        runtime_role = connection.settings_dict.get("USER") or ""
        runtime_password = connection.settings_dict.get("PASSWORD") or None
        with as_migration_role(connection):
            super().handle(*args, **options)
            if options["plan"]:
                return
            try:
                done = grant_runtime_role(connection, runtime_role, runtime_password)
            except RoleSetupError as exc:
                raise CommandError(str(exc)) from exc
        if done and options["verbosity"] >= 1:
            self.stdout.write(done)


@contextmanager
def as_migration_role(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Connect `connection` with MIGRATION_DATABASE_URL's credentials for the duration."""
    migration = getattr(settings, "MIGRATION_DATABASE", None)
    if connection.alias != DEFAULT_DB_ALIAS or not migration:
        yield
        return
    # Django fills in what a URL leaves out the same way: "" for each value, {} for OPTIONS.
    wanted = {key: migration.get(key) or ({} if key == "OPTIONS" else "") for key in CREDENTIALS}
    saved = {key: connection.settings_dict[key] for key in CREDENTIALS}
    if wanted == saved:
        yield
        return
    connection.close()
    connection.settings_dict.update(wanted)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)
