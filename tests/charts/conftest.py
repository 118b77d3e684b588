"""The API server the dry runs go to: started once for the session (etcd and kube-apiserver on free
loopback ports), the operators' CRDs applied as they are released, stopped at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.charts import apiserver
from tests.charts.chart import CRDS, NAMESPACE, tool

# The namespace enforces the restricted Pod Security Standard: a workload that would break it is
# answered with a warning even in a dry run, and the dry-run test refuses warnings.
RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/audit": "restricted",
}


@pytest.fixture(scope="session")
def api_server() -> Iterator[apiserver.ApiServer]:
    crds = sorted(CRDS.glob("*/*.y*ml"))
    assert crds, f"no CRDs under {CRDS}"
    logs = Path(os.environ["XINYI_CHART_LOGS"]) if os.environ.get("XINYI_CHART_LOGS") else None
    with apiserver.running(tool("kube-apiserver"), tool("etcd"), keep_logs=logs) as server:
        server.apply_crds(crds)
        server.ensure_namespace(NAMESPACE, RESTRICTED)
        yield server
