"""The public transparency log's storage (see docs/log.md and `consent.transparency`).

LogEntry and LogHash are append-only (database triggers, migration 0017): an entry is written once,
with the stored hashes it completes, in the transaction that records the fact it describes.
Checkpoint keeps every signed tree head, Cosignature the witnesses' signatures on them.
"""

from django.db import models


class LogEntry(models.Model):
    """Entry `index` of the log: the canonical JSON (RFC 8785) bytes of one record."""

    index = models.BigIntegerField(primary_key=True)
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"log entry {self.index}"


class LogHash(models.Model):
    """One stored hash of the tree, at its stored-hash index (`consent.transparency.merkle`)."""

    index = models.BigIntegerField(primary_key=True)
    hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"log hash {self.index}"


class Checkpoint(models.Model):
    """A signed checkpoint (C2SP tlog-checkpoint in a signed note), kept for ever."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.BinaryField(max_length=32)
    note = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["size"]

    def __str__(self):
        return f"checkpoint at size {self.size}"


class Cosignature(models.Model):
    """A witness's cosignature (C2SP tlog-cosignature) on a checkpoint, as its note line."""

    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.PROTECT, related_name="cosignatures"
    )
    name = models.CharField(max_length=255)
    key_id = models.BinaryField(max_length=4)
    signature_line = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "name", "key_id"], name="one_cosignature_per_witness_key"
            )
        ]

    def __str__(self):
        return f"cosignature by {self.name}"


class ReceiptKey(models.Model):
    """A public key that has signed receipts (`consent.transparency.receipts`), kept for ever.

    Recorded the first time the key signs, so /.well-known/jwks.json still lists it after the
    operator has moved on to a new RECEIPT_SIGNING_KEY and its receipts still verify.
    """

    kid = models.CharField(max_length=64, unique=True)
    public_jwk = models.JSONField()
    first_used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-first_used_at", "kid"]

    def __str__(self):
        return f"receipt key {self.kid}"
