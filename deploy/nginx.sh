#!/usr/bin/env bash
# deploy/nginx.sh up|down|status: the front door — nginx from Debian's `nginx` package, started
# natively on 127.0.0.1:$WEB_PORT as our own process (not the package's system service, not port 80):
# the built pages (web/dist, or a placeholder until web/ exists), /config.json for them, and
# /api/<service>/… proxied to each service. Its configuration is rendered from the template
# deploy/nginx/xinyi.conf into $XINYI_STATE/nginx/, with its pid, logs and temporary files there;
# `nginx -t` checks it before every start or reload. Idempotent: a running nginx is reloaded (HUP),
# so a changed template or a newly built web/dist takes effect without a restart. Waits on real
# requests: /config.json, and a service's /health/live through the proxy.
source "$(dirname "$0")/lib.sh"

STATE="$XINYI_STATE/nginx"
PIDFILE="$STATE/nginx.pid"
CONFIG="$STATE/nginx.conf"
SITE="$STATE/xinyi.conf"
PLACEHOLDER="$STATE/placeholder"
WEB_DIST="$REPO_DIR/web/dist"
URL="http://127.0.0.1:$WEB_PORT"
NGINX="${NGINX:-/usr/sbin/nginx}"
START_TIMEOUT="${NGINX_START_TIMEOUT:-30}"

install() {
  [[ -x "$NGINX" ]] && return 0
  log "installing Debian's nginx package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # nginx-light's modules suffice, but `nginx` is the package everyone knows; its own service (port
  # 80) is not wanted: this script runs nginx, on the platform's port.
  apt-get install -y -q --no-install-recommends nginx >/dev/null
  if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
    systemctl stop nginx || true
  fi
  if [[ -f /run/nginx.pid ]] && pid_alive /run/nginx.pid "nginx: master"; then
    log "stopping the nginx the package started on port 80"
    stop_pidfile /run/nginx.pid "the package's nginx" "nginx: master"
  fi
}

# The pages: web/dist once built (deploy/web.sh build), a placeholder from the state dir before.
web_root() {
  if [[ -f "$WEB_DIST/h5/index.html" ]]; then
    echo "$WEB_DIST"
    return 0
  fi
  mkdir -p "$PLACEHOLDER/h5" "$PLACEHOLDER/console"
  for app in h5 console; do
    cat > "$PLACEHOLDER/$app/index.html" <<HTML
<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>信义 Xinyi</title></head>
<body><main data-testid="placeholder"><h1>信义 Xinyi</h1>
<p>页面尚未构建。The pages are not built yet: <code>web/</code> has no <code>dist/$app/</code>.</p>
<p>Run <code>deploy/web.sh build</code> (or <code>make up</code>) once <code>web/</code> is there.</p></main></body></html>
HTML
  done
  echo "$PLACEHOLDER"
}

# fill TEMPLATE: replaces ${XINYI_…} from the environment, as the official image's envsubst does with
# NGINX_ENVSUBST_FILTER=XINYI_; a name the environment lacks is an error, not an empty string.
fill() {
  python3 - "$1" <<'PY'
import os, re, sys
text = open(sys.argv[1]).read()
missing = sorted({n for n in re.findall(r"\$\{(XINYI_[A-Z0-9_]+)\}", text) if n not in os.environ})
if missing:
    sys.exit(f"{sys.argv[1]}: no value for {', '.join(missing)}")
sys.stdout.write(re.sub(r"\$\{(XINYI_[A-Z0-9_]+)\}", lambda m: os.environ[m.group(1)], text))
PY
}

# main_config SITE_FILE: the main context. Everything nginx would otherwise put under /etc/nginx,
# /var/log/nginx and /var/lib/nginx goes under $STATE. Workers run as the user who runs this
# script (as root, nginx would otherwise switch them to "nobody", who cannot read ~/.cache).
main_config() {
  [[ "$(id -u)" != 0 ]] || echo "user root root;"
  cat <<CONF
# Rendered by deploy/nginx.sh; edit deploy/nginx/xinyi.conf instead.
worker_processes 2;
pid $PIDFILE;
error_log $STATE/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    client_body_temp_path $STATE/tmp/client_body;
    proxy_temp_path $STATE/tmp/proxy;
    fastcgi_temp_path $STATE/tmp/fastcgi;
    uwsgi_temp_path $STATE/tmp/uwsgi;
    scgi_temp_path $STATE/tmp/scgi;
    include $1;
}
CONF
}

check_config() {
  "$NGINX" -t -q -p "$STATE" -e "$STATE/error.log" -c "$1" 2>"$STATE/check.log" \
    || { cat "$STATE/check.log" >&2; return 1; }
}

# The servers of an upstream block: each replica of the service (deploy/lib.sh `replicas`); the
# template reads `server ${XINYI_<SVC>_UPSTREAM};`, so the replicas after the first are joined in.
upstream_servers() { replica_addresses "$1" http | sed 's/,/; server /g'; }

# Renders the template and checks it with `nginx -t` as a candidate first, so a bad template
# leaves the running nginx and its files as they were.
render() {
  mkdir -p "$STATE/tmp"
  XINYI_LISTEN="127.0.0.1:$WEB_PORT" \
  XINYI_WEB_ROOT="$(web_root)" \
  XINYI_KEYCLOAK_URL="http://127.0.0.1:$KEYCLOAK_PORT" \
  XINYI_TENANT_UPSTREAM="$(upstream_servers tenant)" \
  XINYI_LEDGER_UPSTREAM="$(upstream_servers ledger)" \
  XINYI_TICKETING_UPSTREAM="$(upstream_servers ticketing)" \
  XINYI_MICROFUND_UPSTREAM="$(upstream_servers microfund)" \
  XINYI_ACCESS_LOG="$STATE/access.log" \
    fill "$DEPLOY_DIR/nginx/xinyi.conf" > "$SITE.new" || die "could not render deploy/nginx/xinyi.conf"
  main_config "$SITE.new" > "$CONFIG.new"
  check_config "$CONFIG.new" || die "nginx -t refuses the configuration rendered from deploy/nginx/xinyi.conf"
  mv "$SITE.new" "$SITE"
  main_config "$SITE" > "$CONFIG"
  rm -f "$CONFIG.new"
  check_config "$CONFIG" || die "nginx -t refuses $CONFIG"
}

config_ok() {
  local body; body="$(curl -fsS --max-time 5 "$URL/config.json")" || return 1
  [[ "$body" == *"\"keycloakUrl\": \"http://127.0.0.1:$KEYCLOAK_PORT\""* ]]
}
# The proxy reaches a service (liveness, not readiness: the front door is up even while a
# service waits for Kafka).
proxy_ok() { curl -fsS --max-time 5 -o /dev/null "$URL/api/tenant/health/live"; }
ready() { config_ok && proxy_ok; }
running() { pid_alive "$PIDFILE" "$CONFIG"; }

# Inside wait_until (whose output goes to /dev/null): a master that exited is reported on fd 3 at once.
ready_or_dead() {
  # Dead only when the pid is gone: right after the start its command line may still read as the
  # forked shell or `setsid nohup …` (exec not done yet), which is no reason to give up.
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    {
      log "ERROR: nginx exited during start-up; the end of its output ($STATE/nginx.out):"
      tail -n 20 "$STATE/nginx.out"
      log "and of $STATE/error.log:"
      tail -n 20 "$STATE/error.log"
    } >&3 2>&3 || true
    rm -f "$PIDFILE"
    exit 1
  fi
  ready
}

up() {
  install
  render
  if running; then
    kill -HUP "$(cat "$PIDFILE")" 2>/dev/null || true
    wait_until "$START_TIMEOUT" "front door ($URL)" ready
    return 0
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$WEB_PORT") 2>/dev/null; then
    die "port $WEB_PORT is taken by a process this script did not start"
  fi
  rm -f "$PIDFILE"
  log "starting nginx on $URL (config $CONFIG, logs in $STATE)"
  setsid nohup "$NGINX" -p "$STATE" -e "$STATE/error.log" -c "$CONFIG" -g 'daemon off;' \
    </dev/null >>"$STATE/nginx.out" 2>&1 &
  echo $! > "$PIDFILE"
  exec 3>&2
  wait_until "$START_TIMEOUT" "front door ($URL)" ready_or_dead
}

down() { stop_pidfile "$PIDFILE" nginx "$CONFIG"; }

status() {
  if running && ready; then log "front door up on $URL (pid $(cat "$PIDFILE"))"; else log "front door down"; return 1; fi
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
