#!/bin/sh
# Creates the runtime role the app connects as (RUNTIME_ROLE, with RUNTIME_PASSWORD), once, when
# the `db` service of docker-compose.yml starts on an empty volume; the image has created the
# owner of the tables (POSTGRES_USER) by then. The role may log in and nothing else: the
# `migrate` service grants it what the app needs after each migration
# (registry/database_roles.py). Running it again changes nothing.
set -eu
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="${RUNTIME_ROLE:?Set RUNTIME_ROLE: the role DATABASE_URL connects as}" \
    -v password="${RUNTIME_PASSWORD:?Set RUNTIME_PASSWORD: the password in DATABASE_URL}" <<'SQL'
SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L',
              :'role', :'password')
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SQL
