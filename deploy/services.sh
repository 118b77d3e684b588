#!/usr/bin/env bash
# The four Xinyi services as local background processes of the repository's virtual environment.
# Usage: deploy/services.sh migrate|up|down|status
source "$(dirname "$0")/lib.sh"

SERVICES=(tenant ledger ticketing microfund)
PYTHON="$REPO_DIR/.venv/bin/python"
RUN_DIR="$XINYI_STATE/services"
mkdir -p "$RUN_DIR"

# Worker processes per service (XINYI_HTTP_WORKERS, see xinyi_shared.settings), 1 unless set here
# or in the environment as <SERVICE>_HTTP_WORKERS; the ledger takes the most requests.
LEDGER_HTTP_WORKERS="${LEDGER_HTTP_WORKERS:-2}"

http_port() { local var="${1^^}_HTTP_PORT"; echo "${!var}"; }
grpc_port() { local var="${1^^}_GRPC_PORT"; echo "${!var}"; }
http_workers() { local var="${1^^}_HTTP_WORKERS"; echo "${!var:-1}"; }

service_env() {  # the settings each service reads (see xinyi_shared.settings)
  local svc="$1"
  echo "XINYI_HTTP_PORT=$(http_port "$svc")" "XINYI_GRPC_PORT=$(grpc_port "$svc")" \
    "XINYI_HTTP_WORKERS=$(http_workers "$svc")" \
    "XINYI_DB_PORT=$POSTGRES_PORT" "XINYI_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT" \
    "XINYI_KEYCLOAK_URL=http://127.0.0.1:$KEYCLOAK_PORT" \
    "XINYI_TENANT_GRPC_TARGET=127.0.0.1:$TENANT_GRPC_PORT" "XINYI_LEDGER_GRPC_TARGET=127.0.0.1:$LEDGER_GRPC_PORT"
}

ready() { curl -fsS "http://127.0.0.1:$(http_port "$1")/health/ready" >/dev/null; }

migrate() {
  for svc in "${SERVICES[@]}"; do
    log "migrating $svc"
    env $(service_env "$svc") "$PYTHON" -m "${svc}_service" migrate >"$RUN_DIR/$svc-migrate.log" 2>&1 \
      || { cat "$RUN_DIR/$svc-migrate.log" >&2; die "migration of $svc failed"; }
  done
}

up() {
  for svc in "${SERVICES[@]}"; do
    if pid_alive "$RUN_DIR/$svc.pid" "${svc}_service serve"; then continue; fi
    log "starting $svc (HTTP :$(http_port "$svc"), gRPC :$(grpc_port "$svc"), $(http_workers "$svc") worker(s))"
    env $(service_env "$svc") setsid nohup "$PYTHON" -m "${svc}_service" serve \
      >>"$RUN_DIR/$svc.log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/$svc.pid"
  done
  for svc in "${SERVICES[@]}"; do
    wait_until 90 "$svc service (see $RUN_DIR/$svc.log)" ready "$svc"
  done
}

# stop_service SVC: SIGTERM to the service's main process, whose uvicorn master stops its workers
# and waits for them. setsid made that process the leader of its own process group, so whatever
# is left of the group afterwards (workers of a master that had to be killed) is killed as well.
stop_service() {
  local svc="$1" pidfile="$RUN_DIR/$1.pid" pgid=""
  if pid_alive "$pidfile" "${svc}_service serve"; then
    local pid; pid="$(cat "$pidfile")"
    [[ "$(ps -o pgid= -p "$pid" | tr -d ' ')" == "$pid" ]] && pgid="$pid"
  fi
  stop_pidfile "$pidfile" "$svc" "${svc}_service serve"
  [[ -n "$pgid" ]] || return 0
  local deadline=$((SECONDS + 5))
  while pgrep -g "$pgid" >/dev/null; do
    if (( SECONDS >= deadline )); then
      log "killing what is left of $svc: $(pgrep -g "$pgid" | tr '\n' ' ')"
      kill -9 -- "-$pgid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
}

down() {
  for svc in "${SERVICES[@]}"; do stop_service "$svc"; done
}

status() {
  local failed=0
  for svc in "${SERVICES[@]}"; do
    if ready "$svc"; then log "$svc ready on :$(http_port "$svc")"; else log "$svc not ready"; failed=1; fi
  done
  return "$failed"
}

case "${1:-}" in
  migrate) migrate ;; up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 migrate|up|down|status" >&2; exit 2 ;;
esac
