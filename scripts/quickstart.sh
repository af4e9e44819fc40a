#!/usr/bin/env bash
# `npm run quickstart`: HeartBeat running locally in one command. Installs the dependencies on a fresh
# clone, brings up PostgreSQL/Redis/S3 (scripts/local-stack.sh) and applies migrations, starts the
# gateway, one inference worker per core and the training worker in the background (logs in
# .local-stack/logs), a Prometheus scraping them (127.0.0.1:9090) and the web console (port 3000),
# gets an admin API key, screens the sample recordings through the batch API and keeps everything
# running until Ctrl-C, which stops what this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
LOGS="$ROOT/.local-stack/logs"
PORT="${PORT:-8000}"
BASE="http://127.0.0.1:$PORT"
CONSOLE_PORT="${CONSOLE_PORT:-3000}"
PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"

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
listening "$CONSOLE_PORT" && fail "port $CONSOLE_PORT is already in use (another console?). Stop it or set CONSOLE_PORT=<free port>."
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

# Any other long-running process (the console, Prometheus), in its own session like the apps.
start_process() {
  local name=$1 dir=$2
  shift 2
  if command -v setsid >/dev/null; then
    (cd "$dir" && exec setsid "$@") >"$LOGS/$name.log" 2>&1 &
  else
    (cd "$dir" && exec "$@") >"$LOGS/$name.log" 2>&1 &
  fi
  PIDS+=("$!")
  NAMES+=("$name")
  echo "    $name: pid $! (log .local-stack/logs/$name.log)"
}

# Prometheus (Debian package `prometheus`) scraping every service's metrics port, with the alert
# rules from deploy/prometheus/ when there are any; the console's /metrics page reads it.
PROMETHEUS_URL=""
if ! command -v prometheus >/dev/null; then
  echo "    prometheus is not installed (apt-get install prometheus): the console's /metrics page will say how to connect one"
elif listening "$PROMETHEUS_PORT"; then
  echo "    port $PROMETHEUS_PORT is in use: not starting Prometheus (set PROMETHEUS_PORT=<free port> for one of ours)"
else
  mkdir -p "$ROOT/.local-stack/prometheus"
  {
    echo "# Written by scripts/quickstart.sh: the local services' metrics ports."
    echo "global: {scrape_interval: 5s, evaluation_interval: 15s}"
    rules=$(ls "$ROOT"/deploy/prometheus/*rules*.yml 2>/dev/null || true)
    if [ -n "$rules" ]; then
      echo "rule_files:"
      for rule in $rules; do echo "  - $rule"; done
    fi
    echo "scrape_configs:"
    echo "  - {job_name: heartbeat-gateway, static_configs: [{targets: ['127.0.0.1:${GATEWAY_METRICS_PORT:-9100}']}]}"
    echo "  - {job_name: heartbeat-inference-worker, static_configs: [{targets: ['127.0.0.1:${INFERENCE_WORKER_METRICS_PORT:-9101}']}]}"
    echo "  - {job_name: heartbeat-training-worker, static_configs: [{targets: ['127.0.0.1:${TRAINING_WORKER_METRICS_PORT:-9102}']}]}"
  } >"$ROOT/.local-stack/prometheus/prometheus.yml"
  start_process prometheus "$ROOT" prometheus --config.file="$ROOT/.local-stack/prometheus/prometheus.yml" \
    --storage.tsdb.path="$ROOT/.local-stack/prometheus/data" --web.listen-address="127.0.0.1:$PROMETHEUS_PORT"
  PROMETHEUS_URL="http://127.0.0.1:$PROMETHEUS_PORT"
fi

# The web console: built once (again when its sources changed), then `next start`.
CONSOLE_DIR="$ROOT/apps/console"
if [ ! -f "$CONSOLE_DIR/.next/BUILD_ID" ] || [ -n "$(find "$CONSOLE_DIR" "$ROOT/libs/api-client" -path '*/.next' -prune -o -newer "$CONSOLE_DIR/.next/BUILD_ID" -type f -print -quit)" ]; then
  say "Building the console (next build, about a minute)"
  (cd "$CONSOLE_DIR" && NEXT_TELEMETRY_DISABLED=1 "$NODE" "$ROOT/node_modules/next/dist/bin/next" build >"$LOGS/console-build.log" 2>&1) ||
    { tail -n 30 "$LOGS/console-build.log" >&2; fail "the console did not build; its log is above (.local-stack/logs/console-build.log)"; }
fi
HEARTBEAT_GATEWAY_URL="$BASE" GATEWAY_METRICS_URL="http://127.0.0.1:${GATEWAY_METRICS_PORT:-9100}/metrics" PROMETHEUS_URL="$PROMETHEUS_URL" NEXT_TELEMETRY_DISABLED=1 \
  start_process console "$CONSOLE_DIR" "$NODE" "$ROOT/node_modules/next/dist/bin/next" start -p "$CONSOLE_PORT" -H 127.0.0.1

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
  Console       http://127.0.0.1:$CONSOLE_PORT     (sign in with the admin key below)
  Prometheus    ${PROMETHEUS_URL:-not started}
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
