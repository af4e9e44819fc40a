#!/usr/bin/env bash
# Installs the npm dependencies exactly as package-lock.json pins them (npm ci). The lock records every
# platform's optional native binaries (@swc/core-*, @nx/nx-*, @next/swc-*...), as npm ci requires;
# after changing dependencies, refresh it with `npm install` against the public registry.
set -euo pipefail
cd "$(dirname "$0")/.."
# onnxruntime-node would otherwise download CUDA libraries at install time (no GPU here, no internet
# in an air-gapped install); the CPU provider ships inside the package.
export ONNXRUNTIME_NODE_INSTALL="${ONNXRUNTIME_NODE_INSTALL:-skip}"
npm ci --no-audit --no-fund
