#!/usr/bin/env bash
# The README's full test command: provisions every real server on a fresh machine,
# then runs every tier with nothing skipped (a missing server fails the run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
SLIPWAY_REQUIRE_SERVERS=1 npx vitest run "$@"
