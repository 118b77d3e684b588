#!/usr/bin/env bash
# deploy/prometheus.sh up|down|status: Prometheus from Debian's `prometheus` package, started
# natively on 127.0.0.1:$PROMETHEUS_PORT with deploy/prometheus/prometheus-local.yml (every service's
# /metrics and Keycloak's) and the alert rules of deploy/prometheus/alerts.yml, data under
# $XINYI_STATE/prometheus. Idempotent; waits on Prometheus's own /-/ready.
source "$(dirname "$0")/lib.sh"

STATE="$XINYI_STATE/prometheus"
PIDFILE="$STATE/prometheus.pid"
LOGFILE="$STATE/prometheus.log"
CONFIG="$STATE/prometheus.yml"
URL="http://127.0.0.1:$PROMETHEUS_PORT"
START_TIMEOUT="${PROMETHEUS_START_TIMEOUT:-60}"

install() {
  command -v prometheus >/dev/null && command -v promtool >/dev/null && return 0
  log "installing Debian's prometheus package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # The package's own service is not wanted: this script runs it, on this machine's ports.
  apt-get install -y -q --no-install-recommends prometheus >/dev/null
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    systemctl stop prometheus || true
  fi
}

render() {
  mkdir -p "$STATE/data"
  # The checked-in configuration names the rules beside it; the rendered copy names them by path.
  # …and the services' targets are every replica's (deploy/lib.sh `replicas`; one each by default).
  local targets=() svc
  for svc in tenant ledger ticketing microfund; do
    IFS=, read -ra more <<<"$(replica_addresses "$svc" http)"; targets+=("${more[@]}")
  done
  targets="$(printf '"%s", ' "${targets[@]}")"
  sed -e "s|alerts.yml|$DEPLOY_DIR/prometheus/alerts.yml|" \
      -e "s|- targets: \[\"127.0.0.1:8101\".*\]|- targets: [${targets%, }]|" \
      "$DEPLOY_DIR/prometheus/prometheus-local.yml" > "$CONFIG.tmp"
  mv "$CONFIG.tmp" "$CONFIG"
  promtool check config "$CONFIG" >/dev/null || die "promtool refuses $CONFIG"
}

ready() { curl -fsS --max-time 5 "$URL/-/ready" >/dev/null 2>&1; }
running() { pid_alive "$PIDFILE" "prometheus"; }

up() {
  install
  render
  if running; then
    # Reload, so a changed configuration or rule file takes effect without a restart.
    kill -HUP "$(cat "$PIDFILE")" 2>/dev/null || true
    wait_until "$START_TIMEOUT" "Prometheus ($URL)" ready
    return 0
  fi
  rm -f "$PIDFILE"
  setsid nohup prometheus \
    --config.file="$CONFIG" \
    --storage.tsdb.path="$STATE/data" \
    --storage.tsdb.retention.time=15d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" \
    --web.enable-lifecycle \
    </dev/null >"$LOGFILE" 2>&1 &
  echo $! > "$PIDFILE"
  wait_until "$START_TIMEOUT" "Prometheus ($URL)" ready
}

down() { stop_pidfile "$PIDFILE" Prometheus "prometheus"; }

status() {
  if running && ready; then log "Prometheus up on $URL (pid $(cat "$PIDFILE"))"; else log "Prometheus down"; return 1; fi
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
