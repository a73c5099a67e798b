#!/bin/sh
# Lets the `replica` service of docker-compose.yml (the `replica` profile) stream from `db`: a
# role that may only replicate (REPLICATION_ROLE, with REPLICATION_PASSWORD), and a line of
# pg_hba.conf that lets it connect for replication with its password. Runs once, when `db` starts
# on an empty volume; on an older volume, run the same statement and add the same line by hand
# (docs/operations.md, "Read replicas"). Running it again changes nothing.
set -eu
role="${REPLICATION_ROLE:?Set REPLICATION_ROLE: the role the replica streams as}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v role="$role" \
    -v password="${REPLICATION_PASSWORD:?Set REPLICATION_PASSWORD: the replica's password}" <<'SQL'
SELECT format('CREATE ROLE %I REPLICATION LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L',
              :'role', :'password')
    WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role')
\gexec
SQL
line="host replication $role all scram-sha-256"
grep -qxF "$line" "$PGDATA/pg_hba.conf" || echo "$line" >> "$PGDATA/pg_hba.conf"
