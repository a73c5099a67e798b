"""Check the whole log against itself and against the database (`manage.py verify_log`).

1. Entries are gap-free from 0, and every stored hash is what the entries give
   (`merkle.stored_hashes`, recomputed from the entries alone).
2. Every row the log records (docs/log.md) has exactly the entry its current values give, once,
   and no entry names a row that is not there: a row rewritten behind the application's back
   (raw SQL with the append-only triggers disabled) no longer matches its entry.
3. Every stored checkpoint's root hash is the tree's at its size. Checking its signature is the
   signing side's job: `CHECKPOINT_SIGNATURE_CHECK` names the function, when it exists.

`problems()` yields a sentence per mismatch, in that order; the command stops at the first.
"""

import json
from collections.abc import Callable, Iterator

from django.utils.module_loading import import_string

from consent.models import (
    ChangeEvent,
    Checkpoint,
    Claim,
    ClaimVerification,
    Creator,
    Declaration,
    Dispute,
    LogEntry,
    LogHash,
    TrackLink,
)

from . import merkle, records
from .jcs import canonical

# Called with each Checkpoint; returns None when its note's signatures verify, else a sentence.
CHECKPOINT_SIGNATURE_CHECK = "consent.transparency.checkpoints.signature_problem"

BATCH = 2000


def _entries() -> Iterator[tuple[int, bytes]]:
    query = LogEntry.objects.order_by("index").values_list("index", "data")
    for index, data in query.iterator(chunk_size=BATCH):
        yield index, bytes(data)


def _tree_problems(hashes: dict[int, bytes]) -> Iterator[str]:
    expected = 0
    for index, data in _entries():
        if index != expected:
            yield f"The log skips from entry {expected - 1} to entry {index}."
            return
        start = merkle.stored_hash_index(0, index)
        new = merkle.stored_hashes(index, data, lambda wanted: [hashes[i] for i in wanted])
        for offset, value in enumerate(new):
            hashes[start + offset] = value
        expected += 1
    stored = LogHash.objects.order_by("index").values_list("index", "hash")
    seen = 0
    for index, value in stored.iterator(chunk_size=BATCH):
        if hashes.get(index) != bytes(value):
            level, n = merkle.split_stored_hash_index(index)
            yield (f"Stored hash {index} (level {level}, number {n}) is not the one entries give.")
            return
        seen += 1
    if seen != len(hashes):
        yield f"The log stores {seen} hashes; its {expected} entries give {len(hashes)}."


def _declarations() -> Iterator[tuple[tuple, dict]]:
    rows = Declaration.objects.order_by("id")
    for start in range(0, rows.count(), BATCH):
        chunk = list(rows[start : start + BATCH])
        for row, record in zip(chunk, records.declaration_records(chunk), strict=True):
            yield ("declaration", row.pk), record


def _change_events() -> Iterator[tuple[tuple, dict]]:
    events = ChangeEvent.objects.order_by("sequence")
    for start in range(0, events.count(), BATCH):
        chunk = list(events[start : start + BATCH])
        for event, record in zip(chunk, records.change_records(chunk), strict=True):
            yield ("policy", event.sequence), record


def _states(query, build, key: str, public: bool) -> Iterator[tuple[tuple, dict]]:
    query = query.order_by("pk")
    for start in range(0, query.count(), BATCH):
        chunk = list(query[start : start + BATCH])
        for row, record in zip(chunk, build(chunk), strict=True):
            yield (key, str(row.public_id) if public else row.pk), record


def subjects() -> list[Iterator[tuple[tuple, dict]]]:
    """Per kind of row the log records: (key, record its current values give), in row order."""
    return [
        _declarations(),
        _change_events(),
        _states(Claim.objects.all(), records.claim_records, "claim", True),
        _states(
            ClaimVerification.objects.all(), records.verification_records, "verification", False
        ),
        _states(TrackLink.all_objects.all(), records.link_records, "link", False),
        _states(
            Dispute.objects.filter(decided_at__isnull=False),
            records.decision_records,
            "dispute-decision",
            True,
        ),
        _states(
            Creator.objects.filter(suspended_at__isnull=False),
            lambda rows: [records.suspension(row) for row in rows],
            "suspension",
            True,
        ),
    ]


# Kinds of which only one entry per row may exist; of the others the latest entry is the row now.
ONCE = {"declaration", "policy", "dispute-decision", "suspension"}
KEYS = {
    "declaration": "declaration",
    "policy": "sequence",
    "claim": "claim",
    "verification": "verification",
    "link": "link",
    "dispute-decision": "dispute",
    "suspension": "creator",
}
DESCRIPTIONS = {"policy": "change event", "dispute-decision": "decision on dispute"}


def _row_records() -> Iterator[tuple[tuple, bytes, str]]:
    """(key, expected entry bytes, description) for every row the log records."""
    for stream in subjects():
        for key, record in stream:
            yield key, canonical(record), f"{DESCRIPTIONS.get(key[0], key[0])} {key[1]}"


def _key(data: bytes) -> tuple | None:
    record = json.loads(data)
    kind = record.get("type")
    if kind not in KEYS:
        return None
    return (kind, record.get(KEYS[kind]))


def _row_problems() -> Iterator[str]:
    logged: dict[tuple, tuple[int, bytes]] = {}
    for index, data in _entries():
        if canonical(json.loads(data)) != data:
            yield f"Entry {index} is not canonical JSON."
            return
        key = _key(data)
        if key is None:
            continue
        if key in logged and key[0] in ONCE:
            yield f"Entries {logged[key][0]} and {index} both record {key[0]} {key[1]}."
            return
        logged[key] = (index, data)
    for key, expected, description in _row_records():
        found = logged.pop(key, None)
        if found is None:
            yield f"The log has no entry for {description}."
            return
        if found[1] != expected:
            yield (
                f"Entry {found[0]}, the latest for {description}, does not match it as the "
                "database holds it."
            )
            return
    for key, (index, _) in sorted(logged.items(), key=lambda item: item[1][0]):
        yield f"Entry {index} records {key[0]} {key[1]}, which the database does not hold."
        return


def _signature_check() -> Callable | None:
    try:
        return import_string(CHECKPOINT_SIGNATURE_CHECK)
    except ImportError:
        return None


def _checkpoint_problems(hashes: dict[int, bytes], size: int) -> Iterator[str]:
    check = _signature_check()

    def read(wanted):
        return [hashes[i] for i in wanted]

    for checkpoint in Checkpoint.objects.order_by("size"):
        if checkpoint.size > size:
            yield f"Checkpoint at size {checkpoint.size} is beyond the log's {size} entries."
            return
        if bytes(checkpoint.root_hash) != merkle.tree_hash(checkpoint.size, read):
            yield f"Checkpoint at size {checkpoint.size} does not have the tree's root hash."
            return
        if check is not None:
            problem = check(checkpoint)
            if problem:
                yield f"Checkpoint at size {checkpoint.size}: {problem}"
                return


def problems() -> Iterator[str]:
    hashes: dict[int, bytes] = {}
    for problem in _tree_problems(hashes):
        yield problem
        return
    size = LogEntry.objects.count()
    yield from _row_problems()
    yield from _checkpoint_problems(hashes, size)


def signatures_checked() -> bool:
    return _signature_check() is not None
