#!/usr/bin/env bash
# npm run bench:soak [-- --minutes 10] [--processes 2] [--batch 20] [--in-flight 2] [--predict-clients 1] [--warmup-minutes 1] [--keep]
# Starts a private stack on free ports (its own PostgreSQL cluster, Redis with append-only persistence
# as the chart and compose ship it, s3rver, a gateway and an inference worker with P model processes;
# nothing on the standard ports, nothing shared), then bench/soak.ts runs N minutes of steady screening
# plus a /predict stream against it and writes tmp/reliability/soak.json, which
# `npm run reliability:report` puts in docs/reliability.md. Stops all it started.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=10
PROCESSES=2
KEEP=0
PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --processes) PROCESSES="$2"; shift 2 ;;
    --batch|--in-flight|--predict-clients|--warmup-minutes|--out) PASS+=("$1" "$2"); shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: npm run bench:soak -- [--minutes N] [--processes P] [--batch B] [--in-flight K] [--predict-clients C] [--warmup-minutes W] [--out FILE] [--keep]" >&2; exit 2 ;;
  esac
done
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
NODE="$(npm exec --offline -- node -p 'process.execPath')"
WORK="$(mktemp -d /tmp/heartbeat-soak.XXXXXX)"
chmod 755 "$WORK"
KEY="hb_soak_0123456789abcdef0123456789abcdef"
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
  [ -f "$WORK/redis.pid" ] && kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true
  su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "private stack in $WORK: PostgreSQL :$PG_PORT, Redis :$REDIS_PORT, s3rver :$S3_PORT, gateway :$PORT"
mkdir "$WORK/pg" "$WORK/s3" "$WORK/redis" && chown postgres "$WORK/pg"
su postgres -s /bin/sh -c "$PG_BIN/initdb -D $WORK/pg -U postgres -A trust" >/dev/null
su postgres -s /bin/sh -c "$PG_BIN/pg_ctl -D $WORK/pg -o '-p $PG_PORT -k $WORK/pg -c listen_addresses=127.0.0.1' -l $WORK/pg/server.log -w start" >/dev/null
PG_PID="$(head -n 1 "$WORK/pg/postmaster.pid")"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$WORK/redis" --save "" --appendonly yes --appendfsync everysec \
  --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log"
"$NODE" --openssl-legacy-provider node_modules/s3rver/bin/s3rver.js --directory "$WORK/s3" --address 127.0.0.1 --port "$S3_PORT" --configure-bucket heartbeat >"$WORK/s3rver.log" 2>&1 &
S3_PID=$!
wait_port "$REDIS_PORT" Redis; wait_port "$S3_PORT" s3rver
REDIS_PID="$(cat "$WORK/redis.pid")"

export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/heartbeat" REDIS_URL="redis://127.0.0.1:$REDIS_PORT" S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
export PORT HEARTBEAT_BOOTSTRAP_API_KEY="$KEY" RATE_LIMIT_PER_MINUTE=1000000 LOG_LEVEL=info PREDICT_TIMEOUT_MS=60000
npm run --silent db:migrate >/dev/null
# SOAK_GATEWAY_NODE_FLAGS, e.g. --heapsnapshot-signal=SIGUSR2 with --keep, to look inside a growing gateway.
# shellcheck disable=SC2086
GATEWAY_METRICS_PORT=$GW_METRICS "$NODE" ${SOAK_GATEWAY_NODE_FLAGS:-} -r @swc-node/register apps/gateway/src/main.ts >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
INFERENCE_PROCESSES=$PROCESSES INFERENCE_WORKER_ID=soak INFERENCE_WORKER_METRICS_PORT=$WK_METRICS \
  "$NODE" -r @swc-node/register apps/inference-worker/src/main.ts >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
for i in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$PORT/health" 2>/dev/null | grep -q '"modelLoaded":true' && break
  [ "$i" = 240 ] && { log "no ready worker after 240 s; logs in $WORK"; KEEP=1; exit 1; }
  sleep 1
done
log "stack ready (load $(cut -d' ' -f1-3 /proc/loadavg)); soak of $MINUTES min"
nice -n 5 "$NODE" -r @swc-node/register bench/soak.ts --url "http://127.0.0.1:$PORT" --key "$KEY" --minutes "$MINUTES" \
  --gateway-metrics "http://127.0.0.1:$GW_METRICS/metrics" \
  --pids "gateway=$GATEWAY_PID,inference-worker=$WORKER_PID,s3rver=$S3_PID,redis=$REDIS_PID,postgres=$PG_PID" "${PASS[@]}"
grep -c '"level":"error"' "$WORK/gateway.log" "$WORK/worker.log" | sed 's/^/error lines: /' >&2 || true
