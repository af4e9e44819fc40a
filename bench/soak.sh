#!/usr/bin/env bash
# npm run bench:soak [-- --minutes 10] [--processes 2] [--batch 20] [--in-flight 2] [--predict-clients 1] [--warmup-minutes 1] [--sources] [--keep]
# Starts a private stack on free ports (bench/private-stack.sh: its own PostgreSQL cluster, Redis with
# append-only persistence as the chart and compose ship it, s3rver, a gateway and an inference worker
# with P model processes; nothing on the standard ports, nothing shared), the apps compiled as the
# images run them (--sources: from sources through SWC, whose transpiled code inflates memory), then
# bench/soak.ts runs N minutes of steady screening plus a /predict stream against it and writes
# tmp/reliability/soak.json, which `npm run reliability:report` puts in docs/reliability.md. Stops
# all it started.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=10
PROCESSES=2
KEEP=0
PASS=()
export PRIVATE_STACK_BUILD=compiled
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="$2"; shift 2 ;;
    --processes) PROCESSES="$2"; shift 2 ;;
    --batch|--in-flight|--predict-clients|--warmup-minutes|--out) PASS+=("$1" "$2"); shift 2 ;;
    --sources) PRIVATE_STACK_BUILD=sources; shift ;;
    --keep) KEEP=1; shift ;;
    *) echo "usage: npm run bench:soak -- [--minutes N] [--processes P] [--batch B] [--in-flight K] [--predict-clients C] [--warmup-minutes W] [--out FILE] [--sources] [--keep]" >&2; exit 2 ;;
  esac
done
# shellcheck source=bench/private-stack.sh
source bench/private-stack.sh
private_stack_init soak "hb_soak_0123456789abcdef0123456789abcdef"
log "private stack in $WORK: PostgreSQL :$PG_PORT, Redis :$REDIS_PORT, s3rver :$S3_PORT, gateway :$PORT"
private_stack_start_postgres
private_stack_start_redis single --appendonly
private_stack_start_s3rver
export LOG_LEVEL=info PREDICT_TIMEOUT_MS=60000
# SOAK_GATEWAY_NODE_FLAGS, e.g. --heapsnapshot-signal=SIGUSR2 with --keep, to look inside a growing gateway.
read -ra GATEWAY_NODE_FLAGS <<<"${SOAK_GATEWAY_NODE_FLAGS:-}"
private_stack_start_services "$PROCESSES" soak
log "stack ready (load $(cut -d' ' -f1-3 /proc/loadavg)); soak of $MINUTES min"
nice -n 5 "$NODE" -r @swc-node/register bench/soak.ts --url "http://127.0.0.1:$PORT" --key "$KEY" --minutes "$MINUTES" \
  --gateway-metrics "http://127.0.0.1:$GW_METRICS/metrics" \
  --pids "gateway=$GATEWAY_PID,inference-worker=$WORKER_PID,s3rver=$S3_PID,redis=${REDIS_PIDS% },postgres=$PG_PID" "${PASS[@]}"
grep -c '"level":"error"' "$WORK/gateway.log" "$WORK/worker.log" | sed 's/^/error lines: /' >&2 || true
