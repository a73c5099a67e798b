"""Set up an approved platform and its first API key from the command line.

For operators and scripts (a trial, a partner set up by hand, an end-to-end test): the key is
printed alone on the last line, so `KEY=$(python manage.py create_platform X | tail -1)` works.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from api import services
from consent.platforms import create_approved_platform
from consent.services import ConsentError


def scope_list(raw: str) -> list[str]:
    scopes = [part.strip() for part in raw.split(",") if part.strip()]
    unknown = sorted(set(scopes) - set(services.ALL_SCOPES))
    if unknown or not scopes:
        raise CommandError(
            f"Unknown scope {', '.join(unknown) or '(none given)'}: --scopes takes a "
            f"comma-separated list of {', '.join(services.ALL_SCOPES)}."
        )
    return scopes


class Command(BaseCommand):
    help = (
        "Create an approved platform with one API key, and print the key alone on the last "
        "line. Fails, changing nothing, if a platform with that name exists."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The platform's (organisation's) name; must be new.")
        parser.add_argument("--email", default="", help="The platform's contact email.")
        parser.add_argument(
            "--scopes",
            default=",".join(services.ALL_SCOPES),
            help="What the key may do, comma-separated (default: all of "
            f"{','.join(services.ALL_SCOPES)}).",
        )
        parser.add_argument(
            "--rate-limit",
            type=int,
            default=None,
            help="Units a minute for all the platform's keys; default: API_RATE_LIMIT_PER_MINUTE.",
        )

    def handle(self, *args, name: str, email: str, scopes: str, rate_limit, **options) -> None:
        scope_values = scope_list(scopes)
        if rate_limit is not None and rate_limit < 1:
            raise CommandError("--rate-limit must be a whole number of requests, at least 1.")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"“{email}” is not an email address.") from None
        try:
            with transaction.atomic():
                platform = create_approved_platform(
                    name, contact_email=email, rate_limit_per_minute=rate_limit
                )
                key, secret = services.create_key(
                    platform, "Created from the command line", scope_values
                )
        except ConsentError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Platform “{platform.name}” is approved; its key {key.display} has the scopes "
            f"{', '.join(key.scopes)}. The key is shown only now, on the next line:"
        )
        self.stdout.write(secret)
