#!/usr/bin/env bash
# `make test`: unit tests first (no I/O), then the end-to-end tests against real PostgreSQL, Kafka,
# Keycloak and the four services. Starts whatever is not already running, and stops exactly that.
source "$(dirname "$0")/lib.sh"
PYTHON="$REPO_DIR/.venv/bin/python"
cd "$REPO_DIR"

log "unit tests"
"$PYTHON" -m pytest -q services tests/unit

started=()
cleanup() {
  local status=$?
  for (( i=${#started[@]}-1; i>=0; i-- )); do
    "$DEPLOY_DIR/${started[i]}.sh" down || true
  done
  exit "$status"
}
trap cleanup EXIT

for component in postgres kafka keycloak; do
  if ! "$DEPLOY_DIR/$component.sh" status >/dev/null 2>&1; then
    started+=("$component")
    "$DEPLOY_DIR/$component.sh" up
  fi
done
"$DEPLOY_DIR/services.sh" migrate
if ! "$DEPLOY_DIR/services.sh" status >/dev/null 2>&1; then
  started+=(services)
  "$DEPLOY_DIR/services.sh" up
fi

log "integration and end-to-end tests"
"$PYTHON" -m pytest -q tests/integration tests/e2e
