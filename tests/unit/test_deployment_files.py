"""docker-compose.yml and the Prometheus configuration cannot be run here (no Docker engine), so
they are checked against the repository: every image, port, file and setting they name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.harness import PORTS, REPO_DIR, SERVICES
from xinyi_shared.settings import ServiceSettings

COMPOSE = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
# Each infrastructure component and the prefix of its published port in ports.env (<PREFIX>_PORT).
COMPONENTS = {"postgres": "POSTGRES", "kafka": "KAFKA", "keycloak": "KEYCLOAK", "seaweedfs": "SEAWEEDFS_S3"}


def script_constant(script: str, name: str) -> str:
    match = re.search(rf"^{name}=(\S+)$", (REPO_DIR / "deploy" / script).read_text(), re.MULTILINE)
    assert match, f"{name} not found in deploy/{script}"
    return match.group(1)


def host_ports(service: str) -> set[int]:
    return {int(mapping.split(":")[-2]) for mapping in COMPOSE["services"][service].get("ports", [])}


def test_compose_runs_the_same_components_as_the_native_start() -> None:
    images = {name: spec.get("image", "") for name, spec in COMPOSE["services"].items()}
    assert images["kafka"] == f"apache/kafka:{script_constant('kafka.sh', 'KAFKA_VERSION')}"
    assert images["keycloak"] == f"quay.io/keycloak/keycloak:{script_constant('keycloak.sh', 'KC_VERSION')}"
    assert images["postgres"].startswith("postgres:")
    assert images["seaweedfs"] == f"chrislusf/seaweedfs:{script_constant('seaweedfs.sh', 'SEAWEEDFS_RELEASE')}"
    assert set(SERVICES) <= COMPOSE["services"].keys()


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_built_from_the_one_dockerfile_with_its_ports(service: str) -> None:
    spec = COMPOSE["services"][service]
    assert spec["build"]["dockerfile"] == "Dockerfile"
    assert (REPO_DIR / spec["build"]["dockerfile"]).is_file()
    assert spec["build"]["args"]["SERVICE"] == service
    assert (REPO_DIR / "services" / service / "pyproject.toml").is_file()
    http, grpc = PORTS[f"{service.upper()}_HTTP_PORT"], PORTS[f"{service.upper()}_GRPC_PORT"]
    assert spec["environment"]["XINYI_HTTP_PORT"] == str(http)
    assert spec["environment"]["XINYI_GRPC_PORT"] == str(grpc)
    assert host_ports(service) == {http, grpc}
    assert set(spec["depends_on"]) == set(COMPONENTS)


@pytest.mark.parametrize(("component", "prefix"), COMPONENTS.items())
def test_infrastructure_is_published_on_the_native_ports(component: str, prefix: str) -> None:
    assert PORTS[f"{prefix}_PORT"] in host_ports(component)
    assert "healthcheck" in COMPOSE["services"][component]


def test_every_setting_passed_to_the_services_exists() -> None:
    known = {f"XINYI_{name.upper()}" for name in ServiceSettings.model_fields}
    for service in SERVICES:
        passed = set(COMPOSE["services"][service]["environment"])
        assert passed <= known, passed - known


def test_every_mounted_file_exists() -> None:
    for name, spec in COMPOSE["services"].items():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (REPO_DIR / source).is_file(), f"{name} mounts missing {source}"
            else:
                assert source in COMPOSE["volumes"], f"{name} uses undeclared volume {source}"


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-local.yml"])
def test_prometheus_scrapes_every_service(config: str) -> None:
    scrape = yaml.safe_load((REPO_DIR / "deploy" / "prometheus" / config).read_text())
    targets = {
        target for job in scrape["scrape_configs"] for group in job["static_configs"] for target in group["targets"]
    }
    ports = {int(target.rsplit(":", 1)[1]) for target in targets}
    assert {PORTS[f"{service.upper()}_HTTP_PORT"] for service in SERVICES} <= ports


def test_the_realm_file_defines_every_role_and_a_user_for_each() -> None:
    import json

    realm = json.loads((REPO_DIR / "deploy" / "keycloak" / "xinyi-realm.json").read_text())
    roles = {role["name"] for role in realm["roles"]["realm"]}
    expected = {
        "platform_admin",
        "firm_manager",
        "firm_staff",
        "supervisor",
        "resident",
        "grid_leader",
        "community_officer",
        "governance_observer",
        "service",
    }
    assert expected <= roles
    users = {user["username"]: set(user.get("realmRoles", [])) for user in realm["users"]}
    for role in expected - {"service"}:
        assert role in users[role.replace("_", "-")]
    assert realm["organizationsEnabled"] is True
    assert {client["clientId"] for client in realm["clients"]} >= {"xinyi-web"} | {f"{s}-service" for s in SERVICES}


def test_dockerfile_runs_as_non_root() -> None:
    dockerfile = Path(REPO_DIR / "Dockerfile").read_text()
    assert re.search(r"^USER 10001$", dockerfile, re.MULTILINE)
