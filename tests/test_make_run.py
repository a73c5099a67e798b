"""`make run` serves links that name the address it serves on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.subprocess


def site_url_under_make_run(*make_args: str, **env: str) -> str:
    """SITE_URL as the settings read it in the environment `make run` gives its commands."""
    dry = subprocess.run(
        ["make", "-n", "run", *make_args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    migrate = next(line for line in dry.splitlines() if "manage.py migrate" in line)
    prefix = migrate.split(".venv/bin/python")[0]
    command = (
        f"{prefix} {sys.executable} -c "
        '\'import django, os; os.environ.setdefault("DJANGO_SETTINGS_MODULE", '
        '"registry.settings"); django.setup(); from django.conf import settings; '
        "print(settings.SITE_URL)'"
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "DATABASE_URL")}
    result = subprocess.run(
        ["sh", "-c", command], cwd=ROOT, capture_output=True, text=True, env=clean | env
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_make_run_on_another_port_links_to_that_port():
    assert site_url_under_make_run("PORT=8123") == "http://127.0.0.1:8123"


def test_an_explicit_site_url_wins():
    assert site_url_under_make_run("PORT=8123", SITE_URL="https://registry.example") == (
        "https://registry.example"
    )
