"""Signing the log's checkpoints, and the witnesses' cosignatures on them.

A checkpoint (C2SP tlog-checkpoint) names the log's origin, a tree size and its root hash, in a
note signed with the log's key (`consent.transparency.keys`). One is signed whenever the tree
grew: right after a commit that appended entries (`log.append_many` calls `schedule_checkpoint`,
once per transaction; in-process when there is no broker) and by a beat task every
LOG_CHECKPOINT_SECONDS, which catches whatever the first missed. Every signed checkpoint is
kept, so consistency between any two can be proven.

Witnesses configured in LOG_WITNESSES may add their C2SP tlog-cosignature/v1 to a stored
checkpoint (`add_cosignature`); the newest checkpoint is served with them (`served_note`).
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import IntegrityError, transaction

from consent.models.transparency import Checkpoint, Cosignature
from consent.transparency import keys, log
from consent.transparency.note import (
    NoteError,
    Signature,
    Verifier,
    checkpoint_text,
    parse_checkpoint,
    parse_signature_line,
    sign_note,
    split_note,
    verify_cosignature,
    verify_note,
)

logger = logging.getLogger(__name__)


def newest() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-size").first()


def sign_checkpoint() -> Checkpoint | None:
    """Sign and store a checkpoint of the current tree if it grew since the newest one.

    Returns the new checkpoint, or None when there was nothing new to sign. The first call
    signs even the empty tree, so /log/checkpoint always has something to serve.
    """
    size = log.size()
    latest = newest()
    if latest is not None and latest.size >= size:
        return None
    root = log.root(size)
    note = sign_note(checkpoint_text(keys.origin(), size, root), keys.signer())
    try:
        with transaction.atomic():
            return Checkpoint.objects.create(size=size, root_hash=root, note=note)
    except IntegrityError:
        # Another signer stored this size first; its checkpoint says the same.
        return None


def covering(size: int) -> Checkpoint:
    """The newest signed checkpoint if it covers the first `size` entries, else one signed now.

    Receipts and downloadable proofs need a checkpoint that includes what they vouch for; the
    beat signs every LOG_CHECKPOINT_SECONDS, so this signs on the request path at most once per
    growth of the tree (a concurrent signer of the same size wins, and its row is read back).
    NoSigningKey when no key is configured.
    """
    latest = newest()
    if latest is not None and latest.size >= size:
        return latest
    signed = sign_checkpoint()
    if signed is not None:
        return signed
    latest = newest()
    if latest is None or latest.size < size:  # pragma: no cover - sign_checkpoint signs size()
        raise LookupError(f"No checkpoint covers the first {size} entries.")
    return latest


@shared_task(name="consent.transparency.checkpoints.sign_checkpoint_task", acks_late=True)
def sign_checkpoint_task() -> int | None:
    """Beat's task (and the after-commit one): the size signed, or None if nothing grew."""
    try:
        checkpoint = sign_checkpoint()
    except keys.NoSigningKey:
        logger.warning("The log grew but LOG_SIGNING_KEY is not set: no checkpoint signed.")
        return None
    return checkpoint.size if checkpoint else None


def schedule_checkpoint() -> None:
    """Inside a transaction that appended entries: a checkpoint is signed after it commits.

    `log.append_many` calls it, so every append leads to a checkpoint; it registers the signing
    once per transaction, however many appends (a savepoint rolled back takes its registration
    with it, and the next append registers again). With tasks in-process (no broker, `make run`)
    the signing happens right there; with a broker the task is queued, and beat signs anyway if
    the queue lost it.
    """
    pending = transaction.get_connection().run_on_commit
    if any(callback[1] is _sign_after_commit for callback in pending):
        return
    transaction.on_commit(_sign_after_commit)


def _sign_after_commit() -> None:
    try:
        sign_checkpoint_task.delay()
    except Exception:  # a broker outage must not fail a write that has committed
        logger.exception("Could not queue the checkpoint signing; beat will sign it.")


def served_note(checkpoint: Checkpoint) -> str:
    """The checkpoint's signed note with every stored cosignature line appended."""
    lines = checkpoint.cosignatures.order_by("name", "created_at").values_list(
        "signature_line", flat=True
    )
    return checkpoint.note + "".join(lines)


class CosignatureRefused(ValueError):
    """A cosignature that is malformed or does not verify (400)."""


class UnknownWitness(CosignatureRefused):
    """A cosignature from a key that is not a configured witness (403)."""


def check_cosignature(checkpoint: Checkpoint, line: str) -> tuple[Signature, Verifier, int]:
    """The parsed line, its witness and its timestamp; CosignatureRefused unless it verifies.

    The line must be a note signature line by a key in LOG_WITNESSES, over exactly this
    checkpoint's body as tlog-cosignature/v1 defines the signed message.
    """
    try:
        signature = parse_signature_line(line)
    except NoteError as exc:
        raise CosignatureRefused(str(exc)) from exc
    witness = next(
        (w for w in keys.witnesses() if (w.name, w.hash) == (signature.name, signature.hash)),
        None,
    )
    if witness is None:
        raise UnknownWitness(
            f"{signature.name} (key {signature.hash.hex()}) is not a witness of this log."
        )
    body, _ = split_note(checkpoint.note)
    try:
        timestamp = verify_cosignature(body, signature, witness)
    except NoteError as exc:
        raise CosignatureRefused(str(exc)) from exc
    return signature, witness, timestamp


def add_cosignature(checkpoint: Checkpoint, line: str) -> tuple[Cosignature, bool]:
    """Verify a witness's signature line on `checkpoint` and store it; (row, created).

    A witness's newer cosignature replaces its older one on the same checkpoint.
    """
    signature, witness, timestamp = check_cosignature(checkpoint, line)
    with transaction.atomic():
        existing = (
            Cosignature.objects.select_for_update()
            .filter(checkpoint=checkpoint, name=witness.name, key_id=witness.hash)
            .first()
        )
        if existing is not None:
            old = parse_signature_line(existing.signature_line).signature[:8]
            if int.from_bytes(old, "big") < timestamp:
                existing.signature_line = signature.line()
                existing.save(update_fields=["signature_line"])
            return existing, False
        row = Cosignature.objects.create(
            checkpoint=checkpoint,
            name=witness.name,
            key_id=witness.hash,
            signature_line=signature.line(),
        )
        return row, True


def signature_problem(checkpoint: Checkpoint) -> str | None:
    """None when the stored note is the log's signature over exactly this checkpoint; else what
    is wrong, in a sentence (`verify_log` names it)."""
    verifier = keys.verifier()
    if verifier is None:
        return "no LOG_SIGNING_KEY is configured to check its signature against."
    try:
        text, _ = verify_note(checkpoint.note, [verifier])
        body = parse_checkpoint(text)
    except NoteError as exc:
        return f"its signed note does not verify with the log's key ({exc})"
    if body.origin != keys.origin():
        return f"its note names the origin {body.origin!r}, not this log's {keys.origin()!r}."
    if body.size != checkpoint.size or body.root_hash != bytes(checkpoint.root_hash):
        return "its signed note states a different size or root hash than the stored checkpoint."
    return None
