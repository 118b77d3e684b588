"""Rendering charts/xinyi with helm (built by deploy/k8s/tools.sh, or $XINYI_HELM), and the value sets
every check runs over."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO_DIR = Path(__file__).resolve().parents[2]
CHART = REPO_DIR / "charts" / "xinyi"
# The operators' CRDs as their releases ship them (copied unchanged from ../shared/k8s-crds, so a
# clone checks the chart on its own); XINYI_K8S_CRDS points elsewhere.
CRDS = Path(os.environ.get("XINYI_K8S_CRDS") or REPO_DIR / "deploy" / "k8s" / "crds")
TOOLS = REPO_DIR / "deploy" / "k8s" / "tools.sh"
RELEASE = "xinyi"
NAMESPACE = "xinyi"

# The groups whose kinds come from the operators' CRDs (checked by the API server only: the offline
# schemas know core Kubernetes).
OPERATOR_GROUPS = ("postgresql.cnpg.io/", "kafka.strimzi.io/", "k8s.keycloak.org/", "monitoring.coreos.com/")

# name → values files (beside the defaults) and --set-json overrides.
VALUE_SETS: dict[str, tuple[Sequence[Path], Sequence[str]]] = {
    "default": ([], []),
    "production": ([CHART / "values-production.yaml"], []),
    # Every operator switched off for managed services, the API routed by the ingress controller itself,
    # files on disk, no network policies: the other branch of every switch.
    "external": (
        [CHART / "values-production.yaml"],
        [
            'postgres={"enabled": false, "external": {"host": "pg.example.org", "port": 6432}}',
            'kafka={"enabled": false, "external": {"bootstrap": "kafka-1.example.org:9093"}}',
            'keycloak={"enabled": false, "external": {"url": "https://sso.example.org",'
            ' "issuer": "https://sso.example.org/realms/xinyi"}}',
            'ingress={"api": "direct"}',
            'default={"autoscaling": {"enabled": false}, "replicas": 2}',
            'settings={"blobs": {"backend": "filesystem"}}',
        ],
    ),
}


def tool(name: str) -> str:
    """A tool's path: $XINYI_HELM / $XINYI_KUBE_APISERVER / $XINYI_ETCD, else deploy/k8s/tools.sh."""
    variable = "XINYI_" + name.upper().replace("-", "_")
    if path := os.environ.get(variable):
        return path
    return _built(name)


@cache
def _built(name: str) -> str:
    return subprocess.run([str(TOOLS), name], check=True, capture_output=True, text=True).stdout.strip()


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("helm"), *args], capture_output=True, text=True, check=False)


def template_args(values: Sequence[Path] = (), set_json: Sequence[str] = (), extra: Sequence[str] = ()) -> list[str]:
    args = ["template", RELEASE, str(CHART), "--namespace", NAMESPACE]
    for path in values:
        args += ["--values", str(path)]
    for item in set_json:
        args += ["--set-json", item]
    return [*args, *extra]


def render(
    values: Sequence[Path] = (), set_json: Sequence[str] = (), extra: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Every object `helm template` renders (hooks included); fails with helm's message."""
    result = helm(*template_args(values, set_json, extra))
    if result.returncode != 0:
        raise RenderFailed(result.stderr.strip())
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@cache
def render_set(name: str) -> tuple[dict[str, Any], ...]:
    values, set_json = VALUE_SETS[name]
    return tuple(render(values, set_json))


class RenderFailed(Exception):
    pass


def is_core(obj: dict[str, Any]) -> bool:
    return not obj["apiVersion"].startswith(OPERATOR_GROUPS)


def pod_specs(objects: Sequence[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(kind/name, pod spec) of every workload rendered."""
    specs = []
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            specs.append((f"{obj['kind']}/{obj['metadata']['name']}", obj["spec"]["template"]["spec"]))
        elif obj["kind"] == "Pod":
            specs.append((f"Pod/{obj['metadata']['name']}", obj["spec"]))
    return specs


def find(objects: Sequence[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for obj in objects:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return dict(obj)
    raise KeyError(f"{kind}/{name} not rendered")
