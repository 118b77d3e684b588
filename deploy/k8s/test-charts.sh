#!/usr/bin/env bash
# `make test-charts`: charts/xinyi checked without a cluster, by tests/charts (pytest): helm lint; helm
# template with the default values, values-production.yaml and every operator switched off; every
# rendered core object against Kubernetes' own schemas (kubernetes-validate --strict, offline); every
# rendered object, operator resources included, as a server-side dry run on a real kube-apiserver
# (backed by Debian's etcd, the operators' CRDs from deploy/k8s/crds applied first, started on free
# loopback ports and stopped at the end); broken values refused; every container hardened.
# helm and kube-apiserver are built once from the Go module proxy (deploy/k8s/tools.sh) and cached in
# $XINYI_CACHE/bin; the API server's logs of the last run are kept in $XINYI_STATE/chart-test/.
# Extra arguments go to pytest (e.g. -k dry_run).
source "$(dirname "$0")/../lib.sh"
cd "$REPO_DIR"

PYTHON="${PYTHON:-$REPO_DIR/.venv/bin/python}"
TOOLS="$DEPLOY_DIR/k8s/tools.sh"

started=$SECONDS
XINYI_HELM="$("$TOOLS" helm)"
XINYI_KUBE_APISERVER="$("$TOOLS" kube-apiserver)"
XINYI_ETCD="$("$TOOLS" etcd)"
export XINYI_HELM XINYI_KUBE_APISERVER XINYI_ETCD
export XINYI_CHART_LOGS="$XINYI_STATE/chart-test"
log "tools ready in $((SECONDS - started))s: helm $("$XINYI_HELM" version --template '{{.Version}}'), $("$XINYI_KUBE_APISERVER" --version), etcd $("$XINYI_ETCD" --version | sed -n 's/^etcd Version: //p')"

exec "$PYTHON" -m pytest tests/charts "$@"
