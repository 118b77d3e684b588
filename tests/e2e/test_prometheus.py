"""The platform's own Prometheus (Debian's package, started by deploy/prometheus.sh with `make up`
and the tests): its configuration and rules pass promtool, and every service and Keycloak is a
target it scrapes successfully, as its HTTP API says."""

from __future__ import annotations

import shutil
import subprocess

import httpx
import pytest

from tests.harness import PORTS, REPO_DIR, SERVICES, eventually

pytestmark = pytest.mark.e2e

PROMETHEUS = f"http://127.0.0.1:{PORTS['PROMETHEUS_PORT']}"


@pytest.mark.parametrize(
    "command",
    [
        ["check", "config", "deploy/prometheus/prometheus-local.yml"],
        ["check", "config", "deploy/prometheus/prometheus.yml"],
        ["check", "rules", "deploy/prometheus/alerts.yml"],
    ],
    ids=["local config", "container config", "alert rules"],
)
def test_promtool_accepts_the_files_in_deploy(command: list[str]) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool (Debian's prometheus package) is installed by deploy/prometheus.sh"
    checked = subprocess.run([promtool, *command], cwd=REPO_DIR, capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_every_service_and_keycloak_is_scraped_and_up() -> None:
    wanted = {f"127.0.0.1:{PORTS[f'{service.upper()}_HTTP_PORT']}" for service in SERVICES}
    wanted.add(f"127.0.0.1:{PORTS['KEYCLOAK_MANAGEMENT_PORT']}")

    def all_up() -> dict[str, str] | None:
        targets = httpx.get(f"{PROMETHEUS}/api/v1/targets", params={"state": "active"}, timeout=10).json()
        health = {t["labels"]["instance"]: t["health"] for t in targets["data"]["activeTargets"]}
        return health if wanted <= health.keys() and all(health[i] == "up" for i in wanted) else None

    health = eventually(all_up, timeout=90, what="every target up in Prometheus")
    assert wanted <= health.keys()
    # And the services' own series are there to query.
    answer = httpx.get(f"{PROMETHEUS}/api/v1/query", params={"query": 'up{job="xinyi"}'}, timeout=10).json()
    assert {r["metric"]["instance"] for r in answer["data"]["result"] if r["value"][1] == "1"} >= wanted - {
        f"127.0.0.1:{PORTS['KEYCLOAK_MANAGEMENT_PORT']}"
    }
    rules = httpx.get(f"{PROMETHEUS}/api/v1/rules", timeout=10).json()
    loaded = {rule["name"] for group in rules["data"]["groups"] for rule in group["rules"]}
    assert {"XinyiOutboxStuck", "XinyiServiceDown", "XinyiSlaBreachRate"} <= loaded
