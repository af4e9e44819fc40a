#!/usr/bin/env bash
# npm run deploy:smoke: proves the production artefacts work on this machine, end to end.
#  1. starts a private Docker engine (scripts/deploy/docker-engine.sh) and makes a Node 24 base image
#     from Debian packages and npm (scripts/deploy/base-image.sh): no image registry is needed;
#  2. builds every image (deploy/docker/Dockerfile targets; local stand-ins for PostgreSQL, Redis,
#     S3 and Prometheus from scripts/deploy/local-images);
#  3. brings the compose stack up (docker-compose.yml + scripts/deploy/compose.smoke.yml), waits for
#     every health check, and records each app's time from container start to ready;
#  4. screens the ten samples/ recordings through the containerised gateway and workers and checks
#     each answer equals `heartbeat classify` (scripts/deploy/screen-and-compare.ts);
#  5. renders the Helm chart for one node, runs it with `podman kube play` against the stack's
#     PostgreSQL, Redis and S3, waits for the pods' readiness and screens a recording through the
#     pod's gateway;
#  6. tears everything down and prints one line: the result and the image sizes.
# Needs root (dockerd, podman), Debian's docker.io, docker-compose, podman, debootstrap
# (apt-get install -y docker.io docker-compose containerd runc tini debootstrap podman catatonit), the npm
# registry and the Debian mirror. CPU-heavy: builds run under nice. Not part of CI (see README).
#   HEARTBEAT_SMOKE_DIR  engine data, cache, logs (default /tmp/heartbeat-deploy-smoke; kept between runs)
#   HEARTBEAT_SMOKE_SOURCE=head  build from the last commit instead of the working tree (a snapshot of it)
#   HEARTBEAT_SMOKE_SOURCE=last  build from the previous run's snapshot (the image builds stay cached)
#   HEARTBEAT_SMOKE_KEEP=1       leave the stack and pods running at the end
#   HEARTBEAT_SMOKE_SKIP_PODMAN=1  stop after the compose part
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
export PATH="$ROOT/node_modules/.bin:$PATH"

dir="${HEARTBEAT_SMOKE_DIR:-/tmp/heartbeat-deploy-smoke}"
mkdir -p "$dir/logs"
FREE_PORTS_FILE="$dir/ports" # the ports this run handed out (free_port)
rm -f "$FREE_PORTS_FILE"
log() { printf '\n==> [%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
fail() {
  echo "deploy:smoke FAILED: $*" >&2
  echo "DEPLOY SMOKE: FAIL ($*)"
  exit 1
}
[ "$(id -u)" -eq 0 ] || fail "run as root (dockerd and podman need it)"
for tool in dockerd docker-compose debootstrap; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install -y docker.io docker-compose containerd runc tini debootstrap podman"
done
docker=/usr/bin/docker # Debian's 20.10 CLI (the newer /usr/local/bin/docker lacks buildx)
started_at=$(date +%s)

# shellcheck source=scripts/deploy/docker-engine.sh
source scripts/deploy/docker-engine.sh
project=heartbeat-smoke
compose=(docker-compose -p "$project" -f docker-compose.yml -f scripts/deploy/compose.smoke.yml)
podman_conf="$dir/containers.conf"
podman_started=false
cleanup() {
  local status=$?
  if [ "${HEARTBEAT_SMOKE_KEEP:-}" != 1 ]; then
    if $podman_started; then
      CONTAINERS_CONF="$podman_conf" podman kube down "$dir/chart.podman.yaml" >/dev/null 2>&1 || true
    fi
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    docker_engine_stop "$dir/engine"
  fi
  exit "$status"
}
trap cleanup EXIT

# shellcheck source=scripts/free-port.sh
source scripts/free-port.sh
wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2
  shift 2
  local deadline=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 1
  done
}

log "Private Docker engine in $dir/engine"
docker_engine_start "$dir/engine" || fail "dockerd did not start"

log "Base image (Debian bookworm + Node 24 from npm)"
nice -n 10 bash scripts/deploy/base-image.sh local/heartbeat-base:node24 >"$dir/logs/base-image.log" 2>&1 ||
  { tail -n 20 "$dir/logs/base-image.log"; fail "base image"; }

# Every image is built from one snapshot of the sources, so a file edited meanwhile cannot make the
# images disagree (or send each build back to `npm ci`).
context="$dir/source"
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "${HEARTBEAT_SMOKE_SOURCE:-}" = last ] && [ -d "$context" ]; then
  revision="$revision-snapshot"
elif [ "${HEARTBEAT_SMOKE_SOURCE:-}" = head ]; then
  rm -rf "$context" && mkdir -p "$context"
  git archive HEAD | tar -x -C "$context"
else
  rm -rf "$context" && mkdir -p "$context"
  git diff --quiet HEAD 2>/dev/null || revision="$revision-dirty"
  git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -c 2>/dev/null | tar -x -C "$context"
fi
version="$(node -p "require('./package.json').version")"

export DOCKER_BUILDKIT=1
build_args=(--build-arg BASE_IMAGE=local/heartbeat-base:node24 --build-arg "VERSION=$version" --build-arg "REVISION=$revision")
[ -s /etc/ssl/certs/ca-certificates.crt ] && build_args+=(--secret id=ca,src=/etc/ssl/certs/ca-certificates.crt)
apps=(gateway inference-worker training-worker console migrations)
for target in "${apps[@]}"; do
  log "Building heartbeat/$target:smoke"
  build_started=$(date +%s)
  nice -n 10 "$docker" build -f "$context/deploy/docker/Dockerfile" --target "$target" "${build_args[@]}" \
    -t "heartbeat/$target:smoke" "$context" >"$dir/logs/build-$target.log" 2>&1 ||
    { tail -n 30 "$dir/logs/build-$target.log"; fail "docker build --target $target"; }
  echo "built in $(($(date +%s) - build_started)) s"
done
for target in postgres redis minio prometheus; do
  log "Building the local stand-in local/heartbeat-$target:smoke"
  nice -n 10 "$docker" build -f scripts/deploy/local-images/Dockerfile --target "$target" "${build_args[@]}" \
    -t "local/heartbeat-$target:smoke" scripts/deploy/local-images >"$dir/logs/build-local-$target.log" 2>&1 ||
    { tail -n 30 "$dir/logs/build-local-$target.log"; fail "docker build local stand-in $target"; }
done

# Free loopback ports: the standard ones may belong to the machine or the quickstart.
export HEARTBEAT_IMAGE_PREFIX=heartbeat HEARTBEAT_VERSION=smoke BASE_IMAGE=local/heartbeat-base:node24
export S3_ACCESS_KEY_ID=S3RVER S3_SECRET_ACCESS_KEY=S3RVER # the stand-in s3rver's only key pair
export HEARTBEAT_BOOTSTRAP_API_KEY="hb_smoke_$(node -e 'console.log(require("crypto").randomBytes(18).toString("hex"))')"
HEARTBEAT_GATEWAY_PORT=$(free_port) HEARTBEAT_CONSOLE_PORT=$(free_port) HEARTBEAT_S3_PORT=$(free_port)
HEARTBEAT_S3_CONSOLE_PORT=$(free_port) HEARTBEAT_PROMETHEUS_PORT=$(free_port) HEARTBEAT_GRAFANA_PORT=$(free_port)
SMOKE_POSTGRES_PORT=$(free_port) SMOKE_REDIS_PORT=$(free_port)
export HEARTBEAT_GATEWAY_PORT HEARTBEAT_CONSOLE_PORT HEARTBEAT_S3_PORT HEARTBEAT_S3_CONSOLE_PORT \
  HEARTBEAT_PROMETHEUS_PORT HEARTBEAT_GRAFANA_PORT SMOKE_POSTGRES_PORT SMOKE_REDIS_PORT

log "docker-compose up (everything but Grafana, whose image cannot be made here)"
"${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
up_started=$(date +%s)
"${compose[@]}" up -d --no-build gateway inference-worker training-worker console prometheus >"$dir/logs/compose-up.log" 2>&1 ||
  { tail -n 30 "$dir/logs/compose-up.log"; "${compose[@]}" logs --tail 30 >&2 || true; fail "docker-compose up"; }

container_of() { "${compose[@]}" ps -q "$1"; }
healthy() { [ "$("$docker" inspect -f '{{.State.Health.Status}}' "$(container_of "$1")")" = healthy ]; }
for service in gateway inference-worker training-worker console; do
  wait_for 300 "$service healthy" healthy "$service" ||
    { "${compose[@]}" logs --tail 40 "$service" >&2; fail "$service not healthy within 5 min"; }
done
gateway="http://127.0.0.1:$HEARTBEAT_GATEWAY_PORT"
wait_for 120 "a ready worker" sh -c "curl -fsS '$gateway/health' | grep -q '\"status\":\"ok\"'" ||
  { curl -sS "$gateway/health" >&2 || true; fail "the gateway's /health never said ok (no ready inference worker?)"; }
stack_ready=$(($(date +%s) - up_started))

# Start to ready: from the container's start to its first passing health check.
readiness=""
for service in migrate gateway inference-worker training-worker console; do
  id="$(container_of "$service")"
  if [ "$service" = migrate ]; then
    seconds=$(node -e 'const [s,f]=process.argv.slice(1).map(Date.parse);console.log(((f-s)/1000).toFixed(1))' \
      "$("$docker" inspect -f '{{.State.StartedAt}}' "$id")" "$("$docker" inspect -f '{{.State.FinishedAt}}' "$id")")
    readiness+="migrations ran ${seconds}s; "
    continue
  fi
  seconds=$("$docker" inspect -f '{{json .}}' "$id" | node -e '
    const c = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const ok = (c.State.Health.Log || []).find((entry) => entry.ExitCode === 0);
    console.log(((Date.parse(ok.End) - Date.parse(c.State.StartedAt)) / 1000).toFixed(1));')
  readiness+="$service ${seconds}s; "
done
echo "ready: $readiness(stack up and ready in ${stack_ready}s; health checks every 10 s, so each figure is an upper bound)"

log "Screening samples/ through the containerised gateway, compared with heartbeat classify"
node -r @swc-node/register scripts/deploy/screen-and-compare.ts --gateway "$gateway" --key "$HEARTBEAT_BOOTSTRAP_API_KEY" samples \
  | tee "$dir/logs/compose-screening.jsonl" || fail "the containerised stack's answers differ from the CLI's (see $dir/logs/compose-screening.jsonl)"
compose_result="$(tail -n 1 "$dir/logs/compose-screening.jsonl")"

log "Prometheus scrapes every service and loaded the alert rules"
prometheus="http://127.0.0.1:$HEARTBEAT_PROMETHEUS_PORT"
wait_for 60 "3 targets up" sh -c "curl -fsS '$prometheus/api/v1/query?query=sum(up)' | grep -q '\"3\"\\]'" ||
  { curl -sS "$prometheus/api/v1/targets" >&2 || true; fail "Prometheus does not see all three services up"; }
rules=$(curl -fsS "$prometheus/api/v1/rules" | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));console.log(r.data.groups.reduce((n,g)=>n+g.rules.length,0))')
[ "$rules" -gt 0 ] || fail "Prometheus loaded no alert rules from deploy/prometheus"
echo "Prometheus: 3 targets up, $rules rules loaded"

sizes=""
for target in "${apps[@]}"; do
  bytes=$("$docker" image inspect -f '{{.Size}}' "heartbeat/$target:smoke")
  sizes+="$target $((bytes / 1000000)) MB, "
done
sizes="${sizes%, }"

podman_result="skipped"
if [ "${HEARTBEAT_SMOKE_SKIP_PODMAN:-}" != 1 ]; then
  command -v podman >/dev/null && command -v catatonit >/dev/null || fail "podman is missing: apt-get install -y podman catatonit"
  log "Helm chart on one node: podman kube play"
  # This machine: root lacks CAP_SYS_RESOURCE and has a hybrid cgroup mount (../shared/TOOLING.md).
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\n' >"$podman_conf"
  export CONTAINERS_CONF="$podman_conf"
  for target in gateway inference-worker training-worker console; do
    "$docker" save "heartbeat/$target:smoke" | podman load -q >/dev/null || fail "podman load heartbeat/$target"
  done
  pod_gateway_port=$(free_port) pod_gateway_metrics=$(free_port) pod_worker_metrics=$(free_port)
  pod_training_metrics=$(free_port) pod_console_port=$(free_port)
  node -r @swc-node/register scripts/deploy/render-for-podman.ts \
    --set image.registry=localhost --set image.tag=smoke --set image.pullPolicy=Never \
    --set "database.url=postgres://postgres:postgres@127.0.0.1:$SMOKE_POSTGRES_PORT/heartbeat" \
    --set "redis.url=redis://127.0.0.1:$SMOKE_REDIS_PORT" \
    --set "s3.endpoint=http://127.0.0.1:$HEARTBEAT_S3_PORT" --set s3.accessKeyId=S3RVER --set s3.secretAccessKey=S3RVER \
    --set "bootstrapApiKey.value=$HEARTBEAT_BOOTSTRAP_API_KEY" \
    --set "gateway.port=$pod_gateway_port" --set "gateway.metricsPort=$pod_gateway_metrics" \
    --set "inferenceWorker.metricsPort=$pod_worker_metrics" --set "trainingWorker.metricsPort=$pod_training_metrics" \
    --set "console.port=$pod_console_port" \
    >"$dir/chart.podman.yaml" || fail "rendering the chart for podman"
  podman_started=true
  pods_started=$(date +%s)
  podman kube play "$dir/chart.podman.yaml" >"$dir/logs/podman-play.log" 2>&1 ||
    { cat "$dir/logs/podman-play.log"; fail "podman kube play"; }
  pod_gateway="http://127.0.0.1:$pod_gateway_port"
  wait_for 300 "pod gateway ready" curl -fsS "$pod_gateway/health/ready" ||
    { podman pod ps; podman logs --tail 30 "$(podman ps -a --format '{{.Names}}' | grep gateway | head -n 1)" >&2 || true; fail "the pod's gateway never became ready"; }
  wait_for 300 "pod worker ready" curl -fsS "http://127.0.0.1:$pod_worker_metrics/health/ready" ||
    { podman logs --tail 30 "$(podman ps -a --format '{{.Names}}' | grep inference | head -n 1)" >&2 || true; fail "the pod's inference worker never became ready"; }
  wait_for 120 "pod console ready" curl -fsS "http://127.0.0.1:$pod_console_port/api/health" || fail "the pod's console never answered"
  wait_for 120 "pod training worker ready" curl -fsS "http://127.0.0.1:$pod_training_metrics/health/ready" || fail "the pod's training worker never became ready"
  pods_ready=$(($(date +%s) - pods_started))
  # Stop the compose stack's worker so the pod's worker is the one that answers.
  "${compose[@]}" stop inference-worker >/dev/null 2>&1
  node -r @swc-node/register scripts/deploy/screen-and-compare.ts --gateway "$pod_gateway" --key "$HEARTBEAT_BOOTSTRAP_API_KEY" \
    --limit 1 samples | tee "$dir/logs/podman-screening.jsonl" || fail "the pod's answer differs from the CLI's"
  podman_result="pods ready in ${pods_ready}s, 1 recording same as the CLI"
fi

elapsed=$(($(date +%s) - started_at))
echo "DEPLOY SMOKE: PASS in ${elapsed}s; compose: $(node -e 'const r=JSON.parse(process.argv[1]);console.log(`${r.same}/${r.recordings} recordings same as the CLI`)' "$compose_result"), stack ready in ${stack_ready}s ($readiness); chart via podman: $podman_result; image sizes: $sizes"
