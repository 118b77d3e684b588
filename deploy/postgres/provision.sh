#!/usr/bin/env bash
# Roles and databases of the platform, idempotent. Run as a PostgreSQL superuser by
# deploy/postgres.sh (native) and by the postgres image's initdb hook (docker-compose.yml).
# Per service: <svc>_owner owns the schema and runs migrations; <svc>_app is what requests and
# consumers use (row-level security always applies); <svc>_system bypasses it, for cross-estate
# machinery only (outbox relay, platform-wide listings). Plus keycloak's own database.
set -euo pipefail

SERVICES=(tenant ledger ticketing microfund)
DB_PASSWORD="${XINYI_DB_PASSWORD:-xinyi-dev}"
read -r -a PSQL <<<"${PSQL_COMMAND:-psql}"
psql_super() { "${PSQL[@]}" -X -q -v ON_ERROR_STOP=1 "$@"; }

ensure_role() {  # name, attributes
  psql_super -d postgres -v name="$1" -v password="$DB_PASSWORD" <<SQL
SELECT format('CREATE ROLE %I LOGIN', :'name') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'name') \gexec
SELECT format('ALTER ROLE %I LOGIN PASSWORD %L $2', :'name', :'password') \gexec
SQL
}

ensure_database() {  # name, owner
  psql_super -d postgres -v name="$1" -v owner="$2" <<'SQL'
SELECT format('CREATE DATABASE %I OWNER %I ENCODING ''UTF8'' TEMPLATE template0', :'name', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \gexec
SQL
}

for svc in "${SERVICES[@]}"; do
  ensure_role "${svc}_owner" "NOSUPERUSER NOBYPASSRLS"
  ensure_role "${svc}_app" "NOSUPERUSER NOBYPASSRLS"
  ensure_role "${svc}_system" "NOSUPERUSER BYPASSRLS"
  ensure_database "$svc" "${svc}_owner"
  psql_super -d "$svc" <<SQL
REVOKE ALL ON DATABASE $svc FROM PUBLIC;
GRANT CONNECT ON DATABASE $svc TO ${svc}_app, ${svc}_system;
GRANT USAGE ON SCHEMA public TO ${svc}_app, ${svc}_system;
ALTER DEFAULT PRIVILEGES FOR ROLE ${svc}_owner IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${svc}_app, ${svc}_system;
ALTER DEFAULT PRIVILEGES FOR ROLE ${svc}_owner IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO ${svc}_app, ${svc}_system;
SQL
done
ensure_role keycloak "NOSUPERUSER"
ensure_database keycloak keycloak
