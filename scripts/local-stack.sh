#!/usr/bin/env bash
# Brings up what the HeartBeat apps need on one machine: PostgreSQL, Redis and an S3 server.
# Services already listening on their standard ports are reused; missing ones are started (Postgres
# and Redis from the Debian/Ubuntu packages, s3rver from node_modules). Then the database is created
# and migrated. `down` stops only what `up` started; `status` shows what runs.
#
#   scripts/local-stack.sh up|down|status        (npm run stack:up / npm run stack:down)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
STATE="$ROOT/.local-stack"
PG_PORT=5432
REDIS_PORT=6379
S3_PORT=4569
S3_BUCKET="${S3_BUCKET:-heartbeat}"

say() { printf '==> %s\n' "$*"; }
fail() {
  printf 'local-stack: %s\n' "$*" >&2
  exit 1
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for_port() {
  local port=$1 name=$2
  for _ in $(seq 1 60); do
    listening "$port" && return 0
    sleep 0.5
  done
  fail "$name did not start listening on port $port within 30 s"
}
# Sends SIGTERM and waits for the process to exit, so that an `up` right after `down` does not find
# the dying server still listening and "reuse" it.
stop_process() {
  local pid=$1 name=$2
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  fail "$name (pid $pid) did not exit within 10 s of SIGTERM"
}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

node_bin() {
  # Node 24 from the `node` devDependency, whichever node happens to be first on PATH.
  local bin
  bin="$(npm exec --offline -- node -p 'process.execPath' 2>/dev/null)" || fail "cannot find Node; run npm ci first"
  echo "$bin"
}

start_postgres() {
  if listening "$PG_PORT"; then
    say "PostgreSQL: reusing the server already listening on 127.0.0.1:$PG_PORT"
    return
  fi
  command -v pg_ctlcluster >/dev/null || fail "PostgreSQL is not running and pg_ctlcluster is missing: install it (apt-get install postgresql) or start your own server on port $PG_PORT"
  local version
  version="$(ls /etc/postgresql | sort -V | tail -n 1)"
  [ -n "$version" ] || fail "no PostgreSQL cluster under /etc/postgresql"
  say "PostgreSQL: starting cluster $version/main (pg_ctlcluster)"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  echo "$version" >"$STATE/postgres.started"
  wait_for_port "$PG_PORT" PostgreSQL
}

start_redis() {
  if listening "$REDIS_PORT"; then
    say "Redis: reusing the server already listening on 127.0.0.1:$REDIS_PORT"
    return
  fi
  command -v redis-server >/dev/null || fail "Redis is not running and redis-server is missing: install it (apt-get install redis-server)"
  say "Redis: starting redis-server on 127.0.0.1:$REDIS_PORT (no persistence)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --pidfile "$STATE/redis.pid" --logfile "$STATE/redis.log"
  touch "$STATE/redis.started"
  wait_for_port "$REDIS_PORT" Redis
}

start_s3rver() {
  if listening "$S3_PORT"; then
    say "S3: reusing the server already listening on 127.0.0.1:$S3_PORT"
    return
  fi
  [ -f node_modules/s3rver/bin/s3rver.js ] || fail "node_modules/s3rver is missing; run npm ci first"
  mkdir -p "$STATE/s3"
  say "S3: starting s3rver on 127.0.0.1:$S3_PORT with bucket '$S3_BUCKET' (data in .local-stack/s3)"
  # --openssl-legacy-provider: s3rver's ListObjectsV2 continuation tokens use a legacy cipher.
  nohup "$(node_bin)" --openssl-legacy-provider node_modules/s3rver/bin/s3rver.js \
    --directory "$STATE/s3" --address 127.0.0.1 --port "$S3_PORT" --configure-bucket "$S3_BUCKET" \
    >"$STATE/s3rver.log" 2>&1 &
  echo $! >"$STATE/s3rver.pid"
  wait_for_port "$S3_PORT" s3rver
}

up() {
  mkdir -p "$STATE"
  if [ ! -d node_modules ]; then
    say "node_modules is missing: installing the locked dependencies"
    bash scripts/install-deps.sh
  fi
  start_postgres
  start_redis
  start_s3rver
  say "Database: creating it if missing and applying migrations"
  npm run --silent db:migrate
  cat <<EOF

Local stack is up:
  PostgreSQL  postgres://postgres@127.0.0.1:$PG_PORT/heartbeat
  Redis       redis://127.0.0.1:$REDIS_PORT
  S3          http://127.0.0.1:$S3_PORT  bucket '$S3_BUCKET'  (keys S3RVER / S3RVER)
These are the configuration defaults, so the apps need no environment variables.
State and logs: .local-stack/
Stop it with:   npm run stack:down   (stops only what this script started)
EOF
}

down() {
  local stopped=0
  if [ -f "$STATE/s3rver.pid" ]; then
    local pid
    pid="$(cat "$STATE/s3rver.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      stop_process "$pid" s3rver
      say "S3: stopped s3rver (pid $pid); its data stays in .local-stack/s3"
      stopped=1
    fi
    rm -f "$STATE/s3rver.pid"
  fi
  if [ -f "$STATE/redis.started" ]; then
    if [ -f "$STATE/redis.pid" ] && kill -0 "$(cat "$STATE/redis.pid")" 2>/dev/null; then
      stop_process "$(cat "$STATE/redis.pid")" redis-server
      say "Redis: stopped the redis-server this script started"
      stopped=1
    fi
    rm -f "$STATE/redis.started" "$STATE/redis.pid"
  fi
  if [ -f "$STATE/postgres.started" ]; then
    local version
    version="$(cat "$STATE/postgres.started")"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main stop && say "PostgreSQL: stopped cluster $version/main"
    rm -f "$STATE/postgres.started"
    stopped=1
  fi
  [ "$stopped" -eq 1 ] || say "Nothing to stop: every service was already running before 'up' (left untouched)"
}

status() {
  local name port marker
  for entry in "PostgreSQL:$PG_PORT:postgres.started" "Redis:$REDIS_PORT:redis.started" "S3:$S3_PORT:s3rver.pid"; do
    IFS=: read -r name port marker <<<"$entry"
    if listening "$port"; then
      if [ -f "$STATE/$marker" ]; then
        printf '%-11s up on 127.0.0.1:%s (started by local-stack)\n' "$name" "$port"
      else
        printf '%-11s up on 127.0.0.1:%s (not managed by local-stack)\n' "$name" "$port"
      fi
    else
      printf '%-11s down (port %s)\n' "$name" "$port"
    fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) fail "usage: $0 up|down|status" ;;
esac
