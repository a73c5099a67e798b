"""Settings from the environment: a bad value stops the process, a good production set passes.

Each case runs Django in a fresh subprocess, because settings are read once per process.
"""

import ast
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_FILE = BASE_DIR / "registry" / "settings.py"
# Every case starts Django in a subprocess.
pytestmark = pytest.mark.subprocess
ENV_READERS = {"envstr", "envbool", "envint", "envlist"}
SETUP = "import django; django.setup()"


def settings_variables() -> set[str]:
    """Every variable name registry/settings.py reads through the typed env readers."""
    tree = ast.parse(SETTINGS_FILE.read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ENV_READERS
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    }


# Only what a Python process needs to start; nothing the test process itself was given (settings
# of `make test`, flags set by other tests) may leak into the configuration under test.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")


def clean_environment(**variables: str) -> dict[str, str]:
    """A minimal environment with `variables` as the only settings."""
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "registry.settings"
    return env | variables


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean_environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-valid-secret-key-used-only-in-these-tests-" + "k" * 30,
    "DJANGO_ALLOWED_HOSTS": "registry.example.org",
    "LOG_SIGNING_KEY": os.environ["LOG_SIGNING_KEY"],
    "RECEIPT_SIGNING_KEY": os.environ["RECEIPT_SIGNING_KEY"],
}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("EMAIL_PORT", "abc"),
        ("EMAIL_USE_TLS", "sometimes"),
        ("CELERY_TASK_TIME_LIMIT", "0"),
        ("SECURE_HSTS_SECONDS", "-1"),
        ("IMPORT_MAX_ROWS", "ten thousand"),
        ("DATABASE_URL", "notadatabase://somewhere"),
        ("MIGRATION_DATABASE_URL", "postgres://registry@127.0.0.1:5432/registry"),
        ("DJANGO_SECRET_KEY_FILE", "/nonexistent/secret-key"),
        ("LOG_SIGNING_KEY", "PRIVATE+KEY+log+00000000+AAAA"),
        ("LOG_SIGNING_KEY_FILE", "/nonexistent/log-key"),
        ("LOG_WITNESSES", "witness.example+00000000+AAAA"),
        ("LOG_CHECKPOINT_SECONDS", "0"),
        ("RECEIPT_SIGNING_KEY", '{"kty":"OKP","crv":"Ed25519","x":"AAAA","d":"AAAA"}'),
        ("RECEIPT_SIGNING_KEY", "PRIVATE+KEY+log+00000000+AAAA"),
        ("RECEIPT_SIGNING_KEY_FILE", "/nonexistent/receipt-key"),
    ],
)
def test_a_bad_value_stops_start_up_and_names_the_variable(name, value):
    result = run(["-c", SETUP], **(PRODUCTION | {name: value}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert name.removesuffix("_FILE") in result.stderr


def test_a_missing_secret_key_with_debug_off_stops_start_up():
    variables = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = run(["-c", SETUP], **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_a_missing_log_signing_key_with_debug_off_stops_start_up():
    variables = {k: v for k, v in PRODUCTION.items() if k != "LOG_SIGNING_KEY"}
    result = run(["-c", SETUP], **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "LOG_SIGNING_KEY is not set" in result.stderr
    assert "create_signing_key" in result.stderr


def test_a_missing_receipt_signing_key_with_debug_off_stops_start_up():
    variables = {k: v for k, v in PRODUCTION.items() if k != "RECEIPT_SIGNING_KEY"}
    result = run(["-c", SETUP], **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "RECEIPT_SIGNING_KEY is not set" in result.stderr
    assert "create_signing_key --receipt" in result.stderr


def test_a_receipt_key_whose_public_half_is_not_its_private_ones_stops_start_up():
    other = json.loads(os.environ["RECEIPT_SIGNING_KEY"]) | {"x": "A" * 43}
    result = run(["-c", SETUP], **(PRODUCTION | {"RECEIPT_SIGNING_KEY": json.dumps(other)}))
    assert result.returncode != 0
    assert "RECEIPT_SIGNING_KEY is not an Ed25519 private JWK" in result.stderr


def test_the_receipt_key_can_come_from_a_file(tmp_path):
    path = tmp_path / "receipt-key"
    path.write_text(os.environ["RECEIPT_SIGNING_KEY"] + "\n")
    variables = {k: v for k, v in PRODUCTION.items() if k != "RECEIPT_SIGNING_KEY"}
    code = SETUP + "; from django.conf import settings; print(settings.RECEIPT_SIGNING_KEY)"
    result = run(["-c", code], **variables, RECEIPT_SIGNING_KEY_FILE=str(path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == os.environ["RECEIPT_SIGNING_KEY"]


@pytest.mark.parametrize("key", ["LOG_SIGNING_KEY", "RECEIPT_SIGNING_KEY"])
def test_collecting_static_files_needs_no_signing_key_as_the_image_build_runs_it(key):
    variables = {k: v for k, v in PRODUCTION.items() if k != key}
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert key not in dockerfile and "manage.py collectstatic" in dockerfile
    result = run(["manage.py", "collectstatic", "--help"], **variables)
    assert result.returncode == 0, result.stderr
    assert run(["manage.py", "check"], **variables).returncode != 0


def test_the_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + secrets.token_urlsafe(48) + "\n")
    variables = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    code = SETUP + "; from django.conf import settings; print(settings.SECRET_KEY)"
    result = run(["-c", code], **variables, DJANGO_SECRET_KEY_FILE=str(secret))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == secret.read_text().strip()


def test_migrations_may_only_connect_to_the_database_the_app_uses():
    result = run(
        ["-c", SETUP],
        **PRODUCTION,
        DATABASE_URL="postgres://registry_app@127.0.0.1:5432/registry",
        MIGRATION_DATABASE_URL="postgres://registry@127.0.0.1:5432/elsewhere",
    )
    assert result.returncode != 0
    assert "MIGRATION_DATABASE_URL names the database 'elsewhere'" in result.stderr


def test_migrations_connect_as_the_app_unless_a_migration_role_is_given():
    code = SETUP + "; from django.conf import settings; print(settings.MIGRATION_DATABASE['USER'])"
    app_only = run(["-c", code], **PRODUCTION, DATABASE_URL="postgres://app@127.0.0.1/registry")
    both = run(
        ["-c", code],
        **PRODUCTION,
        DATABASE_URL="postgres://app@127.0.0.1/registry",
        MIGRATION_DATABASE_URL="postgres://owner@127.0.0.1/registry",
    )
    assert app_only.returncode == 0, app_only.stderr
    assert both.returncode == 0, both.stderr
    assert (app_only.stdout.strip(), both.stdout.strip()) == ("app", "owner")


def test_with_nothing_configured_development_runs_on_sqlite_with_tasks_in_process():
    code = (
        SETUP + "; from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = run(["-c", code], DJANGO_DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]


def test_a_production_configuration_passes_the_deployment_checks_without_warnings():
    database_url = os.environ.get("DATABASE_URL", "")
    assert database_url.startswith(("postgres://", "postgresql://")), "run through `make test`"
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="registry.example.org",
        LOG_SIGNING_KEY=os.environ["LOG_SIGNING_KEY"],
        RECEIPT_SIGNING_KEY=os.environ["RECEIPT_SIGNING_KEY"],
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("REDIS_URL", ""),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "no issues" in output


def test_behind_a_proxy_start_up_stops_until_the_proxies_are_counted():
    result = run(["-c", SETUP], **(PRODUCTION | {"BEHIND_TLS_PROXY": "true"}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "TRUSTED_PROXY_COUNT is not set" in result.stderr
    assert "lock everyone out" in result.stderr


def test_behind_a_proxy_the_rate_limits_count_visitors_from_x_forwarded_for():
    code = (
        SETUP + "; from django.conf import settings; "
        "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.SECURE_PROXY_SSL_HEADER[0])"
    )
    variables = PRODUCTION | {"BEHIND_TLS_PROXY": "true", "TRUSTED_PROXY_COUNT": "2"}
    result = run(["-c", code], **variables)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "HTTP_X_FORWARDED_PROTO"]
