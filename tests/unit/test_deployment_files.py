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


# What a container mounts that a build writes rather than the repository holds, and the script
# that writes it.
BUILT = {"./web/dist": "web.sh"}


def test_every_mounted_file_exists() -> None:
    for name, spec in COMPOSE["services"].items():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if source in BUILT:
                assert source.removeprefix("./") in (REPO_DIR / "deploy" / BUILT[source]).read_text()
            elif source.startswith("."):
                assert (REPO_DIR / source).exists(), f"{name} mounts missing {source}"
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


NGINX_TEMPLATE = (REPO_DIR / "deploy" / "nginx" / "xinyi.conf").read_text()
TEMPLATE_NAMES = set(re.findall(r"\$\{(XINYI_[A-Z0-9_]+)\}", NGINX_TEMPLATE))
MIB = 1024 * 1024


def nginx_size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": MIB}[unit.lower()]


def api_locations() -> dict[str, str]:
    """Each ``location /api/<service>/ { … }`` of the front door's template, by service."""
    return dict(re.findall(r"location /api/(\w+)/ \{(.*?)\}", NGINX_TEMPLATE, re.DOTALL))


def test_the_front_door_routes_each_service_with_the_prefix_stripped() -> None:
    locations = api_locations()
    assert set(locations) == set(SERVICES)
    upstreams = dict(re.findall(r"upstream xinyi_(\w+) \{ server \$\{XINYI_(\w+)_UPSTREAM\};", NGINX_TEMPLATE))
    for service, body in locations.items():
        assert f"proxy_pass http://xinyi_{service}/;" in body  # the trailing slash strips /api/<service>
        assert upstreams[service] == service.upper()
    for header in ("X-Request-ID $xinyi_request_id", "X-Forwarded-For $proxy_add_x_forwarded_for"):
        assert re.search(rf"^\s*proxy_set_header {re.escape(header)};", NGINX_TEMPLATE, re.MULTILINE)


def test_the_front_door_takes_every_body_its_service_takes() -> None:
    """nginx lets through what each service accepts on its largest route, so the service, not nginx,
    decides (and answers its own 413 naming the route's limit)."""
    import importlib

    from xinyi_shared.http import DEFAULT_BODY_LIMIT

    for service, body in api_locations().items():
        limits = importlib.import_module(f"{service}_service.bootstrap").__dict__.get("BODY_LIMITS", {})
        largest = max([DEFAULT_BODY_LIMIT, *limits.values()])
        allowed = re.search(r"client_max_body_size (\w+);", body)
        assert allowed, f"/api/{service}/ keeps nginx's 1 MiB default"
        assert nginx_size(allowed.group(1)) >= largest, (service, allowed.group(1), largest)


def test_the_front_doors_template_is_filled_in_both_ways_of_running_it() -> None:
    rendered_natively = set(
        re.findall(r"^\s*(XINYI_[A-Z0-9_]+)=", (REPO_DIR / "deploy" / "nginx.sh").read_text(), re.M)
    )
    assert rendered_natively == TEMPLATE_NAMES
    spec = COMPOSE["services"]["nginx"]
    assert spec["image"].startswith("nginx:")
    assert "./deploy/nginx/xinyi.conf:/etc/nginx/templates/default.conf.template:ro" in spec["volumes"]
    web_root = spec["environment"]["XINYI_WEB_ROOT"]
    assert f"./web/dist:{web_root}:ro" in spec["volumes"]
    assert {n for n in spec["environment"] if n.startswith("XINYI_")} == TEMPLATE_NAMES
    assert all(re.search(spec["environment"]["NGINX_ENVSUBST_FILTER"], name) for name in TEMPLATE_NAMES)
    for service in SERVICES:
        port = PORTS[f"{service.upper()}_HTTP_PORT"]
        assert spec["environment"][f"XINYI_{service.upper()}_UPSTREAM"] == f"{service}:{port}"
    assert set(spec["depends_on"]) == set(SERVICES)
    assert host_ports("nginx") == {PORTS["WEB_PORT"]}
    assert spec["environment"]["XINYI_KEYCLOAK_URL"] == COMPOSE["services"]["keycloak"]["environment"]["KC_HOSTNAME"]
    assert "healthcheck" in spec


def test_the_web_client_may_come_back_to_the_front_door() -> None:
    import json

    realm = json.loads((REPO_DIR / "deploy" / "keycloak" / "xinyi-realm.json").read_text())
    web = next(client for client in realm["clients"] if client["clientId"] == "xinyi-web")
    assert web["publicClient"] is True
    assert web["attributes"]["pkce.code.challenge.method"] == "S256"
    post_logout = web["attributes"]["post.logout.redirect.uris"].split("##")
    for host in ("127.0.0.1", "localhost"):
        origin = f"http://{host}:{PORTS['WEB_PORT']}"
        assert origin in web["webOrigins"]
        for app in ("h5", "console"):
            assert f"{origin}/{app}/*" in web["redirectUris"]
            assert f"{origin}/{app}/*" in post_logout


def test_dockerfile_runs_as_non_root() -> None:
    dockerfile = Path(REPO_DIR / "Dockerfile").read_text()
    assert re.search(r"^USER 10001$", dockerfile, re.MULTILINE)


def exported_metric_names() -> set[str]:
    """Every metric name the four services and the shared library register, as Prometheus sees them
    (a counter's ``_total``, a histogram's ``_bucket``/``_sum``/``_count``)."""
    import importlib

    from prometheus_client import REGISTRY

    for module in (
        "tenant_service.bootstrap",
        "ledger_service.bootstrap",
        "ticketing_service.bootstrap",
        "microfund_service.bootstrap",
    ):
        importlib.import_module(module)
    names = {"up"}
    for family in REGISTRY.collect():
        if family.type == "counter":
            names |= {f"{family.name}_total", f"{family.name}_created"}
        elif family.type == "histogram":
            names |= {f"{family.name}_bucket", f"{family.name}_sum", f"{family.name}_count"}
        else:
            names.add(family.name)
    return names


DASHBOARDS = sorted((REPO_DIR / "deploy" / "grafana" / "dashboards").glob("*.json"))
PROMQL_FUNCTIONS = {"sum", "rate", "increase", "max", "min", "avg", "histogram_quantile", "by", "le", "without"}


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=[d.name for d in DASHBOARDS])
def test_every_dashboard_query_names_a_metric_the_services_export(dashboard: Path) -> None:
    import json

    board = json.loads(dashboard.read_text())
    assert board["uid"] and board["title"] and board["panels"]
    exported = exported_metric_names()
    queries = [target["expr"] for panel in board["panels"] for target in panel["targets"]]
    assert queries
    for query in queries:
        without_labels = re.sub(r"\{[^}]*\}", "", query)
        named = {n for n in re.findall(r"[a-z_][a-z0-9_]*", without_labels) if n.startswith("xinyi_") or n == "up"}
        assert named, f"{dashboard.name}: no metric in {query!r}"
        assert named <= exported, f"{dashboard.name}: {sorted(named - exported)} are not exported"


def test_alert_rules_name_exported_metrics() -> None:
    rules = yaml.safe_load((REPO_DIR / "deploy" / "prometheus" / "alerts.yml").read_text())
    exported = exported_metric_names()
    for group in rules["groups"]:
        for rule in group["rules"]:
            without_labels = re.sub(r"\{[^}]*\}", "", rule["expr"])
            named = {n for n in re.findall(r"[a-z_][a-z0-9_]*", without_labels) if n.startswith("xinyi_") or n == "up"}
            assert named and named <= exported, (rule["alert"], sorted(named - exported))


def test_every_gauge_says_how_the_workers_values_merge() -> None:
    """With several worker processes a gauge left at prometheus_client's default mode (``all``) would
    be exported once per worker with a ``pid`` label; each must say whether the workers' values add up
    (``livesum``) or are the same measurement (``livemax``). See xinyi_shared.exposition."""
    from prometheus_client import REGISTRY, Gauge

    from xinyi_shared.platform_metrics import POOL_WORKER_GAUGES

    exported_metric_names()  # imports every service's metrics
    registered = list(REGISTRY._collector_to_names)  # private: the registry lists no collectors publicly
    gauges = [c for c in registered if isinstance(c, Gauge)] + list(POOL_WORKER_GAUGES.values())
    assert len(gauges) >= 11
    modes = {gauge._name: gauge._multiprocess_mode for gauge in gauges}
    assert {name: mode for name, mode in modes.items() if mode not in ("livesum", "livemax")} == {}


def test_every_alert_rule_has_a_promtool_unit_test() -> None:
    """``promtool test rules deploy/prometheus/alerts.test.yml`` (run by tests/e2e/test_prometheus.py)
    covers every rule: each fires on the series the services export, and not on their ordinary ones."""
    prometheus = REPO_DIR / "deploy" / "prometheus"
    rules = yaml.safe_load((prometheus / "alerts.yml").read_text())
    tests = yaml.safe_load((prometheus / "alerts.test.yml").read_text())
    assert tests["rule_files"] == ["alerts.yml"]
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]}
    assert alerts <= tested, sorted(alerts - tested)
    exported = exported_metric_names()
    for test in tests["tests"]:
        for series in test["input_series"]:
            name = series["series"].split("{", 1)[0]
            assert name in exported, f"{test['name']}: {name} is not exported"


def test_grafana_provisioning_names_the_dashboards_datasource() -> None:
    import json

    datasources = yaml.safe_load(
        (REPO_DIR / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    uids = {source["uid"] for source in datasources["datasources"]}
    for dashboard in DASHBOARDS:
        board = json.loads(dashboard.read_text())
        used = {panel["datasource"]["uid"] for panel in board["panels"]}
        assert used <= uids, dashboard.name


@pytest.mark.parametrize("script", ["kafka.sh", "keycloak.sh", "nginx.sh", "seaweedfs.sh"])
def test_start_up_death_is_judged_by_the_pid_alone(script: str) -> None:
    # Right after `setsid nohup X &` the pid's command line is still the forked shell's until exec
    # is done; judging death by the command line there reported a healthy nginx as dead (a CI run
    # on a loaded machine failed so), so the start-up probe asks only whether the pid exists.
    text = (REPO_DIR / "deploy" / script).read_text()
    before_message = text[: text.index("exited during start-up")]
    probe = before_message[before_message.rindex("() {\n") :]
    death_test = probe.split("then", 1)[0]
    assert 'kill -0 "$pid"' in death_test
    assert "running" not in death_test
