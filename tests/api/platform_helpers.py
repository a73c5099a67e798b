"""Shared set-up of the platform tests: people, platforms in each status, keys."""

import itertools

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from api import services
from consent.models import Platform

PASSWORD = "a long platform passphrase 42"
_counter = itertools.count(1)


def make_user(email: str = "", **extra):
    n = next(_counter)
    email = email or f"platform-person{n}@example.org"
    user = get_user_model().objects.create_user(
        username=f"platform-person{n}", email=email, password=PASSWORD, **extra
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def make_platform(name: str, *, status: str = Platform.Status.APPROVED, members=()) -> Platform:
    platform = Platform.objects.create(
        name=name,
        contact_email=f"api@{name.lower().replace(' ', '-')}.example",
        intended_use="Filtering a training dataset.",
        status=status,
    )
    platform.members.add(*members)
    return platform


def make_key(platform: Platform, name: str = "Production", scopes=("read",)):
    return services.create_key(platform, name, scopes)
