#!/usr/bin/env bash
# `npm test`: installs the dependencies on a fresh clone, then runs every test project (unit, then
# integration against the real Postgres, Redis and an s3rver started by test/integration-setup.ts).
# Extra arguments go to vitest, e.g. `npm test -- --project unit libs/config`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then
  echo "==> node_modules is missing: installing the locked dependencies"
  bash scripts/install-deps.sh
fi

# A bare `npm test` also checks formatting, lints and typechecks; `npm test -- <vitest args>` runs just those tests.
if [ "$#" -eq 0 ]; then
  echo "==> prettier --check"
  npm run -s format:check
  echo "==> eslint"
  npm run -s lint
  echo "==> tsc --noEmit"
  npm run -s typecheck
fi

echo "==> vitest run $*"
npm exec -- vitest run "$@"
