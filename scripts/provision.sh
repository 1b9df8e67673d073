#!/usr/bin/env bash
# Installs every real server the integration and e2e tiers use, on a fresh machine.
# Idempotent: each step checks before it installs, so a second run takes seconds.
#   PostgreSQL and Chromium from Debian, moto (DynamoDB) in a cached venv,
#   AWS Event Ruler from Maven Central, and the Kubernetes control plane from Go modules.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${SLIPWAY_CACHE:-$HOME/.cache/slipway}"
mkdir -p "$CACHE"
step() { printf '\n==> %s\n' "$*"; }

need_apt=()
pg_bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
[ -n "$(pg_bin_dir)" ] && [ -x "$(pg_bin_dir)/initdb" ] || need_apt+=(postgresql)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  step "apt: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # Debian starts a cluster on install; tests run their own on port 0 instead.
  $SUDO service postgresql stop >/dev/null 2>&1 || true
fi

step "moto (DynamoDB-compatible server) venv"
bash scripts/provision-moto.sh

step "AWS Event Ruler"
bash scripts/provision-ruler.sh

step "Kubernetes control plane binaries"
bash scripts/kube-build.sh

step "SST platform types"
bash scripts/sst-types.sh
echo "provisioned into $CACHE"
