"""`make run` serves links that name the address it serves on, and signs with development keys
it makes once."""

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


def test_make_run_makes_its_development_keys_once_and_signs_with_them(tmp_path):
    """The key-making lines of `make run`, run where no key exists, write both keys; run again
    they keep them; the commands then read them (the environment has none of its own)."""
    dry = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.replace("\\\n", "")
    lines = [line for line in dry.splitlines() if "create_signing_key" in line]
    assert any("--receipt --output .dev-receipt-key" in line for line in lines), lines
    migrate = next(line for line in dry.splitlines() if "manage.py migrate" in line)
    prefix = migrate.split(".venv/bin/python")[0]
    python = f"PYTHONPATH={ROOT} {sys.executable}"
    manage = f"{python} {ROOT / 'manage.py'}"
    keys = ("LOG_SIGNING_KEY", "RECEIPT_SIGNING_KEY")
    clean = {
        k: v
        for k, v in os.environ.items()
        if k.removesuffix("_FILE") not in keys and k not in ("SITE_URL", "DATABASE_URL")
    }
    make_keys = "\n".join(line.replace(".venv/bin/python manage.py", manage) for line in lines)
    written = []
    for _ in range(2):
        made = subprocess.run(
            ["sh", "-c", make_keys], cwd=tmp_path, capture_output=True, text=True, env=clean
        )
        assert made.returncode == 0, made.stderr
        written.append({path.name: path.read_text() for path in tmp_path.iterdir()})
    assert written[0] == written[1]
    written = written[0]
    assert set(written) == {".dev-log-signing-key", ".dev-receipt-key"}
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'registry.settings'); "
        "django.setup(); from django.conf import settings; "
        "print(settings.RECEIPT_SIGNING_KEY); print(settings.LOG_SIGNING_KEY)"
    )
    result = subprocess.run(
        ["sh", "-c", f'{prefix} {python} -c "{code}"'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=clean,
    )
    assert result.returncode == 0, result.stderr
    receipt_key, log_key = result.stdout.strip().splitlines()[-2:]
    assert receipt_key == written[".dev-receipt-key"].strip()
    assert log_key == written[".dev-log-signing-key"].strip()
    gitignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {".dev-log-signing-key", ".dev-receipt-key"} <= set(gitignored)
