#!/usr/bin/env bash
# Apache Kafka (KRaft, one node with combined broker+controller roles) run natively with `java`,
# from jars Maven resolves out of Maven Central; no Docker, no release tarball.
#   client listener      PLAINTEXT://127.0.0.1:$KAFKA_PORT
#   controller listener  CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
# Jars:  $XINYI_CACHE/kafka-<version>/libs (resolved once; a marker file records the pom it came from)
# State: $XINYI_STATE/kafka/{data,logs,server.properties,cluster-id,kafka.pid}
# Usage: deploy/kafka.sh up|down|status
#        deploy/kafka.sh topics-create NAME PARTITIONS   (idempotent)
#        deploy/kafka.sh topics-list
source "$(dirname "$0")/lib.sh"

KAFKA_VERSION=4.1.1
CONF_DIR="$DEPLOY_DIR/kafka"
KAFKA_HOME="$XINYI_CACHE/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
MARKER="$KAFKA_HOME/.resolved"
STATE="$XINYI_STATE/kafka"
DATA_DIR="$STATE/data"
LOG_DIR="$STATE/logs"
PROPS="$STATE/server.properties"
CLUSTER_ID_FILE="$STATE/cluster-id"
PIDFILE="$STATE/kafka.pid"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
LOG_START_LINE=0  # lines server.log had when this run started the broker

# ---------------------------------------------------------------- jars

pom_digest() { sha256sum "$CONF_DIR/pom.xml" | cut -d' ' -f1; }

resolve_jars() {
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$(pom_digest)" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found: install Maven (apt-get install maven)"
  log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
  local tmp="$KAFKA_HOME/libs.tmp"
  rm -rf "$tmp"; mkdir -p "$tmp"
  if ! mvn -q -B -Dstyle.color=never -f "$CONF_DIR/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME/mvn.log" 2>&1; then
    tail -n 30 "$KAFKA_HOME/mvn.log" >&2
    die "Maven could not resolve the Kafka jars (full output in $KAFKA_HOME/mvn.log)"
  fi
  compgen -G "$tmp/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || die "kafka_2.13-$KAFKA_VERSION.jar missing after resolving"
  # The SLF4J binding in pom.xml (log4j-slf4j-impl) only serves slf4j-api 1.x.
  if compgen -G "$tmp/slf4j-api-2.*.jar" >/dev/null; then
    die "slf4j-api 2.x resolved: switch deploy/kafka/pom.xml to log4j-slf4j2-impl"
  fi
  rm -rf "$LIBS"; mv "$tmp" "$LIBS"
  pom_digest > "$MARKER"
  log "$(ls "$LIBS" | wc -l) jars in $LIBS"
}

# kafka_tool CLASS ARGS...: runs a Kafka CLI class on the resolved classpath.
kafka_tool() {
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$CONF_DIR/tools-log4j2.properties" \
    -cp "$LIBS/*" "$@"
}

# ---------------------------------------------------------------- state

render_config() {
  mkdir -p "$DATA_DIR" "$LOG_DIR"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@KAFKA_DATA_DIR@|$DATA_DIR|g" \
      "$CONF_DIR/server.properties.in" > "$PROPS.tmp"
  mv "$PROPS.tmp" "$PROPS"
}

format_storage() {
  [[ -f "$DATA_DIR/meta.properties" ]] && return 0
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    kafka_tool kafka.tools.StorageTool random-uuid > "$CLUSTER_ID_FILE.tmp" \
      || die "could not generate a cluster id"
    mv "$CLUSTER_ID_FILE.tmp" "$CLUSTER_ID_FILE"
  fi
  log "formatting $DATA_DIR (cluster id $(cat "$CLUSTER_ID_FILE"))"
  kafka_tool kafka.tools.StorageTool format -t "$(cat "$CLUSTER_ID_FILE")" -c "$PROPS" \
      --standalone --ignore-formatted >&2 \
    || die "kafka-storage format failed"
}

# ---------------------------------------------------------------- process and health

# True when the pid file names a live kafka.Kafka process (not a recycled pid).
running() {
  pid_alive "$PIDFILE" " kafka.Kafka "
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A real metadata request (the admin client's listTopics), not just an open port.
metadata_ok() {
  port_open "$KAFKA_PORT" || return 1
  timeout 30 java -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$CONF_DIR/tools-log4j2.properties" -cp "$LIBS/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
    --command-config "$CONF_DIR/admin.properties" --list >/dev/null 2>&1
}

# Health probe used while starting: fails the whole script at once if the broker died.
started() {
  # Dead only when the pid is gone: right after the start its command line may still read
  # `setsid nohup java …` for a moment (exec not done yet), which is no reason to give up.
  local pid; pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    {
      log "Kafka exited during start-up; its last warnings and errors ($LOG_DIR/server.log):"
      tail -n "+$((LOG_START_LINE + 1))" "$LOG_DIR/server.log" | grep -E '^\[[^]]*\] (WARN|ERROR|FATAL) ' | tail -n 10
      log "and the end of its stdout/stderr ($LOG_DIR/kafka.out):"
      tail -n 20 "$LOG_DIR/kafka.out"
    } >&3 2>&3 || true
    exit 1
  fi
  running && metadata_ok
}

start_broker() {
  log "starting Kafka $KAFKA_VERSION (broker+controller) on $BOOTSTRAP, controller 127.0.0.1:$KAFKA_CONTROLLER_PORT"
  LOG_START_LINE=0
  [[ -f "$LOG_DIR/server.log" ]] && LOG_START_LINE="$(wc -l < "$LOG_DIR/server.log")"
  # setsid: its own session, so the broker outlives this shell and a Ctrl-C here.
  # No fork happens (we are not a process-group leader), so $! is the JVM's pid.
  setsid nohup java -Xms256m -Xmx512m \
      -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
      -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
      -Dkafka.logs.dir="$LOG_DIR" \
      -Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties" \
      -cp "$LIBS/*" kafka.Kafka "$PROPS" \
      >>"$LOG_DIR/kafka.out" 2>&1 </dev/null &
  echo $! > "$PIDFILE"
}

# ---------------------------------------------------------------- commands

up() {
  command -v java >/dev/null || die "java not found: Kafka $KAFKA_VERSION needs Java 17+"
  if running; then
    if metadata_ok; then log "Kafka already up on $BOOTSTRAP (pid $(cat "$PIDFILE"))"; return 0; fi
    log "Kafka (pid $(cat "$PIDFILE")) runs but does not answer yet; waiting"
  else
    rm -f "$PIDFILE"
    resolve_jars
    for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
      port_open "$port" && die "port $port is taken by a process this script did not start (ss -ltnp 'sport = :$port')"
    done
    render_config
    format_storage
    start_broker
  fi
  exec 3>&2
  wait_until "$START_TIMEOUT" "Kafka on $BOOTSTRAP" started
  exec 3>&-
}

down() {
  if [[ -f "$PIDFILE" ]] && ! running; then
    log "stale pid file (process $(cat "$PIDFILE") is not Kafka); removing it"
    rm -f "$PIDFILE"
  fi
  stop_pidfile "$PIDFILE" Kafka " kafka.Kafka "
}

status() {
  if running && metadata_ok; then
    log "Kafka up on $BOOTSTRAP (pid $(cat "$PIDFILE"))"
  else
    log "Kafka down"; return 1
  fi
}

topics_create() {
  local name="${1:?usage: $0 topics-create NAME PARTITIONS}" partitions="${2:?usage: $0 topics-create NAME PARTITIONS}"
  [[ -f "$MARKER" ]] || die "Kafka jars not resolved yet: run $0 up"
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
    --command-config "$CONF_DIR/admin.properties" \
    --create --if-not-exists --topic "$name" --partitions "$partitions" --replication-factor 1
}

topics_list() {
  [[ -f "$MARKER" ]] || die "Kafka jars not resolved yet: run $0 up"
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
    --command-config "$CONF_DIR/admin.properties" --list
}

case "${1:-}" in
  up) up ;; down) down ;; status) status ;;
  topics-create) shift; topics_create "$@" ;;
  topics-list) topics_list ;;
  *) echo "usage: $0 up|down|status|topics-create NAME PARTITIONS|topics-list" >&2; exit 2 ;;
esac
