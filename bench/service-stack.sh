#!/usr/bin/env bash
# The service stack the gateway benchmark runs against: the local stack (scripts/local-stack.sh),
# one gateway and an inference worker with N model processes, with a known admin key and no practical rate limit, plus a
# per-process CPU meter so a run can be split into gateway / worker / S3 / PostgreSQL / Redis time.
#
#   bash bench/service-stack.sh up [processes=2]   start (logs in .local-stack/bench)
#   bash bench/service-stack.sh down               stop what `up` started (the local stack too)
#   bash bench/service-stack.sh fresh [processes]  down, empty the local S3 server's data, up: the next
#                                                  batch run stores new uploads (no deduplicated PUTs)
#                                                  (the database is kept: a version promoted through
#                                                  the admin API stays promoted)
#   bash bench/service-stack.sh cpu -- <command>   run a command, print each process's CPU seconds
#   bash bench/service-stack.sh key                print the admin key
# BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to the gateway and workers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
STATE="$ROOT/.local-stack/bench"
PORT="${PORT:-8000}"
KEY="${BENCH_API_KEY:-hb_bench_0123456789abcdef0123456789abcdef}"
mkdir -p "$STATE"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

up() {
  local workers=${1:-2}
  listening "$PORT" && { echo "port $PORT is in use: run 'bench/service-stack.sh down' or set PORT" >&2; exit 1; }
  bash scripts/local-stack.sh up
  local node
  node="$(npm exec --offline -- node -p 'process.execPath')"
  export PORT HEARTBEAT_BOOTSTRAP_API_KEY="$KEY" RATE_LIMIT_PER_MINUTE=1000000 LOG_LEVEL=warn
  GATEWAY_METRICS_PORT=9190 "$node" ${BENCH_NODE_FLAGS:-} -r @swc-node/register apps/gateway/src/main.ts >"$STATE/gateway.log" 2>&1 &
  echo "gateway $!" >"$STATE/pids"
  INFERENCE_PROCESSES="$workers" INFERENCE_WORKER_ID=bench INFERENCE_WORKER_METRICS_PORT=9191 \
    "$node" ${BENCH_NODE_FLAGS:-} -r @swc-node/register apps/inference-worker/src/main.ts >"$STATE/worker.log" 2>&1 &
  echo "worker $!" >>"$STATE/pids"
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$PORT/health/ready" >/dev/null; then
      echo "ready: http://127.0.0.1:$PORT, $workers inference process(es), admin key $KEY"
      return 0
    fi
    sleep 1
  done
  echo "the gateway did not become ready within 120 s; see $STATE/*.log" >&2
  exit 1
}

down() {
  if [ -f "$STATE/pids" ]; then
    while read -r _ pid; do kill -TERM "$pid" 2>/dev/null || true; done <"$STATE/pids"
    sleep 2
    while read -r _ pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$STATE/pids"
    rm -f "$STATE/pids"
  fi
  bash scripts/local-stack.sh down
}

# CPU ticks (utime + stime) of the given processes, summed; a process that is gone counts 0.
ticks_of_pids() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# ... of every process whose command line matches.
ticks_of() { ticks_of_pids $(pgrep -f "$1" || true); }

# ... of a process and its children (the inference worker's model processes).
ticks_of_tree() { ticks_of_pids "$1" $(pgrep -P "$1" || true); }

snapshot() {
  local name pid
  while read -r name pid; do echo "$name $(ticks_of_tree "$pid")"; done <"$STATE/pids"
  echo "s3rver $(ticks_of 's3rver|local-s3')"
  echo "postgres $(ticks_of 'postgres')"
  echo "redis $(ticks_of 'redis-server')"
}

cpu() {
  [ "${1:-}" = "--" ] && shift
  local before after hz
  hz=$(getconf CLK_TCK)
  before="$(snapshot)"
  "$@"
  after="$(snapshot)"
  echo "CPU seconds per process during the command:"
  join <(echo "$before" | sort) <(echo "$after" | sort) | awk -v hz="$hz" '{ printf "  %-10s %7.2f\n", $1, ($3 - $2) / hz }'
}

fresh() {
  down
  listening 4569 && { echo "an S3 server not started by the local stack listens on 4569: not emptying anything" >&2; exit 1; }
  rm -rf "$ROOT/.local-stack/s3"
  up "${1:-2}"
}

case "${1:-}" in
  up) up "${2:-2}" ;;
  fresh) fresh "${2:-2}" ;;
  down) down ;;
  cpu) shift; cpu "$@" ;;
  key) echo "$KEY" ;;
  *) echo "usage: bench/service-stack.sh up [processes] | fresh [processes] | down | cpu -- <command> | key" >&2; exit 2 ;;
esac
