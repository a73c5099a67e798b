"""docker-compose.yml cannot be started here, so it is checked for consistency with the project.

Each test names a mistake that would only show once someone ran `docker compose up`: a service
missing, a variable the settings never read, a command that differs from what `make run` runs.
"""

import json
import os
import re
import shlex
from pathlib import Path

import dj_database_url
import pytest
import yaml
from celery.app.utils import find_app
from django.conf import settings
from django.urls import resolve

from registry.celery import app as project_celery_app
from tests.test_settings import settings_variables

BASE_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
# The one-off service that applies the migrations before the others start.
MIGRATE = "migrate"
# Variables that configure the compose services themselves, not the registry.
COMPOSE_ONLY_VARIABLES = {
    "POSTGRES_PASSWORD",
    "POSTGRES_APP_PASSWORD",
    "POSTGRES_REPLICATION_PASSWORD",
}
INIT_FOLDER = "/docker-entrypoint-initdb.d"


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


def environment_of(service: dict) -> dict:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return environment


def with_defaults(value: str) -> str:
    """`value` as compose gives it when .env sets none of its variables."""
    return re.sub(r"\$\{[A-Z0-9_]+:-([^}]*)\}", r"\1", value)


def database_of(service: dict, variable: str) -> dict:
    return dj_database_url.parse(with_defaults(environment_of(service)[variable]))


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


@pytest.mark.parametrize("name", ["web", "worker", "beat", "db", "redis", "replica"])
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


def test_migrations_are_applied_once_before_web_worker_and_beat_start(services):
    migrate = services[MIGRATE]
    # The same commands `make run` runs before loading demo data and serving.
    assert " ".join(command_words(migrate)) == (
        "python manage.py migrate --noinput && python manage.py backfill_log"
    )
    makefile = (BASE_DIR / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert run_recipe.index("manage.py migrate --noinput") < run_recipe.index(
        "manage.py backfill_log"
    )
    assert migrate["build"] == services["web"]["build"]
    assert migrate["image"] == services["web"]["image"]
    # A one-off: restarting it after it succeeded would run it forever.
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on[MIGRATE]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name


def test_web_serves_the_project_wsgi_module_with_gunicorn(services):
    words = command_words(services["web"])
    assert "migrate" not in words
    wsgi_module = words[words.index("gunicorn") + 1]
    assert wsgi_module in (settings.WSGI_APPLICATION, settings.WSGI_APPLICATION.rsplit(".", 1)[0])


def test_web_worker_and_beat_connect_as_the_runtime_role_and_only_migrate_as_the_owner(services):
    db = environment_of(services["db"])
    owner = database_of(services[MIGRATE], "MIGRATION_DATABASE_URL")
    assert (owner["USER"], owner["NAME"], owner["HOST"]) == (
        db["POSTGRES_USER"],
        db["POSTGRES_DB"],
        "db",
    )
    assert owner["PASSWORD"] == with_defaults(db["POSTGRES_PASSWORD"])
    for name in (*APP_SERVICES, MIGRATE):
        runtime = database_of(services[name], "DATABASE_URL")
        assert runtime["USER"] == db["RUNTIME_ROLE"] != db["POSTGRES_USER"], name
        assert runtime["PASSWORD"] == with_defaults(db["RUNTIME_PASSWORD"]), name
        assert (runtime["NAME"], runtime["HOST"]) == (db["POSTGRES_DB"], "db"), name
    for name in APP_SERVICES:
        assert "MIGRATION_DATABASE_URL" not in environment_of(services[name]), name


def test_the_database_service_creates_the_runtime_role_on_a_new_volume(services):
    """The image runs the scripts mounted at /docker-entrypoint-initdb.d on an empty volume."""
    mounts = [volume.split(":") for volume in services["db"]["volumes"]]
    folders = [source for source, target, *_ in mounts if target == INIT_FOLDER]
    assert len(folders) == 1, f"mount a folder of init scripts at {INIT_FOLDER}"
    scripts = sorted((BASE_DIR / folders[0]).glob("*.sh"))
    assert scripts, f"{folders[0]} holds no init script"
    text = "\n".join(script.read_text(encoding="utf-8") for script in scripts)
    assert "CREATE ROLE" in text and "RUNTIME_ROLE" in text and "RUNTIME_PASSWORD" in text
    # Scripts that are not executable are sourced by the image's entrypoint shell instead.
    assert all(os.access(script, os.X_OK) for script in scripts)


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
    for name in (*APP_SERVICES, MIGRATE):
        environment = environment_of(services[name])
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


@pytest.mark.parametrize(
    ("variable", "command"),
    [
        ("LOG_SIGNING_KEY", "create_signing_key"),
        ("RECEIPT_SIGNING_KEY", "create_signing_key --receipt"),
    ],
)
def test_every_signing_key_is_required_and_says_how_to_make_one(services, variable, command):
    """With debug off the app refuses to start without either key: compose stops earlier, with
    the command that makes it, and .env.example has the line to fill in."""
    for name in (*APP_SERVICES, MIGRATE):
        value = environment_of(services[name])[variable]
        assert value.startswith(f"${{{variable}:?") and f"manage.py {command})" in value, name
    assert re.search(rf"^{variable}=$", (BASE_DIR / ".env.example").read_text(), re.M)


def gunicorn_options(words: list[str]) -> dict[str, str]:
    """`--name value` pairs of a gunicorn command line."""
    words = words[words.index("gunicorn") + 2 :]
    return {
        word: value for word, value in zip(words, words[1:], strict=False) if word.startswith("--")
    }


def dockerfile_command() -> list[str]:
    dockerfile = (BASE_DIR / "Dockerfile").read_text(encoding="utf-8")
    (line,) = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    return json.loads(line.removeprefix("CMD "))


def test_web_serves_with_threads_as_the_benchmark_found_and_the_image_does_the_same(services):
    """bench/README.md: 2 processes × 4 threads (gthread). A gthread process answers the
    arbiter's heartbeat while its threads serve, so --timeout cannot cut a snapshot off
    mid-stream as it would with sync workers; a restart gives downloads under way time."""
    words = command_words(services["web"])
    assert words == dockerfile_command()
    options = gunicorn_options(words)
    assert options["--worker-class"] == "gthread"
    assert (options["--workers"], options["--threads"]) == ("2", "4")
    assert int(options["--graceful-timeout"]) >= int(options["--timeout"]) > 30
    assert int(options["--keep-alive"]) > 2  # gunicorn's default, shorter than most proxies'


def test_the_replica_profile_streams_from_db_as_the_replication_role(services):
    replica, db = services["replica"], services["db"]
    assert replica["profiles"] == ["replica"]
    assert replica["image"] == db["image"]
    assert replica["depends_on"]["db"]["condition"] == "service_healthy"
    script = command_words(replica) if isinstance(replica["command"], str) else replica["command"]
    text = " ".join(script)
    db_environment = environment_of(db)
    assert "pg_basebackup --host=db" in text
    assert f"--username={db_environment['REPLICATION_ROLE']}" in text
    assert "--write-recovery-conf" in text and "--wal-method=stream" in text
    # Long reads on the replica (snapshots) are not cancelled by the primary's vacuum.
    assert "hot_standby_feedback=on" in text
    password = with_defaults(environment_of(replica)["PGPASSWORD"])
    assert password == with_defaults(db_environment["REPLICATION_PASSWORD"])
    assert "replicadata" in compose_volumes(services)
    # db's init scripts create the role and let it connect for replication.
    init = (BASE_DIR / "docker" / "db-init" / "20-replication-role.sh").read_text()
    assert "REPLICATION LOGIN" in init and "REPLICATION_ROLE" in init
    assert "host replication $role all scram-sha-256" in init
    assert os.access(BASE_DIR / "docker" / "db-init" / "20-replication-role.sh", os.X_OK)


def compose_volumes(services) -> set[str]:
    return {
        volume.split(":")[0]
        for service in services.values()
        for volume in service.get("volumes", [])
    }


def test_web_reads_from_the_replica_given_in_env(services):
    """web passes DATABASE_REPLICA_URLS on; the URL .env.example gives for the profile names
    the replica service, the registry database and the role web connects as, and the settings
    accept it beside web's DATABASE_URL."""
    from registry.env import replica_databases

    assert environment_of(services["web"])["DATABASE_REPLICA_URLS"] == "${DATABASE_REPLICA_URLS:-}"
    text = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    (example,) = re.findall(r"^# DATABASE_REPLICA_URLS=(postgres://\S+)$", text, flags=re.M)
    web = database_of(services["web"], "DATABASE_URL")
    (replica,) = replica_databases([example], web, 2).values()
    assert replica["HOST"] == "replica"
    assert (replica["USER"], replica["NAME"]) == (web["USER"], web["NAME"])
    assert replica["PASSWORD"] == web["PASSWORD"]
