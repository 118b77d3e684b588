#!/usr/bin/env bash
# `make test`: unit tests first (no I/O), then the end-to-end tests against real PostgreSQL, Kafka,
# Keycloak, SeaweedFS (S3) and the four services. Starts whatever is not already running, and stops exactly that
# (deploy/with-platform.sh).
source "$(dirname "$0")/lib.sh"
PYTHON="$REPO_DIR/.venv/bin/python"
cd "$REPO_DIR"

log "unit tests"
"$PYTHON" -m pytest -q services tests/unit

log "integration and end-to-end tests"
exec "$DEPLOY_DIR/with-platform.sh" "$PYTHON" -m pytest -q tests/integration tests/e2e
