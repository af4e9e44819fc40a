#!/usr/bin/env bash
# A private Docker engine for the deploy smoke test (Debian's docker.io does not start one by itself).
#   source scripts/deploy/docker-engine.sh && docker_engine_start DIR    -> exports DOCKER_HOST
#   docker_engine_stop DIR
# Needs root (dockerd); its data stay in DIR/data between runs, so image layers are cached.

docker_engine_start() {
  local dir="$1"
  mkdir -p "$dir/data" "$dir/exec"
  export DOCKER_HOST="unix://$dir/docker.sock"
  if [ -S "$dir/docker.sock" ] && /usr/bin/docker version >/dev/null 2>&1; then
    return 0
  fi
  rm -f "$dir/docker.sock" "$dir/dockerd.pid"
  # Its own bridge subnet, so it does not collide with another engine on the machine.
  dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "$DOCKER_HOST" --bip 172.31.250.1/24 --default-address-pool base=172.31.0.0/17,size=24 \
    >"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 60); do
    /usr/bin/docker version >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "dockerd did not start within 30 s; its log ($dir/dockerd.log):" >&2
  tail -n 20 "$dir/dockerd.log" >&2
  return 1
}

docker_engine_stop() {
  local dir="$1"
  [ -f "$dir/dockerd.pid" ] || return 0
  local pid
  pid="$(cat "$dir/dockerd.pid")"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  echo "dockerd ($pid) still running after 20 s" >&2
}
