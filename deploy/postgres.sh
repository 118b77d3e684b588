#!/usr/bin/env bash
# PostgreSQL from Debian's package: one cluster "xinyi" on $POSTGRES_PORT, a database per
# service, and per service three roles:
#   <svc>_owner  owns the schema, runs Alembic migrations
#   <svc>_app    what requests and consumers use; row-level security always applies to it
#   <svc>_system BYPASSRLS, only for cross-estate machinery (outbox relay, platform listings)
# Usage: deploy/postgres.sh up|down|status
source "$(dirname "$0")/lib.sh"

CLUSTER=xinyi
SERVICES=(tenant ledger ticketing microfund)
DB_PASSWORD="${XINYI_DB_PASSWORD:-xinyi-dev}"

install_if_missing() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q postgresql postgresql-contrib >/dev/null
  fi
  PG_VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
}

as_superuser() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$POSTGRES_PORT" "$@"; }

ready() { runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$POSTGRES_PORT" && as_superuser -tAc 'select 1' >/dev/null; }

ensure_role() {  # name, extra attributes
  as_superuser -d postgres <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$1') THEN
    CREATE ROLE $1 LOGIN PASSWORD '$DB_PASSWORD' $2;
  ELSE
    ALTER ROLE $1 LOGIN PASSWORD '$DB_PASSWORD' $2;
  END IF;
END \$\$;
SQL
}

ensure_database() {  # name, owner
  if [[ -z "$(as_superuser -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$1'")" ]]; then
    as_superuser -d postgres -c "CREATE DATABASE $1 OWNER $2 ENCODING 'UTF8' TEMPLATE template0"
  fi
}

provision() {
  for svc in "${SERVICES[@]}"; do
    ensure_role "${svc}_owner" "NOSUPERUSER NOBYPASSRLS"
    ensure_role "${svc}_app" "NOSUPERUSER NOBYPASSRLS"
    ensure_role "${svc}_system" "NOSUPERUSER BYPASSRLS"
    ensure_database "$svc" "${svc}_owner"
    as_superuser -d "$svc" <<SQL
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
}

up() {
  install_if_missing
  if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$CLUSTER"; then
    log "creating cluster $PG_VERSION/$CLUSTER on port $POSTGRES_PORT"
    pg_createcluster "$PG_VERSION" "$CLUSTER" -p "$POSTGRES_PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
    cat > "/etc/postgresql/$PG_VERSION/$CLUSTER/conf.d/xinyi.conf" <<CONF
listen_addresses = '127.0.0.1'
max_connections = 300
shared_buffers = 256MB
fsync = on
CONF
  fi
  if ! ready; then
    log "starting cluster $CLUSTER"
    pg_ctlcluster "$PG_VERSION" "$CLUSTER" start
  fi
  wait_until 60 "PostgreSQL on 127.0.0.1:$POSTGRES_PORT" ready
  provision
}

down() {
  install_if_missing
  if pg_lsclusters -h | awk '{print $2, $4}' | grep -qx "$CLUSTER online"; then
    log "stopping cluster $CLUSTER"
    pg_ctlcluster "$PG_VERSION" "$CLUSTER" stop -m fast
  fi
}

status() { ready && log "PostgreSQL up on 127.0.0.1:$POSTGRES_PORT" || { log "PostgreSQL down"; return 1; }; }

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
