"""Writes a new Ed25519 key for signing the transparency log's checkpoints, or with --receipt
one for signing receipts on the API's answers.

The private key goes to --output, readable by its owner only, never over an existing file. What
is printed is public: the log's verifier key, which everyone checks the log with, or the
receipt key's public JWK (its `kid` is the RFC 7638 thumbprint receipts name it by).
"""

import json
import os

from django.core.management.base import BaseCommand, CommandError

from consent.transparency import keys
from consent.transparency.jws import PrivateKey
from consent.transparency.note import NoteError, Signer


class Command(BaseCommand):
    help = (
        "Write a new key that signs the transparency log's checkpoints (or, with --receipt, the "
        "API's receipts); print its public key."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            required=True,
            help="File to write the private key to (mode 0600); an existing file is never "
            "replaced.",
        )
        parser.add_argument(
            "--name", default="", help="The key's name (default: the log's origin, LOG_ORIGIN)."
        )
        parser.add_argument(
            "--receipt",
            action="store_true",
            help="Write a receipt signing key (RECEIPT_SIGNING_KEY, an Ed25519 private JWK) "
            "instead of the log's; print its public JWK.",
        )

    def handle(self, *args, output, name, receipt, **options):
        if receipt:
            if name:
                raise CommandError("--name names a log key; a receipt key is named by its kid.")
            key = PrivateKey.generate()
            self._write(output, key.to_json())
            self.stderr.write(
                f"Wrote the receipt signing key to {output} (mode 0600). Its public key:"
            )
            self.stdout.write(json.dumps(key.public.jwk()))
            return
        try:
            signer = Signer.generate(name or keys.origin())
        except NoteError as exc:
            raise CommandError(str(exc)) from exc
        self._write(output, signer.to_string())
        self.stderr.write(f"Wrote the signing key to {output} (mode 0600). Its verifier key:")
        self.stdout.write(signer.verifier().to_string())

    def _write(self, output: str, text: str) -> None:
        try:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(f"{output} exists; a signing key is never overwritten.") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.chmod(output, 0o600)
