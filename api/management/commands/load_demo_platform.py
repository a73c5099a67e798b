"""The demo platform of `make run`: approved, with one API key, printed at every start.

Keys are stored only as keyed hashes, so the registry cannot show a key again. The secret is kept
instead in a git-ignored file (`--key-file`, `.dev-platform-key` under `make run`), written with
mode 0600 when the key is made. A later run reads that file and prints the key again if it still
authenticates as a live key of the demo platform; otherwise (the file was removed, the key
revoked, the database replaced) it revokes the demo platform's other demo keys and makes a new
one. Running it again therefore adds neither platforms nor keys. Like `load_demo` it only runs
with debug on: a key in a file beside the code belongs to a development machine.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from api import keys, services
from api.models import ApiKey
from consent.models import Platform
from consent.platforms import create_approved_platform

DEMO_PLATFORM = "Demo platform"
DEMO_KEY_NAME = "Demo key (make run)"


def live_demo_key(platform: Platform, secret: str) -> ApiKey | None:
    """The demo platform's live key that `secret` is, or None."""
    prefix = keys.prefix_of(secret)
    if prefix is None:
        return None
    key = services.active_keys(platform).filter(prefix=prefix).first()
    if key is None or not keys.matches(secret, key.hashed_key):
        return None
    return key


def write_secret(path: Path, secret: str) -> None:
    """The key file, readable by its owner only (created so, never widened for a moment)."""
    if path.exists():
        path.unlink()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secret + "\n")


class Command(BaseCommand):
    help = (
        "Create the approved demo platform and its API key once, keep the key in --key-file, and "
        "print it (development only)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--key-file",
            default=".dev-platform-key",
            help="Where the demo key is kept between runs (default: %(default)s).",
        )

    def handle(self, *args, key_file: str, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "load_demo_platform keeps an API key in a file beside the code, so it only runs "
                "with DJANGO_DEBUG=true. Use create_platform to set up a real platform."
            )
        path = Path(key_file)
        with transaction.atomic():
            platform = Platform.objects.filter(name=DEMO_PLATFORM).first()
            if platform is None:
                platform = create_approved_platform(
                    DEMO_PLATFORM,
                    contact_email="platform@example.org",
                    intended_use="Trying the API on the demo data.",
                )
            saved = path.read_text(encoding="utf-8").strip() if path.is_file() else ""
            key = live_demo_key(platform, saved) if saved else None
            secret = saved
            if key is None:
                for old in services.active_keys(platform).filter(name=DEMO_KEY_NAME):
                    services.revoke_key(old)
                key, secret = services.create_key(platform, DEMO_KEY_NAME)
                write_secret(path, secret)
        rule = "=" * 64
        # Printed under load_demo's login banner, as the second half of one box.
        lines = [
            f"  API key of “{platform.name}” ({', '.join(key.scopes)}; kept in {path}):",
            f"    {secret}",
            "  Try it: README.md, “Try the API”.",
            rule,
            "",
        ]
        if platform.status != Platform.Status.APPROVED:
            lines.insert(2, f"  The platform is {platform.get_status_display().lower()}.")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
