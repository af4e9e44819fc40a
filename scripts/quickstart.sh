#!/usr/bin/env bash
# `npm run quickstart`: HeartBeat running locally in one command. Installs the dependencies on a fresh
# clone, brings up PostgreSQL/Redis/S3 (scripts/local-stack.sh) and applies migrations, starts the
# gateway, one inference worker per core and the training worker in the background (logs in
# .local-stack/logs), gets an admin API key, screens the sample recordings through the batch API and
# keeps everything running until Ctrl-C, which stops what this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
LOGS="$ROOT/.local-stack/logs"
PORT="${PORT:-8000}"
BASE="http://127.0.0.1:$PORT"

say() { printf '\n==> %s\n' "$*"; }
fail() {
  printf 'quickstart: %s\n' "$*" >&2
  exit 1
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ ! -d node_modules ]; then
  say "node_modules is missing: installing the locked dependencies"
  bash scripts/install-deps.sh
fi
NODE="$(npm exec --offline -- node -p 'process.execPath' 2>/dev/null)" || fail "cannot find Node 24; run npm ci"

say "Local stack: PostgreSQL, Redis, S3 (and database migrations)"
STACK_STARTED=0
bash scripts/local-stack.sh up
STACK_STARTED=1

listening "$PORT" && fail "port $PORT is already in use (another gateway?). Stop it or set PORT=<free port>."
mkdir -p "$LOGS"
PIDS=()
NAMES=()

STOPPING=0
stop_all() {
  STOPPING=1
  trap - INT TERM EXIT
  say "Stopping what the quickstart started"
  local i
  for i in "${!PIDS[@]}"; do
    if kill -0 "${PIDS[$i]}" 2>/dev/null; then
      kill -TERM "${PIDS[$i]}" 2>/dev/null || true
      echo "    stopping ${NAMES[$i]} (pid ${PIDS[$i]})"
    fi
  done
  for _ in $(seq 1 40); do
    local alive=0
    for pid in "${PIDS[@]}"; do
      if kill -0 "$pid" 2>/dev/null; then alive=1; fi
    done
    if [ "$alive" -eq 0 ]; then break; fi
    sleep 0.25
  done
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  if [ "$STACK_STARTED" -eq 1 ]; then bash scripts/local-stack.sh down || true; fi
}
trap 'stop_all; exit 130' INT TERM
trap 'stop_all' EXIT

start_app() {
  local name=$1 entry=$2
  # In a session of its own, so Ctrl-C reaches only this script, which then sends each app one
  # SIGTERM: an app that got the terminal's SIGINT and then our SIGTERM took the second signal as
  # "exit now" and dropped its in-flight jobs.
  # (setsid is util-linux; where it is missing, e.g. macOS, the apps share the terminal's signals.)
  if command -v setsid >/dev/null; then
    setsid "$NODE" -r @swc-node/register "$entry" >"$LOGS/$name.log" 2>&1 &
  else
    "$NODE" -r @swc-node/register "$entry" >"$LOGS/$name.log" 2>&1 &
  fi
  PIDS+=("$!")
  NAMES+=("$name")
  echo "    $name: pid $! (log .local-stack/logs/$name.log)"
}

say "Starting the services"
start_app gateway apps/gateway/src/main.ts
# The inference worker runs one model process per core by itself (INFERENCE_PROCESSES overrides),
# behind one metrics port (9101).
INFERENCE_WORKER_ID="${INFERENCE_WORKER_ID:-quickstart}" start_app inference-worker apps/inference-worker/src/main.ts
[ -f apps/training-worker/src/main.ts ] && start_app training-worker apps/training-worker/src/main.ts

check_alive() {
  local i
  [ "$STOPPING" -eq 1 ] && return 0
  for i in "${!PIDS[@]}"; do
    kill -0 "${PIDS[$i]}" 2>/dev/null || {
      tail -n 30 "$LOGS/${NAMES[$i]}.log" >&2 || true
      fail "${NAMES[$i]} exited; its log is above (.local-stack/logs/${NAMES[$i]}.log)"
    }
  done
}

say "Waiting for the gateway to be ready ($BASE/health/ready)"
for i in $(seq 1 240); do
  check_alive
  curl -fsS "$BASE/health/ready" >/dev/null 2>&1 && break
  [ "$i" -eq 240 ] && fail "the gateway was not ready within 120 s; see .local-stack/logs/gateway.log"
  sleep 0.5
done

if [ -n "${HEARTBEAT_BOOTSTRAP_API_KEY:-}" ]; then
  API_KEY="$HEARTBEAT_BOOTSTRAP_API_KEY"
  say "Using the admin key from HEARTBEAT_BOOTSTRAP_API_KEY (the gateway created it if it was missing)"
else
  say "Creating an admin API key (npm run api-key -- create --role admin --name quickstart)"
  API_KEY="$("$NODE" -r @swc-node/register apps/gateway/src/cli/api-key.cli.ts create --role admin --name "quickstart $(date -u +%Y-%m-%dT%H:%M:%SZ)" --json |
    "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).secret))')"
fi

say "Waiting for an inference worker to load the model (the first start registers the shipped model)"
WORKER_READY_URL="http://127.0.0.1:${INFERENCE_WORKER_METRICS_PORT:-9101}/health/ready"
# The worker's readiness probe says why it cannot start (e.g. a registered model whose files are gone
# from the bucket); after a minute of that, or 180 s in all, the quickstart gives up with its words.
for i in $(seq 1 360); do
  check_alive
  curl -fsS "$BASE/health" 2>/dev/null | grep -q '"modelLoaded":true' && break
  reason="$(curl -sS "$WORKER_READY_URL" 2>/dev/null | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{process.stdout.write(JSON.parse(s).checks?.startFailure??"")}catch{}})' || true)"
  [ -n "$reason" ] && [ "$i" -ge 120 ] && fail "the inference worker cannot load the model: $reason"
  [ "$i" -eq 360 ] && fail "no inference worker became ready within 180 s${reason:+ ($reason)}; see .local-stack/logs/inference-worker.log"
  sleep 0.5
done

say "Screening the sample recordings in samples/ through POST /api/v1/batches"
"$NODE" -r @swc-node/register scripts/quickstart-screen.ts "$BASE" "$API_KEY" "$ROOT/samples"

cat <<EOM

HeartBeat is running.
  API           $BASE            (health: $BASE/health)
  API docs      $BASE/docs       (OpenAPI: $BASE/docs/openapi.json)
  Admin key     $API_KEY
  Logs          .local-stack/logs/

  curl -H "Authorization: Bearer $API_KEY" -F file=@samples/training-a/a0114.flac $BASE/predict

Press Ctrl-C to stop everything the quickstart started.
EOM
while true; do
  check_alive
  # Waiting on a background sleep lets the Ctrl-C trap run at once.
  sleep 2 &
  wait $! || true
done
