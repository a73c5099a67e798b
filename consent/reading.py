"""Which database a read goes to: the primary, or a streaming replica for the platform API.

The platform API's read endpoints may be answered from a read replica (DATABASE_REPLICA_URLS,
docs/operations.md, "Read replicas"); everything else, the website, every write, the admin,
Celery tasks and migrations, stays on the primary. A view that may read from a replica runs its
reads inside `reading_from(alias)`; the router below sends the ORM's reads there, and code that
runs SQL of its own takes its connection from `read_connection()`. Outside such a block every
read goes to the primary ("default") as if there were no replica, so nothing outside the API's
read views can see a replica's slightly older state.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_alias: ContextVar[str | None] = ContextVar("read_alias", default=None)


def read_alias() -> str:
    """The alias reads go to here: a replica's inside `reading_from`, else the primary's."""
    return _alias.get() or DEFAULT_DB_ALIAS


def read_connection():
    """The connection raw SQL reads through (consent.lookup, api.events, the snapshot)."""
    return connections[read_alias()]


@contextmanager
def reading_from(alias: str) -> Iterator[None]:
    """Send this block's reads to `alias` (writes still go to the primary)."""
    token = _alias.set(None if alias == DEFAULT_DB_ALIAS else alias)
    try:
        yield
    finally:
        _alias.reset(token)


class ReadRouter:
    """DATABASE_ROUTERS: reads inside `reading_from` to its replica, every write to the primary.

    Writes name the primary explicitly: Django would otherwise write an object back to the
    database it was read from, and a replica refuses every write. Replicas are physical copies
    of the primary, so nothing is migrated on them and objects from either relate freely.
    """

    def db_for_read(self, model, **hints):
        return _alias.get()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db not in settings.DATABASE_REPLICAS
