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

# Replicas of the services (deploy/services.sh): XINYI_<SERVICE>_REPLICAS, else XINYI_REPLICAS, else
# what the last `deploy/services.sh up` started (kept in $XINYI_STATE/services/replicas.env, so that
# nginx, Prometheus and the tests find the same replicas), else 1. Replica k listens on the service's
# ports + 10·(k−1): tenant 8101/9101, its second replica 8111/9111, its third 8121/9121, …
REPLICAS_FILE="$XINYI_STATE/services/replicas.env"
MAX_REPLICAS=9
replicas() {
  local svc="$1" var="XINYI_${1^^}_REPLICAS" count=""
  count="${!var:-${XINYI_REPLICAS:-}}"
  if [[ -z "$count" && -f "$REPLICAS_FILE" ]]; then
    count="$(sed -n "s/^${var}=\([0-9]*\)$/\1/p" "$REPLICAS_FILE")"
  fi
  count="${count:-1}"
  [[ "$count" =~ ^[1-9]$ ]] || die "$var (or XINYI_REPLICAS) must be 1 to $MAX_REPLICAS, not '$count'"
  echo "$count"
}
replica_port() {  # replica_port <svc> <http|grpc> <k>
  local var="${1^^}_${2^^}_PORT"; echo $(( ${!var} + 10 * ($3 - 1) ))
}
replica_name() { if (( $2 == 1 )); then echo "$1"; else echo "$1-$2"; fi; }
# Every replica's address of one kind, comma-separated: 127.0.0.1:8102,127.0.0.1:8112
replica_addresses() {
  local svc="$1" kind="$2" k out=()
  for (( k = 1; k <= $(replicas "$svc"); k++ )); do out+=("127.0.0.1:$(replica_port "$svc" "$kind" "$k")"); done
  (IFS=,; echo "${out[*]}")
}
