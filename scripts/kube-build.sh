#!/usr/bin/env bash
# Builds the local Kubernetes control plane used by the integration tests:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and
# kwok, from the wrapper Go modules under test/kube/{etcd,k8s,kwok}.
#
# Binaries go to ${SLIPWAY_CACHE:-$HOME/.cache/slipway}/kube/<version>/bin,
# outside the repository. A second run is a no-op while the binaries exist and
# the stamp (a hash of the wrapper modules, the Go version and the build
# recipe) still matches.
#
# Output: the bin directory on stdout (for callers); progress on stderr.
# Cost on 2 cores: cold 7-13 min and ~1 GB of module downloads; warm < 1 s.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
modules="$repo/test/kube"

log() { printf 'kube-build: %s\n' "$*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

started="$(now)"

# Bump when flags or the binary list change, so old caches are rebuilt.
recipe=1
binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

k8s_version="$(sed -n 's#^[[:space:]]*k8s.io/kubernetes \(v[^[:space:]]*\).*#\1#p' "$modules/k8s/go.mod" | head -n1)"
[[ -n "$k8s_version" ]] || { log "cannot read the k8s.io/kubernetes version from $modules/k8s/go.mod"; exit 1; }

cache="${SLIPWAY_CACHE:-$HOME/.cache/slipway}/kube/$k8s_version"
bin="$cache/bin"
mkdir -p "$bin"

# The wrapper modules' go.sum are complete, so nothing needs writing; -mod=mod
# only lets a fresh machine fill in what a stale go.sum lacks. VCS stamping is
# off because the binaries come from module zips, not from this checkout, and
# GOWORK=off keeps any go.work above the repo from joining the build.
export GOWORK=off
export GOFLAGS="-mod=mod -buildvcs=false"

# Build with the installed Go when it is new enough for every wrapper module
# (etcd and kwok need go 1.26); otherwise let go fetch the toolchain they name
# from the module proxy rather than fail. An explicit GOTOOLCHAIN wins.
need_go="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$modules"/{etcd,k8s,kwok}/go.mod | sort -V | tail -n1)"
have_go="$(GOTOOLCHAIN=local go env GOVERSION)"
have_go="${have_go#go}"
if [[ -z "${GOTOOLCHAIN:-}" ]]; then
  if [[ "$(printf '%s\n' "$need_go" "$have_go" | sort -V | head -n1)" == "$need_go" ]]; then
    export GOTOOLCHAIN=local
  else
    export GOTOOLCHAIN="go${need_go}+auto"
    log "go $have_go is older than the go $need_go these modules need; using GOTOOLCHAIN=$GOTOOLCHAIN"
  fi
fi

fingerprint() {
  {
    echo "recipe=$recipe"
    go version
    cat "$modules"/{etcd,k8s,kwok}/go.{mod,sum}
  } | sha256sum | cut -d' ' -f1
}

all_present() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}

# Two test runs may start at once; the second waits and then finds the cache.
exec 9>"$cache/.lock"
flock 9

want="$(fingerprint)"
if all_present && [[ "$(cat "$cache/stamp" 2>/dev/null)" == "$want" ]]; then
  log "reused cache $bin ($(since "$started"))"
  echo "$bin"
  exit 0
fi
rm -f "$cache/stamp"

# The release's own version and commit date, so `kubectl version` and the
# apiserver's /version report v1.35.4 instead of v0.0.0-master, and the
# binaries do not change from one build to the next.
build_date="$(cd "$modules/k8s" && go mod download -json "k8s.io/kubernetes@$k8s_version" |
  sed -n 's/^[[:space:]]*"Info": "\(.*\)",$/\1/p' | xargs cat | sed -n 's/.*"Time":"\([^"]*\)".*/\1/p')"
major="${k8s_version#v}"; major="${major%%.*}"
minor="${k8s_version#v*.}"; minor="${minor%%.*}"
version_flags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_flags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  version_flags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

# -p 2 bounds memory: one kube-apiserver link peaks near 2 GB of RSS.
# -s -w drops debug info, as the upstream release builds do.
build() {
  local module="$1" out="$2" flags="$3"; shift 3
  local t0; t0="$(now)"
  log "building $* ..."
  (cd "$modules/$module" && go build -trimpath -p 2 -ldflags "-s -w$flags" -o "$out" "$@")
  log "built $* ($(since "$t0"))"
}

t0="$(now)"
for module in etcd k8s kwok; do
  (cd "$modules/$module" && go mod download)
done
log "module downloads ($(since "$t0"))"

build etcd "$bin/etcd" "" go.etcd.io/etcd/server/v3
build kwok "$bin/kwok" "" sigs.k8s.io/kwok/cmd/kwok
# One invocation for the four Kubernetes commands: they share most packages,
# and -o with a trailing slash names each binary after its command.
build k8s "$bin/" "$version_flags" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl

all_present || { log "build finished but a binary is missing from $bin"; exit 1; }
echo "$want" >"$cache/stamp"
log "done: $bin ($(since "$started"))"
echo "$bin"
