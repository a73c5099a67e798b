"""docker-compose.yml cannot be started here, so it is checked for consistency with the project.

Each test names a mistake that would only show once someone ran `docker compose up`: a service
missing, a variable the settings never read, a command that differs from what `make run` runs.
"""

import re
import shlex
from pathlib import Path

import pytest
import yaml
from celery.app.utils import find_app
from django.conf import settings
from django.urls import resolve

from registry.celery import app as project_celery_app
from tests.test_settings import settings_variables

BASE_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
# Variables that configure the compose services themselves, not the registry.
COMPOSE_ONLY_VARIABLES = {"POSTGRES_PASSWORD"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env_example_variables() -> set[str]:
    """Names in .env.example, set or commented out (a commented line documents the default)."""
    text = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def command_words(service: dict) -> list[str]:
    command = service["command"]
    words = shlex.split(command) if isinstance(command, str) else list(command)
    if words[:2] == ["sh", "-c"]:
        words = shlex.split(words[2])
    return words


def celery_invocation(words: list[str], role: str) -> str:
    """The app given to `celery -A APP ROLE` in these words."""
    text = " ".join(words)
    match = re.search(rf'celery"? -A (\S+) {role}\b', text)
    assert match, f"no `celery -A … {role}` in {text!r}"
    return match.group(1)


def test_the_whole_stack_is_defined(services):
    assert {"web", "worker", "beat", "db", "redis"} <= set(services)
    assert services["db"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"


@pytest.mark.parametrize("name", ["web", "worker", "beat", "db", "redis"])
def test_every_service_has_a_health_check(services, name):
    healthcheck = services[name].get("healthcheck") or {}
    assert not healthcheck.get("disable", False)
    assert healthcheck.get("test"), f"{name} has no health check command"


def test_web_worker_and_beat_run_one_image_built_from_the_dockerfile(services):
    builds = {repr(services[name]["build"]) for name in APP_SERVICES}
    images = {services[name]["image"] for name in APP_SERVICES}
    assert len(builds) == 1 and len(images) == 1
    assert services["web"]["build"] in (".", {"context": "."})
    assert (BASE_DIR / "Dockerfile").is_file()


def test_the_web_health_check_probes_the_health_endpoint(services):
    probe = " ".join(services["web"]["healthcheck"]["test"])
    url = re.search(r"http://[^\s\"']+", probe).group(0)
    path = "/" + url.split("/", 3)[3]
    assert path == "/api/health"
    assert resolve(path).url_name == "api_health"


def test_web_applies_migrations_then_serves_the_project_wsgi_module_with_gunicorn(services):
    words = command_words(services["web"])
    text = " ".join(words)
    assert "manage.py migrate --noinput" in text
    assert text.index("migrate") < text.index("gunicorn")
    wsgi_module = words[words.index("gunicorn") + 1]
    assert wsgi_module in (settings.WSGI_APPLICATION, settings.WSGI_APPLICATION.rsplit(".", 1)[0])


def test_worker_and_beat_run_the_celery_app_that_make_run_starts(services):
    serve_script = (BASE_DIR / "scripts" / "serve.sh").read_text(encoding="utf-8")
    assert "scripts/serve.sh" in (BASE_DIR / "Makefile").read_text(encoding="utf-8")
    for role in ("worker", "beat"):
        compose_app = celery_invocation(command_words(services[role]), role)
        make_app = celery_invocation(serve_script.split(), role)
        assert compose_app == make_app
        assert find_app(compose_app) is project_celery_app


def test_every_variable_given_to_the_app_is_a_setting_listed_in_env_example(services):
    read_by_settings = settings_variables()
    documented = env_example_variables()
    for name in APP_SERVICES:
        environment = services[name].get("environment") or {}
        if isinstance(environment, list):
            environment = dict(item.split("=", 1) for item in environment)
        assert environment, f"{name} sets no environment"
        unknown = set(environment) - read_by_settings
        assert not unknown, f"{name} sets variables the settings never read: {unknown}"
        undocumented = set(environment) - documented
        assert not undocumented, f"{name} sets variables missing from .env.example: {undocumented}"


def test_env_example_lists_every_setting_and_nothing_else():
    read_by_settings = settings_variables()
    documented = env_example_variables()
    assert read_by_settings - documented == set(), "add these to .env.example"
    assert documented - read_by_settings - COMPOSE_ONLY_VARIABLES == set(), "no longer read"


def test_every_interpolated_variable_has_a_default_or_a_clear_error(compose):
    """An unset `${X}` would give the app an empty string, which is not the setting's default."""
    text = (BASE_DIR / "docker-compose.yml").read_text(encoding="utf-8")
    for expression in re.findall(r"(?<!\$)\$\{([^}]*)\}", text):
        assert ":-" in expression or ":?" in expression, f"${{{expression}}} has no fallback"


def test_the_image_runs_as_a_non_root_user_and_collects_static_files_at_build():
    dockerfile = (BASE_DIR / "Dockerfile").read_text(encoding="utf-8")
    instructions = [
        line.strip() for line in dockerfile.splitlines() if line.strip() and line[0] != "#"
    ]
    assert instructions[0] == "FROM python:3.11-slim"
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), "the last USER must not be root"
    assert "pip install -r requirements.txt" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile
