#!/usr/bin/env bash
# deploy/with-platform.sh COMMAND [ARGS...]: runs COMMAND against the whole platform (PostgreSQL,
# Kafka, Keycloak, SeaweedFS, Prometheus, the services, migrated, and the front door with the pages
# built), starting whatever is not running first and
# stopping exactly that afterwards, whether COMMAND passes or not. `make test` and `make fuzz` run in it.
source "$(dirname "$0")/lib.sh"
(($#)) || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

started=()
cleanup() {
  local status=$?
  for (( i=${#started[@]}-1; i>=0; i-- )); do
    "$DEPLOY_DIR/${started[i]}.sh" down || true
  done
  exit "$status"
}
trap cleanup EXIT

for component in postgres kafka keycloak seaweedfs prometheus; do
  if ! "$DEPLOY_DIR/$component.sh" status >/dev/null 2>&1; then
    started+=("$component")
    "$DEPLOY_DIR/$component.sh" up
  fi
done
"$DEPLOY_DIR/services.sh" migrate
if ! "$DEPLOY_DIR/services.sh" status >/dev/null 2>&1; then
  started+=(services)
  # Services this script starts keep uploads in SeaweedFS through the S3 store (`make up` keeps them
  # in a folder unless XINYI_BLOB_BACKEND says otherwise); the tests learn which.
  export XINYI_SERVICES_BLOB_BACKEND="${XINYI_BLOB_BACKEND:-s3}"
  XINYI_BLOB_BACKEND="$XINYI_SERVICES_BLOB_BACKEND" "$DEPLOY_DIR/services.sh" up
fi

# The front door, after the services it proxies. A running one is reloaded (`up` is idempotent), so
# it serves the pages just built even when it served the placeholder before.
"$DEPLOY_DIR/web.sh" build
"$DEPLOY_DIR/nginx.sh" status >/dev/null 2>&1 || started+=(nginx)
"$DEPLOY_DIR/nginx.sh" up

"$@"
