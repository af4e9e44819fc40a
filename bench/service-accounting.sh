#!/usr/bin/env bash
# Where the service path's CPU goes, per process, next to the CLI's (issue 28). Starts a private
# stack on free ports (its own PostgreSQL cluster, Redis and s3rver, a gateway and an inference worker
# with N model processes; nothing on the standard ports, nothing shared with other runs), screens a
# batch of recordings through /api/v1/batches, and reads each process's CPU time (utime + stime from
# /proc/PID/stat; PostgreSQL: the postmaster, its live backends and what exited backends left in its
# cutime/cstime) before and after. Then `heartbeat classify` on the same files, and optionally the
# /predict latency at 1, 4 and 16 clients (bench/predict-latency.ts, autocannon). Stops all it started.
#
#   bash bench/service-accounting.sh [--n 2656] [--processes 2] [--latency] [--keep] [--redis single|cluster|sentinel] [--skip-cli] [--profile DIR] [--compiled] [--queue-first] [--s3rver-on-tmpfs]
# --queue-first: the predictions queue is held while the batch is uploaded and queued, then released,
# and `drain` reports the seconds and CPU per recording of the workers screening it with nothing else
# running (beside the whole run's figures): what the workers cost apart from sharing the cores.
# --s3rver-on-tmpfs: the test S3 server keeps its objects in /dev/shm instead of the stack's folder on
# disk. Most of s3rver's CPU is creating its files (object, metadata); this separates that from the
# rest of the stack's cost. A site's object store is not s3rver: the default (disk) is the headline.
# --compiled: the gateway and worker run compiled, as the images run them (default: from sources through SWC).
# --worker-node-flag FLAG (repeatable): a node flag for the inference worker and its model processes.
# --profile DIR: the gateway, every worker process and s3rver run with --cpu-prof into DIR (written when they
# stop), and DIR/batch-window holds the batch's start and end on the profiles' clock (monotonic, us).
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
PROFILE_DIR=""
QUEUE_FIRST=0
EXTRA_WORKER_FLAGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --n) N="$2"; shift 2 ;;
    --processes) PROCESSES="$2"; shift 2 ;;
    --latency) LATENCY=1; shift ;;
    --keep) KEEP=1; shift ;;
    --redis) REDIS_MODE="$2"; shift 2 ;;
    --skip-cli) SKIP_CLI=--skip-cli; shift ;;
    --compiled) PRIVATE_STACK_BUILD=compiled; shift ;;
    --profile) PROFILE_DIR="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --worker-node-flag) EXTRA_WORKER_FLAGS+=("$2"); shift 2 ;;
    --queue-first) QUEUE_FIRST=1; shift ;;
    --s3rver-on-tmpfs) export S3RVER_ON_TMPFS=1; shift ;;
    *) echo "usage: bench/service-accounting.sh [--n N] [--processes P] [--latency] [--keep] [--redis single|cluster|sentinel] [--skip-cli] [--profile DIR] [--compiled] [--queue-first] [--s3rver-on-tmpfs] [--worker-node-flag FLAG]..." >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/private-stack.sh
source bench/private-stack.sh
private_stack_init service-bench "hb_bench_0123456789abcdef0123456789abcdef"
log "private stack in $WORK: PostgreSQL :$PG_PORT, Redis :$REDIS_PORT ($REDIS_MODE), s3rver :$S3_PORT, gateway :$PORT"
private_stack_start_postgres
private_stack_start_redis "$REDIS_MODE"
if [ -n "$PROFILE_DIR" ]; then
  GATEWAY_NODE_FLAGS=(--cpu-prof --cpu-prof-dir="$PROFILE_DIR")
  WORKER_NODE_FLAGS=("${GATEWAY_NODE_FLAGS[@]}")
  S3RVER_NODE_FLAGS=("${GATEWAY_NODE_FLAGS[@]}" --require ./bench/exit-on-sigterm.cjs)
  WAIT_FOR_EXIT_ON_STOP=1 # a profiled process writes its profile as it exits: give it the time
fi
private_stack_start_s3rver
export LOG_LEVEL=warn MAX_BATCH_FILES=3000
# e.g. --worker-node-flag --initial-old-space-size=128 (the supervisor's flags reach its model processes).
[ "${#EXTRA_WORKER_FLAGS[@]}" -gt 0 ] && WORKER_NODE_FLAGS+=("${EXTRA_WORKER_FLAGS[@]}")
private_stack_start_services "$PROCESSES" bench
log "stack ready; warming up with 20 recordings"
npm exec --offline -- node -r @swc-node/register bench/gateway-throughput.ts --url "http://127.0.0.1:$PORT" --key "$KEY" --n 20 --batch-only --skip-cli >/dev/null

# CPU ms of a process (utime + stime) and the kernel's part of it (stime), of it with its children's
# totals, and of a whole process tree: "<total ms> <kernel ms>".
HZ=$(getconf CLK_TCK)
own() { awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%d %d\n", ($12 + $13) * 1000 / hz, $13 * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0 0; }
with_reaped() { awk -v hz="$HZ" '{ sub(/^.*\) /, ""); printf "%d %d\n", ($12 + $13 + $14 + $15) * 1000 / hz, ($13 + $15) * 1000 / hz }' "/proc/$1/stat" 2>/dev/null || echo 0 0; }
add() { echo "$(($1 + $3)) $(($2 + $4))"; }
postgres_ms() { local total; total=$(with_reaped "$PG_PID"); for c in $(pgrep -P "$PG_PID"); do total=$(add $total $(own "$c")); done; echo "$total"; }
snapshot() {
  echo "gateway $(own "$GATEWAY_PID")"
  echo "worker-supervisor $(own "$WORKER_PID")"
  local i=0; for c in $(pgrep -P "$WORKER_PID" | sort -n); do echo "worker-process-$i $(own "$c")"; i=$((i + 1)); done
  echo "s3rver $(own "$S3_PID")"
  echo "postgres $(postgres_ms)"
  local redis="0 0"; for f in "$WORK"/redis*.pid; do redis=$(add $redis $(own "$(cat "$f")")); done
  echo "redis $redis"
}
BEFORE="$(snapshot)"
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
log "screening $N recordings as one batch (load $LOAD_BEFORE)"
monotonic_us() { "$NODE" -p 'String(process.hrtime.bigint() / 1000n)'; }
[ -n "$PROFILE_DIR" ] && echo "start $(monotonic_us) gateway $GATEWAY_PID worker $WORKER_PID s3rver $S3_PID" >"$PROFILE_DIR/batch-window"
screen_batch() { npm exec --offline -- node -r @swc-node/register bench/gateway-throughput.ts --url "http://127.0.0.1:$PORT" --key "$KEY" --n "$N" --batch-only $SKIP_CLI; }
QUEUED=""; DRAINED=""; DRAIN_SECONDS=""; LOAD_QUEUED=""
if [ "$QUEUE_FIRST" = 1 ]; then
  queue_control() { npm exec --offline -- node -r @swc-node/register bench/queue-control.ts "$@"; }
  queue_control pause
  screen_batch >"$WORK/batch.json" &
  CLIENT_PID=$!
  queue_control await-queued "$N"
  QUEUED="$(snapshot)"
  LOAD_QUEUED="$(cut -d' ' -f1-3 /proc/loadavg)"
  log "$N jobs queued (load $LOAD_QUEUED); releasing the queue"
  DRAIN_SECONDS="$(queue_control release-and-drain)"
  DRAINED="$(snapshot)"
  wait "$CLIENT_PID"
  BATCH_JSON="$(cat "$WORK/batch.json")"
else
  BATCH_JSON="$(screen_batch)"
fi
AFTER="$(snapshot)"
[ -n "$PROFILE_DIR" ] && echo "end $(monotonic_us)" >>"$PROFILE_DIR/batch-window"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

LATENCY_JSON=null
if [ "$LATENCY" = 1 ]; then
  log "/predict latency at 1, 4 and 16 clients (autocannon)"
  LATENCY_JSON="$(npm exec --offline -- node -r @swc-node/register bench/predict-latency.ts --url "http://127.0.0.1:$PORT" --key "$KEY" --worker-metrics "http://127.0.0.1:$WK_METRICS/metrics")"
fi

"$NODE" -e '
const [before, after, batch, latency, n, loadBefore, loadAfter, processes, redisMode, queued, drained, drainSeconds, loadQueued, s3rverStorage] = process.argv.slice(1);
const parse = (text, field = 1) => Object.fromEntries(text.trim().split("\n").map((line) => { const parts = line.split(" "); return [parts[0], Number(parts[field])]; }));
// CPU ms per recording of each process between two snapshots, the workers together and the rest.
const costs = (from, to, count) => {
  const b = parse(from), a = parse(to);
  const perRecording = Object.fromEntries(Object.keys(a).map((name) => [name, Number(((a[name] - (b[name] ?? 0)) / count).toFixed(2))]));
  const sum = (worker) => Object.entries(perRecording).filter(([k]) => k.startsWith("worker") === worker).reduce((s, [, v]) => s + v, 0);
  return { perRecording, workers: sum(true), rest: sum(false) };
};
const run = JSON.parse(batch);
const recordings = run.gateway.succeeded + run.gateway.failed;
const { perRecording, workers, rest } = costs(before, after, recordings);
// The share of each process CPU spent in the kernel over the batch (system calls, network, page faults).
const kernelShare = (() => {
  const total = [parse(before), parse(after)], kernel = [parse(before, 2), parse(after, 2)];
  return Object.fromEntries(Object.keys(total[1]).map((name) => {
    const spent = total[1][name] - (total[0][name] ?? 0);
    return [name, spent > 0 ? Number(((kernel[1][name] - (kernel[0][name] ?? 0)) / spent).toFixed(2)) : null];
  }));
})();
const drainCosts = queued ? costs(queued, drained, Number(n)) : undefined;
const drain = drainCosts && { seconds: Number(drainSeconds), loadAverageAtStart: loadQueued, cpuMsPerRecording: { ...drainCosts.perRecording, workersTogether: Number(drainCosts.workers.toFixed(2)) } };
console.log(JSON.stringify({
  recordings, inferenceProcesses: Number(processes), redis: redisMode, s3rverStorage, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter,
  gateway: run.gateway, cli: run.cli,
  // With --queue-first the batch time includes the held queue: no throughput figure.
  gatewayVsCli: drain ? undefined : run.gatewayVsCli,
  cpuMsPerRecording: { ...perRecording, workersTogether: Number(workers.toFixed(2)), everythingElse: Number(rest.toFixed(2)), cli: run.cli?.cpuMsPerRecording },
  kernelShareOfCpu: kernelShare,
  workerVsCliCpu: run.cli?.cpuMsPerRecording ? Number((workers / run.cli.cpuMsPerRecording).toFixed(2)) : undefined,
  drain,
  drainedWorkerVsCliCpu: run.cli?.cpuMsPerRecording && drain ? Number((drain.cpuMsPerRecording.workersTogether / run.cli.cpuMsPerRecording).toFixed(2)) : undefined,
  predictLatencyMs: JSON.parse(latency),
}, null, 2));
' "$BEFORE" "$AFTER" "$BATCH_JSON" "$LATENCY_JSON" "$N" "$LOAD_BEFORE" "$LOAD_AFTER" "$PROCESSES" "$REDIS_MODE" "$QUEUED" "$DRAINED" "$DRAIN_SECONDS" "$LOAD_QUEUED" "$([ "${S3RVER_ON_TMPFS:-0}" = 1 ] && echo tmpfs || echo disk)"
