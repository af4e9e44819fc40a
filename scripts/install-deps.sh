#!/usr/bin/env bash
# Installs the npm dependencies exactly as package-lock.json pins them (npm ci).
# npm ci also insists that the lock records every other platform's optional native binary
# (@swc/core-darwin-*, @nx/nx-win32-*...). A lock written against a registry that lacks those
# (npm/cli#4828) makes it refuse; then `npm install --no-save` installs the same locked versions for
# this platform without rewriting the lock.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if npm ci 2> >(tee "$log" >&2); then
  exit 0
fi
if grep -q 'can only install packages when your package.json and package-lock.json' "$log"; then
  echo "==> npm ci refused the lock file (missing other platforms' optional packages); installing the locked versions with npm install --no-save" >&2
  npm install --no-save --prefer-offline --no-audit --no-fund
else
  exit 1
fi
