"""Writes a new Ed25519 key for signing the transparency log's checkpoints.

The signer key (PRIVATE+KEY+...) goes to --output, readable by its owner only; the verifier key,
which is public and which everyone checks the log with, is printed.
"""

import os

from django.core.management.base import BaseCommand, CommandError

from consent.transparency import keys
from consent.transparency.note import NoteError, Signer


class Command(BaseCommand):
    help = "Write a new key that signs the transparency log's checkpoints; print its verifier key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            required=True,
            help="File to write the signer key to (mode 0600); an existing file is never replaced.",
        )
        parser.add_argument(
            "--name", default="", help="The key's name (default: the log's origin, LOG_ORIGIN)."
        )

    def handle(self, *args, output, name, **options):
        try:
            signer = Signer.generate(name or keys.origin())
        except NoteError as exc:
            raise CommandError(str(exc)) from exc
        try:
            fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise CommandError(f"{output} exists; a signing key is never overwritten.") from exc
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(signer.to_string() + "\n")
        os.chmod(output, 0o600)
        self.stderr.write(f"Wrote the signing key to {output} (mode 0600). Its verifier key:")
        self.stdout.write(signer.verifier().to_string())
