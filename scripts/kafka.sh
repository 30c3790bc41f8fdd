#!/usr/bin/env bash
# Local single-node Apache Kafka broker (KRaft, combined broker+controller, no ZooKeeper),
# run straight from Maven Central jars: no Docker, no Kafka tarball.
#
#   scripts/kafka.sh start    start (or confirm) the broker; returns once it answers metadata requests
#   scripts/kafka.sh stop     stop it (TERM, up to 30 s, then KILL); exit 0 if it was not running
#   scripts/kafka.sh status   print running/stopped; exit 0 if running and the port answers, else 1
#   scripts/kafka.sh reset    stop and delete the data dir (next start formats a fresh cluster)
#   scripts/kafka.sh run CLASS [ARGS...]
#                             run a Kafka CLI class on the cached classpath, e.g.
#                             run org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#   scripts/kafka.sh logs     print the last 100 lines of the broker log
#
# Environment:
#   PARLEY_KAFKA_HOME      cache dir (jars, default data)     default ~/.cache/parley-kafka
#   PARLEY_KAFKA_DATA      Kafka log.dirs (topic data)        default $PARLEY_KAFKA_HOME/data
#                          server.properties, kafka.log, kafka.pid live in its parent dir
#   KAFKA_PORT             PLAINTEXT listener on 127.0.0.1    default 9092
#   KAFKA_CONTROLLER_PORT  KRaft controller listener          default 9093
#   KAFKA_HEAP_OPTS        broker heap                        default "-Xms256m -Xmx512m"
#   KAFKA_START_TIMEOUT    seconds to wait for readiness      default 90
#   PARLEY_KAFKA_VERSION   Kafka version to fetch             default 3.9.2
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/kafka/pom.xml"

KAFKA_VERSION="${PARLEY_KAFKA_VERSION:-3.9.2}"
CACHE="$(realpath -m "${PARLEY_KAFKA_HOME:-${HOME:-/tmp}/.cache/parley-kafka}")"
DATA="$(realpath -m "${PARLEY_KAFKA_DATA:-$CACHE/data}")"
LIB="$CACHE/lib-$KAFKA_VERSION"
RUN_DIR="$(dirname "$DATA")"
PID_FILE="$RUN_DIR/kafka.pid"
LOG_FILE="$RUN_DIR/kafka.log"
CONFIG="$RUN_DIR/server.properties"
LOG4J="$RUN_DIR/log4j.properties"
TOOLS_LOG4J="$RUN_DIR/tools-log4j.properties"
TOOLS_CLIENT="$RUN_DIR/tools-client.properties"
LOCK_FILE="$RUN_DIR/.kafka.lock"

HOST=127.0.0.1
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT=30

say() { echo "kafka: $*"; }
die() { echo "kafka: error: $*" >&2; exit 1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH ($2)"; }

check_port_var() {
  if ! [[ "$2" =~ ^[0-9]{1,5}$ ]] || (( 10#$2 < 1 || 10#$2 > 65535 )); then
    die "$1 must be a TCP port, got '$2'"
  fi
}

# Take an exclusive lock for this run dir so concurrent start/stop calls serialise.
# The broker must not inherit fd 9 (it would hold the lock forever): it is closed on launch.
lock() {
  mkdir -p "$RUN_DIR"
  exec 9>"$LOCK_FILE"
  flock -w 300 9 || die "timed out waiting for $LOCK_FILE (another kafka.sh running?)"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null; }

# True if PID is a live broker JVM started with our server.properties.
is_our_broker() {
  local pid="$1" cmd argv0
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  cmd="$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")" || return 1
  argv0="${cmd%% *}"
  [[ "${argv0##*/}" == java && "$cmd" == *" kafka.Kafka $CONFIG "* ]]
}

# Print the broker's pid: from the pid file, else by scanning /proc for a JVM running our
# exact server.properties (covers a lost pid file). Returns 1 if none is running.
find_pid() {
  local pid d
  if [[ -f "$PID_FILE" ]]; then
    pid="$(tr -dc '0-9' 2>/dev/null <"$PID_FILE" || true)"
    if is_our_broker "$pid"; then echo "$pid"; return 0; fi
  fi
  for d in /proc/[0-9]*; do
    pid="${d#/proc/}"
    if is_our_broker "$pid"; then
      echo "$pid" >"$PID_FILE" 2>/dev/null || true
      echo "$pid"; return 0
    fi
  done
  return 1
}

# JVM command line for short-lived CLI tools (small heap, fast start).
TOOL_JAVA=(java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true
  -Dlog4j.configuration="file:$TOOLS_LOG4J" -cp "$LIB/*")
java_tool() { "${TOOL_JAVA[@]}" "$@"; }

# One metadata request through the admin client (lists topics).
metadata_ok() {
  timeout 30 "${TOOL_JAVA[@]}" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$HOST:$PORT" --command-config "$TOOLS_CLIENT" --list >/dev/null 2>&1
}

pom_sum() { sha256sum "$POM" | cut -d' ' -f1; }

# Fetch the runtime jars into $LIB once; reused until the version or the pom changes.
ensure_lib() {
  [[ -f "$POM" ]] || die "missing $POM"
  if [[ -f "$LIB/.complete" && "$(cat "$LIB/.complete")" == "$(pom_sum)" ]]; then
    return 0
  fi
  need mvn "install Maven, e.g. apt-get install maven"
  say "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIB ..."
  local t0=$SECONDS tmp
  mkdir -p "$CACHE"
  tmp="$(mktemp -d "$CACHE/.lib-$KAFKA_VERSION.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  local mvn_log="$CACHE/mvn-fetch.log"
  if ! mvn -q -B -Dstyle.color=never -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime \
      </dev/null >"$mvn_log" 2>&1 9>&-; then
    tail -n 40 "$mvn_log" >&2
    die "mvn dependency:copy-dependencies failed (full output: $mvn_log)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" && -f "$tmp/kafka-tools-$KAFKA_VERSION.jar" ]] \
    || die "fetched jars lack kafka_2.13/kafka-tools $KAFKA_VERSION"
  pom_sum >"$tmp/.complete"
  rm -rf "$LIB"
  mv "$tmp" "$LIB"
  trap - EXIT
  say "fetched $(find "$LIB" -name '*.jar' | wc -l) jars ($(du -sh "$LIB" | cut -f1)) in $((SECONDS - t0))s"
}

write_tool_configs() {
  mkdir -p "$RUN_DIR"
  cat >"$TOOLS_LOG4J" <<'EOF'
log4j.rootLogger=WARN, err
log4j.appender.err=org.apache.log4j.ConsoleAppender
log4j.appender.err.Target=System.err
log4j.appender.err.layout=org.apache.log4j.PatternLayout
log4j.appender.err.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  cat >"$TOOLS_CLIENT" <<'EOF'
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

write_configs() {
  mkdir -p "$RUN_DIR" "$DATA"
  write_tool_configs
  cat >"$CONFIG" <<EOF
# Generated by scripts/kafka.sh on every start; edits are overwritten.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$HOST:$CPORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CPORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
# The log cleaner (compacts __consumer_offsets) takes 128 MiB of heap by default.
log.cleaner.dedupe.buffer.size=33554432
EOF
  cat >"$LOG4J" <<'EOF'
# Broker logging: stdout is redirected to kafka.log by scripts/kafka.sh.
log4j.rootLogger=INFO, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
# Quiet the chattiest loggers: config dumps, per-request and per-partition state noise.
log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN
log4j.logger.kafka.server.KafkaConfig=WARN
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
# (per-partition log loading/recovery lines; "$" loggers are Scala objects)
log4j.logger.kafka.log=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
log4j.logger.kafka.cluster.Partition=WARN
log4j.logger.kafka.coordinator.group.GroupMetadataManager=WARN
log4j.logger.org.apache.kafka.controller.ReplicationControlManager=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.org.apache.zookeeper=WARN
EOF
}

ensure_formatted() {
  if [[ -f "$DATA/meta.properties" ]]; then
    say "storage already formatted ($(grep -E '^cluster.id=' "$DATA/meta.properties" | cut -d= -f2))"
    return 0
  fi
  local cid out
  cid="$(java_tool kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 | tr -d '[:space:]')"
  [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "kafka.tools.StorageTool random-uuid gave '$cid'"
  if ! out="$(java_tool kafka.tools.StorageTool format -t "$cid" -c "$CONFIG" 2>&1)"; then
    echo "$out" >&2
    die "storage format failed"
  fi
  say "formatted storage in $DATA (cluster id $cid)"
}

tail_log() {
  if [[ -f "$LOG_FILE" ]]; then
    echo "---- last ${1:-50} lines of $LOG_FILE ----" >&2
    tail -n "${1:-50}" "$LOG_FILE" >&2
    echo "----" >&2
  fi
}

wait_ready() {
  local pid="$1" t0="$2" deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail_log 50
      die "broker (pid $pid) exited during startup"
    fi
    if port_open "$PORT" && metadata_ok; then
      say "ready on $HOST:$PORT (pid $pid) after $((SECONDS - t0))s"
      return 0
    fi
    sleep 1
  done
  tail_log 50
  die "broker (pid $pid) did not answer a metadata request on $HOST:$PORT within ${START_TIMEOUT}s" \
      "(left running; 'scripts/kafka.sh stop' kills it)"
}

cmd_start() {
  need java "install a JDK 17, e.g. apt-get install openjdk-17-jre-headless"
  need flock "util-linux"
  check_port_var KAFKA_PORT "$PORT"
  check_port_var KAFKA_CONTROLLER_PORT "$CPORT"
  [[ "$PORT" != "$CPORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"
  local t0=$SECONDS pid
  lock

  if pid="$(find_pid)"; then
    if port_open "$PORT"; then
      say "already running on $HOST:$PORT (pid $pid)"
      return 0
    fi
    say "broker process $pid exists but $HOST:$PORT is not answering yet; waiting"
    wait_ready "$pid" "$t0"
    return 0
  fi
  rm -f "$PID_FILE"

  local p
  for p in "$PORT" "$CPORT"; do
    if port_open "$p"; then
      ss -ltnp "sport = :$p" 2>/dev/null | tail -n +2 >&2 || true
      die "port $HOST:$p is already in use by another process (not this script's broker);" \
          "stop it or set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
    fi
  done

  ensure_lib
  write_configs
  ensure_formatted

  if [[ -s "$LOG_FILE" ]]; then mv -f "$LOG_FILE" "$LOG_FILE.1"; fi
  local -a heap
  read -r -a heap <<<"$HEAP_OPTS"
  say "starting broker (KRaft broker+controller, $HOST:$PORT, controller :$CPORT, log $LOG_FILE)"
  # setsid: own session, so a Ctrl-C or the caller's process group ending doesn't take it down.
  # The inner bash writes its own pid and execs java, so the pid file holds the JVM's pid.
  # shellcheck disable=SC2016  # $$/$1/$@ are for the inner bash
  nohup setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' kafka-launch "$PID_FILE" \
    java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Dlog4j.configuration="file:$LOG4J" -Dkafka.logs.dir="$RUN_DIR" \
    -cp "$LIB/*" kafka.Kafka "$CONFIG" \
    </dev/null >>"$LOG_FILE" 2>&1 9>&- &
  for _ in $(seq 1 50); do
    pid="$(tr -dc '0-9' 2>/dev/null <"$PID_FILE" || true)"
    [[ -n "$pid" ]] && is_our_broker "$pid" && break
    pid=""
    sleep 0.1
  done
  if [[ -z "$pid" ]]; then
    rm -f "$PID_FILE"
    tail_log 50
    die "broker JVM did not start or exited at once"
  fi
  wait_ready "$pid" "$t0"
}

cmd_stop() {
  local pid t0=$SECONDS
  lock
  if ! pid="$(find_pid)"; then
    rm -f "$PID_FILE"
    say "not running"
    return 0
  fi
  say "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    say "still alive after ${STOP_TIMEOUT}s; sending KILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  say "stopped in $((SECONDS - t0))s"
}

cmd_status() {
  local pid
  if pid="$(find_pid)"; then
    if port_open "$PORT"; then
      echo "running (pid $pid, $HOST:$PORT, data $DATA)"
      return 0
    fi
    echo "starting or unresponsive (pid $pid alive, $HOST:$PORT not answering)"
    return 1
  fi
  echo "stopped"
  return 1
}

cmd_reset() {
  cmd_stop
  case "$DATA" in
    / | "$HOME" | "$CACHE" | "") die "refusing to delete data dir '$DATA'" ;;
  esac
  if [[ -d "$DATA" ]]; then
    rm -rf "$DATA"
    say "deleted $DATA"
  else
    say "no data dir at $DATA"
  fi
}

cmd_run() {
  (( $# >= 1 )) || die "usage: $0 run CLASS [ARGS...]"
  need java "install a JDK 17"
  ensure_lib
  [[ -f "$TOOLS_LOG4J" && -f "$TOOLS_CLIENT" ]] || write_tool_configs
  java_tool "$@"
}

usage() {
  sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  run) shift; cmd_run "$@" ;;
  logs) if [[ -f "$LOG_FILE" ]]; then tail -n 100 "$LOG_FILE"; else say "no log at $LOG_FILE"; fi ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
