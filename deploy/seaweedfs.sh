#!/usr/bin/env bash
# SeaweedFS, the platform's S3-compatible object store, run natively: one `weed server` process with
# master, volume server, filer and S3 gateway, every port on loopback (deploy/ports.env).
#   S3       http://127.0.0.1:$SEAWEEDFS_S3_PORT      (identities in deploy/seaweedfs/s3.json)
#   master   http://127.0.0.1:$SEAWEEDFS_MASTER_PORT  (volume $SEAWEEDFS_VOLUME_PORT, filer $SEAWEEDFS_FILER_PORT;
#            gRPC on the *_GRPC_PORTs)
# Binary: built once from the Go module proxy (github.com/seaweedfs/seaweedfs at $SEAWEEDFS_VERSION)
#         into $XINYI_CACHE/bin/weed-<version>, through a wrapper module in $XINYI_CACHE/seaweedfs/build
#         (`go install` refuses the module: its go.mod has a `replace`). 4 to 12 minutes on 2 cores.
# State:  $XINYI_STATE/seaweedfs/{data,weed.log,weed.pid,*.sock}
# Usage: deploy/seaweedfs.sh up|down|status|build
source "$(dirname "$0")/lib.sh"

SEAWEEDFS_MODULE=github.com/seaweedfs/seaweedfs
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
# What that commit calls itself (weed/util/version), and so docker-compose.yml's image tag.
SEAWEEDFS_RELEASE=4.53
GO="${GO:-/usr/local/go/bin/go}"
BUILD_DIR="$XINYI_CACHE/seaweedfs/build"
WEED="$XINYI_CACHE/bin/weed-$SEAWEEDFS_VERSION"
STATE="$XINYI_STATE/seaweedfs"
DATA_DIR="$STATE/data"
LOGFILE="$STATE/weed.log"
PIDFILE="$STATE/weed.pid"
START_MARK="$STATE/started-with.sha256"
S3_CONFIG="$DEPLOY_DIR/seaweedfs/s3.json"
S3_URL="http://127.0.0.1:$SEAWEEDFS_S3_PORT"
MASTER_URL="http://127.0.0.1:$SEAWEEDFS_MASTER_PORT"
REGION=us-east-1
START_TIMEOUT="${SEAWEEDFS_START_TIMEOUT:-120}"
PORTS=("$SEAWEEDFS_MASTER_PORT" "$SEAWEEDFS_MASTER_GRPC_PORT" "$SEAWEEDFS_VOLUME_PORT" "$SEAWEEDFS_VOLUME_GRPC_PORT"
       "$SEAWEEDFS_FILER_PORT" "$SEAWEEDFS_FILER_GRPC_PORT" "$SEAWEEDFS_S3_PORT" "$SEAWEEDFS_S3_GRPC_PORT")

mkdir -p "$STATE"

# ---------------------------------------------------------------- binary

build() {
  [[ -x "$WEED" ]] && return 0
  [[ -x "$GO" ]] || command -v "$GO" >/dev/null || die "Go not found at $GO (set GO=...): SeaweedFS is built from its Go module"
  log "building weed from $SEAWEEDFS_MODULE@$SEAWEEDFS_VERSION (once; 4 to 12 minutes on 2 cores; log $BUILD_DIR/build.log)"
  rm -rf "$BUILD_DIR"; mkdir -p "$BUILD_DIR" "$(dirname "$WEED")"
  # The wrapper requires SeaweedFS as a tool and repeats its one `replace` (the go-bip39 fork),
  # which applies only in the main module.
  cat > "$BUILD_DIR/go.mod" <<EOF
module xinyi.local/seaweedfs-build

go 1.26

tool $SEAWEEDFS_MODULE/weed

require $SEAWEEDFS_MODULE $SEAWEEDFS_VERSION

replace github.com/tyler-smith/go-bip39 => github.com/cosmos/go-bip39 v1.0.0
EOF
  local started=$SECONDS commit="${SEAWEEDFS_VERSION##*-}"
  if ! ( cd "$BUILD_DIR" && "$GO" mod tidy && "$GO" build -trimpath -o "$WEED.tmp" \
           -ldflags "-s -w -X $SEAWEEDFS_MODULE/weed/util/version.COMMIT=${commit:0:8}" "$SEAWEEDFS_MODULE/weed" ) \
         >"$BUILD_DIR/build.log" 2>&1; then
    tail -n 30 "$BUILD_DIR/build.log" >&2
    rm -f "$WEED.tmp"
    die "building weed failed (full output in $BUILD_DIR/build.log)"
  fi
  mv "$WEED.tmp" "$WEED"
  log "built $WEED ($("$WEED" version 2>/dev/null | head -n 1)) in $((SECONDS - started))s"
}

# ---------------------------------------------------------------- process and health

# Every listener on loopback, every port named (the defaults clash with Keycloak's and the services'),
# and nothing reported outside: telemetry off, the Iceberg and Lance catalogue ports closed. -s3
# brings the filer it needs.
START_ARGS=(-logtostderr=true server
  -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$DATA_DIR"
  -master.port="$SEAWEEDFS_MASTER_PORT" -master.port.grpc="$SEAWEEDFS_MASTER_GRPC_PORT" -master.telemetry=false
  -master.volumeSizeLimitMB=1024 -master.electionTimeout=1s -volume.max=0 -volume.preStopSeconds=0
  -volume.port="$SEAWEEDFS_VOLUME_PORT" -volume.port.grpc="$SEAWEEDFS_VOLUME_GRPC_PORT"
  -filer.port="$SEAWEEDFS_FILER_PORT" -filer.port.grpc="$SEAWEEDFS_FILER_GRPC_PORT"
  -filer.localSocket="$STATE/filer.sock"
  -s3 -s3.port="$SEAWEEDFS_S3_PORT" -s3.port.grpc="$SEAWEEDFS_S3_GRPC_PORT" -s3.config="$S3_CONFIG"
  -s3.port.iceberg=0 -s3.port.lance=0 -s3.localSocket="$STATE/s3.sock")

# Each bucket is a collection, which grows 7 volumes at its first write by default: with this one
# server's ~60 volume slots, the tests' buckets would soon leave none. One each, more when full.
# (master.toml settings, given through weed's WEED_* environment overrides.)
START_ENV=(WEED_MASTER_VOLUME_GROWTH_COPY_1=1)

# What the running server was started with; `up` restarts a server whose fingerprint differs.
start_fingerprint() {
  { echo "$WEED"; printf '%s\n' "${START_ENV[@]}" "${START_ARGS[@]}"; sha256sum < "$S3_CONFIG"; } | sha256sum | cut -d' ' -f1
}

running() { pid_alive "$PIDFILE" "$WEED "; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

s3_credentials() {
  python3 -c 'import json, sys
credentials = json.load(open(sys.argv[1]))["identities"][0]["credentials"][0]
print(credentials["accessKey"], credentials["secretKey"])' "$S3_CONFIG"
}

# A signed ListBuckets (curl's SigV4): the gateway answers, knows our identity and reaches the filer.
# The secret goes through curl's config on stdin, not the command line (visible in ps).
s3_ready() {
  local access secret body
  read -r access secret < <(s3_credentials)
  body="$(printf 'user = "%s:%s"\n' "$access" "$secret" \
    | curl -fsS --max-time 5 -K - --aws-sigv4 "aws:amz:$REGION:s3" "$S3_URL/")" || return 1
  [[ "$body" == *ListAllMyBucketsResult* ]]
}

# The master knows a volume server with free slots, so the first upload has somewhere to go.
volumes_ready() {
  curl -fsS --max-time 5 "$MASTER_URL/dir/status" | python3 -c 'import json, sys
topology = json.load(sys.stdin)["Topology"]
sys.exit(0 if topology.get("Free", 0) > 0 or topology.get("Max", 0) > 0 else 1)'
}

ready() { s3_ready && volumes_ready; }

# Used inside wait_until (whose output goes to /dev/null): report a dead server on fd 3 at once.
ready_or_dead() {
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    { log "ERROR: SeaweedFS exited during start-up; last lines of $LOGFILE:"; tail -n 30 "$LOGFILE"; } >&3
    rm -f "$PIDFILE"
    exit 1
  fi
  ready
}

start_server() {
  for port in "${PORTS[@]}"; do
    port_open "$port" && die "port $port is taken by a process this script did not start (ss -ltnp 'sport = :$port')"
  done
  mkdir -p "$DATA_DIR"
  [[ -f "$LOGFILE" ]] && mv -f "$LOGFILE" "$LOGFILE.1"
  log "starting SeaweedFS $SEAWEEDFS_RELEASE: S3 on $S3_URL, master $MASTER_URL (log $LOGFILE)"
  # setsid: its own session, so the server outlives this shell and a Ctrl-C here.
  env "${START_ENV[@]}" setsid nohup "$WEED" "${START_ARGS[@]}" </dev/null >"$LOGFILE" 2>&1 &
  echo $! > "$PIDFILE"
  start_fingerprint > "$START_MARK"
  exec 3>&2
  wait_until "$START_TIMEOUT" "SeaweedFS S3 ($S3_URL, signed ListBuckets)" ready_or_dead
  exec 3>&-
}

# ---------------------------------------------------------------- commands

up() {
  command -v curl >/dev/null || die "curl not found: it checks that SeaweedFS answers"
  build
  if running && [[ "$(cat "$START_MARK" 2>/dev/null)" != "$(start_fingerprint)" ]]; then
    log "SeaweedFS runs with other options than these (or another build): restarting it"
    stop_pidfile "$PIDFILE" SeaweedFS "$WEED "
  fi
  if running; then
    if ready; then log "SeaweedFS already up on $S3_URL (pid $(cat "$PIDFILE"))"; return 0; fi
    log "SeaweedFS (pid $(cat "$PIDFILE")) runs but does not answer yet; waiting"
    wait_until "$START_TIMEOUT" "SeaweedFS S3 ($S3_URL, signed ListBuckets)" ready
  else
    rm -f "$PIDFILE"
    start_server
  fi
}

down() { stop_pidfile "$PIDFILE" SeaweedFS "$WEED "; rm -f "$START_MARK"; }

status() {
  if running && ready; then
    log "SeaweedFS up: S3 on $S3_URL (pid $(cat "$PIDFILE"))"
  else
    log "SeaweedFS down or not ready"; return 1
  fi
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;; build) build ;;
  *) echo "usage: $0 up|down|status|build" >&2; exit 2 ;;
esac
