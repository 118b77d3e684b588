#!/usr/bin/env bash
# Shared helpers for the native start-up scripts under deploy/.
# Downloads and data live outside the work tree so a fresh clone starts fast.
set -euo pipefail

DEPLOY_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$DEPLOY_DIR/.." && pwd)"
# shellcheck source=ports.env
set -a; source "$DEPLOY_DIR/ports.env"; set +a

XINYI_CACHE="${XINYI_CACHE:-$HOME/.cache/xinyi}"
XINYI_STATE="${XINYI_STATE:-$XINYI_CACHE/state}"
mkdir -p "$XINYI_CACHE" "$XINYI_STATE"

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# wait_until TIMEOUT_SECONDS DESCRIPTION COMMAND...
# Polls a real health check; fails with a clear message when it never passes.
wait_until() {
  local timeout="$1" what="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if (( SECONDS >= deadline )); then
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 1
  done
  log "$what: ready"
}

# pid_alive PIDFILE [PATTERN]: true when the recorded process still runs — and, with PATTERN, when
# its command line contains PATTERN, so a pid the system reused for another program is not ours.
pid_alive() {
  [[ -f "$1" ]] || return 1
  local pid; pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -z "${2:-}" ]] || tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2"
}

# stop_pidfile PIDFILE NAME [PATTERN]: stops exactly the process we started, waiting for it to exit;
# a stale pid file (the process is gone, or the pid now belongs to another program) is just removed.
stop_pidfile() {
  local pidfile="$1" name="$2" pattern="${3:-}"
  if pid_alive "$pidfile" "$pattern"; then
    local pid; pid="$(cat "$pidfile")"
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null; do
      if (( SECONDS >= deadline )); then log "$name did not stop in 60s; killing"; kill -9 "$pid" 2>/dev/null || true; break; fi
      sleep 0.5
    done
  fi
  rm -f "$pidfile"
}
