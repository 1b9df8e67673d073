#!/usr/bin/env bash
# Fails when the committed generated code differs from what proto/ generates now: edited by
# hand, or a proto change without `npm run gen`. Catches changed, deleted and new files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/gen.sh
if [ -n "$(git status --porcelain -- grpc-app/src/gen)" ]; then
  git status --short -- grpc-app/src/gen
  git diff -- grpc-app/src/gen | head -40
  echo "grpc-app/src/gen is stale: run npm run gen and commit the result" >&2
  exit 1
fi
