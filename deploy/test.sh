#!/usr/bin/env bash
# `make test`: unit tests first (no I/O), then the end-to-end tests against real PostgreSQL, Kafka,
# Keycloak, SeaweedFS (S3), the four services and the front door, then the browser tests (Debian's
# chromium, driven by Playwright, through the front door and Keycloak's real log-in page). Starts
# whatever is not already running, and stops exactly that (deploy/with-platform.sh).
source "$(dirname "$0")/lib.sh"
PYTHON="$REPO_DIR/.venv/bin/python"
cd "$REPO_DIR"

log "unit tests"
"$PYTHON" -m pytest -q services tests/unit

log "integration, end-to-end and browser tests"
"$DEPLOY_DIR/system-packages.sh" tests  # Debian's chromium for tests/browser
# A failed run leaves a short diagnosis (tests/diagnostics.py: consumer groups behind, the services'
# warnings), printed last so that it is in what CI keeps of the output.
export XINYI_TEST_DIAGNOSTICS="$XINYI_STATE/test-diagnostics.txt"
rm -f "$XINYI_TEST_DIAGNOSTICS"
status=0
"$DEPLOY_DIR/with-platform.sh" "$PYTHON" -m pytest -q tests/integration tests/e2e tests/browser || status=$?
if ((status)) && [[ -f $XINYI_TEST_DIAGNOSTICS ]]; then
  cat "$XINYI_TEST_DIAGNOSTICS"
fi
exit "$status"
