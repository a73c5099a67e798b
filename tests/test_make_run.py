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


def make_run_prefix(*make_args: str) -> str:
    """The environment `make run` gives its manage.py commands, as the shell sees it."""
    dry = subprocess.run(
        ["make", "-n", "run", *make_args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.replace("\\\n", "")
    migrate = next(line for line in dry.splitlines() if "manage.py migrate" in line)
    return migrate.split(".venv/bin/python")[0]


def test_make_manage_runs_a_command_in_make_runs_environment():
    """`make manage ARGS=...` (the README's way to run create_platform) gives the command the
    very environment of `make run`'s own commands, arguments quoted as typed."""
    dry = subprocess.run(
        ["make", "-n", "manage", 'ARGS=create_platform "Acme AI"'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.replace("\\\n", "")
    line = next(line for line in dry.splitlines() if "manage.py" in line)
    prefix, _, command = line.partition(".venv/bin/python")
    assert prefix == make_run_prefix()
    assert command.strip() == 'manage.py create_platform "Acme AI"'


def test_make_run_prints_a_demo_key_that_works_and_reuses_it(tmp_path):
    """`make run`'s demo-platform line, run twice on a fresh database, prints one key both times,
    keeps it in the git-ignored key file (mode 0600), and the key authenticates. (The signing
    keys are the tests' own, from the environment, which make run's lines let win.)"""
    dry = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.replace("\\\n", "")
    run_lines = dry.splitlines()
    demo = next(line for line in run_lines if "load_demo_platform" in line)
    assert run_lines.index(demo) > next(
        i for i, line in enumerate(run_lines) if "manage.py load_demo" in line
    ), "the key is printed under the demo login"
    assert "--key-file .dev-platform-key" in demo
    prefix = make_run_prefix()
    python = f"PYTHONPATH={ROOT} {sys.executable}"
    manage = f"{python} {ROOT / 'manage.py'}"
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SITE_URL", "DATABASE_URL", "MIGRATION_DATABASE_URL", "CELERY_BROKER_URL")
    } | {"SQLITE_PATH": str(tmp_path / "db.sqlite3"), "REDIS_URL": ""}

    def run(command: str) -> str:
        done = subprocess.run(
            ["sh", "-c", f"{prefix} {command}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=clean,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(f"{manage} migrate --noinput -v0")
    key_line = demo.split("manage.py", 1)[1]
    printed = [run(f"{manage} {key_line}") for _ in range(2)]
    kept = (tmp_path / ".dev-platform-key").read_text().strip()
    assert kept.startswith("crk_") and all(kept in text for text in printed)
    assert (tmp_path / ".dev-platform-key").stat().st_mode & 0o777 == 0o600
    check = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'registry.settings'); "
        "django.setup(); from api import keys; from api.models import ApiKey; "
        f"live = ApiKey.objects.filter(revoked_at__isnull=True, platform__status='approved'); "
        f"key = live.get(prefix=keys.prefix_of('{kept}')); "
        f"print(live.count(), keys.matches('{kept}', key.hashed_key), key.platform.name)"
    )
    assert run(f'{python} -c "{check}"').split() == ["1", "True", "Demo", "platform"]
    gitignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".dev-platform-key" in gitignored
