#!/usr/bin/env bash
# `npm test`: the fast inner loop. Runs every tier whose real servers are already provisioned
# on this machine and says loudly which tiers it skipped. `npm run test:full` provisions
# everything and skips nothing; CI runs that.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${SLIPWAY_CACHE:-$HOME/.cache/slipway}"
projects=(--project unit --project infra)
skipped=()

kube_ready() { [ -n "${KUBECONFIG:-}" ] || [ -x "$CACHE/kube/v1.35.4/bin/kube-apiserver" ]; }
postgres_ready() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }
moto_ready() { [ -x "$CACHE/moto-5.2.5/bin/python" ]; }
ruler_ready() { [ -f "$CACHE/event-ruler-2.1.0/classpath.txt" ]; }

if kube_ready && postgres_ready && moto_ready && ruler_ready; then
  projects+=(--project integration --project drill)
else
  skipped+=("integration and drill (need the Kubernetes control plane, PostgreSQL, moto and Event Ruler)")
fi
if [ -x /usr/bin/chromium ] && postgres_ready; then
  projects+=(--project e2e)
else
  skipped+=("e2e (needs Chromium)")
fi

for tier in "${skipped[@]}"; do
  printf '\n!!! npm test SKIPPED %s: not provisioned on this machine.\n!!! Run `npm run test:full` to provision and run everything.\n' "$tier" >&2
done
status=0
npx vitest run "${projects[@]}" "$@" || status=$?
for tier in "${skipped[@]}"; do printf '!!! reminder: SKIPPED %s\n' "$tier" >&2; done
exit $status
