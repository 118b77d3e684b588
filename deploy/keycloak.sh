#!/usr/bin/env bash
# Keycloak, natively from Maven Central (org.keycloak:keycloak-quarkus-dist zip), in production
# mode on the platform's PostgreSQL (database "keycloak", made by deploy/postgres.sh).
#   HTTP            http://127.0.0.1:$KEYCLOAK_PORT           (realm "xinyi")
#   management      http://127.0.0.1:$KEYCLOAK_MANAGEMENT_PORT (/health/ready, /metrics)
#   bootstrap admin admin / ${KEYCLOAK_ADMIN_PASSWORD:-admin}   (master realm; dev defaults)
# The realm comes from deploy/keycloak/xinyi-realm.json, through the admin REST API: created when
# missing, updated in place when the file's sha256 differs from the one recorded at the last import
# (estates' organizations, made at run time, are kept).
# Usage: deploy/keycloak.sh up|down|status
source "$(dirname "$0")/lib.sh"

KC_VERSION=26.5.6
KC_ARTIFACT="org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip"
KC_DIST_ROOT="$XINYI_CACHE/keycloak"
KC_HOME="$KC_DIST_ROOT/keycloak-$KC_VERSION"
KC_STATE="$XINYI_STATE/keycloak"
PIDFILE="$KC_STATE/keycloak.pid"
KC_PROCESS="/bin/kc.sh start"  # what our process's command line holds (a reused pid does not)
LOGFILE="$KC_STATE/keycloak.log"
REALM=xinyi
REALM_FILE="$DEPLOY_DIR/keycloak/$REALM-realm.json"
REALM_MARK="$KC_STATE/realm-$REALM.sha256"
# Build-time options: changing them re-runs `kc.sh build` (the hash is kept in $BUILD_MARK).
BUILD_OPTS=(--db=postgres --health-enabled=true --metrics-enabled=true)
BUILD_MARK="$KC_HOME/.xinyi-build.sha256"

DB_PASSWORD="${XINYI_DB_PASSWORD:-xinyi-dev}"
ADMIN_USER=admin
ADMIN_PASSWORD="${KEYCLOAK_ADMIN_PASSWORD:-admin}"
BASE_URL="http://127.0.0.1:$KEYCLOAK_PORT"
MGMT_URL="http://127.0.0.1:$KEYCLOAK_MANAGEMENT_PORT"
READY_TIMEOUT="${KEYCLOAK_READY_TIMEOUT:-240}"

mkdir -p "$KC_STATE"

use_java() {
  if [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then
    export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
  elif ! command -v java >/dev/null; then
    die "no Java found: Keycloak $KC_VERSION needs JDK 17, 21 or 25"
  else
    unset JAVA_HOME  # kc.sh then runs the default `java`
  fi
}

ensure_dist() {
  [[ -x "$KC_HOME/bin/kc.sh" ]] && return 0
  command -v mvn >/dev/null || die "mvn is needed to fetch $KC_ARTIFACT"
  log "fetching $KC_ARTIFACT into $KC_DIST_ROOT"
  mkdir -p "$KC_DIST_ROOT"
  local work; work="$(mktemp -d "$KC_DIST_ROOT/.unpack.XXXXXX")"
  # Run from a scratch folder: without a pom, the plugin writes its markers under the cwd.
  ( cd "$work" && mvn -q -B -Dstyle.color=never dependency:unpack -Dartifact="$KC_ARTIFACT" \
      -DoutputDirectory="$work/out" -DmarkersDirectory="$work/markers" ) >"$KC_STATE/fetch.log" 2>&1 \
    || { tail -n 30 "$KC_STATE/fetch.log" >&2; rm -rf "$work"; die "could not fetch $KC_ARTIFACT"; }
  [[ -x "$work/out/keycloak-$KC_VERSION/bin/kc.sh" ]] || { rm -rf "$work"; die "unexpected layout in $KC_ARTIFACT"; }
  rm -rf "$KC_HOME"
  mv "$work/out/keycloak-$KC_VERSION" "$KC_HOME"
  rm -rf "$work"
}

ensure_build() {
  local want; want="$( { echo "$KC_VERSION"; printf '%s\n' "${BUILD_OPTS[@]}"; } | sha256sum | cut -d' ' -f1)"
  if [[ -f "$BUILD_MARK" && "$(cat "$BUILD_MARK")" == "$want" ]]; then return 0; fi
  log "building Keycloak ($(printf '%s ' "${BUILD_OPTS[@]}"))"
  rm -f "$BUILD_MARK"
  "$KC_HOME/bin/kc.sh" build "${BUILD_OPTS[@]}" >"$KC_STATE/build.log" 2>&1 \
    || { tail -n 30 "$KC_STATE/build.log" >&2; die "kc.sh build failed (log: $KC_STATE/build.log)"; }
  echo "$want" > "$BUILD_MARK"
}

postgres_reachable() { (exec 3<>"/dev/tcp/127.0.0.1/$POSTGRES_PORT") 2>/dev/null; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_ok() { curl -fs -o /dev/null --max-time 5 "$1"; }
health_ready() { http_ok "$MGMT_URL/health/ready"; }
realm_ready() { http_ok "$BASE_URL/realms/$REALM/.well-known/openid-configuration"; }

# Used inside wait_until (whose output goes to /dev/null): report a dead server on fd 3 at once.
ready_or_dead() {
  # Dead only when the pid is gone (its command line may not read as Keycloak's yet while kc.sh execs).
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    { log "ERROR: Keycloak exited during start-up; last lines of $LOGFILE:"; tail -n 40 "$LOGFILE"; } >&3
    rm -f "$PIDFILE"
    exit 1
  fi
  health_ready
}

# Runtime options of `kc.sh start`. cache=local (a runtime option in 26.5): one node, no JGroups
# transport bound on a site-local address. Secrets go through the environment, not the command
# line (visible in ps): KC_DB_PASSWORD, KC_BOOTSTRAP_ADMIN_*.
START_OPTS=(--optimized
  --http-enabled=true --http-host=127.0.0.1 --http-port="$KEYCLOAK_PORT"
  --http-management-port="$KEYCLOAK_MANAGEMENT_PORT"
  --hostname-strict=false --cache=local
  --db-url="jdbc:postgresql://127.0.0.1:$POSTGRES_PORT/keycloak" --db-username=keycloak)
HEAP="${KEYCLOAK_HEAP:--Xms128m -Xmx768m}"
# kc.sh's own --add-opens, plus java.lang: on JDK 24+ jboss-threads needs it, or shutting down
# throws IllegalAccessError ("thread-local-reset capability").
ADD_OPENS="--add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED"
ADD_OPENS+=" --add-opens=java.base/java.security=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED"
START_MARK="$KC_STATE/started-with.sha256"

# What the running server was started with; `up` restarts a server whose fingerprint differs.
start_fingerprint() {
  { echo "$KC_VERSION"; printf '%s\n' "${BUILD_OPTS[@]}" "${START_OPTS[@]}" "$HEAP" "$ADD_OPENS" "${JAVA_HOME:-java}"
    printf '%s' "$DB_PASSWORD" | sha256sum; } | sha256sum | cut -d' ' -f1
}

start_server() {
  postgres_reachable || die "PostgreSQL is not reachable on 127.0.0.1:$POSTGRES_PORT: run deploy/postgres.sh up first"
  for port in "$KEYCLOAK_PORT" "$KEYCLOAK_MANAGEMENT_PORT"; do
    port_in_use "$port" && die "port $port is taken by a process this script did not start"
  done
  ensure_build
  [[ -f "$LOGFILE" ]] && mv -f "$LOGFILE" "$LOGFILE.1"
  log "starting Keycloak $KC_VERSION on $BASE_URL (management $MGMT_URL; log $LOGFILE)"
  KC_DB_PASSWORD="$DB_PASSWORD" \
  KC_BOOTSTRAP_ADMIN_USERNAME="$ADMIN_USER" KC_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  JAVA_OPTS_KC_HEAP="$HEAP" JAVA_ADD_OPENS="$ADD_OPENS" \
    setsid nohup "$KC_HOME/bin/kc.sh" start "${START_OPTS[@]}" </dev/null >"$LOGFILE" 2>&1 &
  echo $! > "$PIDFILE"
  start_fingerprint > "$START_MARK"
  exec 3>&2
  wait_until "$READY_TIMEOUT" "Keycloak health ($MGMT_URL/health/ready)" ready_or_dead
}

# --- admin REST API ---------------------------------------------------------------------------
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1], ""))' "$1"; }

admin_token() {
  local out
  # The password goes through stdin, not the command line.
  out="$(printf '%s' "$ADMIN_PASSWORD" | curl -sS --max-time 20 \
    "$BASE_URL/realms/master/protocol/openid-connect/token" \
    --data-urlencode grant_type=password --data-urlencode client_id=admin-cli \
    --data-urlencode "username=$ADMIN_USER" --data-urlencode "password@-")" \
    || die "could not reach Keycloak's token endpoint"
  local token; token="$(json_field access_token <<<"$out")"
  [[ -n "$token" ]] || die "bootstrap admin login failed ($out); the admin password is set only when the master realm is first created"
  printf '%s' "$token"
}

# admin_call METHOD PATH [curl args...]: prints the HTTP status; the body goes to $KC_STATE/admin-response.json
admin_call() {
  local method="$1" path="$2"; shift 2
  curl -sS --max-time 120 -o "$KC_STATE/admin-response.json" -w '%{http_code}' -X "$method" \
    -H "Authorization: Bearer $TOKEN" "$BASE_URL/admin/realms$path" "$@"
}

# Updates an existing realm in place from the file: its settings (PUT), clients (overwritten), roles
# and users (added when missing: overwriting them would drop role mappings). Organizations made at
# run time (one per estate), their memberships and the realm's signing keys survive.
update_realm() {
  local code body
  code="$(admin_call PUT "/$REALM" -H 'Content-Type: application/json' --data-binary "@$REALM_FILE")"
  [[ "$code" == 204 ]] || die "updating realm $REALM failed: HTTP $code $(cat "$KC_STATE/admin-response.json")"
  for part in "OVERWRITE clients" "SKIP roles users"; do
    read -r policy sections <<<"$part"
    # shellcheck disable=SC2086 # the section names are meant to split
    body="$(python3 - "$REALM_FILE" "$policy" $sections <<'PY'
import json, sys
realm = json.load(open(sys.argv[1]))
policy, sections = sys.argv[2], sys.argv[3:]
print(json.dumps({"ifResourceExists": policy, **{s: realm[s] for s in sections if s in realm}}))
PY
)"
    code="$(admin_call POST "/$REALM/partialImport" -H 'Content-Type: application/json' --data-binary "$body")"
    [[ "$code" == 200 ]] || die "partial import ($part) into realm $REALM failed: HTTP $code $(cat "$KC_STATE/admin-response.json")"
  done
}

sync_realm() {
  [[ -f "$REALM_FILE" ]] || die "realm file $REALM_FILE is missing"
  local want; want="$(sha256sum "$REALM_FILE" | cut -d' ' -f1)"
  if [[ -f "$REALM_MARK" && "$(cat "$REALM_MARK")" == "$want" ]] && realm_ready; then
    log "realm $REALM: up to date"
    return 0
  fi
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$REALM_FILE" || die "$REALM_FILE is not valid JSON"
  local TOKEN code; TOKEN="$(admin_token)"
  code="$(admin_call GET "/$REALM")"
  if [[ "$code" == 200 ]]; then
    log "realm $REALM: file changed or never imported here; updating it in place"
    update_realm
  elif [[ "$code" == 404 ]]; then
    log "realm $REALM: importing $REALM_FILE"
    code="$(admin_call POST "" -H 'Content-Type: application/json' --data-binary "@$REALM_FILE")"
    [[ "$code" == 201 ]] || die "importing realm $REALM failed: HTTP $code $(cat "$KC_STATE/admin-response.json")"
  else
    die "looking up realm $REALM failed: HTTP $code $(cat "$KC_STATE/admin-response.json")"
  fi
  echo "$want" > "$REALM_MARK"
  rm -f "$KC_STATE/admin-response.json"
}

up() {
  use_java
  ensure_dist
  if pid_alive "$PIDFILE" "$KC_PROCESS" && [[ "$(cat "$START_MARK" 2>/dev/null)" != "$(start_fingerprint)" ]]; then
    log "Keycloak runs with other options than these (or an older build): restarting it"
    stop_pidfile "$PIDFILE" Keycloak "$KC_PROCESS"
  fi
  if pid_alive "$PIDFILE" "$KC_PROCESS"; then
    wait_until "$READY_TIMEOUT" "Keycloak health ($MGMT_URL/health/ready)" health_ready
  else
    rm -f "$PIDFILE"
    start_server
  fi
  sync_realm
  wait_until 60 "realm $REALM ($BASE_URL/realms/$REALM)" realm_ready
}

down() { stop_pidfile "$PIDFILE" Keycloak "$KC_PROCESS"; rm -f "$START_MARK"; }

status() {
  if pid_alive "$PIDFILE" "$KC_PROCESS" && health_ready && realm_ready; then
    log "Keycloak up on $BASE_URL (realm $REALM ready; pid $(cat "$PIDFILE"))"
  else
    log "Keycloak down or not ready"; return 1
  fi
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
