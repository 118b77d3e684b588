#!/usr/bin/env bash
# PostgreSQL from Debian's package: one cluster "xinyi" on $POSTGRES_PORT, with the databases and
# roles of deploy/postgres/provision.sh.
# Usage: deploy/postgres.sh up|down|status
source "$(dirname "$0")/lib.sh"

CLUSTER=xinyi

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

provision() {
  PSQL_COMMAND="runuser -u postgres -- psql -p $POSTGRES_PORT" "$DEPLOY_DIR/postgres/provision.sh"
}

# The cluster's settings. A billing run writes gigabytes of WAL: with the default 1 GB max_wal_size it
# forced a checkpoint every few seconds, each followed by full-page images of every page touched
# again, and billing waited on the disk (vmstat: a third of the time in I/O wait). Checkpoints every
# 15 min or 8 GB of WAL, and full-page images compressed, left it bound by CPU instead.
cluster_settings() {
  cat <<CONF
listen_addresses = '127.0.0.1'
max_connections = 300
shared_buffers = 1GB
fsync = on
max_wal_size = 8GB
min_wal_size = 1GB
checkpoint_timeout = 15min
wal_compression = lz4
wal_buffers = 16MB
CONF
}

# Writes the settings; true when they changed (a running cluster then restarts: shared_buffers).
settings_changed() {
  local file="/etc/postgresql/$PG_VERSION/$CLUSTER/conf.d/xinyi.conf"
  if [[ -f "$file" ]] && [[ "$(cat "$file")" == "$(cluster_settings)" ]]; then
    return 1
  fi
  cluster_settings > "$file"
}

up() {
  install_if_missing
  if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$CLUSTER"; then
    log "creating cluster $PG_VERSION/$CLUSTER on port $POSTGRES_PORT"
    pg_createcluster "$PG_VERSION" "$CLUSTER" -p "$POSTGRES_PORT" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  fi
  if settings_changed && pg_lsclusters -h | awk '{print $2, $4}' | grep -qx "$CLUSTER online"; then
    log "restarting cluster $CLUSTER with its new settings"
    pg_ctlcluster "$PG_VERSION" "$CLUSTER" restart -m fast
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
