# shellcheck shell=bash
# A private HeartBeat stack for one benchmark run, on free ports and in one temporary folder: its
# own PostgreSQL cluster, Redis (single, a 3-node Cluster or behind a Sentinel), s3rver, a gateway
# and an inference worker with N model processes. Nothing on the standard ports, nothing shared
# with other runs; everything it started is stopped on exit (unless KEEP=1). Sourced by
# bench/service-accounting.sh and bench/soak.sh, from the repository root:
#
#   source bench/private-stack.sh
#   private_stack_init NAME KEY       # $WORK=/tmp/heartbeat-NAME.XXXXXX, $NODE, ports, cleanup trap
#   log "private stack in $WORK: ..."
#   private_stack_start_postgres      # $PG_PID
#   private_stack_start_redis MODE [--appendonly]   # single|cluster|sentinel; $REDIS_PIDS
#   private_stack_start_s3rver        # $S3_PID
#   export LOG_LEVEL=... (and any other setting for both services)
#   private_stack_start_services PROCESSES WORKER_ID   # migrates; $GATEWAY_PID, $WORKER_PID
#
# Set before private_stack_start_services: GATEWAY_NODE_FLAGS and WORKER_NODE_FLAGS (arrays of node
# flags, e.g. --cpu-prof), and WAIT_FOR_EXIT_ON_STOP=1 to give them up to 30 s to exit on SIGTERM
# (a profiled process writes its profile then). PRIVATE_STACK_BUILD=compiled runs the apps as the
# images do, compiled to JavaScript by `npm run build`'s compiler (into tmp/private-stack/, not dist/,
# so a build never swaps files under another run), instead of from sources through SWC (`sources`,
# the default; SWC's in-memory transpiled code and source maps add to the processes' memory).
# Logs: $WORK/gateway.log, worker.log, s3rver.log (and build.log).

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 120); do listening "$1" && return 0; sleep 0.5; done; log "$2 did not listen on $1"; exit 1; }
# shellcheck source=scripts/free-port.sh
source scripts/free-port.sh

private_stack_init() {
  local name="$1"
  KEY="$2"
  KEEP="${KEEP:-0}"
  GATEWAY_NODE_FLAGS=()
  WORKER_NODE_FLAGS=()
  S3RVER_NODE_FLAGS=()
  WAIT_FOR_EXIT_ON_STOP=0
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  NODE="$(npm exec --offline -- node -p 'process.execPath')"
  WORK="$(mktemp -d "/tmp/heartbeat-$name.XXXXXX")"
  chmod 755 "$WORK"
  FREE_PORTS_FILE="$WORK/ports"
  PG_PORT=$(free_port); REDIS_PORT=$(free_port); S3_PORT=$(free_port); PORT=$(free_port); GW_METRICS=$(free_port); WK_METRICS=$(free_port)
  GATEWAY_PID=""; WORKER_PID=""; S3_PID=""; S3_TMPFS_DIR=""; PG_PID=""; REDIS_PIDS=""; COMPILED_DIR=""
  trap private_stack_cleanup EXIT
}

private_stack_cleanup() {
  [ "$KEEP" = 1 ] && { log "kept: $WORK (gateway :$PORT)"; return; }
  for pid in $GATEWAY_PID $WORKER_PID; do kill -TERM "$pid" 2>/dev/null || true; done
  # s3rver has no shutdown of its own: only a profiled one (bench/exit-on-sigterm.cjs) is asked first.
  [ "$WAIT_FOR_EXIT_ON_STOP" = 1 ] && [ -n "$S3_PID" ] && kill -TERM "$S3_PID" 2>/dev/null
  sleep 3
  if [ "$WAIT_FOR_EXIT_ON_STOP" = 1 ]; then
    for _ in $(seq 1 60); do kill -0 $GATEWAY_PID $WORKER_PID $S3_PID 2>/dev/null || break; sleep 0.5; done
  fi
  for pid in $GATEWAY_PID $WORKER_PID $S3_PID; do kill -KILL "$pid" 2>/dev/null || true; done
  for f in "$WORK"/redis*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
  [ -n "$S3_TMPFS_DIR" ] && rm -rf "$S3_TMPFS_DIR"
  [ -n "$COMPILED_DIR" ] && rm -rf "$COMPILED_DIR"
  return 0
}

private_stack_start_postgres() {
  mkdir "$WORK/pg" && chown postgres "$WORK/pg"
  su postgres -s /bin/sh -c "$PG_BIN/initdb -D $WORK/pg -U postgres -A trust" >/dev/null
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -o '-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1' -l $WORK/pg/server.log -w start" >/dev/null
  PG_PID="$(head -n 1 "$WORK/pg/postmaster.pid")"
  export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/heartbeat"
}

# Redis on $REDIS_PORT: `single`, a 3-node `cluster` (QUEUE_PREFIX={heartbeat}) or a primary behind one
# `sentinel`. --appendonly persists as the chart and compose ship it (every second); default: none.
private_stack_start_redis() {
  local mode="$1" persistence=(--appendonly no)
  [ "${2:-}" = --appendonly ] && persistence=(--appendonly yes --appendfsync everysec)
  mkdir -p "$WORK/redis"
  redis_at() {
    redis-server --port "$1" --bind 127.0.0.1 --save "" "${persistence[@]}" --daemonize yes --dir "$WORK/redis" \
      --pidfile "$WORK/redis-$1.pid" --logfile "$WORK/redis-$1.log" "${@:2}"
  }
  case "$mode" in
    single) redis_at "$REDIS_PORT" ;;
    cluster)
      local ports p ok
      ports="$REDIS_PORT $(free_port) $(free_port)"
      for p in $ports; do redis_at "$p" --cluster-enabled yes --cluster-config-file "nodes-$p.conf" --cluster-node-timeout 2000; done
      for p in $ports; do wait_port "$p" Redis; done
      # shellcheck disable=SC2046
      redis-cli --cluster create $(for p in $ports; do printf '127.0.0.1:%s ' "$p"; done) --cluster-yes >"$WORK/cluster-create.log" 2>&1
      for _ in $(seq 1 100); do
        ok=1; for p in $ports; do redis-cli -p "$p" cluster info | grep -q cluster_state:ok || ok=0; done
        [ "$ok" = 1 ] && break; sleep 0.2
      done
      REDIS_CLUSTER_NODES="$(for p in $ports; do printf '127.0.0.1:%s,' "$p"; done | sed 's/,$//')"
      export REDIS_CLUSTER_NODES QUEUE_PREFIX='{heartbeat}'
      ;;
    sentinel)
      local sentinel_port
      sentinel_port=$(free_port)
      redis_at "$REDIS_PORT"
      printf 'port %s\nbind 127.0.0.1\ndir %s\ndaemonize yes\npidfile %s\nlogfile %s\nsentinel monitor bench 127.0.0.1 %s 1\n' \
        "$sentinel_port" "$WORK" "$WORK/redis-sentinel.pid" "$WORK/sentinel.log" "$REDIS_PORT" >"$WORK/sentinel.conf"
      redis-server "$WORK/sentinel.conf" --sentinel
      wait_port "$sentinel_port" Sentinel
      export REDIS_SENTINELS="127.0.0.1:$sentinel_port" REDIS_SENTINEL_NAME=bench
      ;;
    *) echo "--redis is single, cluster or sentinel" >&2; exit 2 ;;
  esac
  wait_port "$REDIS_PORT" Redis
  for _ in $(seq 1 50); do ls "$WORK"/redis*.pid >/dev/null 2>&1 && break; sleep 0.1; done
  REDIS_PIDS="$(cat "$WORK"/redis*.pid | tr '\n' ' ')"
  export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
}

# S3RVER_ON_TMPFS=1: its objects in /dev/shm instead of $WORK (see bench/service-accounting.sh).
private_stack_start_s3rver() {
  local directory="$WORK/s3"
  if [ "${S3RVER_ON_TMPFS:-0}" = 1 ]; then
    directory="$(mktemp -d /dev/shm/heartbeat-s3rver.XXXXXX)"
    S3_TMPFS_DIR="$directory"
  else
    mkdir "$directory"
  fi
  # --silent: no log line per request from the test S3 server itself (a configuration of s3rver, not
  # of HeartBeat; bench/README.md, "Issue 28, evening session", has the figures with and without).
  "$NODE" --openssl-legacy-provider "${S3RVER_NODE_FLAGS[@]}" node_modules/s3rver/bin/s3rver.js --directory "$directory" --address 127.0.0.1 --port "$S3_PORT" --configure-bucket heartbeat --silent >"$WORK/s3rver.log" 2>&1 &
  S3_PID=$!
  wait_port "$S3_PORT" s3rver
  export S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
}

# Migrates, starts the gateway on $PORT and an inference worker with $1 model processes (worker id
# $2), and waits up to 240 s for a loaded model (else keeps $WORK for its logs and fails).
private_stack_start_services() {
  local processes="$1" worker_id="$2" gateway_main worker_main
  case "${PRIVATE_STACK_BUILD:-sources}" in
    sources)
      gateway_main=(-r @swc-node/register apps/gateway/src/main.ts)
      worker_main=(-r @swc-node/register apps/inference-worker/src/main.ts)
      ;;
    compiled)
      COMPILED_DIR="tmp/private-stack/$(basename "$WORK")"
      "$NODE" scripts/build/compile.mjs "$COMPILED_DIR" >"$WORK/build.log" 2>&1 || { log "the build failed: $WORK/build.log"; KEEP=1; exit 1; }
      log "compiled build in $COMPILED_DIR"
      gateway_main=("$COMPILED_DIR/apps/gateway/src/main.js")
      worker_main=("$COMPILED_DIR/apps/inference-worker/src/main.js")
      ;;
    *) echo "PRIVATE_STACK_BUILD is sources or compiled" >&2; exit 2 ;;
  esac
  export PORT HEARTBEAT_BOOTSTRAP_API_KEY="$KEY" RATE_LIMIT_PER_MINUTE=1000000
  npm run --silent db:migrate >/dev/null
  GATEWAY_METRICS_PORT=$GW_METRICS "$NODE" "${GATEWAY_NODE_FLAGS[@]}" "${gateway_main[@]}" >"$WORK/gateway.log" 2>&1 &
  GATEWAY_PID=$!
  INFERENCE_PROCESSES=$processes INFERENCE_WORKER_ID=$worker_id INFERENCE_WORKER_METRICS_PORT=$WK_METRICS \
    "$NODE" "${WORKER_NODE_FLAGS[@]}" "${worker_main[@]}" >"$WORK/worker.log" 2>&1 &
  WORKER_PID=$!
  for i in $(seq 1 240); do
    curl -fs "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"modelLoaded":true' && break
    [ "$i" = 240 ] && { log "no ready worker after 240 s; logs in $WORK"; KEEP=1; exit 1; }
    sleep 1
  done
}
