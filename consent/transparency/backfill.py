"""Write the entries of rows recorded before the log existed (`manage.py backfill_log`).

Rows that already have their entry are left alone, so the command can run again at any time;
the missing ones are appended in one deterministic order: by the instant each row records, then
by kind (declarations before the change events they cause), then by id. On an existing database
it gives every declaration and change event its entry, after which `verify_log` accepts the log.
"""

from django.db import transaction

from consent.models import LogEntry
from consent.policies import lock_consent_writes

from . import log
from .verify import BATCH, _key, subjects


def logged_keys() -> set[tuple]:
    keys = set()
    query = LogEntry.objects.order_by("index").values_list("data", flat=True)
    for data in query.iterator(chunk_size=BATCH):
        key = _key(bytes(data))
        if key is not None:
            keys.add(key)
    return keys


def backfill() -> int:
    """Append the missing entries; how many were appended."""
    with transaction.atomic():
        lock_consent_writes()
        done = logged_keys()
        streams = [
            ((_time(record), rank, str(key[1]).zfill(20)), record)
            for rank, stream in enumerate(subjects())
            for key, record in stream
            if key not in done
        ]
        missing = [record for _, record in sorted(streams, key=_order)]
        for start in range(0, len(missing), BATCH):
            log.append_many(missing[start : start + BATCH])
        return len(missing)


def _time(record: dict) -> str:
    for field in ("at", "created_at", "started_at"):
        if record.get(field):
            return record[field]
    raise ValueError(f"A {record['type']} record has no time.")


def _order(item):
    return item[0]
