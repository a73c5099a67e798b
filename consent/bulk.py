"""Updating many rows at once, each with its own values, in one statement per chunk.

Django's `bulk_update` writes one `CASE WHEN pk = … THEN …` per field and row; building and
running it grows so fast with the rows that refreshing a few thousand policies took most of a
minute. On PostgreSQL, `update_rows` sends `UPDATE … FROM (VALUES …)` instead: every row's values
once, each cast to its column's type, matched on the primary key.
"""

import re
from collections.abc import Sequence

from django.db import connection, models

CHUNK = 1000
_UNBOUNDED = re.compile(r"(?<=^varchar)\(\d+\)$")


def update_rows(model: type[models.Model], objs: Sequence[models.Model], fields: list[str]) -> None:
    """Save `fields` of every object in `objs` (rows that exist), as `bulk_update` does."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_update(objs, fields, batch_size=CHUNK)
        return
    meta = model._meta
    quote = connection.ops.quote_name
    key = meta.pk
    columns = [meta.get_field(name) for name in fields]
    # An explicit cast to varchar(n) would cut a longer value short where an UPDATE of the
    # column itself refuses it ("value too long"); cast to the unbounded type and let the column
    # check the length, as bulk_update's statement does.
    casts = [_UNBOUNDED.sub("", field.db_type(connection)) for field in [key, *columns]]
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    names = ", ".join(quote(column.column) for column in [key, *columns])
    assignments = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in columns)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), CHUNK):
            chunk = objs[start : start + CHUNK]
            params: list = []
            for obj in chunk:
                params.append(key.get_db_prep_value(obj.pk, connection))
                params += [
                    column.get_db_prep_save(getattr(obj, column.attname), connection)
                    for column in columns
                ]
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} AS t SET {assignments} "  # noqa: S608
                f"FROM (VALUES {', '.join([row] * len(chunk))}) AS v({names}) "
                f"WHERE t.{quote(key.column)} = v.{quote(key.column)}",
                params,
            )
