# The two set-up commands are `make run` and `make test`; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/registry
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
PYTEST_ARGS ?=
# `make manage ARGS=...`: the manage.py command and its arguments.
ARGS ?=
# Test processes (pytest-xdist): one per core by default; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
# `make bench`: its own database (seeded once, reused) and Redis database; see bench/README.md.
BENCH_DB_URL ?= postgres://postgres@127.0.0.1:5432/registry_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/4
RESEED ?=
PROFILE ?=
# Some measures only, e.g. BENCH_ONLY=tiles,verify (bench/run.py lists them).
BENCH_ONLY ?=

# `make run` is for development: debug on, SQLite and in-process tasks unless DATABASE_URL and
# CELERY_BROKER_URL (and REDIS_URL for the cache) are set in the environment. With
# MIGRATION_DATABASE_URL set too, migrate runs as that role (the owner of the tables) and grants
# DATABASE_URL's role, which the server, worker and beat connect as, what the app needs.
# Links the site writes (emails, feeds, API answers) name the address it is served on, so
# `make run PORT=8123` gives links that work; an explicit SITE_URL wins.
# The transparency log's checkpoints are signed with a development key that the first `make run`
# writes to DEV_LOG_KEY, and the API's receipts with one it writes to DEV_RECEIPT_KEY (both
# git-ignored); a LOG_SIGNING_KEY or LOG_SIGNING_KEY_FILE (RECEIPT_SIGNING_KEY or
# RECEIPT_SIGNING_KEY_FILE) set in the environment wins.
DEV_LOG_KEY := .dev-log-signing-key
DEV_RECEIPT_KEY := .dev-receipt-key
# The demo platform's API key, made once by load_demo_platform and printed at every start
# (git-ignored: keys are stored hashed, so this file is the only place the secret is kept).
DEV_PLATFORM_KEY := .dev-platform-key
RUN_ENV := DJANGO_DEBUG=true SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}"
RUN_KEY_ENV := LOG_SIGNING_KEY_FILE="$${LOG_SIGNING_KEY_FILE:-$$( [ -n "$${LOG_SIGNING_KEY:-}" ] || \
	echo $(DEV_LOG_KEY) )}" \
	RECEIPT_SIGNING_KEY_FILE="$${RECEIPT_SIGNING_KEY_FILE:-$$( [ -n "$${RECEIPT_SIGNING_KEY:-}" ] || \
	echo $(DEV_RECEIPT_KEY) )}"

# Tests run with debug off so they exercise the production settings; only the HTTPS redirect is
# turned off, because the test client speaks plain HTTP. The suite connects as PG_URL's role,
# which owns the test database; tests/test_database_roles.py creates a runtime role beside it.
# `make test` runs the whole suite in parallel, TEST_WORKERS processes. Each has its own test
# database (pytest-django names it test_<name>_gw0, _gw1 ...) and its own Redis database:
# TEST_REDIS_URL's number plus the worker's index (db 1 and db 2 with the default and two
# workers), so TEST_REDIS_URL's database and the next TEST_WORKERS-1 must be free to flush.
# `make test-fast` is the inner loop: the same, without the tests marked slow, browser or
# subprocess (pyproject.toml lists the markers). Both take PYTEST_ARGS, e.g. a file to run.
# A key that signs only the tests' checkpoints; it is public, so it must never sign a real log.
TEST_LOG_SIGNING_KEY := PRIVATE+KEY+test-only.invalid/consent-log+0da45ce8+AS9z35GOzNRARzYVjd61uedbynw9wcwi6vd8rdcBdtyA
# The same for the tests' receipts: public, test-only, never to sign a real answer.
TEST_RECEIPT_SIGNING_KEY := {"kty":"OKP","crv":"Ed25519","d":"HAFdmk7c0J28Ui7jSnAici4uLiR8ouTIIkRyD6HemFY","x":"-cJwA-S-m4hT7HXYE5SKvcIp_tjf0nXmudae4vd0D84"}
TEST_ENV := DJANGO_DEBUG=false \
	DJANGO_SECRET_KEY=test-only-secret-key-that-is-long-enough-for-django-checks-0123456789 \
	DJANGO_ALLOWED_HOSTS=testserver,127.0.0.1,localhost \
	SECURE_SSL_REDIRECT=false \
	DATABASE_URL=$(PG_URL) \
	MIGRATION_DATABASE_URL= \
	REDIS_URL=$(TEST_REDIS_URL) \
	CELERY_BROKER_URL= \
	EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend \
	LOG_SIGNING_KEY=$(TEST_LOG_SIGNING_KEY) \
	RECEIPT_SIGNING_KEY='$(TEST_RECEIPT_SIGNING_KEY)'

.PHONY: run manage test test-fast lint bench

# Stamps record which requirements the virtualenv holds; editing a requirements file reinstalls.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# The platforms' client (client/, its own package) is installed editable beside the tools: its
# tests in tests/client run it against a live registry.
$(VENV)/.dev-installed: requirements.txt requirements-dev.txt client/pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ./client
	touch $@ $(VENV)/.runtime-installed

run: $(VENV)/.runtime-installed
	@[ -n "$${LOG_SIGNING_KEY:-}$${LOG_SIGNING_KEY_FILE:-}" ] || [ -s $(DEV_LOG_KEY) ] || \
		$(RUN_ENV) $(BIN)/python manage.py create_signing_key --output $(DEV_LOG_KEY)
	@[ -n "$${RECEIPT_SIGNING_KEY:-}$${RECEIPT_SIGNING_KEY_FILE:-}" ] || [ -s $(DEV_RECEIPT_KEY) ] || \
		$(RUN_ENV) $(BIN)/python manage.py create_signing_key --receipt --output $(DEV_RECEIPT_KEY)
	$(RUN_ENV) $(RUN_KEY_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(RUN_KEY_ENV) $(BIN)/python manage.py backfill_log
	$(RUN_ENV) $(RUN_KEY_ENV) $(BIN)/python manage.py load_demo
	@$(RUN_ENV) $(RUN_KEY_ENV) $(BIN)/python manage.py load_demo_platform --key-file $(DEV_PLATFORM_KEY)
	@$(RUN_ENV) $(RUN_KEY_ENV) BIN=$(BIN) ADDRESS=$(HOST):$(PORT) bash scripts/serve.sh

# Any manage.py command in exactly the environment `make run` gives its own (debug on, its
# database, its development keys): `make manage ARGS='create_platform "Acme AI"'`. A bare
# `python manage.py` keeps the production defaults (no debug, a secret key required), so nothing
# a development machine writes can loosen a deployment's settings.
manage: $(VENV)/.runtime-installed
	@$(RUN_ENV) $(RUN_KEY_ENV) $(BIN)/python manage.py $(ARGS)

TEST_SELECTION :=
test-fast: TEST_SELECTION := -m "not slow and not browser and not subprocess"

test test-fast: $(VENV)/.dev-installed
	@$(TEST_ENV) $(BIN)/python scripts/check_services.py
	$(TEST_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@mkdir -p tests/artifacts
	@$(TEST_ENV) $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(TEST_SELECTION) $(PYTEST_ARGS); \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "make $@: pytest collected no tests; that is a failure." >&2; fi; \
	exit $$status

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Seeds 1,000,000 tracks once (RESEED=1 starts again), serves them under gunicorn with the
# production settings, measures, prints the table and writes it to bench/results/.
bench: $(VENV)/.dev-installed
	@command -v wrk >/dev/null || apt-get install -y wrk >/dev/null 2>&1 || \
		(apt-get update >/dev/null && apt-get install -y wrk >/dev/null) || \
		{ echo "make bench needs wrk: apt-get install wrk" >&2; exit 1; }
	@DATABASE_URL=$(BENCH_DB_URL) REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/python scripts/check_services.py
	MIGRATION_DATABASE_URL= BENCH_DB_URL=$(BENCH_DB_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
	BENCH_COMMAND="make bench$(if $(RESEED), RESEED=1)$(if $(PROFILE), PROFILE=1)$(if $(BENCH_ONLY), BENCH_ONLY=$(BENCH_ONLY))" \
	BENCH_ONLY="$(BENCH_ONLY)" \
	$(BIN)/python bench/run.py $(if $(RESEED),--reseed) $(if $(PROFILE),--profile)
