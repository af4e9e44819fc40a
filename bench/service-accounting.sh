#!/usr/bin/env bash
# Where the service path's CPU goes, per process, next to the CLI's (issue 28). Starts a private
# stack on free ports (its own PostgreSQL cluster, Redis and s3rver, a gateway and an inference worker
# with N model processes; nothing on the standard ports, nothing shared with other runs), screens a
# batch of recordings through /api/v1/batches, and reads each process's CPU time (utime + stime from
# /proc/PID/stat; PostgreSQL: the postmaster, its live backends and what exited backends left in its
# cutime/cstime) before and after. Then `heartbeat classify` on the same files, and optionally the
# /predict latency at 1, 4 and 16 clients (bench/predict-latency.ts, autocannon). Stops all it started.
#
#   bash bench/service-accounting.sh [--n 2656] [--processes 2] [--latency] [--keep] [--redis single|cluster|sentinel] [--skip-cli]
# --redis cluster: a private 3-node Redis Cluster (redis-cli --cluster create) and QUEUE_PREFIX={heartbeat};
# --redis sentinel: a private primary watched by one Sentinel, found through REDIS_SENTINELS. Redis's CPU
# is then the sum over its processes (the Sentinel included).
# Prints one JSON object; CPU figures are milliseconds per recording. Record `uptime` with it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
N=2656
PROCESSES=2
LATENCY=0
KEEP=0
REDIS_MODE=single
SKIP_CLI=""
while [ $# -gt 0 ]; do
  case "$1" in
    --n) N="$2"; shift 2 ;;
    --processes) PROCESSES="$2"; shift 2 ;;
    --latency) LATENCY=1; shift ;;
    --keep) KEEP=1; shift ;;
    --redis) REDIS_MODE="$2"; shift 2 ;;
    --skip-cli) SKIP_CLI=--skip-cli; shift ;;
    *) echo "usage: bench/service-accounting.sh [--n N] [--processes P] [--latency] [--keep] [--redis single|cluster|sentinel] [--skip-cli]" >&2; exit 2 ;;
  esac
done
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
NODE="$(npm exec --offline -- node -p 'process.execPath')"
WORK="$(mktemp -d /tmp/heartbeat-service-bench.XXXXXX)"
chmod 755 "$WORK"
KEY="hb_bench_0123456789abcdef0123456789abcdef"
free_port() { "$NODE" -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
PG_PORT=$(free_port); REDIS_PORT=$(free_port); S3_PORT=$(free_port); PORT=$(free_port); GW_METRICS=$(free_port); WK_METRICS=$(free_port)
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 120); do listening "$1" && return 0; sleep 0.5; done; log "$2 did not listen on $1"; exit 1; }

GATEWAY_PID=""; WORKER_PID=""; S3_PID=""
cleanup() {
  [ "$KEEP" = 1 ] && { log "kept: $WORK (gateway :$PORT)"; return; }
  for pid in $GATEWAY_PID $WORKER_PID; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 3
  for pid in $GATEWAY_PID $WORKER_PID $S3_PID; do kill -KILL "$pid" 2>/dev/null || true; done
  for f in "$WORK"/redis*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "private stack in $WORK: PostgreSQL :$PG_PORT, Redis :$REDIS_PORT ($REDIS_MODE), s3rver :$S3_PORT, gateway :$PORT"
mkdir "$WORK/pg" "$WORK/s3" && chown postgres "$WORK/pg"
su postgres -s /bin/sh -c "$PG_BIN/initdb -D $WORK/pg -U postgres -A trust" >/dev/null
su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -o '-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1' -l $WORK/pg/server.log -w start" >/dev/null
PG_PID="$(head -n 1 "$WORK/pg/postmaster.pid")"
redis_at() { redis-server --port "$1" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes --dir "$WORK" --pidfile "$WORK/redis-$1.pid" --logfile "$WORK/redis-$1.log" "${@:2}"; }
case "$REDIS_MODE" in
  single) redis_at "$REDIS_PORT" ;;
  cluster)
    CLUSTER_PORTS="$REDIS_PORT $(free_port) $(free_port)"
    for p in $CLUSTER_PORTS; do redis_at "$p" --cluster-enabled yes --cluster-config-file "nodes-$p.conf" --cluster-node-timeout 2000; done
    for p in $CLUSTER_PORTS; do wait_port "$p" Redis; done
    redis-cli --cluster create $(for p in $CLUSTER_PORTS; do printf '127.0.0.1:%s ' "$p"; done) --cluster-yes >"$WORK/cluster-create.log" 2>&1
    for _ in $(seq 1 100); do
      ok=1; for p in $CLUSTER_PORTS; do redis-cli -p "$p" cluster info | grep -q cluster_state:ok || ok=0; done
      [ "$ok" = 1 ] && break; sleep 0.2
    done
    export REDIS_CLUSTER_NODES="$(for p in $CLUSTER_PORTS; do printf '127.0.0.1:%s,' "$p"; done | sed 's/,$//')" QUEUE_PREFIX='{heartbeat}'
    ;;
  sentinel)
    SENTINEL_PORT=$(free_port)
    redis_at "$REDIS_PORT"
    printf 'port %s\nbind 127.0.0.1\ndir %s\ndaemonize yes\npidfile %s\nlogfile %s\nsentinel monitor bench 127.0.0.1 %s 1\n' \
      "$SENTINEL_PORT" "$WORK" "$WORK/redis-sentinel.pid" "$WORK/sentinel.log" "$REDIS_PORT" >"$WORK/sentinel.conf"
    redis-server "$WORK/sentinel.conf" --sentinel
    wait_port "$SENTINEL_PORT" Sentinel
    export REDIS_SENTINELS="127.0.0.1:$SENTINEL_PORT" REDIS_SENTINEL_NAME=bench
    ;;
  *) echo "--redis is single, cluster or sentinel" >&2; exit 2 ;;
esac
"$NODE" --openssl-legacy-provider node_modules/s3rver/bin/s3rver.js --directory "$WORK/s3" --address 127.0.0.1 --port "$S3_PORT" --configure-bucket heartbeat >"$WORK/s3rver.log" 2>&1 &
S3_PID=$!
wait_port "$REDIS_PORT" Redis; wait_port "$S3_PORT" s3rver
for _ in $(seq 1 50); do ls "$WORK"/redis*.pid >/dev/null 2>&1 && break; sleep 0.1; done

export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/heartbeat" REDIS_URL="redis://127.0.0.1:$REDIS_PORT" S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export PORT HEARTBEAT_BOOTSTRAP_API_KEY="$KEY" RATE_LIMIT_PER_MINUTE=1000000 LOG_LEVEL=warn MAX_BATCH_FILES=3000
npm run --silent db:migrate >/dev/null
GATEWAY_METRICS_PORT=$GW_METRICS "$NODE" -r @swc-node/register apps/gateway/src/main.ts >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
INFERENCE_PROCESSES=$PROCESSES INFERENCE_WORKER_ID=bench INFERENCE_WORKER_METRICS_PORT=$WK_METRICS \
  "$NODE" -r @swc-node/register apps/inference-worker/src/main.ts >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
for i in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"modelLoaded":true' && break
  [ "$i" = 240 ] && { log "no ready worker after 240 s; logs in $WORK"; KEEP=1; exit 1; }
  sleep 1
done
log "stack ready; warming up with 20 recordings"
npm exec --offline -- node -r @swc-node/register bench/gateway-throughput.ts --url "http://127.0.0.1:$PORT" --key "$KEY" --n 20 --batch-only --skip-cli >/dev/null

# CPU ms of a process (utime + stime), of it with its children's totals, and of a whole process tree.
HZ=$(getconf CLK_TCK)
own() { awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
with_reaped() { awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%d\n", ($12 + $13 + $14 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0; }
postgres_ms() { local total; total=$(with_reaped "$PG_PID"); for c in $(pgrep -P "$PG_PID"); do total=$((total + $(own "$c"))); done; echo "$total"; }
snapshot() {
  echo "gateway $(own "$GATEWAY_PID")"
  echo "worker-supervisor $(own "$WORKER_PID")"
  local i=0; for c in $(pgrep -P "$WORKER_PID" | sort -n); do echo "worker-process-$i $(own "$c")"; i=$((i + 1)); done
  echo "s3rver $(own "$S3_PID")"
  echo "postgres $(postgres_ms)"
  local redis=0; for f in "$WORK"/redis*.pid; do redis=$((redis + $(own "$(cat "$f")"))); done
  echo "redis $redis"
}
BEFORE="$(snapshot)"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "screening $N recordings as one batch (load $LOAD_BEFORE)"
BATCH_JSON="$(npm exec --offline -- node -r @swc-node/register bench/gateway-throughput.ts --url "http://127.0.0.1:$PORT" --key "$KEY" --n "$N" --batch-only $SKIP_CLI)"
AFTER="$(snapshot)"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

LATENCY_JSON=null
if [ "$LATENCY" = 1 ]; then
  log "/predict latency at 1, 4 and 16 clients (autocannon)"
  LATENCY_JSON="$(npm exec --offline -- node -r @swc-node/register bench/predict-latency.ts --url "http://127.0.0.1:$PORT" --key "$KEY" --worker-metrics "http://127.0.0.1:$WK_METRICS/metrics")"
fi

"$NODE" -e '
const [before, after, batch, latency, n, loadBefore, loadAfter, processes, redisMode] = process.argv.slice(1);
const parse = (text) => Object.fromEntries(text.trim().split("\n").map((line) => { const [name, ms] = line.split(" "); return [name, Number(ms)]; }));
const b = parse(before), a = parse(after), run = JSON.parse(batch);
const recordings = run.gateway.succeeded + run.gateway.failed;
const perRecording = Object.fromEntries(Object.keys(a).map((name) => [name, Number(((a[name] - (b[name] ?? 0)) / recordings).toFixed(2))]));
const workers = Object.entries(perRecording).filter(([k]) => k.startsWith("worker")).reduce((s, [, v]) => s + v, 0);
const rest = Object.entries(perRecording).filter(([k]) => !k.startsWith("worker")).reduce((s, [, v]) => s + v, 0);
console.log(JSON.stringify({
  recordings, inferenceProcesses: Number(processes), redis: redisMode, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter,
  gateway: run.gateway, cli: run.cli, gatewayVsCli: run.gatewayVsCli,
  cpuMsPerRecording: { ...perRecording, workersTogether: Number(workers.toFixed(2)), everythingElse: Number(rest.toFixed(2)), cli: run.cli?.cpuMsPerRecording },
  workerVsCliCpu: run.cli?.cpuMsPerRecording ? Number((workers / run.cli.cpuMsPerRecording).toFixed(2)) : undefined,
  predictLatencyMs: JSON.parse(latency),
}, null, 2));
' "$BEFORE" "$AFTER" "$BATCH_JSON" "$LATENCY_JSON" "$N" "$LOAD_BEFORE" "$LOAD_AFTER" "$PROCESSES" "$REDIS_MODE"
