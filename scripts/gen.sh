#!/usr/bin/env bash
# Regenerates the gRPC TypeScript from proto/ (the single source of the contract).
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf lint
npx buf generate
