#!/usr/bin/env bash
# deploy/k8s/tools.sh helm|kube-apiserver|etcd|all: the tools `make test-charts` needs, each printed
# as a path on stdout, built or installed once and cached outside the tree, keyed by version:
#   helm            `go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION` from the Go module proxy
#                   → $XINYI_CACHE/bin/helm-<version> (cold: about 5 CPU-minutes, with the downloads)
#   kube-apiserver  built from k8s.io/kubernetes through the wrapper module deploy/k8s/apiserver
#                   (its go.mod maps every k8s.io/<staging> module to the matching v0.x release)
#                   → $XINYI_CACHE/bin/kube-apiserver-<version>-<go.mod+go.sum digest> (cold: about
#                   16 CPU-minutes, so 8 to 10 minutes on an idle 2-core machine)
#   etcd            Debian's etcd-server (apt-get install when missing); the package's own service
#                   is never started here, tests/charts/apiserver.py runs etcd on its own ports
# Go is /usr/local/go/bin/go, or GO=…; build logs in $XINYI_CACHE/k8s-build/.
source "$(dirname "$0")/../lib.sh"

HELM_VERSION=v3.22.0
GO="${GO:-/usr/local/go/bin/go}"
APISERVER_MODULE="$DEPLOY_DIR/k8s/apiserver"
BUILD_LOGS="$XINYI_CACHE/k8s-build"
mkdir -p "$XINYI_CACHE/bin" "$BUILD_LOGS"

need_go() {
  [[ -x "$GO" ]] || command -v "$GO" >/dev/null || die "Go not found at $GO (set GO=...): helm and kube-apiserver are built from Go modules"
}

# run_logged NAME COMMAND...: the command's output into $BUILD_LOGS/NAME.log, its tail on failure.
run_logged() {
  local name="$1"; shift
  if ! "$@" >"$BUILD_LOGS/$name.log" 2>&1; then
    tail -n 30 "$BUILD_LOGS/$name.log" >&2
    die "$name failed (full output in $BUILD_LOGS/$name.log)"
  fi
}

helm_path() {
  local bin="$XINYI_CACHE/bin/helm-$HELM_VERSION"
  if [[ ! -x "$bin" ]]; then
    need_go
    log "building helm $HELM_VERSION from the Go module proxy (once; a few minutes; log $BUILD_LOGS/helm.log)"
    local started=$SECONDS gobin
    gobin="$(mktemp -d)"
    # As helm's own Makefile links it: its version, and the Kubernetes version `helm template` and
    # `helm lint` assume (.Capabilities.KubeVersion) from the client-go it is built with.
    local client_go minor
    client_go="$("$GO" mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
    minor="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$client_go")"
    [[ -n "$minor" ]] || die "no k8s.io/client-go in helm $HELM_VERSION's go.mod"
    local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
    for package in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
      ldflags+=" -X $package.k8sVersionMajor=1 -X $package.k8sVersionMinor=$minor"
    done
    run_logged helm env GOBIN="$gobin" "$GO" install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
    mv "$gobin/helm" "$bin"
    rmdir "$gobin"
    log "built $bin in $((SECONDS - started))s"
  fi
  echo "$bin"
}

kubernetes_version() {
  # A require line, in a block or not, direct or `// indirect` (it is a tool, imported by nothing).
  sed -n 's/^\(require\)\{0,1\}[[:space:]]*k8s\.io\/kubernetes \(v[0-9][0-9.]*\)\( \/\/ indirect\)\{0,1\}$/\2/p' \
    "$APISERVER_MODULE/go.mod" | head -n 1
}

apiserver_path() {
  local version digest bin
  version="$(kubernetes_version)"
  [[ -n "$version" ]] || die "no k8s.io/kubernetes requirement in $APISERVER_MODULE/go.mod"
  digest="$(cat "$APISERVER_MODULE/go.mod" "$APISERVER_MODULE/go.sum" | sha256sum | cut -c1-12)"
  bin="$XINYI_CACHE/bin/kube-apiserver-$version-$digest"
  if [[ ! -x "$bin" ]]; then
    need_go
    log "building kube-apiserver $version from the Go module proxy (once; 10 minutes or more on 2 cores; log $BUILD_LOGS/kube-apiserver.log)"
    local started=$SECONDS major minor
    IFS=. read -r major minor _ <<<"${version#v}"
    # -mod=readonly: go.mod and go.sum are checked in and must already be complete.
    run_logged kube-apiserver bash -c "cd '$APISERVER_MODULE' && '$GO' build -mod=readonly -trimpath -o '$bin.tmp' \
      -ldflags '-s -w -X k8s.io/component-base/version.gitVersion=$version -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor' \
      k8s.io/kubernetes/cmd/kube-apiserver"
    mv "$bin.tmp" "$bin"
    log "built $bin in $((SECONDS - started))s"
  fi
  echo "$bin"
}

etcd_path() {
  if ! command -v etcd >/dev/null; then
    log "installing Debian's etcd-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    # The package enables its systemd unit (2379/2380 on loopback): not started in a container, and
    # never used here either way.
    apt-get install -y -q --no-install-recommends etcd-server >/dev/null
  fi
  command -v etcd
}

case "${1:-}" in
  helm) helm_path ;;
  kube-apiserver) apiserver_path ;;
  etcd) etcd_path ;;
  all) helm_path; apiserver_path; etcd_path ;;
  *) echo "usage: $0 helm|kube-apiserver|etcd|all" >&2; exit 2 ;;
esac
