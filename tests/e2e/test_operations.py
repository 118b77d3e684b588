"""Every service answers health checks, serves Prometheus metrics and documents its API."""

from __future__ import annotations

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.harness import SERVICES, grpc_target, http_url


@pytest.mark.parametrize("service", SERVICES)
def test_health_metrics_and_openapi(service: str) -> None:
    base = http_url(service)
    assert httpx.get(f"{base}/health/live", timeout=10).json() == {"status": "alive"}
    ready = httpx.get(f"{base}/health/ready", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "kafka": "ok"}
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    assert "xinyi_http_requests_total" in metrics
    openapi = httpx.get(f"{base}/openapi.json", timeout=10).json()
    assert any(path.startswith("/v1/") for path in openapi["paths"])


@pytest.mark.parametrize("service", SERVICES)
def test_grpc_health_is_serving(service: str) -> None:
    with grpc.insecure_channel(grpc_target(service)) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert response.status == health_pb2.HealthCheckResponse.SERVING
