"""charts/xinyi rendered without a cluster: helm lint, Kubernetes' own schemas (kubernetes-validate,
offline, --strict), the hardening of every container, and what the chart promises about settings,
secrets, migrations, network policies and the operators' resources."""

from __future__ import annotations

import json
import py_compile
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ledger_service.settings import LedgerSettings
from microfund_service.settings import MicrofundSettings
from tenant_service.settings import TenantSettings
from tests.charts.chart import (
    CHART,
    REPO_DIR,
    VALUE_SETS,
    RenderFailed,
    find,
    helm,
    is_core,
    pod_specs,
    render,
    render_set,
)
from ticketing_service.settings import TicketingSettings
from xinyi_shared.settings import ServiceSettings

SERVICES = ["tenant", "ledger", "ticketing", "microfund"]
SETTINGS: dict[str, type[ServiceSettings]] = {
    "tenant": TenantSettings,
    "ledger": LedgerSettings,
    "ticketing": TicketingSettings,
    "microfund": MicrofundSettings,
}
KUBERNETES_VERSION = "1.37.0"  # kubernetes-validate's schemas: the version of deploy/k8s/apiserver


@pytest.mark.parametrize(
    "values", [[], ["--values", str(CHART / "values-production.yaml")]], ids=["default", "production"]
)
def test_helm_lint(values: list[str]) -> None:
    result = helm("lint", "--strict", str(CHART), *values)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", VALUE_SETS)
def test_core_objects_match_kubernetes_schemas(name: str, tmp_path: Path) -> None:
    core = [obj for obj in render_set(name) if is_core(obj)]
    assert len(core) > 30
    rendered = tmp_path / f"{name}.yaml"
    rendered.write_text(yaml.safe_dump_all(core))
    validator = Path(sys.executable).with_name("kubernetes-validate")
    result = subprocess.run(
        [str(validator), "--strict", "--kubernetes-version", KUBERNETES_VERSION, "--quiet", str(rendered)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_container_is_hardened(name: str) -> None:
    specs = pod_specs(render_set(name))
    assert {workload for workload, _ in specs} >= {f"Deployment/xinyi-{svc}" for svc in [*SERVICES, "web"]}
    for workload, spec in specs:
        pod = spec.get("securityContext", {})
        assert pod.get("runAsNonRoot") is True, workload
        assert pod.get("runAsUser", 0) != 0, workload
        assert pod.get("seccompProfile") == {"type": "RuntimeDefault"}, workload
        assert spec.get("automountServiceAccountToken") is False, workload
        assert not spec.get("hostNetwork") and not spec.get("hostPID") and not spec.get("hostIPC"), workload
        for container in _containers(spec):
            where = f"{workload} container {container['name']}"
            security = container.get("securityContext", {})
            assert security.get("runAsNonRoot") is True, where
            assert security.get("readOnlyRootFilesystem") is True, where
            assert security.get("allowPrivilegeEscalation") is False, where
            assert security.get("privileged", False) is False, where
            assert security.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not security.get("capabilities", {}).get("add"), where
            limits = container.get("resources", {}).get("limits", {})
            requests = container.get("resources", {}).get("requests", {})
            assert {"cpu", "memory"} <= limits.keys(), f"{where}: limits {limits}"
            assert {"cpu", "memory"} <= requests.keys(), f"{where}: requests {requests}"
            mounts = {mount["mountPath"] for mount in container.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{where}: a read-only root needs a writable /tmp"
        tmp = next(volume for volume in spec["volumes"] if volume["name"] == "tmp")
        assert "emptyDir" in tmp, workload


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_long_running_container_is_probed(name: str) -> None:
    for workload, spec in pod_specs(render_set(name)):
        if workload.startswith("Job/"):
            continue
        for container in spec["containers"]:
            assert "livenessProbe" in container and "readinessProbe" in container, workload
            if workload.split("-", 1)[1] in SERVICES:
                assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
                assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
                assert isinstance(container["startupProbe"]["grpc"]["port"], int)


# ----------------------------------------------------------------- broken values are refused


def test_a_component_without_a_probe_is_refused_by_the_values_schema() -> None:
    with pytest.raises(RenderFailed, match=r"probes.*readiness"):
        render(set_json=["components.ledger.probes.readiness=null"])


def test_a_component_without_a_probe_is_refused_by_the_template_too() -> None:
    """Past the schema (--skip-schema-validation), the template itself names what is missing."""
    with pytest.raises(RenderFailed, match=r"components.ledger.probes.liveness is required"):
        render(set_json=["components.ledger.probes.liveness=null"], extra=["--skip-schema-validation"])


@pytest.mark.parametrize("partitions", ['"6"', '"six"'])
def test_a_string_for_a_topics_partitions_is_refused_by_the_values_schema(partitions: str) -> None:
    with pytest.raises(RenderFailed, match=r"partitions"):
        render(set_json=[f"kafka.topics.partitions={partitions}"])
    with pytest.raises(RenderFailed, match=r"partitions"):
        render(set_json=[f'kafka.topics.overrides={{"ledger": {{"partitions": {partitions}}}}}'])


def test_a_string_for_partitions_reaches_the_topic_as_a_string() -> None:
    """Past the schema the value is rendered as given, so that the CRD refuses it (test_dry_run)."""
    objects = render(set_json=['kafka.topics.partitions="6"'], extra=["--skip-schema-validation"])
    assert find(objects, "KafkaTopic", "xinyi-kafka-ledger-events-v1")["spec"]["partitions"] == "6"


# ----------------------------------------------------------------- copies kept the same


def test_the_charts_realm_is_the_realm_file() -> None:
    """The chart cannot read outside itself (and keeps no symlink): its copy must stay the same."""
    copy = CHART / "files" / "xinyi-realm.json"
    assert copy.read_bytes() == (REPO_DIR / "deploy" / "keycloak" / "xinyi-realm.json").read_bytes(), (
        "cp deploy/keycloak/xinyi-realm.json charts/xinyi/files/xinyi-realm.json"
    )


def test_the_charts_front_door_is_the_native_one() -> None:
    copy = CHART / "files" / "nginx-xinyi.conf.template"
    assert copy.read_bytes() == (REPO_DIR / "deploy" / "nginx" / "xinyi.conf").read_bytes(), (
        "cp deploy/nginx/xinyi.conf charts/xinyi/files/nginx-xinyi.conf.template"
    )


@pytest.mark.parametrize("name", VALUE_SETS)
def test_the_front_doors_template_gets_every_variable_it_names(name: str) -> None:
    """The official nginx image fills in ${XINYI_…} from the environment: the web ConfigMap's."""
    template = (CHART / "files" / "nginx-xinyi.conf.template").read_text()
    named = set(re.findall(r"\$\{(XINYI_[A-Z_]+)\}", template))
    given = find(render_set(name), "ConfigMap", "xinyi-web")["data"]
    assert named <= given.keys(), named - given.keys()
    assert given["NGINX_ENVSUBST_FILTER"] == "XINYI_"


def test_no_file_of_the_chart_is_a_symlink() -> None:
    assert not [path for path in CHART.rglob("*") if path.is_symlink()]


def test_the_apiserver_wrapper_maps_every_staging_module_to_its_release() -> None:
    """k8s.io/kubernetes v1.N.P is cut with its k8s.io/<staging> modules at v0.N.P."""
    go_mod = (REPO_DIR / "deploy" / "k8s" / "apiserver" / "go.mod").read_text()
    version = re.search(r"^\s*k8s\.io/kubernetes v1\.(\d+\.\d+)( // indirect)?$", go_mod, re.MULTILINE)
    assert version, "no k8s.io/kubernetes requirement"
    replaced = re.findall(r"^\s*(k8s\.io/[\w-]+) => (k8s\.io/[\w-]+) (v\S+)$", go_mod, re.MULTILINE)
    assert len(replaced) >= 30
    for module, target, target_version in replaced:
        assert (target, target_version) == (module, f"v0.{version.group(1)}"), module


def test_the_grants_script_compiles(tmp_path: Path) -> None:
    py_compile.compile(str(CHART / "files" / "grants.py"), cfile=str(tmp_path / "grants.pyc"), doraise=True)


# ----------------------------------------------------------------- settings and secrets


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_setting_given_to_a_service_exists(name: str) -> None:
    objects = render_set(name)
    for service, settings in SETTINGS.items():
        data = find(objects, "ConfigMap", f"xinyi-{service}")["data"]
        deployment = find(objects, "Deployment", f"xinyi-{service}")
        secret_env = {env["name"] for env in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        for variable in [*data, *secret_env]:
            if variable.startswith("XINYI_") and variable != "XINYI_STATE":
                assert variable[len("XINYI_") :].lower() in settings.model_fields, f"{service}: {variable}"


@pytest.mark.parametrize("name", VALUE_SETS)
def test_no_secret_is_rendered(name: str) -> None:
    objects = render_set(name)
    assert not [obj for obj in objects if obj["kind"] == "Secret"]
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            for key in obj["data"]:
                assert not any(word in key for word in ("PASSWORD", "SECRET", "ACCESS_KEY")), key
    for workload, spec in pod_specs(objects):
        for container in _containers(spec):
            for env in container.get("env", []):
                if any(word in env["name"] for word in ("PASSWORD", "SECRET", "ACCESS_KEY")):
                    assert "secretKeyRef" in env.get("valueFrom", {}), f"{workload}: {env['name']}"


def test_the_services_reach_each_other_and_the_infrastructure_by_their_kubernetes_names() -> None:
    objects = render_set("default")
    ledger = find(objects, "ConfigMap", "xinyi-ledger")["data"]
    assert ledger["XINYI_TENANT_GRPC_TARGET"] == "dns:///xinyi-tenant-grpc:9101"
    assert ledger["XINYI_DB_HOST"] == "xinyi-pg-pooler"
    assert ledger["XINYI_KAFKA_BOOTSTRAP"] == "xinyi-kafka-kafka-bootstrap:9092"
    assert ledger["XINYI_KEYCLOAK_URL"] == "http://xinyi-keycloak-service:8080"
    assert ledger["XINYI_TOKEN_ISSUER"] == "https://auth.xinyi.example.org/realms/xinyi"
    ticketing = find(objects, "ConfigMap", "xinyi-ticketing")["data"]
    assert ticketing["XINYI_LEDGER_GRPC_TARGET"] == "dns:///xinyi-ledger-grpc:9102"
    external = find(render_set("external"), "ConfigMap", "xinyi-ledger")["data"]
    assert (external["XINYI_DB_HOST"], external["XINYI_DB_PORT"]) == ("pg.example.org", "6432")
    assert external["XINYI_KAFKA_BOOTSTRAP"] == "kafka-1.example.org:9093"
    assert external["XINYI_TOKEN_ISSUER"] == "https://sso.example.org/realms/xinyi"


# ----------------------------------------------------------------- who may reach whom


def _grpc_callers_in_the_code() -> dict[str, set[str]]:
    """Which service's code uses which other service's gRPC address (settings.<callee>_grpc_target)."""
    callers: dict[str, set[str]] = {service: set() for service in SERVICES}
    for caller in SERVICES:
        package = REPO_DIR / "services" / caller / f"{caller}_service"
        for path in package.rglob("*.py"):
            text = path.read_text()
            for callee in SERVICES:
                if f"{callee}_grpc_target" in text:
                    callers[callee].add(caller)
    return callers


def _admitted(policy: dict[str, Any], port: str) -> list[dict[str, Any]]:
    peers = []
    for rule in policy["spec"].get("ingress", []):
        if any(p["port"] == port for p in rule.get("ports", [])):
            peers += rule["from"]
    return peers


def test_grpc_is_reachable_only_by_the_services_whose_code_calls_it() -> None:
    objects = render_set("default")
    for callee, callers in _grpc_callers_in_the_code().items():
        policy = find(objects, "NetworkPolicy", f"xinyi-{callee}")
        admitted = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in _admitted(policy, "grpc")}
        assert admitted == callers, callee
        for caller in callers:
            target = find(objects, "ConfigMap", f"xinyi-{caller}")["data"][f"XINYI_{callee.upper()}_GRPC_TARGET"]
            assert target.startswith(f"dns:///xinyi-{callee}-grpc:")
            # …a headless Service of the callee's pods, so that calls spread over its replicas.
            headless = find(objects, "Service", f"xinyi-{callee}-grpc")["spec"]
            assert headless["clusterIP"] == "None"
            assert (
                headless["selector"]
                == find(objects, "Deployment", f"xinyi-{callee}")["spec"]["selector"]["matchLabels"]
            )


def test_http_is_reachable_from_the_front_door_and_prometheus_only() -> None:
    objects = render_set("default")
    for service in SERVICES:
        peers = _admitted(find(objects, "NetworkPolicy", f"xinyi-{service}"), "http")
        assert {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "web", "app.kubernetes.io/instance": "xinyi"}}
        } in peers
        assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}} in peers
        assert len(peers) == 2, peers
    web = _admitted(find(objects, "NetworkPolicy", "xinyi-web"), "http")
    assert web == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]


def test_the_ingress_sends_the_pages_and_each_api_where_it_belongs() -> None:
    front_door = find(render_set("default"), "Ingress", "xinyi-web")
    paths = front_door["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["backend"]["service"]["name"]) for p in paths] == [("/", "xinyi-web")]
    direct = render_set("external")
    api = find(direct, "Ingress", "xinyi-api")["spec"]["rules"][0]["http"]["paths"]
    assert sorted((p["path"], p["backend"]["service"]["name"]) for p in api) == sorted(
        (f"/api/{service}(/|$)(.*)", f"xinyi-{service}") for service in SERVICES
    )
    # Routed by the controller, the services admit it on their HTTP port.
    peers = _admitted(find(direct, "NetworkPolicy", "xinyi-ledger"), "http")
    assert any("ingress-nginx" in json.dumps(peer) for peer in peers)


# ----------------------------------------------------------------- migrations


def test_each_service_migrates_in_a_hook_before_its_pods_change() -> None:
    for name, hook in [("default", "post-install,pre-upgrade"), ("external", "pre-install,pre-upgrade")]:
        objects = render_set(name)
        for service in SERVICES:
            job = find(objects, "Job", f"xinyi-{service}-migrate")
            assert job["metadata"]["annotations"]["helm.sh/hook"] == hook
            spec = job["spec"]["template"]["spec"]
            assert spec["containers"][0]["args"] == ["migrate"]
            env = {e["name"]: e for e in spec["containers"][0]["env"]}
            assert env["XINYI_DB_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
                "name": f"xinyi-{service}-db-owner",
                "key": "password",
            }
            # The primary itself, never the pooler: DDL and the grants.
            assert env["XINYI_DB_HOST"]["value"] in ("xinyi-pg-rw", "pg.example.org")
        account = find(objects, "ServiceAccount", "xinyi-migrate")
        assert account["metadata"]["annotations"]["helm.sh/hook"] == hook


# ----------------------------------------------------------------- the operators' resources


def test_the_cluster_has_every_services_three_roles_and_database() -> None:
    objects = render_set("default")
    cluster = find(objects, "Cluster", "xinyi-pg")
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    assert set(roles) == {f"{service}_{role}" for service in SERVICES for role in ("owner", "app", "system")}
    assert {name for name, role in roles.items() if role["bypassrls"]} == {f"{service}_system" for service in SERVICES}
    assert roles["ledger_app"]["passwordSecret"] == {"name": "xinyi-ledger-db-app"}
    for service in SERVICES:
        database = find(objects, "Database", f"xinyi-pg-{service}")["spec"]
        assert (database["name"], database["owner"], database["databaseReclaimPolicy"]) == (
            service,
            f"{service}_owner",
            "retain",
        )
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == "keycloak"
    assert find(objects, "Pooler", "xinyi-pg-pooler")["spec"]["pgbouncer"]["poolMode"] == "session"


def test_the_four_topics_are_declared_with_the_values_partitions() -> None:
    production = render_set("production")
    topics = {obj["spec"]["topicName"]: obj["spec"] for obj in production if obj["kind"] == "KafkaTopic"}
    assert set(topics) == {f"xinyi.{service}.events.v1" for service in SERVICES}
    assert topics["xinyi.ledger.events.v1"]["partitions"] == 48
    assert topics["xinyi.tenant.events.v1"]["partitions"] == 24
    assert {spec["replicas"] for spec in topics.values()} == {3}
    assert {spec["config"]["retention.ms"] for spec in topics.values()} == {-1}
    pools = {obj["metadata"]["name"]: obj["spec"]["roles"] for obj in production if obj["kind"] == "KafkaNodePool"}
    assert pools == {"controller": ["controller"], "broker": ["broker"]}


def test_the_realm_is_imported_without_its_development_secrets_and_accounts() -> None:
    realm_import = find(render_set("production"), "KeycloakRealmImport", "xinyi-realm")["spec"]
    clients = {client["clientId"]: client for client in realm_import["realm"]["clients"]}
    for service in SERVICES:
        variable = f"{service.upper()}_CLIENT_SECRET"
        assert clients[f"{service}-service"]["secret"] == "${" + variable + "}"
        assert realm_import["placeholders"][variable] == {
            "secret": {"name": f"xinyi-{service}", "key": "client-secret"}
        }
    assert "users" not in realm_import["realm"]
    assert clients["xinyi-web"]["redirectUris"] == [
        "https://xinyi.shuangliu.example.org/h5/*",
        "https://xinyi.shuangliu.example.org/console/*",
    ]
    with_demo = render(set_json=["keycloak.realmImport.demoUsers=true"])
    assert find(with_demo, "KeycloakRealmImport", "xinyi-realm")["spec"]["realm"]["users"]


def test_a_secret_may_be_named_instead_of_following_the_prefix() -> None:
    objects = render(
        set_json=[
            'components.ledger.existingSecret="ledger-from-vault"',
            'keycloak.database.existingSecret="keycloak-from-vault"',
            'secrets.prefix="district-7"',
        ]
    )
    env = {
        e["name"]: e
        for e in find(objects, "Deployment", "xinyi-ledger")["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["XINYI_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]["name"] == "ledger-from-vault"
    assert env["XINYI_DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "district-7-ledger-db-app"
    realm = find(objects, "KeycloakRealmImport", "xinyi-realm")["spec"]
    assert realm["placeholders"]["LEDGER_CLIENT_SECRET"]["secret"]["name"] == "ledger-from-vault"
    assert realm["placeholders"]["TENANT_CLIENT_SECRET"]["secret"]["name"] == "district-7-tenant"
    assert find(objects, "Keycloak", "xinyi-keycloak")["spec"]["db"]["passwordSecret"]["name"] == "keycloak-from-vault"


def test_each_operator_can_be_switched_off() -> None:
    kinds = {obj["kind"] for obj in render_set("external")}
    assert not kinds & {"Cluster", "Pooler", "Database", "Kafka", "KafkaNodePool", "KafkaTopic", "Keycloak"}


def test_service_monitors_are_rendered_on_request() -> None:
    monitors = [
        obj for obj in render(set_json=["metrics.serviceMonitor.enabled=true"]) if obj["kind"] == "ServiceMonitor"
    ]
    assert sorted(m["metadata"]["name"] for m in monitors) == sorted(f"xinyi-{service}" for service in SERVICES)
    assert {m["spec"]["endpoints"][0]["path"] for m in monitors} == {"/metrics"}
